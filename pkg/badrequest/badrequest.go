// Package badrequest collects field violations and turns them into one gRPC
// InvalidArgument status carrying google.rpc.BadRequest details, so a client
// sees every wrong field at once, each named by its path.
package badrequest

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Violations accumulates field errors. The zero value is ready to use.
type Violations struct {
	list []*errdetails.BadRequest_FieldViolation
}

// Add records that field (a request path such as "subscription.url") is
// wrong, with a description of why.
func (v *Violations) Add(field, format string, args ...any) {
	v.list = append(v.list, &errdetails.BadRequest_FieldViolation{
		Field:       field,
		Description: fmt.Sprintf(format, args...),
	})
}

// Check adds err's text under field when err is not nil.
func (v *Violations) Check(field string, err error) {
	if err != nil {
		v.Add(field, "%s", err.Error())
	}
}

// Empty reports whether nothing was added.
func (v *Violations) Empty() bool { return len(v.list) == 0 }

// Fields returns the violated field paths in the order added.
func (v *Violations) Fields() []string {
	out := make([]string, len(v.list))
	for i, fv := range v.list {
		out[i] = fv.Field
	}
	return out
}

// Err returns nil when empty, otherwise an InvalidArgument status whose
// message lists every violation and whose details hold a BadRequest.
func (v *Violations) Err() error {
	if v.Empty() {
		return nil
	}
	parts := make([]string, len(v.list))
	for i, fv := range v.list {
		parts[i] = fv.Field + ": " + fv.Description
	}
	st := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(parts, "; "))
	if withDetails, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: v.list}); err == nil {
		st = withDetails
	}
	return st.Err()
}

// Proto returns the violations in the form used inside stream responses.
func (v *Violations) Proto() []*hookwirev1.FieldViolation {
	out := make([]*hookwirev1.FieldViolation, len(v.list))
	for i, fv := range v.list {
		out[i] = &hookwirev1.FieldViolation{Field: fv.Field, Description: fv.Description}
	}
	return out
}

// Field returns a status error for a single bad field.
func Field(field, format string, args ...any) error {
	var v Violations
	v.Add(field, format, args...)
	return v.Err()
}

// FieldsOf extracts the violated field names from a status error, for tests
// and for clients that print them.
func FieldsOf(err error) []string {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				out = append(out, fv.GetField())
			}
		}
	}
	return out
}
