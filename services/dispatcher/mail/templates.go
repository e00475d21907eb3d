package mail

import (
	htmltemplate "html/template"
	"text/template"
)

// The notices' wording, once as plain text and once as HTML (html/template
// escapes every value). Both say the same; keep them in step.

var textTemplates = template.Must(template.New("").Parse(`
{{- define "webhook" -}}
WEBHOOK
  Label:         {{.Label}}
  Subscription:  {{.ID}}
  URL:           {{.URL}}{{if .URLHidden}}  (credentials, query string and fragment not shown){{end}}
{{- end}}

{{- define "failed" -}}
{{if .Failed}}
SENDING THE FAILED DELIVERIES AGAIN
  The {{.Failed}} deliveries that ended FAILED stay FAILED: resuming does not
  send them again. After resuming, send them one by one:

    hookwire deliveries list --subscription {{.ID}} --state failed
    hookwire deliveries redeliver <delivery id>

  or, once the held deliveries have gone out, every event since the failures
  began (events already delivered are skipped):

    hookwire deliveries replay --subscription {{.ID}} --start {{.ReplayStart}}
{{if .RedeliverBy}}
  Do it before {{.RedeliverBy}}: events are kept {{.MaxAge}}, and a delivery
  whose event is gone can no longer be sent.
{{end}}{{end}}
{{- end}}

{{- define "footer" -}}
{{if .Console}}
In the Hookwire console: {{.Console}}
{{end}}{{if .Support}}
Questions: {{.Support}}
{{end}}
--
Sent automatically by Hookwire to the notification addresses of this webhook;
change them in the webhook's settings{{if .Console}} ({{.Console}}){{end}}.
{{end}}

{{- define "suspended" -}}
Hookwire suspended your webhook "{{.Name}}" on {{.At}} and stopped sending
events to it.

{{template "webhook" .}}

WHY
  {{.Reason}}
{{- if .Failed}}
  {{.Failed}} deliveries in a row ended FAILED (every attempt failed), the
  first on {{.FailingSince}}.
{{- else}}
  No delivery had ended FAILED before the suspension.
{{- end}}

WHAT HAPPENS TO YOUR EVENTS
  New events for this webhook are accepted and held, not sent. Held now:
  {{.Held}} (on {{.Date}}). They are sent when you resume the webhook.
{{- if .MaxAge}}
  Hookwire keeps each event {{.MaxAge}} after receiving it; a held delivery
  whose event is older than that when you resume is discarded, not sent.
  Resume before {{.ResumeBy}} and no held delivery is lost.
{{- end}}

TO RESUME
  Fix the endpoint so that it answers 2xx, then:

    hookwire subscriptions resume {{.ID}}
{{template "failed" .}}{{template "footer" .}}
{{- end}}

{{- define "recovered" -}}
Your webhook "{{.Name}}" is active again since {{.At}}; Hookwire is sending
its events again.

{{template "webhook" .}}
{{- if .SuspendedAt}}
  Suspended at:  {{.SuspendedAt}}
{{- end}}

The deliveries held while it was suspended are being sent now, oldest first.
{{- if .MaxAge}}
Those whose event was older than {{.MaxAge}} could not be kept and show as
DISCARDED (hookwire deliveries list --subscription {{.ID}} --state discarded).
{{- end}}
{{template "failed" .}}{{template "footer" .}}
{{- end}}
`))

var htmlTemplates = htmltemplate.Must(htmltemplate.New("").Parse(`
{{- define "webhook" -}}
<table cellpadding="4">
<tr><th align="left">Label</th><td>{{.Label}}</td></tr>
<tr><th align="left">Subscription</th><td><code>{{.ID}}</code></td></tr>
<tr><th align="left">URL</th><td><code>{{.URL}}</code>{{if .URLHidden}} (credentials, query string and fragment not shown){{end}}</td></tr>
{{- if .SuspendedAt}}
<tr><th align="left">Suspended at</th><td>{{.SuspendedAt}}</td></tr>
{{- end}}
</table>
{{- end}}

{{- define "failed" -}}
{{if .Failed}}
<h3>Sending the failed deliveries again</h3>
<p>The {{.Failed}} deliveries that ended FAILED stay FAILED: resuming does not send them again.
After resuming, send them one by one:</p>
<pre>hookwire deliveries list --subscription {{.ID}} --state failed
hookwire deliveries redeliver &lt;delivery id&gt;</pre>
<p>or, once the held deliveries have gone out, every event since the failures began (events already delivered are skipped):</p>
<pre>hookwire deliveries replay --subscription {{.ID}} --start {{.ReplayStart}}</pre>
{{- if .RedeliverBy}}
<p>Do it before {{.RedeliverBy}}: events are kept {{.MaxAge}}, and a delivery whose event is gone can no longer be sent.</p>
{{- end}}
{{- end}}
{{- end}}

{{- define "footer" -}}
{{if .Console}}
<p><a href="{{.Console}}">Open the webhook in the Hookwire console</a></p>
{{- end}}
{{- if .Support}}
<p>Questions: {{.Support}}</p>
{{- end}}
<hr>
<p><small>Sent automatically by Hookwire to the notification addresses of this webhook;
change them in the webhook's settings{{if .Console}} (<a href="{{.Console}}">{{.Console}}</a>){{end}}.</small></p>
{{- end}}

{{- define "suspended" -}}
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head><body>
<p>Hookwire suspended your webhook <strong>{{.Name}}</strong> on {{.At}} and stopped sending events to it.</p>
{{template "webhook" .}}
<h3>Why</h3>
<p>{{.Reason}}</p>
{{- if .Failed}}
<p>{{.Failed}} deliveries in a row ended FAILED (every attempt failed), the first on {{.FailingSince}}.</p>
{{- else}}
<p>No delivery had ended FAILED before the suspension.</p>
{{- end}}
<h3>What happens to your events</h3>
<p>New events for this webhook are accepted and held, not sent. Held now: <strong>{{.Held}}</strong> (on {{.Date}}).
They are sent when you resume the webhook.</p>
{{- if .MaxAge}}
<p>Hookwire keeps each event {{.MaxAge}} after receiving it; a held delivery whose event is older than that when you resume
is discarded, not sent. Resume before <strong>{{.ResumeBy}}</strong> and no held delivery is lost.</p>
{{- end}}
<h3>To resume</h3>
<p>Fix the endpoint so that it answers 2xx, then:</p>
<pre>hookwire subscriptions resume {{.ID}}</pre>
{{template "failed" .}}
{{template "footer" .}}
</body></html>
{{- end}}

{{- define "recovered" -}}
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head><body>
<p>Your webhook <strong>{{.Name}}</strong> is active again since {{.At}}; Hookwire is sending its events again.</p>
{{template "webhook" .}}
<p>The deliveries held while it was suspended are being sent now, oldest first.
{{- if .MaxAge}}
Those whose event was older than {{.MaxAge}} could not be kept and show as DISCARDED
(<code>hookwire deliveries list --subscription {{.ID}} --state discarded</code>).
{{- end}}</p>
{{template "failed" .}}
{{template "footer" .}}
</body></html>
{{- end}}
`))
