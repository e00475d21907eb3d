package publisher

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Retryable reports whether err is worth retrying: the server was
// unavailable or out of resources. Bad input (InvalidArgument), denied
// access and everything else is final.
func Retryable(err error) bool {
	return retryableCode(status.Code(err))
}

func retryableCode(c codes.Code) bool {
	return c == codes.Unavailable || c == codes.ResourceExhausted
}

// delay is the wait before retry number n (0-based): the backoff doubled n
// times, capped, with "equal jitter" (half fixed, half random) so that many
// producers retrying together spread out.
func (o *options) delay(n int) time.Duration {
	d := o.backoff
	for i := 0; i < n && d < o.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.maxBackoff)
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
