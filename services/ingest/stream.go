package ingest

import (
	"errors"
	"io"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

type publishStream = grpc.BidiStreamingServer[hookwirev1.PublishStreamRequest, hookwirev1.PublishStreamResponse]

// pending is one event of a stream waiting to be answered: either its
// answer is known (rejected) or it waits for its JetStream ack.
type pending struct {
	resp *hookwirev1.PublishStreamResponse
	ack  jetstream.PubAckFuture
	pub  publishing
}

// PublishStream is the high-throughput path. The handler goroutine reads
// events, validates them and publishes the accepted ones asynchronously; a
// single answering goroutine waits for each ack in order and sends the
// response. At most MaxPendingAcks events of a stream are unanswered: past
// that the reader blocks, which pushes back on the client through gRPC flow
// control. Nothing is answered OK before its ack, and when the client
// closes its side every pending event is still answered before the RPC ends.
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
		m, err := s.admit(p.ctx, req.GetEvent())
		if err != nil {
			p.end(outcomeOf(err), err)
			resp.Error = toPublishError(err)
			queue <- pending{resp: resp}
			continue
		}
		fut, err := s.js.PublishMsgAsync(m, jetstream.WithStallWait(s.cfg.AckTimeout))
		if err != nil {
			err = storeErr(resp.EventId, err)
			s.log.WarnContext(p.ctx, "event not stored", "event_id", resp.EventId, "error", err)
			p.end(outcomeFailed, err)
			resp.Error = toPublishError(err)
			queue <- pending{resp: resp}
			continue
		}
		queue <- pending{resp: resp, ack: fut, pub: p}
	}
}

// answer sends one response per queued event, in queue order, waiting for
// each ack (bounded by the publisher's ack timeout). After a failed Send it
// keeps draining so the reader never blocks.
func (s *Service) answer(st publishStream, queue <-chan pending) error {
	var sendErr error
	for p := range queue {
		if p.ack != nil {
			select {
			case ack := <-p.ack.Ok():
				p.resp.Duplicate, p.resp.Sequence = ack.Duplicate, ack.Sequence
				p.pub.end(ackOutcome(ack), nil)
			case err := <-p.ack.Err():
				err = storeErr(p.resp.EventId, err)
				s.log.WarnContext(p.pub.ctx, "event not stored", "event_id", p.resp.EventId, "error", err)
				p.pub.end(outcomeFailed, err)
				p.resp.Error = toPublishError(err)
			}
		}
		if sendErr == nil {
			sendErr = st.Send(p.resp)
		}
	}
	return sendErr
}
