package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
	"github.com/hookwire/hookwire/pkg/auth"
)

// With a tokens file, dev requires tokens and --token sends them.
func TestTokenAuth(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	file := `{"tokens": [
	  {"name": "reader", "sha256": "` + auth.HashToken("read-secret") + `", "scope": "", "permissions": ["read"]},
	  {"name": "admin", "sha256": "` + auth.HashToken("admin-secret") + `", "scope": "", "permissions": ["read", "manage", "publish"]}
	]}`
	if err := os.WriteFile(tokens, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDevWith(t, dev.Options{DataDir: filepath.Join(dir, "data"), TokensFile: tokens})

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no token", args: []string{"subscriptions", "list"}, wantCode: 1, wantErr: "Unauthenticated"},
		{name: "unknown token", args: []string{"--token", "nope", "subscriptions", "list"}, wantCode: 1, wantErr: "Unauthenticated"},
		{name: "read token reads", args: []string{"--token", "read-secret", "event-types", "list"}, wantCode: 0},
		{name: "read token cannot manage", args: []string{"--token", "read-secret", "event-types", "create", "x.y"}, wantCode: 1, wantErr: "PermissionDenied"},
		{name: "admin token manages", args: []string{"--token", "admin-secret", "event-types", "create", "x.y"}, wantCode: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := d.try(tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("exit %d (want %d), stderr:\n%s", code, tt.wantCode, stderr)
			}
		})
	}
}
