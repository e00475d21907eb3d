package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// ErrClosed is returned by Send on a stream that is closing or closed.
var ErrClosed = errors.New("publisher: stream closed")

type grpcStream = grpc.BidiStreamingClient[hookwirev1.PublishStreamRequest, hookwirev1.PublishStreamResponse]

// Stream publishes events over one PublishStream at a time. Send, Flush and
// Close are safe for concurrent use.
type Stream struct {
	o      *options
	rpc    hookwirev1.IngestServiceClient
	ctx    context.Context
	cancel context.CancelFunc
	window chan struct{} // one token per unanswered event
	in     chan *entry   // events to send (new and retried); cap = window
	stop   chan struct{} // closed by Close once everything is answered
	done   chan struct{} // closed when the run loop has ended

	mu          sync.Mutex
	inflight    map[uint64]*entry // sent on the current gRPC stream, unanswered
	seq         uint64
	outstanding int
	idle        chan struct{} // closed while outstanding == 0
	closing     bool
	err         error // terminal: every later Send fails with it
	failures    int   // consecutive broken streams without an answer
}

type entry struct {
	ev      *hookwirev1.Event
	retries int
	p       *Pending
}

// NewStream opens a publishing stream that lives until Close or ctx ends.
func (c *Client) NewStream(ctx context.Context) *Stream {
	ctx, cancel := context.WithCancel(ctx)
	idle := make(chan struct{})
	close(idle)
	s := &Stream{
		o: &c.o, rpc: c.rpc, ctx: ctx, cancel: cancel,
		window:   make(chan struct{}, c.o.window),
		in:       make(chan *entry, c.o.window),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		inflight: make(map[uint64]*entry),
		idle:     idle,
	}
	go s.run()
	return s
}

// Send queues ev and returns at once with its Pending, unless the window of
// unanswered events is full: then it waits for room or for ctx to end.
func (s *Stream) Send(ctx context.Context, ev *hookwirev1.Event) (*Pending, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	select {
	case s.window <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.ctx.Done():
		if err := s.closedErr(); err != nil {
			return nil, err
		}
		return nil, s.ctx.Err()
	}
	s.mu.Lock()
	if s.closing || s.err != nil {
		s.mu.Unlock()
		<-s.window
		return nil, s.closedErr()
	}
	if s.outstanding == 0 {
		s.idle = make(chan struct{})
	}
	s.outstanding++
	s.mu.Unlock()
	e := &entry{ev: ev, p: &Pending{done: make(chan struct{})}}
	s.in <- e // never blocks: in holds at most window entries
	return e.p, nil
}

// closedErr is the terminal error, ErrClosed once Close began, else nil.
func (s *Stream) closedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return s.err
	case s.closing:
		return ErrClosed
	}
	return nil
}

// Flush waits until every event sent so far is answered (stored, rejected,
// or failed after its retries).
func (s *Stream) Flush(ctx context.Context) error {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close waits for every sent event to be answered, ends the stream and
// returns the stream's terminal error, if it had one. If ctx ends first the
// stream is cancelled and unanswered events resolve with the context error.
func (s *Stream) Close(ctx context.Context) error {
	defer s.cancel()
	for {
		if err := s.Flush(ctx); err != nil {
			s.cancel()
			<-s.done
			return err
		}
		s.mu.Lock()
		if s.outstanding == 0 {
			if !s.closing {
				s.closing = true
				close(s.stop)
			}
			s.mu.Unlock()
			break
		}
		s.mu.Unlock()
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		s.cancel()
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// resolve answers e and frees its window slot.
func (s *Stream) resolve(e *entry, res Result) {
	if res.EventID == "" {
		res.EventID = e.ev.GetEventId()
	}
	e.p.res = res
	close(e.p.done)
	<-s.window
	s.mu.Lock()
	s.outstanding--
	if s.outstanding == 0 {
		close(s.idle)
	}
	s.mu.Unlock()
}

// handle resolves the event a response is for, or schedules its re-send
// when it was refused as Unavailable or ResourceExhausted.
func (s *Stream) handle(r *hookwirev1.PublishStreamResponse) {
	s.mu.Lock()
	e, ok := s.inflight[r.GetClientSequence()]
	delete(s.inflight, r.GetClientSequence())
	s.failures = 0
	s.mu.Unlock()
	if !ok {
		return
	}
	if pe := r.GetError(); pe != nil && retryableCode(codes.Code(pe.GetCode())) && e.retries < s.o.maxRetries {
		e.retries++
		time.AfterFunc(s.o.delay(e.retries-1), func() { s.in <- e })
		return
	}
	s.resolve(e, resultOf(r))
}

// fail makes err terminal and resolves every unanswered event with it.
func (s *Stream) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	err = s.err
	left := s.inflight
	s.inflight = make(map[uint64]*entry)
	s.mu.Unlock()
	for _, e := range left {
		s.resolve(e, Result{Err: err})
	}
}

func streamErr(err error) error {
	return fmt.Errorf("publish stream: %w", err)
}

// status of an error a stream ended with: io.EOF with events in flight is
// the server going away.
func endCode(err error) codes.Code {
	if errors.Is(err, io.EOF) {
		return codes.Unavailable
	}
	return status.Code(err)
}
