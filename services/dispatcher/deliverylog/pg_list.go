package deliverylog

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// sqlWhere builds a WHERE clause from conditions with numbered arguments.
type sqlWhere struct {
	conds []string
	args  []any
}

// add appends cond, where each "?" is replaced by the next argument.
func (w *sqlWhere) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *sqlWhere) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// addScope selects deliveries of subscriptions at or under s.
func (w *sqlWhere) addScope(s string) {
	if s != "" {
		w.add("(subscription_scope = ? OR starts_with(subscription_scope, ?))", s, s+"/")
	}
}

func (w *sqlWhere) addWindow(since, until time.Time) {
	if !since.IsZero() {
		w.add("created_at >= ?", stamp(since))
	}
	if !until.IsZero() {
		w.add("created_at < ?", stamp(until))
	}
}

// List returns deliveries matching f newest first (by creation, then id),
// paged by keyset: the token is the (created_at, id) of the last delivery
// of the page, so a page deep in a subscription's history costs what the
// first does. Deliveries created while a client pages sort before its
// position and are not listed; none is listed twice or skipped.
func (p *PG) List(ctx context.Context, f Filter, pageSize int, pageToken string) ([]Delivery, string, error) {
	if err := f.check(); err != nil {
		return nil, "", err
	}
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	pageSize = min(pageSize, MaxPageSize)
	var w sqlWhere
	if f.SubscriptionID != "" {
		w.add("subscription_id = ?", f.SubscriptionID)
	}
	if f.EventID != "" {
		w.add("event_id = ?", f.EventID)
	}
	if f.State != "" {
		w.add("state = ?", string(f.State))
	}
	if f.Status != "" {
		lo, hi, _ := f.Status.statusRange()
		w.add("last_status >= ? AND last_status < ?", lo, hi)
	}
	w.addScope(f.Scope)
	w.addWindow(f.Since, f.Until)
	if pageToken != "" {
		at, id, err := decodeKeyset(pageToken, f)
		if err != nil {
			return nil, "", err
		}
		// The plain bound lets the planner skip newer partitions.
		w.add("created_at <= ? AND (created_at, id) < (?, ?)", at, at, id)
	}
	q := `SELECT ` + deliveryColumns + ` FROM deliveries` + w.String() +
		` ORDER BY created_at DESC, id DESC LIMIT ` + strconv.Itoa(pageSize+1)
	rs, err := p.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	rows, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (row, error) { return scanDelivery(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	next := ""
	if len(rows) > pageSize {
		rows = rows[:pageSize]
		last := rows[pageSize-1].d
		next = encodeKeyset(last.CreatedAt, last.ID, f)
	}
	ds, err := withAttempts(ctx, p.pool, rows)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	return ds, next, nil
}

// Count counts deliveries created in f's window by subscription and state,
// ordered by subscription then state; states without deliveries are left out.
func (p *PG) Count(ctx context.Context, f CountFilter) ([]Count, error) {
	var w sqlWhere
	if f.SubscriptionID != "" {
		w.add("subscription_id = ?", f.SubscriptionID)
	}
	w.addScope(f.Scope)
	w.addWindow(f.Since, f.Until)
	rs, err := p.pool.Query(ctx, `SELECT subscription_id, state, count(*) FROM deliveries`+w.String()+
		` GROUP BY subscription_id, state ORDER BY subscription_id, state`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (Count, error) {
		var c Count
		var st string
		err := r.Scan(&c.SubscriptionID, &st, &c.N)
		c.State = State(st)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	return out, nil
}

// A keyset token is base64url(8-byte created_at in µs | 8-byte filter
// fingerprint | id).
func encodeKeyset(at time.Time, id string, f Filter) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(at.UnixMicro()))
	b = append(b, f.fingerprint()...)
	return base64.RawURLEncoding.EncodeToString(append(b, id...))
}

func decodeKeyset(tok string, f Filter) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) <= 16 {
		return time.Time{}, "", fmt.Errorf("%w: malformed", ErrBadPageToken)
	}
	if string(b[8:16]) != string(f.fingerprint()) {
		return time.Time{}, "", fmt.Errorf("%w: issued for another filter", ErrBadPageToken)
	}
	at := time.UnixMicro(int64(binary.BigEndian.Uint64(b[:8]))).UTC()
	return at, string(b[16:]), nil
}
