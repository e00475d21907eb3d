package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hookwire/hookwire/pkg/envelope"
	"github.com/hookwire/hookwire/pkg/signing"
)

// ErrRedirect is Result.Err for a 3xx answer: redirects are not followed.
var ErrRedirect = errors.New("redirect not followed")

// Send makes one attempt: POST r.Body (or its encryption envelope) to r.URL
// with the Standard Webhooks headers, X-Signature, Basic auth, r.Header and
// the User-Agent, within r.Timeout. It never returns an error: everything
// that happened is in the Result, classified by Classify.
func (c *Client) Send(ctx context.Context, r Request) Result {
	start := time.Now()
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := c.build(ctx, r)
	if err != nil {
		return c.result(0, nil, err, start)
	}
	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		return c.result(0, nil, transportError(ctx, req.URL, timeout, err), start)
	}
	defer resp.Body.Close()
	// The attempt's deadline also bounds reading the body; a read error
	// keeps what arrived and does not change the HTTP outcome.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, ExcerptLimit))
	res := c.result(resp.StatusCode, resp.Header, nil, start)
	res.Excerpt = excerpt(body)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// The target may carry a token in its query: redacted like URLs,
		// since the error is stored in the delivery log and logged.
		loc, _ := RedactURL(resp.Header.Get("Location"))
		res.Err = fmt.Errorf("%w: %d to %q (the subscription URL must answer directly)", ErrRedirect, resp.StatusCode, loc)
	}
	return res
}

func (c *Client) result(status int, h http.Header, err error, start time.Time) Result {
	out, after := Classify(status, h, err)
	return Result{Outcome: out, Status: status, Latency: time.Since(start), Err: err, RetryAfter: after}
}

// build renders the HTTP request of one attempt.
func (c *Client) build(ctx context.Context, r Request) (*http.Request, error) {
	if len(r.Secrets) == 0 {
		return nil, fmt.Errorf("%w: no signing secret", ErrInvalidRequest)
	}
	if r.WebhookID == "" {
		return nil, fmt.Errorf("%w: no webhook id", ErrInvalidRequest)
	}
	body := r.Body
	var err error
	if len(r.EncryptionKey) > 0 {
		if body, err = envelope.Seal(r.EncryptionKey, r.Body); err != nil {
			return nil, fmt.Errorf("%w: encrypt body: %w", ErrInvalidRequest, err)
		}
	}
	ts := r.Timestamp
	if ts.IsZero() {
		ts = c.now()
	}
	sig, xsig, err := signing.Signatures(r.Secrets, r.WebhookID, ts, body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	// The URL is parsed once, here, and checked before anything is sent.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: does not parse", ErrInvalidURL)
	}
	if err := c.checkURL(req.URL); err != nil {
		return nil, err
	}
	h := make(http.Header, len(r.Header)+8)
	for k, vs := range r.Header {
		h[k] = vs // never modified: the values are only written out
	}
	// Lowercase on the wire, as the Standard Webhooks spec writes them; a
	// caller's header cannot replace them.
	for _, k := range [...]string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
		delete(h, k)
	}
	h[signing.HeaderID] = []string{r.WebhookID}
	h[signing.HeaderTimestamp] = []string{strconv.FormatInt(ts.Unix(), 10)}
	h[signing.HeaderSignature] = []string{sig}
	h[signing.HeaderXSignature] = []string{xsig}
	h["Content-Type"] = []string{"application/json"}
	h["User-Agent"] = []string{c.userAgent}
	req.Header = h
	if r.BasicUser != "" {
		req.SetBasicAuth(r.BasicUser, r.BasicPassword)
	}
	return req, nil
}

// transportError rewrites a client error without the URL's query (it may
// hold a subscriber token) and says plainly when the attempt timed out.
func transportError(ctx context.Context, u *url.URL, timeout time.Duration, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("POST %s: no answer within %s: %w", redact(u), timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("POST %s: %w", redact(u), err)
}

// excerpt is the response body as valid UTF-8: a rune cut by the read
// limit is dropped, invalid bytes become U+FFFD.
func excerpt(b []byte) string {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
