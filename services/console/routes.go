package console

import "net/http"

// routes registers every page. Each page is a GET reachable by its URL
// (state in the path and query, so it can be bookmarked and the back
// button works); every change is a POST that redirects to a page.
func (c *Console) routes() {
	m, p := c.mux, c.page
	m.Handle("GET "+BasePath+"static/", c.views.static)
	m.HandleFunc("GET "+BasePath+"signin", c.signinForm)
	m.HandleFunc("POST "+BasePath+"signin", c.signin)
	m.HandleFunc("POST "+BasePath+"signout", p(c.signout))

	m.HandleFunc("GET "+BasePath+"{$}", p(c.overview))
	m.HandleFunc("GET "+BasePath+"subscriptions", p(c.listSubscriptions))
	m.HandleFunc("GET "+BasePath+"subscriptions/new", p(c.newSubscription))
	m.HandleFunc("POST "+BasePath+"subscriptions", p(c.createSubscription))
	m.HandleFunc("POST "+BasePath+"subscriptions/test", p(c.testUnsaved))
	m.HandleFunc("GET "+BasePath+"subscriptions/{id}", p(c.showSubscription))
	m.HandleFunc("GET "+BasePath+"subscriptions/{id}/edit", p(c.editSubscription))
	m.HandleFunc("POST "+BasePath+"subscriptions/{id}", p(c.updateSubscription))
	m.HandleFunc("GET "+BasePath+"subscriptions/{id}/secret", p(c.showSecret))
	m.HandleFunc("POST "+BasePath+"subscriptions/{id}/pause", p(c.pause))
	m.HandleFunc("POST "+BasePath+"subscriptions/{id}/resume", p(c.resume))
	m.HandleFunc("POST "+BasePath+"subscriptions/{id}/rotate", p(c.rotate))
	m.HandleFunc("POST "+BasePath+"subscriptions/{id}/test", p(c.testSaved))
	m.HandleFunc("GET "+BasePath+"subscriptions/{id}/delete", p(c.confirmDelete))
	m.HandleFunc("POST "+BasePath+"subscriptions/{id}/delete", p(c.deleteSubscription))
	m.HandleFunc("GET "+BasePath+"subscriptions/{id}/replay", p(c.replayPreview))
	m.HandleFunc("POST "+BasePath+"subscriptions/{id}/replay", p(c.replay))

	m.HandleFunc("GET "+BasePath+"deliveries/{id}", p(c.showDelivery))
	m.HandleFunc("POST "+BasePath+"deliveries/{id}/redeliver", p(c.redeliver))
	m.HandleFunc("GET "+BasePath+"events", p(c.lookupEvent))
	m.HandleFunc("GET "+BasePath+"event-types", p(c.listEventTypes))
	m.HandleFunc("POST "+BasePath+"event-types", p(c.createEventType))
	m.HandleFunc(BasePath, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
}
