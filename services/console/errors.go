package console

import (
	"net/http"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// apiMessage is what a user is told of a failed gRPC call.
func apiMessage(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return err.Error()
	}
	switch st.Code() {
	case codes.Unavailable:
		return "the Hookwire service is not reachable: " + st.Message()
	case codes.PermissionDenied:
		return "your token may not do this: " + st.Message()
	case codes.NotFound:
		return st.Message() + " (or it is outside your token's scope)"
	}
	return st.Message()
}

func statusCode(err error) string { return status.Code(err).String() }

// httpStatus is the HTTP status of the error page of a failed call: what
// the API said, in HTTP's words (a missing or hidden subscription is 404,
// not a gateway error); anything unexpected is 502.
func httpStatus(err error) int {
	switch status.Code(err) {
	case codes.NotFound:
		return http.StatusNotFound
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.InvalidArgument, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.FailedPrecondition, codes.Aborted, codes.AlreadyExists:
		return http.StatusConflict
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

func isUnauthenticated(err error) bool { return status.Code(err) == codes.Unauthenticated }

// isConflict: an update or delete with a revision that is no longer stored.
func isConflict(err error) bool { return status.Code(err) == codes.Aborted }

// formFields maps the API's field paths (after "subscription." or
// "endpoint.") to the form inputs they came from.
var formFields = map[string]string{
	"label":                 "label",
	"url":                   "url",
	"event_types":           "event_types",
	"scope":                 "scope",
	"auth.basic.username":   "auth_username",
	"auth.basic.password":   "auth_password",
	"rate_limit.per_second": "rate_per_second",
	"rate_limit.burst":      "rate_burst",
	"notification_emails":   "notification_emails",
	"support_email":         "support_email",
	"encryption.key":        "encryption_key",
	"encryption_key":        "encryption_key",
	"max_in_flight":         "max_in_flight",
	"timeout":               "timeout",
	"attribute_filters":     "attribute_filters",
	"retry_policy.delays":   "retry_delays",
	"retry_policy":          "retry_delays",
	"metadata":              "metadata",
	"name":                  "name",
	"description":           "description",
}

// violations splits an InvalidArgument error's field violations into
// messages per form input and messages that name no input. ok is false when
// err carries no violations.
func violations(err error) (fields map[string]string, other []string, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus || st.Code() != codes.InvalidArgument {
		return nil, nil, false
	}
	fields = map[string]string{}
	for _, d := range st.Details() {
		br, isBR := d.(*errdetails.BadRequest)
		if !isBR {
			continue
		}
		for _, fv := range br.GetFieldViolations() {
			ok = true
			path := fv.GetField()
			for _, p := range []string{"subscription.", "endpoint.", "event_type."} {
				path = strings.TrimPrefix(path, p)
			}
			key, _, _ := strings.Cut(path, "[")
			name, known := formFields[key]
			if !known {
				other = append(other, fv.GetField()+": "+fv.GetDescription())
				continue
			}
			msg := fv.GetDescription()
			if key != path { // an element: say which
				msg = path + ": " + msg
			}
			if prev := fields[name]; prev != "" {
				msg = prev + "; " + msg
			}
			fields[name] = msg
		}
	}
	if !ok {
		return nil, nil, false
	}
	return fields, other, true
}
