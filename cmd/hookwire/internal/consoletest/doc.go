// Package consoletest holds the web console's end-to-end tests: HTTP
// handler tests and real-browser tests (headless Chromium driven by
// chromedp) against `hookwire dev` in-process, which serves the console at
// /console/. It has no code of its own.
//
// The browser tests need Debian's chromium (`make test` installs it; set
// HOOKWIRE_CHROMIUM to use another binary). With HOOKWIRE_SCREENSHOTS set
// to a directory (relative paths are from the repository root), they save
// screenshots of the main pages there: docs/screenshots holds the ones the
// README shows.
//
// TestFirefoxRendersTheConsole loads the main pages in headless Firefox
// (Debian's firefox-esr, which `make test` installs; HOOKWIRE_FIREFOX names
// another binary) over WebDriver BiDi, which Firefox serves itself on
// --remote-debugging-port: no geckodriver, and a small client here
// (bidi_test.go) over a WebSocket.
package consoletest
