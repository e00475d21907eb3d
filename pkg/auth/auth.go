// Package auth authenticates gRPC callers by bearer token and authorizes
// them by scope and permission. Tokens come from a JSON file that holds only
// their SHA-256 hashes, so the file itself is no secret:
//
//	{"tokens": [
//	  {"name": "acquirer-100", "sha256": "<hex sha256 of the token>",
//	   "scope": "acquirers/100", "permissions": ["manage", "read", "publish"]}
//	]}
//
// A principal bound to scope S may act only at or below S.
package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/scope"
)

// Permission is what a token may do.
type Permission string

const (
	Manage  Permission = "manage"  // create, change and delete subscriptions and event types; redeliver, replay
	Read    Permission = "read"    // get and list
	Publish Permission = "publish" // publish events
)

// Principal is an authenticated caller.
type Principal struct {
	Name  string
	Scope string
	perms map[Permission]bool
}

// Can reports whether the principal holds perm.
func (p Principal) Can(perm Permission) bool { return p.perms[perm] }

// Covers reports whether s is at or below the principal's scope.
func (p Principal) Covers(s string) bool { return scope.Within(s, p.Scope) }

// Root is an all-powerful principal at the root scope (dev mode, internal calls).
func Root(name string) Principal {
	return Principal{Name: name, perms: map[Permission]bool{Manage: true, Read: true, Publish: true}}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller set by the interceptors.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authenticator maps tokens to principals.
type Authenticator struct {
	tokens map[[sha256.Size]byte]Principal
	dev    bool
}

type fileToken struct {
	Name        string       `json:"name"`
	SHA256      string       `json:"sha256"`
	Scope       string       `json:"scope"`
	Permissions []Permission `json:"permissions"`
}

// Dev returns an Authenticator that lets every caller in as Root. Services
// log a warning when they run with it.
func Dev() *Authenticator { return &Authenticator{dev: true} }

// IsDev reports whether a accepts unauthenticated callers.
func (a *Authenticator) IsDev() bool { return a.dev }

// LoadFile reads a tokens file.
func LoadFile(path string) (*Authenticator, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	return Parse(b)
}

// ReservedPrefix starts the principal names of Hookwire's own changes
// (the dispatcher suspends a subscription as "hookwire-dispatcher", and
// acts on a suspension by that name): no token may be named so, in any
// case, or its holder's changes would pass for the dispatcher's.
const ReservedPrefix = "hookwire-"

// Parse reads the tokens file format. It is strict, because a file that
// starts but means something else than written is worse than one that does
// not start: unknown fields (a misspelled "permision"), an empty list, an
// entry without a name or permissions, a name starting with ReservedPrefix,
// an unknown permission, and a name or sha256 used twice are each refused with the entry's index and name.
func Parse(b []byte) (*Authenticator, error) {
	var f struct {
		Tokens []fileToken `json:"tokens"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse tokens file: %w", err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, errors.New("parse tokens file: data after the top-level object")
	}
	if len(f.Tokens) == 0 {
		return nil, errors.New("parse tokens file: no tokens (the \"tokens\" list is missing or empty)")
	}
	a := &Authenticator{tokens: make(map[[sha256.Size]byte]Principal, len(f.Tokens))}
	hashAt := make(map[[sha256.Size]byte]int, len(f.Tokens))
	nameAt := make(map[string]int, len(f.Tokens))
	var errs []error
	for i, t := range f.Tokens {
		p, sum, err := parseToken(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("tokens[%d] (%q): %w", i, t.Name, err))
			continue
		}
		if j, dup := hashAt[sum]; dup {
			errs = append(errs, fmt.Errorf("tokens[%d] (%q): same sha256 as tokens[%d] (%q)", i, t.Name, j, f.Tokens[j].Name))
			continue
		}
		if j, dup := nameAt[t.Name]; dup {
			errs = append(errs, fmt.Errorf("tokens[%d] (%q): same name as tokens[%d]", i, t.Name, j))
			continue
		}
		hashAt[sum], nameAt[t.Name] = i, i
		a.tokens[sum] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// parseToken checks one entry of the tokens file on its own.
func parseToken(t fileToken) (Principal, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	if strings.TrimSpace(t.Name) == "" {
		return Principal{}, sum, errors.New("name is required (audit records it)")
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(t.Name)), ReservedPrefix) {
		return Principal{}, sum, fmt.Errorf("names starting with %q are Hookwire's own (the audit records its dispatcher's suspensions as \"hookwire-dispatcher\"): choose another", ReservedPrefix)
	}
	raw, err := hex.DecodeString(t.SHA256)
	if err != nil || len(raw) != sha256.Size {
		return Principal{}, sum, errors.New("sha256 must be 64 hex characters")
	}
	copy(sum[:], raw)
	if err := scope.Validate(t.Scope); err != nil {
		return Principal{}, sum, err
	}
	if len(t.Permissions) == 0 {
		return Principal{}, sum, errors.New("permissions are empty (a token that may do nothing is a mistake)")
	}
	p := Principal{Name: t.Name, Scope: t.Scope, perms: map[Permission]bool{}}
	for _, perm := range t.Permissions {
		switch perm {
		case Manage, Read, Publish:
			p.perms[perm] = true
		default:
			return Principal{}, sum, fmt.Errorf("unknown permission %q (want %s, %s or %s)", perm, Manage, Read, Publish)
		}
	}
	return p, sum, nil
}

// HashToken returns the hex SHA-256 of a token, as the tokens file wants it.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate finds the principal for the bearer token in ctx's metadata.
func (a *Authenticator) Authenticate(ctx context.Context) (Principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var token string
	if v := md.Get("authorization"); len(v) > 0 {
		if t, ok := strings.CutPrefix(v[0], "Bearer "); ok {
			token = strings.TrimSpace(t)
		} else if t, ok := strings.CutPrefix(v[0], "bearer "); ok {
			token = strings.TrimSpace(t)
		}
	}
	if token == "" {
		if a.dev {
			return Root("dev"), nil
		}
		return Principal{}, status.Error(codes.Unauthenticated, "missing bearer token in the authorization metadata")
	}
	sum := sha256.Sum256([]byte(token))
	if p, ok := a.tokens[sum]; ok {
		return p, nil
	}
	if a.dev {
		return Root("dev"), nil
	}
	return Principal{}, status.Error(codes.Unauthenticated, "unknown bearer token")
}

// Rules maps full gRPC method names ("/hookwire.v1.RegistryService/GetSubscription")
// to the permission they need. Methods outside hookwire.v1 (health,
// reflection) need none; a hookwire.v1 method missing from Rules is denied.
type Rules map[string]Permission

func (a *Authenticator) authorize(ctx context.Context, method string, rules Rules) (context.Context, error) {
	if !strings.HasPrefix(method, "/hookwire.v1.") {
		return ctx, nil
	}
	perm, ok := rules[method]
	if !ok {
		return nil, status.Errorf(codes.PermissionDenied, "method %s is not open to tokens", method)
	}
	p, err := a.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Can(perm) {
		return nil, status.Errorf(codes.PermissionDenied, "token %q lacks the %s permission", p.Name, perm)
	}
	return WithPrincipal(ctx, p), nil
}

// UnaryInterceptor authenticates and authorizes unary calls.
func (a *Authenticator) UnaryInterceptor(rules Rules) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := a.authorize(ctx, info.FullMethod, rules)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor authenticates and authorizes streaming calls.
func (a *Authenticator) StreamInterceptor(rules Rules) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := a.authorize(ss.Context(), info.FullMethod, rules)
		if err != nil {
			return err
		}
		return handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx})
	}
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

// CheckScope returns PermissionDenied unless the caller in ctx covers s.
// It fails closed: a context without a principal (a handler reached without
// the interceptors) is denied; internal callers use WithPrincipal(ctx, Root(...)).
func CheckScope(ctx context.Context, s string) error {
	p, ok := FromContext(ctx)
	if !ok {
		return status.Error(codes.PermissionDenied, "no authenticated caller")
	}
	if p.Covers(s) {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "token %q is bound to scope %q and may not act on scope %q", p.Name, p.Scope, s)
}
