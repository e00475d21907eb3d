package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func sampleSubscription() *hookwirev1.Subscription {
	return &hookwirev1.Subscription{
		Id:         "sub_01",
		Label:      "orders",
		Url:        "https://example.com/hooks",
		EventTypes: []string{"transaction.sale.*", "ach.returned"},
		Scope:      "acquirers/100",
		Status:     hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED,
		AttributeFilters: map[string]*hookwirev1.AttributeValues{
			"payment_method": {Values: []string{"CARD", "ACH"}},
			"brand":          {Values: []string{"visa"}},
		},
		RateLimit:   &hookwirev1.RateLimit{PerSecond: 10, Burst: 20},
		RetryPolicy: &hookwirev1.RetryPolicy{Delays: []*durationpb.Duration{durationpb.New(time.Minute)}},
		Metadata:    map[string]string{"team": "payments", "env": "dev"},
		CreateTime:  timestamppb.New(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)),
	}
}

func TestRenderJSONIsStable(t *testing.T) {
	resp := &hookwirev1.GetSubscriptionResponse{Subscription: sampleSubscription()}
	var first string
	for i := range 20 {
		var buf bytes.Buffer
		a := &app{output: "json", stdout: &buf}
		if err := a.render(resp, nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.String()
			continue
		}
		if buf.String() != first {
			t.Fatalf("json output changed between runs:\n%s\n%s", first, buf.String())
		}
	}
	for _, want := range []string{`"subscription": {`, `"event_types": [`, `"status": "SUBSCRIPTION_STATUS_PAUSED"`, `"per_second": 10`, `"create_time": "2026-11-23T10:00:00Z"`} {
		if !strings.Contains(first, want) {
			t.Errorf("json output lacks %s:\n%s", want, first)
		}
	}
}

func TestRenderTables(t *testing.T) {
	tests := []struct {
		name  string
		table func(a *app) error
		want  []string
	}{
		{
			name: "subscription list",
			table: func(a *app) error {
				return a.render(&hookwirev1.ListSubscriptionsResponse{}, func(w io.Writer) {
					subscriptionTable(w, []*hookwirev1.Subscription{sampleSubscription()})
				})
			},
			want: []string{
				"ID      STATUS  URL                        EVENT TYPES                      SCOPE          LABEL",
				"sub_01  paused  https://example.com/hooks  transaction.sale.*,ach.returned  acquirers/100  orders",
			},
		},
		{
			name: "subscription detail",
			table: func(a *app) error {
				return a.render(&hookwirev1.GetSubscriptionResponse{}, func(w io.Writer) { subscriptionDetail(w, sampleSubscription()) })
			},
			want: []string{
				"FILTERS        brand=visa payment_method=CARD,ACH",
				"RATE LIMIT     10/s burst 20",
				"RETRY          at once, 1m0s",
				"METADATA       env=dev team=payments",
				"AUTH           none",
				"CREATED        2026-11-23T10:00:00Z by -",
			},
		},
		{
			name: "delivery detail with attempts",
			table: func(a *app) error {
				d := &hookwirev1.Delivery{
					Id: "sub_01_abc", State: hookwirev1.DeliveryState_DELIVERY_STATE_DELIVERED, EventId: "evt_1", EventType: "ach.returned",
					Attempts: []*hookwirev1.Attempt{
						{Number: 1, Error: "connection refused", Trigger: hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_SCHEDULED, Url: "https://x"},
						{Number: 2, HttpStatus: 200, ResponseExcerpt: "ok\n", Latency: durationpb.New(12 * time.Millisecond), Trigger: hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_REDELIVER, Url: "https://x"},
					},
				}
				return a.render(&hookwirev1.GetDeliveryResponse{}, func(w io.Writer) { deliveryDetail(w, d) })
			},
			want: []string{
				"STATE           delivered",
				"EVENT           evt_1 (ach.returned)",
				"#  STARTED  TRIGGER    RESULT              LATENCY  URL        RESPONSE",
				"1  -        scheduled  connection refused  -        https://x  -",
				"2  -        redeliver  200                 12ms     https://x  ok",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.table(&app{output: "table", stdout: &buf}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(buf.String(), "\n")
			for _, want := range tt.want {
				found := false
				for _, l := range lines {
					if strings.TrimRight(l, " ") == want {
						found = true
					}
				}
				if !found {
					t.Errorf("missing line %q in:\n%s", want, buf.String())
				}
			}
		})
	}
}

func TestPrintError(t *testing.T) {
	st := status.New(codes.InvalidArgument, "invalid request: subscription.url: must be https; subscription.event_types: required")
	st, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "subscription.url", Description: "must be https"},
		{Field: "subscription.event_types", Description: "required"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "field violations",
			err:  fail("create subscription", st.Err()),
			want: "Error: create subscription: InvalidArgument: invalid request: subscription.url: must be https; subscription.event_types: required\n" +
				"  subscription.url: must be https\n" +
				"  subscription.event_types: required\n",
		},
		{
			name: "not found",
			err:  fail("get subscription sub_x", status.Error(codes.NotFound, "subscription sub_x not found")),
			want: "Error: get subscription sub_x: NotFound: subscription sub_x not found\n",
		},
		{
			name: "plain error",
			err:  errors.New("listen on port 3000: address in use"),
			want: "Error: listen on port 3000: address in use\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			printError(&buf, tt.err)
			if buf.String() != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{args: []string{"--help"}, want: exitOK},
		{args: []string{"subscriptions"}, want: exitOK},
		{args: []string{"frobnicate"}, want: exitUsage},
		{args: []string{"subscriptions", "frob"}, want: exitUsage},
		{args: []string{"subscriptions", "get"}, want: exitUsage},
		{args: []string{"subscriptions", "create", "--rate", "fast"}, want: exitUsage},
		{args: []string{"subscriptions", "create", "--nope"}, want: exitUsage},
		{args: []string{"subscriptions", "update", "sub_1"}, want: exitUsage},
		{args: []string{"subscriptions", "test"}, want: exitUsage},
		{args: []string{"deliveries", "list"}, want: exitUsage},
		{args: []string{"events", "publish"}, want: exitUsage},
		{args: []string{"events", "publish", "--type", "a.b", "--data", "[1]"}, want: exitUsage},
		{args: []string{"-o", "yaml", "subscriptions", "list"}, want: exitUsage},
		{args: []string{"listen", "--forward", "ftp://example.com"}, want: exitUsage},
		{args: []string{"listen", "--port", "70000"}, want: exitUsage},
		{args: []string{"deliveries", "replay", "--subscription", "sub_1"}, want: exitUsage},
		{args: []string{"--addr", "127.0.0.1:1", "--timeout", "2s", "subscriptions", "get", "sub_1"}, want: exitError},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := Run(context.Background(), tt.args, &out, &errOut); got != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", got, tt.want, errOut.String())
			}
		})
	}
}

func TestUpdateMaskHasOnlyGivenFlags(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{args: []string{"--url", "https://x"}, want: []string{"url"}},
		{args: []string{"--label", "l", "--rate", "5/s", "--retry", "1m"}, want: []string{"label", "retry_policy", "rate_limit"}},
		{args: []string{"--basic-password", "p"}, want: []string{"auth"}},
		{args: []string{"--encrypt=false", "--delivery-timeout", "3s", "--max-in-flight", "4"}, want: []string{"max_in_flight", "encryption", "timeout"}},
		{args: []string{"--event-type", "a.b", "--event-type", "c.*", "--filter", "k=v", "--metadata", "a=b", "--email", "x@y.z", "--support-email", "s@y.z"},
			want: []string{"event_types", "notification_emails", "support_email", "attribute_filters", "metadata"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var f subFlags
			c := &cobra.Command{Use: "update"}
			f.register(c, false)
			if err := c.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			_, paths, err := f.build(c)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(paths) != fmt.Sprint(tt.want) {
				t.Fatalf("paths = %v, want %v", paths, tt.want)
			}
		})
	}
}
