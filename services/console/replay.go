package console

import (
	"fmt"
	"net/http"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// inputTime is the format of <input type="datetime-local">, read as UTC.
const inputTime = "2006-01-02T15:04"

type replayPage struct {
	Sub                  *hookwirev1.Subscription
	Start, End           string
	IncludeDelivered     bool
	Error                string
	Previewed            bool
	Logged, NotDelivered int64 // deliveries in the log created in the window
}

// window reads the start and end inputs (end empty: now).
func (p *replayPage) window() (start, end time.Time, err error) {
	start, err = time.Parse(inputTime, p.Start)
	if err != nil {
		return start, end, fmt.Errorf("start: enter a date and time")
	}
	end = time.Now().UTC()
	if p.End != "" {
		if end, err = time.Parse(inputTime, p.End); err != nil {
			return start, end, fmt.Errorf("end: enter a date and time, or leave it empty for now")
		}
	}
	if !end.After(start) {
		return start, end, fmt.Errorf("the end must be after the start")
	}
	return start, end, nil
}

// replayPreview shows the replay form and, for a window, how many of the
// subscription's deliveries were created in it (CountDeliveries; Replay has
// no dry run and itself reports the events it matched in EVENTS).
func (c *Console) replayPreview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := s.call(r.Context())
	id := r.PathValue("id")
	resp, err := c.reg.GetSubscription(ctx, &hookwirev1.GetSubscriptionRequest{Id: id})
	if err != nil {
		c.failed(w, r, s, "get subscription", err)
		return
	}
	q := r.URL.Query()
	p := &replayPage{Sub: resp.GetSubscription(), Start: q.Get("start"), End: q.Get("end"), IncludeDelivered: q.Get("include_delivered") == "on"}
	if p.Start == "" {
		p.Start = time.Now().UTC().Add(-time.Hour).Format(inputTime)
		c.render(w, r, s, http.StatusOK, "replay", p)
		return
	}
	start, end, err := p.window()
	if err != nil {
		p.Error = err.Error()
		c.render(w, r, s, http.StatusUnprocessableEntity, "replay", p)
		return
	}
	counts, total, err := c.countByState(ctx, id, start, end)
	if err != nil {
		c.failed(w, r, s, "count deliveries", err)
		return
	}
	p.Previewed, p.Logged, p.NotDelivered = true, total, total
	for _, n := range counts {
		if n.State == hookwirev1.DeliveryState_DELIVERY_STATE_DELIVERED {
			p.NotDelivered -= n.Count
		}
	}
	c.render(w, r, s, http.StatusOK, "replay", p)
}

func (c *Console) replay(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	p := &replayPage{Start: r.PostFormValue("start"), End: r.PostFormValue("end"), IncludeDelivered: r.PostFormValue("include_delivered") == "on"}
	start, end, err := p.window()
	if err != nil {
		c.redirect(w, r, s, "Replay not started: "+err.Error(), "subscriptions", id, "replay")
		return
	}
	resp, err := c.del.Replay(s.call(r.Context()), &hookwirev1.ReplayRequest{
		SubscriptionId: id, StartTime: timestamppb.New(start), EndTime: timestamppb.New(end), IncludeDelivered: p.IncludeDelivered,
	})
	if err != nil {
		c.failed(w, r, s, "replay", err)
		return
	}
	c.redirect(w, r, s, fmt.Sprintf("Replay of %s – %s UTC: %d events matched, %d deliveries queued.",
		start.Format(inputTime), end.Format(inputTime), resp.GetEventsMatched(), resp.GetDeliveriesQueued()), "subscriptions", id)
}
