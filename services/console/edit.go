package console

import (
	"context"
	"encoding/base64"
	"maps"
	"net/http"
	"slices"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// formPage is the add / edit webhook page.
type formPage struct {
	Form    subForm
	Edit    bool
	Catalog []catalogGroup
	All     bool // "*" is picked
	Errors  map[string]string
	Other   []string
	// Conflict is set when the subscription changed since the form was opened.
	Conflict *hookwirev1.Subscription
	Test     *hookwirev1.TestEndpointResponse
	// PasswordDropped: a password was typed but is not put back into the page.
	PasswordDropped bool
}

// catalogGroup is the catalog's types of one prefix, with its wildcard.
type catalogGroup struct {
	Wildcard        string
	WildcardChecked bool
	Types           []catalogEntry
}

type catalogEntry struct {
	Name, Description string
	Checked           bool
}

// newFormPage lays out f with the catalog, moving the picked types that
// are no checkbox into the free-text field.
func (c *Console) newFormPage(ctx context.Context, f subForm, edit bool) (*formPage, error) {
	types, err := c.catalog(ctx)
	if err != nil {
		return nil, err
	}
	picked := f.allEventTypes()
	p := &formPage{Form: f, Edit: edit, Errors: map[string]string{}, All: slices.Contains(picked, "*")}
	offered := map[string]bool{"*": true}
	byPrefix := map[string]*catalogGroup{}
	for _, et := range types {
		prefix := et.GetName()
		if i := strings.LastIndexByte(prefix, '.'); i > 0 {
			prefix = prefix[:i]
		}
		g := byPrefix[prefix]
		if g == nil {
			g = &catalogGroup{Wildcard: prefix + ".*", WildcardChecked: slices.Contains(picked, prefix+".*")}
			byPrefix[prefix] = g
			offered[g.Wildcard] = true
		}
		g.Types = append(g.Types, catalogEntry{Name: et.GetName(), Description: et.GetDescription(), Checked: slices.Contains(picked, et.GetName())})
		offered[et.GetName()] = true
	}
	for _, prefix := range slices.Sorted(maps.Keys(byPrefix)) {
		p.Catalog = append(p.Catalog, *byPrefix[prefix])
	}
	var extra []string
	for _, t := range picked {
		if !offered[t] {
			extra = append(extra, t)
		}
	}
	p.Form.EventTypes, p.Form.ExtraTypes = picked, strings.Join(extra, "\n")
	return p, nil
}

// catalog reads the event types (at most 1000).
func (c *Console) catalog(ctx context.Context) ([]*hookwirev1.EventType, error) {
	resp, err := c.reg.ListEventTypes(ctx, &hookwirev1.ListEventTypesRequest{PageSize: 1000})
	if err != nil {
		return nil, err
	}
	return resp.GetEventTypes(), nil
}

func (c *Console) newSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	f := subForm{RequestID: randomToken(), Scope: r.URL.Query().Get("scope")}
	c.showForm(w, r, s, http.StatusOK, f, false, nil)
}

func (c *Console) editSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	resp, err := c.reg.GetSubscription(s.call(r.Context()), &hookwirev1.GetSubscriptionRequest{Id: r.PathValue("id")})
	if err != nil {
		c.failed(w, r, s, "get subscription", err)
		return
	}
	c.showForm(w, r, s, http.StatusOK, formFromSubscription(resp.GetSubscription()), true, nil)
}

// showForm renders the form; change (may be nil) adds errors, a conflict
// or a test result.
func (c *Console) showForm(w http.ResponseWriter, r *http.Request, s *session, code int, f subForm, edit bool, change func(*formPage)) {
	p, err := c.newFormPage(s.call(r.Context()), f, edit)
	if err != nil {
		c.failed(w, r, s, "list event types", err)
		return
	}
	p.PasswordDropped = f.password != ""
	if change != nil {
		change(p)
	}
	c.render(w, r, s, code, "subscription_form", p)
}

// formFailed shows the form again with the API's field violations, or the
// error page for anything else.
func (c *Console) formFailed(w http.ResponseWriter, r *http.Request, s *session, f subForm, edit bool, op string, err error) {
	fields, other, ok := violations(err)
	if !ok {
		c.failed(w, r, s, op, err)
		return
	}
	c.showForm(w, r, s, http.StatusUnprocessableEntity, f, edit, func(p *formPage) { p.Errors, p.Other = fields, other })
}

// createSubscription stores the form; the secret (and a generated
// encryption key) go to the once-shown secret page.
func (c *Console) createSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	f := readForm(r)
	sub, errs := f.subscription()
	if len(errs) > 0 {
		c.showForm(w, r, s, http.StatusUnprocessableEntity, f, false, func(p *formPage) { p.Errors = errs })
		return
	}
	ctx := s.call(r.Context())
	if f.RequestID != "" { // a repeated submit returns the first result
		ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", f.RequestID)
	}
	resp, err := c.reg.CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{Subscription: sub})
	if err != nil {
		c.formFailed(w, r, s, f, false, "create subscription", err)
		return
	}
	id := resp.GetSubscription().GetId()
	if err := c.sessions.keepSecret(w, r, s, &onceSecret{SubscriptionID: id, SigningSecret: resp.GetSigningSecret(),
		EncryptionKey: encodeKey(resp.GetEncryptionKey()), Note: "created"}); err != nil {
		c.notesFailed(w, r, err)
		return
	}
	c.redirect(w, r, s, "", "subscriptions", id, "secret")
}

// updateSubscription saves the edit form with the revision it was opened
// at: a concurrent change is reported with the current version, not
// overwritten.
func (c *Console) updateSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	f := readForm(r)
	f.ID = r.PathValue("id")
	sub, errs := f.subscription()
	if len(errs) > 0 {
		c.showForm(w, r, s, http.StatusUnprocessableEntity, f, true, func(p *formPage) { p.Errors = errs })
		return
	}
	ctx := s.call(r.Context())
	resp, err := c.reg.UpdateSubscription(ctx, &hookwirev1.UpdateSubscriptionRequest{
		Subscription: sub, UpdateMask: &fieldmaskpb.FieldMask{Paths: f.updateMask()},
	})
	if isConflict(err) {
		cur, gerr := c.reg.GetSubscription(ctx, &hookwirev1.GetSubscriptionRequest{Id: f.ID})
		if gerr != nil {
			c.failed(w, r, s, "get subscription", gerr)
			return
		}
		c.showForm(w, r, s, http.StatusConflict, f, true, func(p *formPage) { p.Conflict = cur.GetSubscription() })
		return
	}
	if err != nil {
		c.formFailed(w, r, s, f, true, "update subscription", err)
		return
	}
	if key := resp.GetEncryptionKey(); len(key) > 0 {
		if err := c.sessions.keepSecret(w, r, s, &onceSecret{SubscriptionID: f.ID, EncryptionKey: encodeKey(key), Note: "encryption"}); err != nil {
			c.notesFailed(w, r, err)
			return
		}
		c.redirect(w, r, s, "", "subscriptions", f.ID, "secret")
		return
	}
	c.redirect(w, r, s, "Saved.", "subscriptions", f.ID)
}

// testUnsaved sends a test event to the form's endpoint before it is saved
// and shows the form again with the result.
func (c *Console) testUnsaved(w http.ResponseWriter, r *http.Request, s *session) {
	f := readForm(r)
	edit := f.ID != ""
	target, errs := f.testTarget()
	if len(errs) > 0 {
		c.showForm(w, r, s, http.StatusUnprocessableEntity, f, edit, func(p *formPage) { p.Errors = errs })
		return
	}
	resp, err := c.reg.TestEndpoint(s.call(r.Context()), &hookwirev1.TestEndpointRequest{
		Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: target},
	})
	if err != nil {
		c.formFailed(w, r, s, f, edit, "test endpoint", err)
		return
	}
	resp.SigningSecret = "" // a throwaway secret: never shown
	c.showForm(w, r, s, http.StatusOK, f, edit, func(p *formPage) { p.Test = resp })
}

func encodeKey(k []byte) string {
	if len(k) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(k)
}
