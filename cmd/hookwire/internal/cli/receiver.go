package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hookwire/hookwire/pkg/signing"
)

// maxBody bounds what the listen receiver reads from one delivery.
const maxBody = 10 << 20

// receiver is the HTTP endpoint of `hookwire listen`: it prints every
// delivery with its signature check and optionally forwards it.
type receiver struct {
	secret  string
	forward string
	out     io.Writer
	now     func() time.Time
	client  http.Client
	mu      sync.Mutex // serializes lines written to out
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBody))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	mark := "✓"
	if err := signing.Verify([]string{r.secret}, req.Header, body, r.now(), 0); err != nil {
		mark = "✗ " + err.Error()
	}
	var ev struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &ev)
	line := fmt.Sprintf("%s  %s  %s  signature %s", r.now().UTC().Format(time.RFC3339),
		req.Header.Get(signing.HeaderID), orDash(ev.Type), mark)
	status := http.StatusOK
	if r.forward != "" {
		code, err := r.forwardTo(req.Context(), req.Header, body)
		if err != nil {
			status = http.StatusBadGateway
			line += fmt.Sprintf("  → %s error: %v", r.forward, err)
		} else {
			status = code
			line += fmt.Sprintf("  → %s %d", r.forward, code)
		}
	}
	r.mu.Lock()
	fmt.Fprintln(r.out, line)
	r.mu.Unlock()
	w.WriteHeader(status)
}

// forwardTo POSTs the same headers and body to the forward URL and returns
// its status, which is also what Hookwire sees (so retries behave as they
// would against that endpoint).
func (r *receiver) forwardTo(ctx context.Context, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.forward, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, vs := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length", "Connection", "Transfer-Encoding", "Accept-Encoding":
			continue
		}
		req.Header[k] = append([]string(nil), vs...)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return resp.StatusCode, nil
}
