package reqmeta

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/badrequest"
)

func TestUnaryInterceptor(t *testing.T) {
	tests := []struct {
		name       string
		md         metadata.MD
		wantCode   codes.Code
		wantID     string
		fromCaller bool
		wantUser   string
		badField   string
	}{
		{"caller ids", metadata.Pairs(RequestIDKey, "req-1", UserIDKey, "alice"), codes.OK, "req-1", true, "alice", ""},
		{"generated id", metadata.MD{}, codes.OK, "", false, "", ""},
		{"request id too long", metadata.Pairs(RequestIDKey, strings.Repeat("x", MaxLen+1)), codes.InvalidArgument, "", false, "", RequestIDKey},
		{"user id too long", metadata.Pairs(UserIDKey, strings.Repeat("u", MaxLen+1)), codes.InvalidArgument, "", false, "", UserIDKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := metadata.NewIncomingContext(context.Background(), tt.md)
			var gotID, gotUser string
			var gotCaller bool
			_, err := UnaryInterceptor()(ctx, nil, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) {
				gotID, gotCaller = RequestID(ctx)
				gotUser = UserID(ctx)
				return nil, nil
			})
			if status.Code(err) != tt.wantCode {
				t.Fatalf("code = %v, want %v", status.Code(err), tt.wantCode)
			}
			if tt.badField != "" {
				if got := badrequest.FieldsOf(err); !slices.Equal(got, []string{tt.badField}) {
					t.Fatalf("fields = %v", got)
				}
				return
			}
			if gotCaller != tt.fromCaller || gotUser != tt.wantUser || (tt.wantID != "" && gotID != tt.wantID) || gotID == "" {
				t.Fatalf("id %q caller %v user %q", gotID, gotCaller, gotUser)
			}
		})
	}
}
