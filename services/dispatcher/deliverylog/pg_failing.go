package deliverylog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// failedAttempt is the condition of migration 0002's partial index,
// written the same way so that the planner uses it.
const failedAttempt = "(a.status < 200 OR a.status >= 300)"

// Failing counts the failed attempts of the window by subscription over
// delivery_attempts (the partial index delivery_attempts_failed on
// started_at finds them in each partition), keeps the first limit, and
// reads the last failed attempt of each of those: the one at its maximum
// start time, an equality lookup on the same index. Ids are ordered by
// their bytes (COLLATE "C"), as the KV store compares them, whatever the
// database's collation.
func (p *PG) Failing(ctx context.Context, f FailureFilter, limit int) (Ranking, error) {
	if err := f.check(); err != nil {
		return Ranking{}, err
	}
	var w sqlWhere
	w.add("a.started_at >= ? AND a.started_at < ?", stamp(f.Since), stamp(f.Until))
	w.add(failedAttempt)
	if f.Scope != "" {
		w.add("(d.subscription_scope = ? OR starts_with(d.subscription_scope, ?))", f.Scope, f.Scope+"/")
	}
	join := ` FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id AND d.created_at = a.created_at`
	lastWhere := w.String() // same window and scope, plus the subscription and the time
	having := sqlWhere{args: w.args}
	if a := f.After; a.SubscriptionID != "" {
		having.add(`(count(*) < ? OR count(*) = ? AND (max(a.started_at) < ? OR
			max(a.started_at) = ? AND d.subscription_id COLLATE "C" > ?))`,
			a.Attempts, a.Attempts, stamp(a.LastAt), stamp(a.LastAt), a.SubscriptionID)
	}
	havingSQL := ""
	if len(having.conds) > 0 {
		havingSQL = " HAVING " + strings.Join(having.conds, " AND ")
	}
	q := `SELECT s.sub, s.n, s.last_at, l.status, l.error FROM (
		SELECT d.subscription_id AS sub, count(*) AS n, max(a.started_at) AS last_at` + join + w.String() + `
		GROUP BY d.subscription_id` + havingSQL + ` ORDER BY n DESC, last_at DESC, d.subscription_id COLLATE "C" LIMIT ` + strconv.Itoa(failingLimit(limit)) + `) s
	CROSS JOIN LATERAL (SELECT a.status, a.error` + join + lastWhere + ` AND d.subscription_id = s.sub AND a.started_at = s.last_at
		ORDER BY a.delivery_id COLLATE "C" DESC, a.n DESC LIMIT 1) l
	ORDER BY s.n DESC, s.last_at DESC, s.sub COLLATE "C"`
	rs, err := p.pool.Query(ctx, q, having.args...)
	if err != nil {
		return Ranking{}, fmt.Errorf("rank failing subscriptions: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (Failures, error) {
		var x Failures
		var at time.Time
		var errText string
		if err := r.Scan(&x.SubscriptionID, &x.Attempts, &at, &x.LastStatus, &errText); err != nil {
			return x, err
		}
		x.LastAt, x.LastError = at.UTC(), summary(x.LastStatus, errText)
		return x, nil
	})
	if err != nil {
		return Ranking{}, fmt.Errorf("rank failing subscriptions: %w", err)
	}
	return Ranking{Subscriptions: out}, nil
}
