package deliverylog

import (
	"encoding/json"
	"errors"
	"fmt"
)

// errNoSubscriptionScope: every record names its subscription's scope,
// which decides who may read it once the subscription is deleted.
var errNoSubscriptionScope = errors.New("decode delivery record: no subscription_scope")

// decode reads a stored record; one without its subscription's scope is
// an error.
func decode(b []byte) (Delivery, error) {
	type plain Delivery
	var d Delivery
	rec := struct {
		*plain
		SubscriptionScope *string `json:"subscription_scope"` // shadows plain's, to see it is there
	}{plain: (*plain)(&d)}
	if err := json.Unmarshal(b, &rec); err != nil {
		return Delivery{}, fmt.Errorf("decode delivery record: %w", err)
	}
	if rec.SubscriptionScope == nil {
		return Delivery{}, errNoSubscriptionScope
	}
	d.SubscriptionScope = *rec.SubscriptionScope
	return d, nil
}
