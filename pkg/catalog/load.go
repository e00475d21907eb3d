package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Load creates every type of types that is not stored yet and leaves
// stored ones unchanged (their description and deprecation are the
// operator's).
func (c *Catalog) Load(ctx context.Context, types []EventType) error {
	now := time.Now().UTC()
	for _, et := range types {
		if et.CreatedAt.IsZero() {
			et.CreatedAt = now
		}
		err := c.Create(ctx, et)
		if errors.Is(err, ErrExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("load catalog: %w", err)
		}
	}
	return nil
}
