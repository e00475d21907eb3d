package envconf_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/envconf"
)

type settings struct {
	Name     string
	Password string
	On       bool
	N        int
	F        float64
	D        time.Duration
	Nets     []netip.Prefix
}

func defaults() settings { return settings{Name: "def", N: 7, F: 0.5, D: time.Minute} }

func read(r *envconf.Reader) (settings, error) {
	s := defaults()
	r.String("X_NAME", &s.Name)
	r.String("X_PASSWORD", &s.Password)
	r.Bool("X_ON", &s.On)
	r.Int("X_N", &s.N)
	r.Float("X_F", &s.F)
	r.Duration("X_D", &s.D)
	r.Prefixes("X_NETS", &s.Nets)
	return s, r.Err()
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    settings
		wantErr []string // each a line of the joined error
	}{
		{name: "unset keeps defaults", want: defaults()},
		{name: "empty keeps defaults", env: map[string]string{"X_NAME": "", "X_N": "", "X_D": ""}, want: defaults()},
		{name: "every type", env: map[string]string{
			"X_NAME": "n", "X_PASSWORD": "p", "X_ON": "true", "X_N": "-3", "X_F": "2.5", "X_D": "90s",
			"X_NETS": "10.0.0.0/8, fd00::/8",
		}, want: settings{Name: "n", Password: "p", On: true, N: -3, F: 2.5, D: 90 * time.Second,
			Nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}},
		{name: "bool spellings", env: map[string]string{"X_ON": "1"}, want: func() settings { s := defaults(); s.On = true; return s }()},
		{name: "bad values name the variable and value, keep defaults", env: map[string]string{
			"X_ON": "maybe", "X_N": "x", "X_F": "half", "X_D": "soon", "X_NETS": "10.0.0.0/8,nope",
		}, want: defaults(), wantErr: []string{
			`X_ON "maybe": must be true or false`,
			`X_N "x": must be a whole number`,
			`X_F "half": must be a number`,
			`X_D "soon": must be a duration such as 90s, 5m or 72h`,
			`X_NETS "10.0.0.0/8,nope": must be comma-separated prefixes such as 10.1.0.0/16`,
		}},
		{name: "out of range", env: map[string]string{"X_N": "99999999999999999999"}, want: defaults(),
			wantErr: []string{`X_N "99999999999999999999": out of range`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(envconf.New(envconf.Map(tt.env)))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("settings %+v, want %+v", got, tt.want)
			}
			var lines []string
			if err != nil {
				lines = strings.Split(err.Error(), "\n")
			}
			if !slices.Equal(lines, tt.wantErr) {
				t.Errorf("errors %q, want %q", lines, tt.wantErr)
			}
		})
	}
}

// Strings are never parsed, so a secret cannot end up in an error.
func TestStringsNeverFail(t *testing.T) {
	r := envconf.New(envconf.Map(map[string]string{"X_PASSWORD": "hunter2 \"%s\n", "X_N": "x"}))
	_, err := read(r)
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "X_PASSWORD") {
		t.Fatalf("error %v", err)
	}
}

func TestKeysRecordsEveryRead(t *testing.T) {
	want := []string{"X_NAME", "X_PASSWORD", "X_ON", "X_N", "X_F", "X_D", "X_NETS"}
	if got := envconf.Keys(read); !slices.Equal(got, want) {
		t.Fatalf("Keys(read) = %v, want %v", got, want)
	}
	// Set or not, read twice or once: each key once, in first-read order.
	r := envconf.New(envconf.Map(map[string]string{"X_N": "3"}))
	var n int
	r.Int("X_N", &n)
	_ = r.Getenv("X_OTHER")
	r.Int("X_N", &n)
	if got := r.Keys(); !slices.Equal(got, []string{"X_N", "X_OTHER"}) || n != 3 {
		t.Fatalf("Keys() = %v, n = %d", got, n)
	}
}

func TestDefaultLookupIsTheEnvironment(t *testing.T) {
	t.Setenv("X_ENVCONF_TEST", "from-env")
	s := "def"
	r := envconf.New(nil)
	r.String("X_ENVCONF_TEST", &s)
	if s != "from-env" || r.Getenv("X_ENVCONF_TEST") != "from-env" || r.Err() != nil {
		t.Fatalf("value %q, err %v", s, r.Err())
	}
}

// Secret reads a value or the file its _FILE variable names (as compose
// and Kubernetes mount secrets), never both, and never quotes the value.
func TestSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "master_key")
	if err := os.WriteFile(file, []byte("s3cr3t-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"unset keeps the default", nil, "default", ""},
		{"value", map[string]string{"K": "s3cr3t"}, "s3cr3t", ""},
		{"file, line end trimmed", map[string]string{"K_FILE": file}, "s3cr3t-from-file", ""},
		{"both", map[string]string{"K": "s3cr3t", "K_FILE": file}, "default", "K and K_FILE are both set"},
		{"missing file", map[string]string{"K_FILE": filepath.Join(dir, "nope")}, "default", "K_FILE: open " + dir},
		{"empty file", map[string]string{"K_FILE": empty}, "default", "K_FILE: " + empty + " is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := envconf.New(envconf.Map(c.env))
			got := "default"
			r.Secret("K", &got)
			err := r.Err()
			if got != c.want || (c.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("got %q, err %v; want %q, err containing %q", got, err, c.want, c.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("error quotes the secret: %v", err)
			}
			if keys := r.Keys(); !slices.Equal(keys, []string{"K", "K_FILE"}) {
				t.Fatalf("keys %v, want K and K_FILE", keys)
			}
		})
	}
}
