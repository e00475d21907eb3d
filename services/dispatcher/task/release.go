package task

import (
	"context"
	"errors"
	"log/slog"
)

// AllEnqueuer stores tasks keeping each one's Nats-Msg-Id (Queue.EnqueueAll).
type AllEnqueuer interface {
	EnqueueAll(ctx context.Context, ts []Task) error
}

// EnqueueMembers puts back on the queue the tasks that waited in Redis as
// members (retries due, parked or held tasks), each made ready by prepare,
// and returns the members that may now be removed from where they waited:
// those stored, and those that are no task (logged at ERROR with attrs and
// dropped). The one rule of every release: a member is removed only once
// its task is durable. err is nil with all=false when what was not stored
// is being stored by another replica releasing the same members at that
// moment (NotStored.InProcessOnly): that replica removes them, or leaves
// them for the next round.
func EnqueueMembers(ctx context.Context, q AllEnqueuer, log *slog.Logger, members []string, prepare func(Task) Task, attrs ...any) (remove []any, all bool, err error) {
	ts := make([]Task, 0, len(members))
	of := make([]string, 0, len(members)) // the member of each task
	for _, m := range members {
		t, err := Decode([]byte(m))
		if err != nil {
			log.Error("dropping malformed entry", append(attrs, "err", err)...)
			remove = append(remove, m)
			continue
		}
		ts, of = append(ts, prepare(t)), append(of, m)
	}
	err = q.EnqueueAll(ctx, ts)
	var ns *NotStored
	switch {
	case err == nil:
		for _, m := range of {
			remove = append(remove, m)
		}
		return remove, true, nil
	case errors.As(err, &ns):
		for i, ok := range ns.Stored {
			if ok {
				remove = append(remove, of[i])
			}
		}
		if ns.InProcessOnly() {
			return remove, false, nil
		}
	}
	return remove, false, err
}
