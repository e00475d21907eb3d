package console

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// oldRegistry answers the overview's listing of suspended subscriptions.
type oldRegistry struct {
	hookwirev1.UnimplementedRegistryServiceServer
}

func (oldRegistry) ListSubscriptions(context.Context, *hookwirev1.ListSubscriptionsRequest) (*hookwirev1.ListSubscriptionsResponse, error) {
	return &hookwirev1.ListSubscriptionsResponse{Subscriptions: []*hookwirev1.Subscription{
		{Id: "sub_suspended", Label: "Suspended one", Status: hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_SUSPENDED},
	}}, nil
}

// rankingDispatcher answers ListFailingSubscriptions with resp; a nil
// resp leaves it unimplemented, as a dispatcher older than it answers.
type rankingDispatcher struct {
	hookwirev1.UnimplementedDeliveryServiceServer
	resp *hookwirev1.ListFailingSubscriptionsResponse
}

func (d rankingDispatcher) ListFailingSubscriptions(ctx context.Context, req *hookwirev1.ListFailingSubscriptionsRequest) (*hookwirev1.ListFailingSubscriptionsResponse, error) {
	if d.resp == nil {
		return d.UnimplementedDeliveryServiceServer.ListFailingSubscriptions(ctx, req)
	}
	return d.resp, nil
}

// overviewWith serves the overview of a dev console over a gRPC server
// with those services and returns the page.
func overviewWith(t *testing.T, del rankingDispatcher) (int, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hookwirev1.RegisterRegistryServiceServer(srv, oldRegistry{})
	hookwirev1.RegisterDeliveryServiceServer(srv, del)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c, err := New(Config{Dev: true, TokenOptional: true, SessionTTL: time.Hour},
		Deps{Registry: conn, Dispatcher: conn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, BasePath, nil))
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body)
}

// TestOverviewBesideAnOlderDispatcher: a dispatcher that does not know
// ListFailingSubscriptions (Unimplemented, during a rolling upgrade)
// leaves the overview standing, without the ranking and with a note.
func TestOverviewBesideAnOlderDispatcher(t *testing.T) {
	code, body := overviewWith(t, rankingDispatcher{})
	if code != http.StatusOK || !strings.Contains(body, "Suspended one") || !strings.Contains(body, "does not rank failed attempts") {
		t.Fatalf("status %d, page:\n%s", code, body)
	}
}

// TestOverviewPartialRanking: a ranking the delivery log truncated is
// shown as partial.
func TestOverviewPartialRanking(t *testing.T) {
	for _, truncated := range []bool{false, true} {
		code, body := overviewWith(t, rankingDispatcher{resp: &hookwirev1.ListFailingSubscriptionsResponse{Truncated: truncated,
			Subscriptions: []*hookwirev1.SubscriptionFailures{{SubscriptionId: "sub_failing", FailedAttempts: 7, LastError: "HTTP 503 Service Unavailable"}}}})
		if code != http.StatusOK || !strings.Contains(body, "sub_failing") || strings.Contains(body, "Partial:") != truncated {
			t.Fatalf("truncated %v: status %d, page:\n%s", truncated, code, body)
		}
	}
}
