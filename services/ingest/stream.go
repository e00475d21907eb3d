package ingest

import (
	"context"
	"errors"
	"io"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

type publishStream = grpc.BidiStreamingServer[hookwirev1.PublishStreamRequest, hookwirev1.PublishStreamResponse]

// pending is one event of a stream waiting to be answered: either its
// answer is known (rejected, or a repeat answered from its record) or it
// is to be stored: its async publish's ack is awaited (ack, nil when the
// async publish could not even be sent), retried within the ack timeout.
type pending struct {
	resp  *hookwirev1.PublishStreamResponse
	store bool
	ack   jetstream.PubAckFuture
	a     admitted
	pub   publishing
}

// PublishStream is the high-throughput path. The handler goroutine reads
// events, validates them, looks them up in their records and publishes the
// new ones asynchronously; a single answering goroutine waits for each ack
// in order (publishing again, within the ack timeout, what a stream leader
// election failed), records its sequence and sends the response. At most
// MaxPendingAcks events of a stream are unanswered: past that the reader
// blocks, which pushes back on the client through gRPC flow control.
// Nothing is answered OK before its ack, and when the client closes its
// side every pending event is still answered before the RPC ends.
func (s *Service) PublishStream(st publishStream) error {
	queue := make(chan pending, s.cfg.MaxPendingAcks)
	answered := make(chan error, 1)
	go func() { answered <- s.answer(st, queue) }()
	recvErr := s.receive(st, queue)
	close(queue)
	sendErr := <-answered
	if recvErr != nil {
		return toStatus(recvErr)
	}
	return sendErr
}

func (s *Service) receive(st publishStream, queue chan<- pending) error {
	ctx := st.Context()
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp := &hookwirev1.PublishStreamResponse{ClientSequence: req.GetClientSequence(), EventId: req.GetEvent().GetEventId()}
		p := s.obs.start(ctx, req.GetEvent())
		a, err := s.admit(p.ctx, req.GetEvent())
		if err != nil {
			p.end(outcomeOf(err), err)
			resp.Error = toPublishError(err)
			queue <- pending{resp: resp}
			continue
		}
		ans, known, err := s.reserve(p.ctx, a)
		switch {
		case err != nil:
			s.logFailure(p.ctx, a, err)
			p.end(outcomeOf(err), err)
			resp.Error = toPublishError(err)
			queue <- pending{resp: resp}
		case known:
			p.end(ans.outcome(), nil)
			resp.Duplicate, resp.Sequence = ans.duplicate, ans.seq
			queue <- pending{resp: resp}
		default:
			fut, _ := s.js.PublishMsgAsync(a.msg, jetstream.WithStallWait(s.cfg.AckTimeout)) // on error, answer publishes again
			queue <- pending{resp: resp, store: true, ack: fut, a: a, pub: p}
		}
	}
}

// answer sends one response per queued event, in queue order, waiting for
// each ack (bounded by the ack timeout). After a failed Send it keeps
// draining so the reader never blocks.
func (s *Service) answer(st publishStream, queue <-chan pending) error {
	var sendErr error
	for p := range queue {
		if p.store {
			s.stored(st.Context(), p)
		}
		if sendErr == nil {
			sendErr = st.Send(p.resp)
		}
	}
	return sendErr
}

// stored waits for p's ack, publishes again what failed in a way a retry
// can get past, and fills in p's response.
func (s *Service) stored(ctx context.Context, p pending) {
	var ack *jetstream.PubAck
	err := errors.New("async publish not sent")
	if p.ack != nil {
		select {
		case ack = <-p.ack.Ok():
			err = nil
		case err = <-p.ack.Err():
		}
	}
	if err != nil && (p.ack == nil || retryable(err)) {
		ack, err = s.store(p.pub.ctx, p.a.msg, p.pub.start)
	}
	if err != nil {
		err = storeErr(p.resp.EventId, err)
		s.logFailure(p.pub.ctx, p.a, err)
		p.pub.end(outcomeFailed, err)
		p.resp.Error = toPublishError(err)
		return
	}
	ans := s.settle(ctx, p.a, ack.Duplicate, ack.Sequence)
	p.resp.Duplicate, p.resp.Sequence = ans.duplicate, ans.seq
	p.pub.end(ans.outcome(), nil)
}
