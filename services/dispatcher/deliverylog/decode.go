package deliverylog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decode reads a stored record. Records are read back on every retry and
// rewritten whole, and encoding/json spent most of a retry's CPU on them:
// the layout encode writes is parsed by hand, and anything else (another
// key order is fine; whitespace, null, unknown keys or malformed input are
// not) goes to json.Unmarshal. FuzzDecode keeps the two equal.
func decode(b []byte) (Delivery, error) {
	if d, ok := decodeRecord(b); ok {
		return d, nil
	}
	var d Delivery
	if err := json.Unmarshal(b, &d); err != nil {
		return Delivery{}, fmt.Errorf("decode delivery record: %w", err)
	}
	return d, nil
}

// decodeRecord parses b as a record; ok is false for anything it does not
// read exactly as json.Unmarshal would.
func decodeRecord(b []byte) (d Delivery, ok bool) {
	p := parser{b: b}
	ok = p.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			d.ID, ok = p.string()
		case "event_id":
			d.EventID, ok = p.string()
		case "event_type":
			d.EventType, ok = p.string()
		case "subscription_id":
			d.SubscriptionID, ok = p.string()
		case "scope":
			d.Scope, ok = p.string()
		case "subscription_scope":
			var s string
			s, ok = p.string()
			d.SubscriptionScope = &s
		case "event_seq":
			d.EventSeq, ok = p.uint()
		case "state":
			var s string
			s, ok = p.string()
			d.State = State(s)
		case "attempts":
			d.Attempts, ok = p.attempts()
		case "created_at":
			d.CreatedAt, ok = p.time()
		case "updated_at":
			d.UpdatedAt, ok = p.time()
		case "next_attempt_at":
			d.NextAttemptAt, ok = p.time()
		default:
			return false
		}
		return ok
	})
	return d, ok && p.i == len(b)
}

// parser reads the JSON that encode writes: no whitespace, no null.
type parser struct {
	b []byte
	i int
}

func (p *parser) next(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads {"key":value,...}, calling field to read each value. A
// key with an escape, or seen twice, is not read (encoding/json matches
// keys loosely and merges repeated ones).
func (p *parser) object(field func(key []byte) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	var seen [12][]byte
	for n := 0; ; n++ {
		tok, escaped, ok := p.token()
		if !ok || escaped || n == len(seen) || !p.next(':') {
			return false
		}
		key := tok[1 : len(tok)-1]
		for _, k := range seen[:n] {
			if bytes.Equal(k, key) {
				return false
			}
		}
		seen[n] = key
		if !field(key) {
			return false
		}
		if p.next('}') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

func (p *parser) attempts() ([]Attempt, bool) {
	if !p.next('[') {
		return nil, false
	}
	var as []Attempt
	if p.next(']') {
		return []Attempt{}, true
	}
	for {
		var a Attempt
		ok := p.object(func(key []byte) bool {
			var ok bool
			var n int64
			switch string(key) {
			case "n":
				n, ok = p.int()
				a.Number = int(n)
			case "at":
				a.StartedAt, ok = p.time()
			case "status":
				n, ok = p.int()
				a.Status = int(n)
			case "latency":
				n, ok = p.int()
				a.Latency = time.Duration(n)
			case "error":
				a.Error, ok = p.string()
			case "excerpt":
				a.Excerpt, ok = p.string()
			case "url":
				a.URL, ok = p.string()
			case "trigger":
				a.Trigger, ok = p.string()
			}
			return ok
		})
		if !ok {
			return nil, false
		}
		as = append(as, a)
		if p.next(']') {
			return as, true
		}
		if !p.next(',') {
			return nil, false
		}
	}
}

// token returns the quoted string at p (quotes included) and whether it
// holds an escape.
func (p *parser) token() (tok []byte, escaped, ok bool) {
	if !p.next('"') {
		return nil, false, false
	}
	start := p.i - 1
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return p.b[start:p.i], escaped, true
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return nil, false, false
		default:
			p.i++
		}
	}
	return nil, false, false
}

func (p *parser) string() (string, bool) {
	tok, escaped, ok := p.token()
	if !ok {
		return "", false
	}
	if inner := tok[1 : len(tok)-1]; !escaped && utf8.Valid(inner) {
		return string(inner), true
	}
	return unquote(tok[1 : len(tok)-1])
}

// unquote reads a string's body with escapes or invalid UTF-8 as
// encoding/json does (its unquoteBytes): invalid UTF-8 and lone
// surrogates become U+FFFD.
func unquote(s []byte) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\':
			if i+1 == len(s) {
				return "", false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := getu4(s[i:])
				if r < 0 {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if pair := utf16.DecodeRune(r, getu4(s[i:])); pair != unicode.ReplacementChar {
						r = pair
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c == '"', c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			b = utf8.AppendRune(b, r)
			i += size
		}
	}
	return string(b), true
}

// getu4 reads the \uXXXX escape at the start of s; -1 if there is none.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

func (p *parser) time() (time.Time, bool) {
	tok, escaped, ok := p.token()
	var t time.Time
	return t, ok && !escaped && t.UnmarshalJSON(tok) == nil
}

// number returns the integer literal at p.
func (p *parser) number() []byte {
	start := p.i
	p.next('-')
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n := p.b[start:p.i]
	if digits := bytes.TrimPrefix(n, []byte("-")); len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return nil // not a JSON integer
	}
	return n
}

func (p *parser) int() (int64, bool) {
	n := p.number()
	v, err := strconv.ParseInt(string(n), 10, 64)
	return v, n != nil && err == nil
}

func (p *parser) uint() (uint64, bool) {
	n := p.number()
	v, err := strconv.ParseUint(string(n), 10, 64)
	return v, n != nil && err == nil
}
