package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/publisher"
)

// EventType is a catalogued type every benchmark event uses.
const EventType = "transaction.sale.success"

// EventScope is the scope of every benchmark event.
const EventScope = "acquirers/100/merchants/2000"

// payload is an event's data: the publish time, the workload tag and
// padding up to about size bytes.
func payload(tag string, size int) []byte {
	head := fmt.Sprintf(`{"ts":%d,"w":"%s","pad":"`, time.Now().UnixNano(), tag)
	pad := max(size-len(head)-2, 0)
	return []byte(head + strings.Repeat("x", pad) + `"}`)
}

// event builds the benchmark event number i of workload tag.
func event(tag string, i, size int) *hookwirev1.Event {
	return &hookwirev1.Event{
		EventId:    fmt.Sprintf("%s-%d-%d", tag, time.Now().UnixNano(), i),
		EventType:  EventType,
		Scope:      EventScope,
		Attributes: map[string]string{"workload": tag},
		Payload:    &hookwirev1.Event_DataJson{DataJson: payload(tag, size)},
	}
}

// subSpec is one subscription to create: where it points and which
// workload tags it matches (attribute filter "workload").
type subSpec struct {
	url   string
	tags  []string
	retry *hookwirev1.RetryPolicy // nil: the default schedule
}

// createSubs creates the subscriptions over the registry gRPC API with
// `parallel` calls in flight and returns their ids.
func createSubs(ctx context.Context, reg hookwirev1.RegistryServiceClient, specs []subSpec, parallel int) ([]string, error) {
	ids := make([]string, len(specs))
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range max(parallel, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(specs) || ctx.Err() != nil {
					return
				}
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				resp, err := reg.CreateSubscription(cctx, &hookwirev1.CreateSubscriptionRequest{Subscription: &hookwirev1.Subscription{
					Label:            fmt.Sprintf("bench %d", i),
					Url:              specs[i].url,
					EventTypes:       []string{EventType},
					AttributeFilters: map[string]*hookwirev1.AttributeValues{"workload": {Values: specs[i].tags}},
					RetryPolicy:      specs[i].retry,
				}})
				cancel()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("create subscription %d (%s): %w", i, specs[i].url, err)
					}
					mu.Unlock()
					return
				}
				ids[i] = resp.GetSubscription().GetId()
			}
		})
	}
	wg.Wait()
	return ids, firstErr
}

func dialRegistry(addr string) (hookwirev1.RegistryServiceClient, func(), error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, fmt.Errorf("dial registry %s: %w", addr, err)
	}
	return hookwirev1.NewRegistryServiceClient(conn), func() { conn.Close() }, nil
}

// statsClient reads the receivers' tallies.
type statsClient struct {
	control string
	http    *http.Client
}

func (c statsClient) get(ctx context.Context, tag string) (Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.control+"/stats?w="+tag, nil)
	if err != nil {
		return Stats{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Stats{}, fmt.Errorf("receiver stats %s: %w", tag, err)
	}
	defer resp.Body.Close()
	var s Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return Stats{}, fmt.Errorf("receiver stats %s: %w", tag, err)
	}
	return s, nil
}

// waitDeliveries polls the tally of tag until want unique deliveries have
// arrived, nothing new arrived for stall, or deadline passed. It never
// fails for missing deliveries: the caller reports them.
func (c statsClient) waitDeliveries(ctx context.Context, tag string, want int64, stall, deadline time.Duration) (Stats, error) {
	end := time.Now().Add(deadline)
	var last Stats
	lastChange := time.Now()
	for {
		s, err := c.get(ctx, tag)
		if err != nil {
			return last, err
		}
		if s.Received != last.Received {
			lastChange = time.Now()
		}
		last = s
		switch {
		case s.Unique >= want:
			return s, nil
		case time.Since(lastChange) > stall:
			logf("  %s: no delivery for %s, stopping with %d of %d", tag, stall, s.Unique, want)
			return s, nil
		case time.Now().After(end):
			logf("  %s: deadline %s passed with %d of %d", tag, deadline, s.Unique, want)
			return s, nil
		case ctx.Err() != nil:
			return s, ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// window asks the receivers (started with -record) about tag on receivers
// idx: gaps between deliveries in [from, to], latency of events published
// in [pfrom, pto].
func (c statsClient) window(ctx context.Context, tag string, idx []int, from, to, pfrom, pto time.Time) (Window, error) {
	q := url.Values{"w": {tag}, "idx": {joinInts(idx)},
		"from": {ns(from)}, "to": {ns(to)}, "pfrom": {ns(pfrom)}, "pto": {ns(pto)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.control+"/window?"+q.Encode(), nil)
	if err != nil {
		return Window{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Window{}, fmt.Errorf("receiver window %s: %w", tag, err)
	}
	defer resp.Body.Close()
	var w Window
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
		return Window{}, fmt.Errorf("receiver window %s: %w", tag, err)
	}
	return w, nil
}

// fault sets how receivers idx answer (query: status=503, delay=3s, or
// "" for at once with 204).
func (c statsClient) fault(ctx context.Context, idx []int, query string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.control+"/fault?idx="+joinInts(idx)+"&"+query, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("receiver fault: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("receiver fault: %s: %s", resp.Status, b)
	}
	return nil
}

func ns(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

func joinInts(is []int) string {
	s := make([]string, len(is))
	for i, n := range is {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// dialPublisher opens a pkg/publisher client to ingest.
func dialPublisher(ctx context.Context, addr string) (*publisher.Client, error) {
	return publisher.Dial(ctx, addr, publisher.WithInsecure(), publisher.WithWindow(2048))
}

func itoa(i int) string { return strconv.Itoa(i) }
