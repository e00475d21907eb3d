package cli

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// printError writes err for a human: for a gRPC status its code and
// message, then every field violation on its own line.
func printError(w io.Writer, err error) {
	st, ok := statusOf(err)
	if !ok {
		fmt.Fprintf(w, "Error: %v\n", err)
		return
	}
	fmt.Fprintf(w, "Error: %s%s: %s\n", prefixOf(err, st), st.Code(), st.Message())
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			fmt.Fprintf(w, "  %s: %s\n", v.GetField(), v.GetDescription())
		}
	}
	if st.Code() == codes.Unavailable {
		fmt.Fprintln(w, "  (is Hookwire running at --addr? `hookwire dev` starts it locally)")
	}
	if st.Code() == codes.Unauthenticated {
		fmt.Fprintln(w, "  (pass a token with --token or HOOKWIRE_TOKEN)")
	}
}

// statusOf finds a gRPC status anywhere in err's chain.
func statusOf(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return nil, false
	}
	return se.GRPCStatus(), true
}

// prefixOf returns the operation text wrapped around the status ("get
// subscription sub_1: "), so the line reads "Error: get subscription sub_1: NotFound: ...".
func prefixOf(err error, st *status.Status) string {
	full, inner := err.Error(), st.Err().Error()
	if len(full) > len(inner) && full[len(full)-len(inner):] == inner {
		return full[:len(full)-len(inner)]
	}
	return ""
}
