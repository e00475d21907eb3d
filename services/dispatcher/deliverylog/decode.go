package deliverylog

import (
	"encoding/json"
	"fmt"
)

// decode reads a stored record.
func decode(b []byte) (Delivery, error) {
	var d Delivery
	if err := json.Unmarshal(b, &d); err != nil {
		return Delivery{}, fmt.Errorf("decode delivery record: %w", err)
	}
	return d, nil
}
