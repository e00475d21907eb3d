package publisher

import (
	"context"
	"errors"
	"io"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// run owns the gRPC stream: it opens one, sends queued events on it, and
// when it breaks with a retryable error opens another (with backoff) and
// re-sends the events that were unanswered. A stream that breaks
// WithMaxRetries times in a row without any answer, or with a final error
// (PermissionDenied, Unauthenticated …), fails every unanswered event.
func (s *Stream) run() {
	defer close(s.done)
	for {
		err := s.session()
		if err == nil {
			return
		}
		if s.ctx.Err() != nil {
			s.terminate(s.ctx.Err())
			return
		}
		s.mu.Lock()
		s.failures++
		n := s.failures
		s.mu.Unlock()
		if !retryableCode(endCode(err)) || n > s.o.maxRetries {
			s.terminate(streamErr(err))
			return
		}
		if serr := sleep(s.ctx, s.o.delay(n-1)); serr != nil {
			s.terminate(serr)
			return
		}
	}
}

// session runs one gRPC stream until it ends; nil means closed cleanly.
func (s *Stream) session() error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	gs, err := s.rpc.PublishStream(ctx)
	if err != nil {
		return err
	}
	recvErr := make(chan error, 1)
	go func() {
		for {
			r, err := gs.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			s.handle(r)
		}
	}()
	// Re-send what the previous stream left unanswered, under new sequence
	// numbers registered before sending, so nothing is lost if this stream
	// breaks too.
	s.mu.Lock()
	resend := make([]*hookwirev1.PublishStreamRequest, 0, len(s.inflight))
	prev := s.inflight
	s.inflight = make(map[uint64]*entry, len(prev))
	for _, e := range prev {
		s.seq++
		s.inflight[s.seq] = e
		resend = append(resend, &hookwirev1.PublishStreamRequest{ClientSequence: s.seq, Event: e.ev})
	}
	s.mu.Unlock()
	for _, req := range resend {
		if gs.Send(req) != nil {
			return <-recvErr // Send fails once the stream is over; Recv tells why
		}
	}
	stop := s.stop
	for {
		select {
		case e := <-s.in:
			if s.send(gs, e) != nil {
				return <-recvErr
			}
		case <-stop:
			stop = nil
			if err := gs.CloseSend(); err != nil {
				return err
			}
		case err := <-recvErr:
			s.mu.Lock()
			clean := s.closing && len(s.inflight) == 0
			s.mu.Unlock()
			if errors.Is(err, io.EOF) && clean {
				return nil
			}
			return err
		}
	}
}

func (s *Stream) send(gs grpcStream, e *entry) error {
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.inflight[seq] = e
	s.mu.Unlock()
	return gs.Send(&hookwirev1.PublishStreamRequest{ClientSequence: seq, Event: e.ev})
}

// terminate fails everything unanswered with err, including events queued
// or waiting for a retry, and returns once none is left.
func (s *Stream) terminate(err error) {
	s.fail(err)
	s.mu.Lock()
	idle, err := s.idle, s.err
	s.mu.Unlock()
	for {
		select {
		case e := <-s.in:
			s.resolve(e, Result{Err: err})
		case <-idle:
			return
		}
	}
}
