package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookwire/hookwire/pkg/eventtype"
)

// referenceJSON is the catalog the dev stack loads: the event types of the
// reference webhook APIs (the merchant console's cau.*, ach.*,
// product.inventory.*, transaction.*, settlement.batch.*; the checkout
// provider's payment statuses renamed to dotted lowercase, e.g.
// CHECKOUT_SUCCESS -> checkout.success, 3DS_PAYMENT_SUCCESS ->
// vault.3ds_payment.success) and Hookwire's own operational types.
//
//go:embed reference.json
var referenceJSON []byte

// OperationalPrefix starts the names of the event types Hookwire itself
// publishes (suspension, recovery, exhausted deliveries, tests).
const OperationalPrefix = "hookwire."

// Reference returns the embedded reference catalog.
func Reference() ([]EventType, error) {
	return Parse(referenceJSON)
}

// Operational returns the hookwire.* types of the reference catalog; every
// registry ensures they exist at startup.
func Operational() ([]EventType, error) {
	all, err := Reference()
	if err != nil {
		return nil, err
	}
	var out []EventType
	for _, et := range all {
		if strings.HasPrefix(et.Name, OperationalPrefix) {
			out = append(out, et)
		}
	}
	return out, nil
}

// Parse reads a catalog file: a JSON array of {"name", "description",
// "deprecated"} objects. Every name must be a valid event type name.
func Parse(b []byte) ([]EventType, error) {
	var out []EventType
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	seen := make(map[string]bool, len(out))
	for i, et := range out {
		if err := eventtype.ValidateName(et.Name); err != nil {
			return nil, fmt.Errorf("parse catalog: entry %d: %w", i, err)
		}
		if seen[et.Name] {
			return nil, fmt.Errorf("parse catalog: entry %d: duplicate name %q", i, et.Name)
		}
		seen[et.Name] = true
	}
	return out, nil
}
