package deliverylog

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// createHeader makes a publish to a key's subject a kv.Create: it is stored
// only if the subject has no message yet. Shared and never written to
// (nats.Conn only reads a message's header).
var createHeader = nats.Header{jetstream.ExpectedLastSubjSeqHeader: []string{"0"}}

// direct is what put needs to publish to the bucket's subjects itself: the
// connection, the subject prefix and the JetStream API timeout. Nil when
// the JetStream context uses an API prefix or a domain.
type direct struct {
	nc      *nats.Conn
	prefix  string // "$KV.<bucket>."
	timeout time.Duration
}

func newDirect(js jetstream.JetStream) *direct {
	o := js.Options()
	if o.APIPrefix != "" || o.Domain != "" {
		return nil // kv.Create and kv.Update know the subjects then
	}
	return &direct{nc: js.Conn(), prefix: "$KV." + Bucket + ".", timeout: o.DefaultTimeout}
}

// put stores b as the revision of key after rev; rev 0 creates the key. It
// is kv.Create (rev 0) or kv.Update without their per-call work (a key
// regexp, options, a reflective decode of the ack), which was a tenth of
// the dispatcher's CPU: the same message to the same subject with the same
// header. Any answer but an ack (the key is taken or changed, or holds a
// delete marker; no stream answered) leaves nothing stored, and kv.Create
// or kv.Update, asked again, sort it out and return their usual errors
// (jetstream.ErrKeyExists, jetstream.ErrKeyRevisionMismatch …).
func (l *Log) put(ctx context.Context, key string, b []byte, rev uint64) error {
	if l.direct != nil {
		if stored, err := l.direct.publish(ctx, key, b, rev); stored || err != nil {
			return err
		}
	}
	var err error
	if rev == 0 {
		_, err = l.kv.Create(ctx, key, b)
	} else {
		_, err = l.kv.Update(ctx, key, b, rev)
	}
	return err
}

// publish reports whether b was stored; false with no error when the
// server rejected it or no stream answered.
func (d *direct) publish(ctx context.Context, key string, b []byte, rev uint64) (bool, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.timeout)
		defer cancel()
	}
	h := createHeader
	if rev > 0 {
		h = nats.Header{jetstream.ExpectedLastSubjSeqHeader: []string{strconv.FormatUint(rev, 10)}}
	}
	resp, err := d.nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: d.prefix + key, Header: h, Data: b})
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return false, nil
	case err != nil:
		return false, err
	}
	// An ack is {"stream":"KV_…","seq":n}; anything else is not one.
	ok := bytes.HasPrefix(resp.Data, []byte(`{"stream":`)) && !bytes.Contains(resp.Data, []byte(`"error"`))
	return ok, nil
}

// bufs recycles record buffers: a record is encoded on every attempt and
// dropped as soon as it is published (the connection copies it).
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// recycle returns buf, now holding b, to bufs unless b grew large.
func recycle(buf *[]byte, b []byte) {
	if cap(b) > 16<<10 {
		return
	}
	*buf = b[:0]
	bufs.Put(buf)
}
