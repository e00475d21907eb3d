package badrequest

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestViolations(t *testing.T) {
	var v Violations
	if v.Err() != nil {
		t.Fatal("empty Violations gave an error")
	}
	v.Add("subscription.url", "must be https")
	v.Check("subscription.scope", errors.New("bad segment"))
	v.Check("subscription.label", nil)
	err := v.Err()
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("code = %v", status.Code(err))
	}
	if got := FieldsOf(err); !slices.Equal(got, []string{"subscription.url", "subscription.scope"}) {
		t.Fatalf("FieldsOf = %q", got)
	}
	if got := FieldsOf(Field("event.event_id", "required")); !slices.Equal(got, []string{"event.event_id"}) {
		t.Fatalf("Field = %q", got)
	}
}
