package task

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Parts splits msg, a message carrying n tasks, into n messages that each
// settle one of them; msg itself is settled once all n are:
//
//   - acked (Ack, DoubleAck, Term, TermWithReason: the task is done with,
//     one way or another) — msg is acked when every part is;
//   - nakked (Nak, NakWithDelay: the task must be tried again) — msg is
//     nakked, with the longest delay asked for, once the others settle too.
//     JetStream redelivers all of msg; the parts already attempted are
//     found in the delivery log and skipped (their first attempts see the
//     message as redelivered).
//
// InProgress goes to msg at most once per touchEvery (the parts of a shared
// message wait in their lane together); Metadata and the other accessors
// go to msg. For n == 1, Parts returns msg itself.
func Parts(msg jetstream.Msg, n int) []jetstream.Msg {
	if n == 1 {
		return []jetstream.Msg{msg}
	}
	s := &sharedMsg{Msg: msg, left: n}
	out := make([]jetstream.Msg, n)
	for i := range out {
		out[i] = &part{sharedMsg: s}
	}
	return out
}

// Redelivered reports whether JetStream delivered msg before.
func Redelivered(msg jetstream.Msg) bool {
	md, err := msg.Metadata()
	return err == nil && md.NumDelivered > 1
}

// sharedMsg is the message the parts share.
type sharedMsg struct {
	jetstream.Msg
	mu    sync.Mutex
	left  int           // parts not settled yet
	nak   bool          // some part asked for another try
	delay time.Duration // the longest delay asked for
	touch time.Time     // when InProgress last went to msg
}

// touchEvery is how often a shared message's parts refresh its ack timer
// at most: far under any AckWait.
const touchEvery = time.Second

// InProgress refreshes msg's ack timer, unless a part just did.
func (s *sharedMsg) InProgress() error {
	s.mu.Lock()
	now := time.Now()
	due := now.Sub(s.touch) >= touchEvery
	if due {
		s.touch = now
	}
	s.mu.Unlock()
	if !due {
		return nil
	}
	return s.Msg.InProgress()
}

// part is one task's view of a sharedMsg.
type part struct {
	*sharedMsg
	once sync.Once
}

func (p *part) settle(nak bool, delay time.Duration) error {
	var err error
	p.once.Do(func() {
		s := p.sharedMsg
		s.mu.Lock()
		s.left--
		s.nak = s.nak || nak
		s.delay = max(s.delay, delay)
		last, nakAll, d := s.left == 0, s.nak, s.delay
		s.mu.Unlock()
		switch {
		case !last:
		case !nakAll:
			err = s.Msg.Ack()
		case d > 0:
			err = s.Msg.NakWithDelay(d)
		default:
			err = s.Msg.Nak()
		}
	})
	return err
}

func (p *part) Ack() error                             { return p.settle(false, 0) }
func (p *part) DoubleAck(context.Context) error        { return p.settle(false, 0) }
func (p *part) Term() error                            { return p.settle(false, 0) }
func (p *part) TermWithReason(string) error            { return p.settle(false, 0) }
func (p *part) Nak() error                             { return p.settle(true, 0) }
func (p *part) NakWithDelay(delay time.Duration) error { return p.settle(true, delay) }
