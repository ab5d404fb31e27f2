package pgwire

import (
	"bytes"
	"fmt"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// copyDecoder turns the byte stream of COPY FROM STDIN into rows of datums. CopyData messages
// split the stream anywhere, so an incomplete last record waits in buf for the next chunk.
type copyDecoder struct {
	csv           bool
	delim         byte
	quote, escape byte
	null          string
	header        bool
	cols          []Column
	fc            *types.FormatContext
	table         string

	buf   []byte
	line  int64 // line number of the last record read, 1-based
	ended bool  // saw the \. end marker
}

func newCopyDecoder(opts CopyOptions, cols []Column, fc *types.FormatContext, table string) *copyDecoder {
	e := newCopyEncoder(opts) // same defaults for delimiter, quote and escape
	return &copyDecoder{csv: e.csv, delim: e.delim, quote: e.quote, escape: e.escape, null: opts.Null,
		header: opts.Header, cols: cols, fc: fc, table: table}
}

// field is one raw field of a record; quoted reports CSV quoting, which keeps "" from being NULL.
type field struct {
	b      []byte
	quoted bool
}

func (d *copyDecoder) feed(data []byte, emit func([]any) error) error {
	d.buf = append(d.buf, data...)
	off := 0
	for !d.ended {
		fields, n, ok := d.nextRecord(d.buf[off:], false)
		if !ok {
			break
		}
		off += n
		if err := d.record(fields, emit); err != nil {
			return err
		}
	}
	if d.ended {
		d.buf = d.buf[:0]
		return nil
	}
	d.buf = d.buf[:copy(d.buf, d.buf[off:])]
	return nil
}

// finish handles a last record without a line end.
func (d *copyDecoder) finish(emit func([]any) error) error {
	if d.ended || len(d.buf) == 0 {
		return nil
	}
	fields, _, ok := d.nextRecord(d.buf, true)
	if !ok {
		d.line++
		return d.errorf(pgerror.New(pgerror.BadCopyFileFormat, "unterminated CSV quoted field"), "")
	}
	d.buf = d.buf[:0]
	return d.record(fields, emit)
}

func (d *copyDecoder) errorf(pe *pgerror.Error, where string) error {
	ctx := "COPY " + d.table
	if d.table == "" {
		ctx = "COPY"
	}
	ctx += fmt.Sprintf(", line %d", d.line)
	if where != "" {
		ctx += ", " + where
	}
	return &contextError{pe: pe, where: ctx}
}

// record converts one record's fields to datums and emits them.
func (d *copyDecoder) record(fields []field, emit func([]any) error) error {
	d.line++
	if len(fields) == 1 && !fields[0].quoted && string(fields[0].b) == `\.` {
		d.ended = true
		return nil
	}
	if d.header {
		d.header = false
		return nil
	}
	if len(fields) > len(d.cols) {
		return d.errorf(pgerror.New(pgerror.BadCopyFileFormat, "extra data after last expected column"), "")
	}
	if len(fields) < len(d.cols) {
		return d.errorf(pgerror.Newf(pgerror.BadCopyFileFormat, "missing data for column \"%s\"", d.cols[len(fields)].Name), "")
	}
	row := make([]any, len(fields))
	for i, f := range fields {
		var s string
		if d.csv {
			if !f.quoted && string(f.b) == d.null {
				continue
			}
			s = string(f.b)
		} else {
			if string(f.b) == d.null {
				continue
			}
			s = unescapeText(f.b)
		}
		v, err := types.ParseText(d.cols[i].Type, s, d.fc)
		if err != nil {
			pe := pgerror.As(err)
			if pe == nil {
				pe = pgerror.Wrap(err, pgerror.BadCopyFileFormat, err.Error())
			}
			return d.errorf(pe, fmt.Sprintf("column %s: \"%s\"", d.cols[i].Name, s))
		}
		row[i] = v
	}
	return emit(row)
}

// nextRecord splits the first record off b. It returns the record's fields and the bytes it
// used, or ok false when b holds no complete record (unless atEOF, when the rest is the record).
func (d *copyDecoder) nextRecord(b []byte, atEOF bool) (fields []field, n int, ok bool) {
	if d.csv {
		return d.nextCSV(b, atEOF)
	}
	end := bytes.IndexByte(b, '\n')
	line := b
	if end < 0 {
		if !atEOF {
			return nil, 0, false
		}
		n = len(b)
	} else {
		line, n = b[:end], end+1
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	start := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++ // an escaped character, possibly the delimiter, never ends a field
		case d.delim:
			fields = append(fields, field{b: line[start:i]})
			start = i + 1
		}
	}
	fields = append(fields, field{b: line[start:]})
	return fields, n, true
}

func (d *copyDecoder) nextCSV(b []byte, atEOF bool) (fields []field, n int, ok bool) {
	var cur []byte
	quoted, inQuote := false, false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if inQuote {
			switch {
			case ch == d.escape && i+1 < len(b) && (b[i+1] == d.quote || b[i+1] == d.escape) && (d.escape != d.quote || b[i+1] == d.quote):
				cur = append(cur, b[i+1])
				i++
			case ch == d.quote:
				if d.escape == d.quote && i+1 == len(b) && !atEOF {
					return nil, 0, false // may be the first half of a doubled quote
				}
				inQuote = false
			default:
				cur = append(cur, ch)
			}
			continue
		}
		switch ch {
		case d.quote:
			inQuote, quoted = true, true
		case d.delim:
			fields = append(fields, field{b: cur, quoted: quoted})
			cur, quoted = nil, false
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				continue // CRLF line end
			}
			if i+1 == len(b) && !atEOF {
				return nil, 0, false
			}
			cur = append(cur, ch)
		case '\n':
			return append(fields, field{b: cur, quoted: quoted}), i + 1, true
		default:
			cur = append(cur, ch)
		}
	}
	if !atEOF || inQuote {
		return nil, 0, false
	}
	return append(fields, field{b: cur, quoted: quoted}), len(b), true
}

// unescapeText undoes COPY text-format escapes: \b \f \n \r \t \v, \\, \ooo octal and \xhh hex.
func unescapeText(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if ch != '\\' || i+1 == len(b) {
			out = append(out, ch)
			continue
		}
		i++
		ch = b[i]
		switch ch {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x':
			v, k := 0, 0
			for k < 2 && i+1 < len(b) && isHex(b[i+1]) {
				v = v*16 + hexVal(b[i+1])
				i++
				k++
			}
			if k == 0 {
				out = append(out, 'x')
			} else {
				out = append(out, byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(ch - '0')
			for k := 0; k < 2 && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7'; k++ {
				v = v*8 + int(b[i+1]-'0')
				i++
			}
			out = append(out, byte(v))
		default:
			out = append(out, ch)
		}
	}
	return string(out)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}
