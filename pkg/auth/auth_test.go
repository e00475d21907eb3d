package auth

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestAuthorize(t *testing.T) {
	file := fmt.Sprintf(`{"tokens":[
	 {"name":"acq100","sha256":%q,"scope":"acquirers/100","permissions":["manage","read"]},
	 {"name":"pub","sha256":%q,"scope":"","permissions":["publish"]}]}`, HashToken("t-acq"), HashToken("t-pub"))
	a, err := Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	rules := Rules{"/hookwire.v1.RegistryService/GetSubscription": Read, "/hookwire.v1.IngestService/Publish": Publish}
	call := func(token, method string) (Principal, codes.Code) {
		ctx := context.Background()
		if token != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+token))
		}
		var got Principal
		_, err := a.UnaryInterceptor(rules)(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, func(ctx context.Context, _ any) (any, error) {
			got, _ = FromContext(ctx)
			return nil, nil
		})
		return got, status.Code(err)
	}
	tests := []struct {
		token, method string
		want          codes.Code
	}{
		{"t-acq", "/hookwire.v1.RegistryService/GetSubscription", codes.OK},
		{"t-acq", "/hookwire.v1.IngestService/Publish", codes.PermissionDenied},
		{"t-pub", "/hookwire.v1.IngestService/Publish", codes.OK},
		{"", "/hookwire.v1.IngestService/Publish", codes.Unauthenticated},
		{"wrong", "/hookwire.v1.IngestService/Publish", codes.Unauthenticated},
		{"t-acq", "/hookwire.v1.RegistryService/Unlisted", codes.PermissionDenied},
		{"", "/grpc.health.v1.Health/Check", codes.OK},
	}
	for _, tt := range tests {
		if _, got := call(tt.token, tt.method); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.token, tt.method, got, tt.want)
		}
	}
	p, _ := call("t-acq", "/hookwire.v1.RegistryService/GetSubscription")
	if !p.Covers("acquirers/100/merchants/1") || p.Covers("acquirers/1000") || p.Covers("") {
		t.Errorf("scope coverage wrong for %+v", p)
	}
	if err := CheckScope(WithPrincipal(context.Background(), p), "acquirers/200"); status.Code(err) != codes.PermissionDenied {
		t.Errorf("CheckScope outside: %v", err)
	}
	if _, err := Parse([]byte(`{"tokens":[{"name":"x","sha256":"zz","permissions":["fly"]}]}`)); err == nil {
		t.Error("Parse accepted a bad file")
	}
}

func TestCheckScopeFailsClosed(t *testing.T) {
	if err := CheckScope(context.Background(), "acquirers/1"); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("CheckScope without a principal = %v, want PermissionDenied", err)
	}
	if err := CheckScope(WithPrincipal(context.Background(), Root("internal")), "acquirers/1"); err != nil {
		t.Fatalf("CheckScope as root = %v", err)
	}
}

func TestParseStrict(t *testing.T) {
	h1, h2 := HashToken("one"), HashToken("two")
	tests := []struct {
		name, file, want string
	}{
		{"duplicate sha256", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"permissions":["read"]},{"name":"b","sha256":%q,"permissions":["manage"]}]}`, h1, h1), `tokens[1] ("b"): same sha256 as tokens[0] ("a")`},
		{"duplicate sha256 other case", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"permissions":["read"]},{"name":"b","sha256":%q,"permissions":["manage"]}]}`, h1, strings.ToUpper(h1)), `tokens[1] ("b"): same sha256`},
		{"duplicate name", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"permissions":["read"]},{"name":"a","sha256":%q,"permissions":["read"]}]}`, h1, h2), `tokens[1] ("a"): same name as tokens[0]`},
		{"misspelled field", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"permision":["read"]}]}`, h1), `unknown field "permision"`},
		{"unknown top-level field", fmt.Sprintf(`{"token":[{"name":"a","sha256":%q,"permissions":["read"]}]}`, h1), `unknown field "token"`},
		{"empty permissions", fmt.Sprintf(`{"tokens":[{"name":"ok","sha256":%q,"permissions":["read"]},{"name":"a","sha256":%q,"permissions":[]}]}`, h2, h1), `tokens[1] ("a"): permissions are empty`},
		{"missing permissions", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q}]}`, h1), `tokens[0] ("a"): permissions are empty`},
		{"unknown permission", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"permissions":["read","admin"]}]}`, h1), `tokens[0] ("a"): unknown permission "admin"`},
		{"empty list", `{"tokens": []}`, `no tokens`},
		{"no list", `{}`, `no tokens`},
		{"null list", `{"tokens": null}`, `no tokens`},
		{"reserved name", fmt.Sprintf(`{"tokens":[{"name":"hookwire-dispatcher","sha256":%q,"permissions":["manage"]}]}`, h1), `tokens[0] ("hookwire-dispatcher"): names starting with "hookwire-" are Hookwire's own`},
		{"reserved name in another case", fmt.Sprintf(`{"tokens":[{"name":" HookWire-Dispatcher","sha256":%q,"permissions":["manage"]}]}`, h1), `names starting with "hookwire-"`},
		{"missing name", fmt.Sprintf(`{"tokens":[{"sha256":%q,"permissions":["read"]}]}`, h1), `tokens[0] (""): name is required`},
		{"bad scope", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"scope":"acquirers/100/../200","permissions":["read"]}]}`, h1), `tokens[0] ("a"): invalid scope`},
		{"trailing data", fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"permissions":["read"]}]} {"tokens":[]}`, h1), `data after the top-level object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	ok := fmt.Sprintf(`{"tokens":[{"name":"a","sha256":%q,"permissions":["read"]},{"name":"b","sha256":%q,"scope":"acquirers/1","permissions":["publish"]}]}`, h1, h2)
	if _, err := Parse([]byte(ok)); err != nil {
		t.Fatalf("Parse(valid file) = %v", err)
	}
}
