package console

import (
	"net/http"
	"strings"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

type eventTypesPage struct {
	Prefix, Page, Next string
	Types              []*hookwirev1.EventType
	Name, Description  string // the create form, shown again on an error
	Errors             map[string]string
	Other              []string
}

// listEventTypes shows the catalog by prefix, with a create form (the API
// lets only tokens with the manage permission create).
func (c *Console) listEventTypes(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := &eventTypesPage{Prefix: strings.TrimSpace(q.Get("prefix")), Page: q.Get("page")}
	c.eventTypesPage(w, r, s, http.StatusOK, p)
}

func (c *Console) eventTypesPage(w http.ResponseWriter, r *http.Request, s *session, code int, p *eventTypesPage) {
	resp, err := c.reg.ListEventTypes(s.call(r.Context()), &hookwirev1.ListEventTypesRequest{Prefix: p.Prefix, PageSize: 200, PageToken: p.Page})
	if err != nil {
		c.failed(w, r, s, "list event types", err)
		return
	}
	p.Types, p.Next = resp.GetEventTypes(), resp.GetNextPageToken()
	c.render(w, r, s, code, "event_types", p)
}

func (c *Console) createEventType(w http.ResponseWriter, r *http.Request, s *session) {
	p := &eventTypesPage{Name: strings.TrimSpace(r.PostFormValue("name")), Description: strings.TrimSpace(r.PostFormValue("description"))}
	_, err := c.reg.CreateEventType(s.call(r.Context()), &hookwirev1.CreateEventTypeRequest{
		EventType: &hookwirev1.EventType{Name: p.Name, Description: p.Description},
	})
	if err != nil {
		fields, other, ok := violations(err)
		if !ok {
			fields, other = map[string]string{}, []string{apiMessage(err)}
		}
		p.Errors, p.Other = fields, other
		c.eventTypesPage(w, r, s, http.StatusUnprocessableEntity, p)
		return
	}
	c.redirect(w, r, s, "Created event type "+p.Name+".", "event-types")
}
