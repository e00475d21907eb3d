package grpcserver

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// maxUTF8Depth bounds the message nesting sanitizeUTF8 follows; a deeper
// request keeps the codec's own error. Hookwire's requests nest 4 deep.
const maxUTF8Depth = 32

// sanitizeUTF8 walks the wire bytes b of a message md and returns them with
// every string field that is not valid UTF-8 made valid (each bad byte
// sequence replaced by U+FFFD), with the request paths of those fields
// ("event.attributes[payment_method]", "subscription.event_types[2]").
// ok is false when b is not well-formed wire data or nests deeper than
// maxUTF8Depth.
func sanitizeUTF8(b []byte, md protoreflect.MessageDescriptor) (out []byte, fields []string, ok bool) {
	w := utf8Walker{}
	out, ok = w.message(b, md, "", 0)
	return out, w.fields, ok
}

type utf8Walker struct {
	fields []string
}

// message rewrites one message's fields; path names the message ("" for
// the request itself). A map entry's key and value are both named by path,
// which the caller turns into "field[key]".
func (w *utf8Walker) message(b []byte, md protoreflect.MessageDescriptor, path string, depth int) ([]byte, bool) {
	if depth > maxUTF8Depth {
		return nil, false
	}
	out := make([]byte, 0, len(b))
	seen := map[protowire.Number]int{} // occurrences so far, for list indexes
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false
		}
		fd := md.Fields().ByNumber(num)
		if fd == nil || typ != protowire.BytesType || fd.Kind() != protoreflect.StringKind && fd.Kind() != protoreflect.MessageKind {
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				return nil, false
			}
			out, b = append(out, b[:n+m]...), b[n+m:]
			continue
		}
		v, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return nil, false
		}
		b = b[n+m:]
		p := fieldPath(md, fd, path, seen[num])
		seen[num]++
		var ok bool
		switch {
		case fd.IsMap():
			v, ok = w.mapEntry(v, fd, p, depth+1)
		case fd.Kind() == protoreflect.MessageKind:
			v, ok = w.message(v, fd.Message(), p, depth+1)
		case !utf8.Valid(v):
			w.fields = append(w.fields, p)
			v, ok = []byte(strings.ToValidUTF8(string(v), "\uFFFD")), true
		default:
			ok = true
		}
		if !ok {
			return nil, false
		}
		out = protowire.AppendTag(out, num, typ)
		out = protowire.AppendBytes(out, v)
	}
	return out, true
}

// mapEntry rewrites one entry of map field fd at path p and renames the
// fields found in it "p[key]", the key as it reads once made valid.
func (w *utf8Walker) mapEntry(b []byte, fd protoreflect.FieldDescriptor, p string, depth int) ([]byte, bool) {
	const placeholder = "\x00"
	first := len(w.fields)
	out, ok := w.message(b, fd.Message(), placeholder, depth)
	if !ok || len(w.fields) == first {
		return out, ok
	}
	entry := dynamicpb.NewMessage(fd.Message())
	if protov2.Unmarshal(out, entry) != nil {
		return nil, false
	}
	named := fmt.Sprintf("%s[%s]", p, entry.Get(fd.MapKey()).String())
	for i := first; i < len(w.fields); i++ {
		w.fields[i] = named + strings.TrimPrefix(w.fields[i], placeholder)
	}
	return out, true
}

// fieldPath names fd inside the message md at path: "parent.name", with
// "[i]" for the i-th element of a list; a map entry's fields are the entry.
func fieldPath(md protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor, path string, i int) string {
	if md.IsMapEntry() {
		return path
	}
	p := string(fd.Name())
	if path != "" {
		p = path + "." + p
	}
	if fd.IsList() {
		p = fmt.Sprintf("%s[%d]", p, i)
	}
	return p
}
