package deliverylog

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// insertHeader makes a publish to a key's subject a kv.Create: it is stored
// only if the subject has no message yet. Shared and never written to
// (nats.Conn only reads a message's header).
var insertHeader = nats.Header{jetstream.ExpectedLastSubjSeqHeader: []string{"0"}}

// direct is what insert needs to publish to the bucket's subjects itself:
// the connection, the put subject prefix and the JetStream API timeout.
// Nil when the JetStream context uses an API prefix or a domain.
type direct struct {
	nc      *nats.Conn
	prefix  string // "$KV.<bucket>."
	timeout time.Duration
}

func newDirect(js jetstream.JetStream) *direct {
	o := js.Options()
	if o.APIPrefix != "" || o.Domain != "" {
		return nil // kv.Create knows the subjects then
	}
	return &direct{nc: js.Conn(), prefix: "$KV." + Bucket + ".", timeout: o.DefaultTimeout}
}

// insert stores b as the first revision of key, or returns
// jetstream.ErrKeyExists. It is kv.Create without its per-call work (a key
// regexp, options, a reflective decode of the ack), which was a tenth of
// the dispatcher's CPU: the same message to the same subject with the same
// header. Any answer but an ack (the key is taken, or holds a delete
// marker; no stream answered) leaves nothing stored, and kv.Create, asked
// again, sorts it out.
func (l *Log) insert(ctx context.Context, key string, b []byte) error {
	if l.direct == nil {
		_, err := l.kv.Create(ctx, key, b)
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.direct.timeout)
		defer cancel()
	}
	m := &nats.Msg{Subject: l.direct.prefix + key, Header: insertHeader, Data: b}
	resp, err := l.direct.nc.RequestMsgWithContext(ctx, m)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
	case err != nil:
		return err
	case !bytes.Contains(resp.Data, []byte(`"error"`)): // {"stream":"KV_…","seq":n}
		return nil
	}
	_, err = l.kv.Create(ctx, key, b)
	return err
}

// bufs recycles the buffers of first records: one is encoded per delivery
// and dropped as soon as it is published (the connection copies it).
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// recycle returns buf, now holding b, to bufs unless b grew large.
func recycle(buf *[]byte, b []byte) {
	if cap(b) > 16<<10 {
		return
	}
	*buf = b[:0]
	bufs.Put(buf)
}
