// Package match is the dispatcher's in-memory subscription index. It answers
// "which ACTIVE subscriptions want this event?" without scanning: the event's
// scope and each of its ancestors are looked up in a map, and inside each
// scope the event type is looked up exactly, by each of its wildcard prefixes
// ("transaction.sale.*", "transaction.*") and under "*". Work per event is
// (scope depth) × (type depth) map lookups plus the candidates themselves,
// whatever the number of subscriptions that cannot match.
package match

import (
	"slices"
	"sync"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/eventtype"
	"github.com/hookwire/hookwire/pkg/scope"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// Index maps events to subscriptions. It is safe for concurrent use.
type Index struct {
	mu     sync.RWMutex
	byID   map[string]*subscription.Record
	scopes map[string]*node
}

// node holds the subscriptions at exactly one scope, by pattern.
type node struct {
	patterns map[string]set // exact name, "prefix.*" or "*" -> subscriptions
}

type set map[string]*subscription.Record

// New returns an empty index.
func New() *Index {
	return &Index{byID: map[string]*subscription.Record{}, scopes: map[string]*node{}}
}

// Len is the number of subscriptions indexed, whatever their status.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// Get returns the indexed record. The record must not be modified.
func (ix *Index) Get(id string) (*subscription.Record, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	rec, ok := ix.byID[id]
	return rec, ok
}

// Put adds or replaces the subscription rec.ID. The index keeps rec: the
// caller must not modify it afterwards.
func (ix *Index) Put(rec *subscription.Record) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(rec.ID)
	ix.byID[rec.ID] = rec
	n := ix.scopes[rec.Scope]
	if n == nil {
		n = &node{patterns: map[string]set{}}
		ix.scopes[rec.Scope] = n
	}
	for _, p := range rec.EventTypes {
		s := n.patterns[p]
		if s == nil {
			s = set{}
			n.patterns[p] = s
		}
		s[rec.ID] = rec
	}
}

// Delete removes the subscription id; unknown ids are ignored.
func (ix *Index) Delete(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

func (ix *Index) remove(id string) {
	old, ok := ix.byID[id]
	if !ok {
		return
	}
	delete(ix.byID, id)
	n := ix.scopes[old.Scope]
	for _, p := range old.EventTypes {
		if s := n.patterns[p]; s != nil {
			delete(s, id)
			if len(s) == 0 {
				delete(n.patterns, p)
			}
		}
	}
	if len(n.patterns) == 0 {
		delete(ix.scopes, old.Scope)
	}
}

// Match calls fn for each ACTIVE subscription that matches m, once each,
// until fn returns false. fn runs under the index's read lock: it must be
// quick and must not call Put or Delete.
func (ix *Index) Match(m bus.Meta, fn func(*subscription.Record) bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var seen []string // only for subscriptions with several patterns
	visit := func(s set) bool {
		for _, rec := range s {
			if rec.Status != subscription.StatusActive || !filtersHold(rec, m.Attributes) {
				continue
			}
			if len(rec.EventTypes) > 1 {
				if slices.Contains(seen, rec.ID) {
					continue
				}
				seen = append(seen, rec.ID)
			}
			if !fn(rec) {
				return false
			}
		}
		return true
	}
	scope.Ancestors(m.Scope, func(sc string) bool {
		n := ix.scopes[sc]
		if n == nil {
			return true
		}
		if !visit(n.patterns[m.Type]) || !visit(n.patterns[eventtype.Wildcard]) {
			return false
		}
		more := true
		eventtype.Prefixes(m.Type, func(p string) bool {
			more = visit(n.patterns[p])
			return more
		})
		return more
	})
}

// Matches reports whether rec wants the event m, ignoring its status: the
// scope is at or above the event's, a pattern matches the type, and every
// attribute filter holds.
func Matches(rec *subscription.Record, m bus.Meta) bool {
	if !scope.Within(m.Scope, rec.Scope) || !filtersHold(rec, m.Attributes) {
		return false
	}
	for _, p := range rec.EventTypes {
		if eventtype.Match(p, m.Type) {
			return true
		}
	}
	return false
}

// filtersHold: for every filter key the event's attribute is one of the
// allowed values; an absent attribute fails the filter.
func filtersHold(rec *subscription.Record, attrs map[string]string) bool {
	for k, allowed := range rec.Filters {
		v, ok := attrs[k]
		if !ok || !slices.Contains(allowed, v) {
			return false
		}
	}
	return true
}
