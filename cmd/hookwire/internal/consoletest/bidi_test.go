package consoletest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// firefoxPath is HOOKWIRE_FIREFOX or the Firefox on PATH.
func firefoxPath() (string, error) {
	if p := os.Getenv("HOOKWIRE_FIREFOX"); p != "" {
		return p, nil
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the console's Firefox check needs Firefox: `make test` installs Debian's firefox-esr with apt-get; " +
		"elsewhere install Firefox and set HOOKWIRE_FIREFOX to its path")
}

// bidi is a WebDriver BiDi session with a headless Firefox, which speaks
// it natively (no geckodriver): commands by id, events to a channel.
type bidi struct {
	t      *testing.T
	ws     *websocket.Conn
	mu     sync.Mutex
	nextID int
	calls  map[int]chan bidiReply
	events chan bidiEvent
	errs   []string // log entries of level error: script errors, console.error
}

type bidiReply struct {
	Result json.RawMessage
	Err    string
}

type bidiEvent struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// startFirefox starts a headless Firefox with a fresh profile and opens a
// BiDi session; both end with the test.
func startFirefox(t *testing.T) *bidi {
	t.Helper()
	path, err := firefoxPath()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, "--headless", "--no-remote", "--profile", t.TempDir(), "--remote-debugging-port", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	// Firefox says where it listens on stderr; the rest of its chatter is
	// read and dropped so that it never blocks on a full pipe.
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "WebDriver BiDi listening on "); ok {
				select {
				case addr <- strings.TrimSpace(rest):
				default: // a second such line: the first is taken, keep draining
				}
			}
		}
	}()
	var url string
	select {
	case url = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("Firefox did not open its WebDriver BiDi port within 60s")
	}
	ws, _, err := websocket.Dial(ctx, url+"/session", nil)
	if err != nil {
		t.Fatalf("connect to Firefox's BiDi at %s: %v", url, err)
	}
	ws.SetReadLimit(64 << 20)
	b := &bidi{t: t, ws: ws, calls: map[int]chan bidiReply{}, events: make(chan bidiEvent, 256)}
	go b.read(ctx)
	t.Cleanup(func() { _ = ws.CloseNow() })
	// Prompts (window.confirm) wait for the test to answer them, rather
	// than being dismissed at once.
	b.call("session.new", map[string]any{"capabilities": map[string]any{
		"alwaysMatch": map[string]any{"unhandledPromptBehavior": map[string]string{"default": "ignore"}}}}, nil)
	return b
}

func (b *bidi) read(ctx context.Context) {
	for {
		_, data, err := b.ws.Read(ctx)
		if err != nil {
			return
		}
		var m struct {
			ID      *int            `json:"id"`
			Type    string          `json:"type"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
			bidiEvent
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if m.Type == "event" && m.Method == "log.entryAdded" {
			var e struct {
				Level string `json:"level"`
				Text  string `json:"text"`
			}
			if json.Unmarshal(m.Params, &e) == nil && e.Level == "error" {
				b.mu.Lock()
				b.errs = append(b.errs, e.Text)
				b.mu.Unlock()
			}
			continue
		}
		if m.Type == "event" {
			select {
			case b.events <- m.bidiEvent:
			default: // nobody listens for that many: drop
			}
			continue
		}
		if m.ID != nil {
			b.mu.Lock()
			ch := b.calls[*m.ID]
			delete(b.calls, *m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- bidiReply{Result: m.Result, Err: strings.TrimSpace(m.Error + " " + m.Message)}
			}
		}
	}
}

// call sends a command and decodes its result into out (nil: ignored).
func (b *bidi) call(method string, params any, out any) {
	b.t.Helper()
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan bidiReply, 1)
	b.calls[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := b.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		b.t.Fatalf("BiDi %s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Err != "" {
			b.t.Fatalf("BiDi %s: %s", method, r.Err)
		}
		if out != nil {
			if err := json.Unmarshal(r.Result, out); err != nil {
				b.t.Fatalf("BiDi %s: decode %s: %v", method, r.Result, err)
			}
		}
	case <-ctx.Done():
		b.t.Fatalf("BiDi %s: no answer within 60s", method)
	}
}

// eval evaluates a JavaScript expression yielding a string in context.
func (b *bidi) eval(context, expr string) string {
	b.t.Helper()
	var res struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	b.call("script.evaluate", map[string]any{"expression": expr, "target": map[string]any{"context": context},
		"awaitPromise": false}, &res)
	if res.Type == "exception" {
		b.t.Fatalf("script %s: %s", expr, res.ExceptionDetails.Text)
	}
	return fmt.Sprint(res.Result.Value)
}

// takeErrors returns the error log entries since the last call.
func (b *bidi) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	errs := b.errs
	b.errs = nil
	return errs
}

// waitEvent returns the next event named method within d.
func (b *bidi) waitEvent(method string, d time.Duration) (bidiEvent, bool) {
	deadline := time.After(d)
	for {
		select {
		case ev := <-b.events:
			if ev.Method == method {
				return ev, true
			}
		case <-deadline:
			return bidiEvent{}, false
		}
	}
}
