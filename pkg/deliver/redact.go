package deliver

import "net/url"

// RedactURL is raw without its userinfo, query and fragment, which may hold
// a subscriber's credentials or tokens: the form in which a webhook URL is
// shown outside the subscription itself (e-mails, operational events,
// errors). hidden reports whether anything was removed. A URL that does not
// parse is shown as "(unparsable URL)", never as given.
func RedactURL(raw string) (shown string, hidden bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)", raw != ""
	}
	hidden = u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != ""
	return redact(u), hidden
}
