package consoletest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// One headless Chromium for the package (it is slow to start on a small
// machine); each test gets its own browser context, so cookies are not
// shared between tests.
var chrome struct {
	once   sync.Once
	ctx    context.Context
	stop   func()
	userDD string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.stop != nil {
		chrome.stop()
		_ = os.RemoveAll(chrome.userDD)
	}
	os.Exit(code)
}

// chromiumPath is HOOKWIRE_CHROMIUM or the chromium on PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("HOOKWIRE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the console's browser tests need Chromium: `make test` installs Debian's chromium with apt-get; " +
		"elsewhere install Chromium or Chrome and set HOOKWIRE_CHROMIUM to its path")
}

func startChrome() {
	path, err := chromiumPath()
	if err != nil {
		chrome.err = err
		return
	}
	if chrome.userDD, err = os.MkdirTemp("", "hookwire-chromium-"); err != nil {
		chrome.err = err
		return
	}
	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.UserDataDir(chrome.userDD),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1366, 900),
	)
	ctx, stopBrowser := chromedp.NewContext(alloc)
	chrome.ctx, chrome.stop = ctx, func() { stopBrowser(); stopAlloc() }
	// The first action starts the browser, which lives as long as the
	// context of that action: ctx itself, not a shorter one.
	if err := chromedp.Do(ctx); err != nil {
		chrome.err = fmt.Errorf("start %s: %w", path, err)
	}
}

// tab is a new tab in a fresh browser context, bounded in time.
func tab(t *testing.T) context.Context {
	t.Helper()
	chrome.once.Do(startChrome)
	if chrome.err != nil {
		t.Fatal(chrome.err)
	}
	tabCtx, closeTab := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tabCtx, 3*time.Minute)
	t.Cleanup(func() { cancel(); closeTab() })
	do(t, ctx, chromedp.EmulateViewport(1366, 900))
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("browser at %s: %v\npage text:\n%.2000s", loc, err, body)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

func value(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("value of %s: %v", css, err)
	}
	return s
}

// reloadUntil loads url until the expression js holds in it.
func reloadUntil(t *testing.T, ctx context.Context, url, js, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		do(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main")))
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			t.Fatalf("%s: not seen within 60s at %s (err %v)\npage:\n%.2000s", what, url, err, got)
		}
	}
}

// signIn signs the tab in with token through the form.
func signIn(t *testing.T, ctx context.Context, s *stack, token string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(s.console+"signin"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SetValue(chromedp.CSS("#token"), token),
		chromedp.SetValue(chromedp.CSS("#user"), "operator"),
		chromedp.Click(chromedp.CSS(`form button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS("#suspended-h")),
	)
}

// screenshot saves the page as docs/screenshots/<name>.png when
// HOOKWIRE_SCREENSHOTS names the directory (relative: to the repository root).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("HOOKWIRE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", "..", "..", dir)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func contains(t *testing.T, got, want, what string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: %q does not contain %q", what, got, want)
	}
}
