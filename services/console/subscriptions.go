package console

import (
	"context"
	"net/http"
	"slices"
	"strings"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Bounds of the work one page does.
const (
	listPageSize = 50   // subscriptions per page of the list
	textScan     = 1000 // subscriptions one page of a text search reads at most
	treeMax      = 5000 // subscriptions read to draw the scope tree
)

type subscriptionsPage struct {
	Status, EventType, Q, Scope, Page string
	Subs                              []*hookwirev1.Subscription
	Next                              string
	Tree                              []treeNode
	TreeTruncated                     bool
}

var statusFilter = map[string]hookwirev1.SubscriptionStatus{
	"active":    hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_ACTIVE,
	"paused":    hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED,
	"suspended": hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_SUSPENDED,
}

// listSubscriptions: the scope tree the token sees beside one page of its
// subscriptions, filtered by scope subtree, status, event type (by the
// API) and text (label, URL or id; see textPage).
func (c *Console) listSubscriptions(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := &subscriptionsPage{Status: q.Get("status"), EventType: strings.TrimSpace(q.Get("event_type")),
		Q: strings.TrimSpace(q.Get("q")), Scope: q.Get("scope"), Page: q.Get("page")}
	ctx := s.call(r.Context())
	var err error
	p.Subs, p.Next, err = c.textPage(ctx, &hookwirev1.ListSubscriptionsRequest{
		Scope: p.Scope, IncludeDescendants: true, Status: statusFilter[p.Status],
		EventType: p.EventType, PageSize: listPageSize, PageToken: p.Page,
	}, p.Q)
	if err != nil {
		c.failed(w, r, s, "list subscriptions", err)
		return
	}
	all, truncated, err := c.allSubscriptions(ctx, hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_UNSPECIFIED, treeMax)
	if err != nil {
		c.failed(w, r, s, "list subscriptions", err)
		return
	}
	p.Tree, p.TreeTruncated = scopeTree(all, p.Scope), truncated
	c.render(w, r, s, http.StatusOK, "subscriptions", p)
}

// textPage is one page of req's subscriptions that match text. The API
// has no text filter, so without one a page is an API page; with one, API
// pages are read on until listPageSize match or textScan subscriptions
// were read, and the next token continues after the last API page read:
// every match is on some page, once.
func (c *Console) textPage(ctx context.Context, req *hookwirev1.ListSubscriptionsRequest, text string) ([]*hookwirev1.Subscription, string, error) {
	var out []*hookwirev1.Subscription
	for read := 0; ; {
		resp, err := c.reg.ListSubscriptions(ctx, req)
		if err != nil {
			return nil, "", err
		}
		for _, sub := range resp.GetSubscriptions() {
			if matchesText(sub, text) {
				out = append(out, sub)
			}
		}
		read += len(resp.GetSubscriptions())
		req.PageToken = resp.GetNextPageToken()
		if text == "" || req.PageToken == "" || len(out) >= listPageSize || read >= textScan {
			return out, req.PageToken, nil
		}
	}
}

func matchesText(sub *hookwirev1.Subscription, text string) bool {
	if text == "" {
		return true
	}
	text = strings.ToLower(text)
	for _, f := range []string{sub.GetLabel(), sub.GetUrl(), sub.GetId()} {
		if strings.Contains(strings.ToLower(f), text) {
			return true
		}
	}
	return false
}

// allSubscriptions reads every subscription the token sees in status, up to
// max; truncated says there were more.
func (c *Console) allSubscriptions(ctx context.Context, st hookwirev1.SubscriptionStatus, max int) (subs []*hookwirev1.Subscription, truncated bool, err error) {
	token := ""
	for {
		resp, err := c.reg.ListSubscriptions(ctx, &hookwirev1.ListSubscriptionsRequest{
			IncludeDescendants: true, Status: st, PageSize: 1000, PageToken: token,
		})
		if err != nil {
			return nil, false, err
		}
		subs = append(subs, resp.GetSubscriptions()...)
		token = resp.GetNextPageToken()
		if token == "" {
			return subs, false, nil
		}
		if len(subs) >= max {
			return subs, true, nil
		}
	}
}

// treeNode is one node of the scope tree, in display order.
type treeNode struct {
	Scope  string
	Label  string
	Depth  int
	Count  int // subscriptions at this node and below
	Active bool
}

// scopeTree lays out the nodes of the subscriptions' scopes and their
// ancestors (acquirer → merchant → terminal: a node is a kind/id pair of
// segments) in depth-first order, each with its subscription count.
func scopeTree(subs []*hookwirev1.Subscription, active string) []treeNode {
	counts := map[string]int{}
	for _, sub := range subs {
		for _, n := range nodesOf(sub.GetScope()) {
			counts[n]++
		}
	}
	children := map[string][]string{}
	for n := range counts {
		if n != "" {
			parent := parentNode(n)
			children[parent] = append(children[parent], n)
		}
	}
	var out []treeNode
	var walk func(n string, depth int)
	walk = func(n string, depth int) {
		out = append(out, treeNode{Scope: n, Label: nodeLabel(n), Depth: depth, Count: counts[n], Active: n == active})
		kids := children[n]
		slices.Sort(kids)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	if len(counts) > 0 {
		walk("", 0)
	}
	return out
}

// nodesOf is "" and every kind/id prefix of s, and s itself.
func nodesOf(s string) []string {
	nodes := []string{""}
	if s == "" {
		return nodes
	}
	segs := strings.Split(s, "/")
	for i := 2; i < len(segs); i += 2 {
		nodes = append(nodes, strings.Join(segs[:i], "/"))
	}
	return append(nodes, s)
}

func parentNode(n string) string {
	nodes := nodesOf(n)
	return nodes[len(nodes)-2]
}

// nodeLabel names a node by its last kind/id pair: "merchants/2000".
func nodeLabel(n string) string {
	if n == "" {
		return "all scopes"
	}
	segs := strings.Split(n, "/")
	if len(segs)%2 == 0 {
		return segs[len(segs)-2] + "/" + segs[len(segs)-1]
	}
	return segs[len(segs)-1]
}
