package pgwire

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/eddydb/eddy/sql/pgerror"
)

// copyChunkRows is how many decoded rows go to CopyIn.Append at a time.
const copyChunkRows = 1000

// contextError carries PostgreSQL's CONTEXT field ("COPY t, line 3, column b: ...") next to
// the error it explains.
type contextError struct {
	pe    *pgerror.Error
	where string
}

func (e *contextError) Error() string { return e.pe.Message + " (" + e.where + ")" }
func (e *contextError) Unwrap() error { return e.pe }

// copyTable extracts the table name of "COPY name ..." for error context; "" if unclear.
func copyTable(sql string) string {
	f := strings.Fields(sql)
	if len(f) < 2 || !strings.EqualFold(f[0], "copy") {
		return ""
	}
	name, _, _ := strings.Cut(f[1], "(")
	return name
}

// copyIn runs COPY FROM STDIN: CopyInResponse, then CopyData until CopyDone or CopyFail.
// Rows may span CopyData messages. Any error aborts the COPY; the caller reports it.
func (c *conn) copyIn(ctx, qctx context.Context, r CopyIn, sql string) error {
	opts := r.CopyOptions()
	cols := r.Columns()
	var dec copyRowDecoder
	overall := byte(0)
	colFormat := uint16(0)
	if opts.Format == "binary" {
		overall, colFormat = 1, 1
		dec = &copyBinaryDecoder{cols: cols, fc: c.fc, table: copyTable(sql)}
	} else {
		dec = newCopyDecoder(opts, cols, c.fc, copyTable(sql))
	}
	formats := make([]uint16, len(cols))
	for i := range formats {
		formats[i] = colFormat
	}
	c.send(&pgproto3.CopyInResponse{OverallFormat: overall, ColumnFormatCodes: formats})
	if err := c.flush(); err != nil {
		r.Abort()
		return err
	}
	batch := make([][]any, 0, copyChunkRows)
	var total int64
	emit := func(row []any) error {
		batch = append(batch, row)
		total++
		if len(batch) >= copyChunkRows {
			if err := r.Append(qctx, batch); err != nil {
				return err
			}
			batch = make([][]any, 0, copyChunkRows)
		}
		return nil
	}
	for {
		msg, err := c.be.Receive()
		if err != nil {
			r.Abort()
			c.broken = fmt.Errorf("receive during COPY: %w", err)
			return pgerror.Newf(pgerror.ProtocolViolation, "invalid frontend message during COPY: %v", err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := dec.feed(m.Data, emit); err != nil {
				r.Abort()
				return err
			}
		case *pgproto3.CopyDone:
			if err := dec.finish(emit); err != nil {
				r.Abort()
				return err
			}
			if len(batch) > 0 {
				if err := r.Append(qctx, batch); err != nil {
					r.Abort()
					return err
				}
			}
			tag, err := r.Finish(qctx)
			if err != nil {
				return err
			}
			if tag == "" {
				tag = "COPY " + strconv.FormatInt(total, 10)
			}
			c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
			return nil
		case *pgproto3.CopyFail:
			r.Abort()
			return pgerror.Newf(pgerror.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
			// Ignored during COPY, as PostgreSQL does.
		case *pgproto3.Terminate:
			r.Abort()
			c.broken = errClientLeft
			return pgerror.New(pgerror.ProtocolViolation, "client terminated during COPY")
		default:
			r.Abort()
			return pgerror.Newf(pgerror.ProtocolViolation, "unexpected message %T during COPY from stdin", msg)
		}
	}
}

// copyOut runs COPY TO STDOUT: CopyOutResponse, one CopyData per row, CopyDone, CommandComplete.
func (c *conn) copyOut(qctx context.Context, r CopyOut) error {
	opts := r.CopyOptions()
	cols := r.Columns()
	bin := opts.Format == "binary"
	enc := newCopyEncoder(opts)
	formats := make([]int16, len(cols))
	colFormats := make([]uint16, len(cols))
	overall := byte(0)
	if bin {
		overall = 1
		for i := range formats {
			formats[i], colFormats[i] = 1, 1
		}
	}
	c.send(&pgproto3.CopyOutResponse{OverallFormat: overall, ColumnFormatCodes: colFormats})
	if bin {
		// Signature, flags and an empty header extension.
		hdr := append(append([]byte(nil), copyBinarySignature...), 0, 0, 0, 0, 0, 0, 0, 0)
		c.send(&pgproto3.CopyData{Data: hdr})
	} else if opts.Header {
		start := len(c.wbuf)
		c.wbuf = append(c.wbuf, 'd', 0, 0, 0, 0)
		for j, col := range cols {
			if j > 0 {
				c.wbuf = append(c.wbuf, enc.delim)
			}
			c.wbuf = enc.appendValue(c.wbuf, []byte(col.Name))
		}
		c.wbuf = append(c.wbuf, '\n')
		putUint32(c.wbuf, start+1, uint32(len(c.wbuf)-start-1))
	}
	var n int64
	var scratch []byte
	for {
		rec, err := r.Next(qctx)
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		encs, err := makeEncoders(rec, cols, formats, c.fc)
		if err != nil {
			rec.Release()
			return err
		}
		arrs := rec.Columns()
		for i := 0; i < int(rec.NumRows()); i++ {
			start := len(c.wbuf)
			c.wbuf = append(c.wbuf, 'd', 0, 0, 0, 0)
			if bin {
				c.wbuf = appendDataRow(c.wbuf, arrs, encs, i)
				// A binary tuple is a DataRow body: int16 count, then int32-length fields.
				c.wbuf = append(c.wbuf[:start+5], c.wbuf[start+5+5:]...)
				putUint32(c.wbuf, start+1, uint32(len(c.wbuf)-start-1))
				n++
				if err := c.maybeFlush(); err != nil {
					rec.Release()
					return err
				}
				continue
			}
			for j, arr := range arrs {
				if j > 0 {
					c.wbuf = append(c.wbuf, enc.delim)
				}
				if arr.IsNull(i) {
					c.wbuf = append(c.wbuf, opts.Null...)
					continue
				}
				scratch = encs[j](scratch[:0], i)
				c.wbuf = enc.appendValue(c.wbuf, scratch)
			}
			c.wbuf = append(c.wbuf, '\n')
			putUint32(c.wbuf, start+1, uint32(len(c.wbuf)-start-1))
			n++
			if err := c.maybeFlush(); err != nil {
				rec.Release()
				return err
			}
		}
		rec.Release()
	}
	if bin {
		c.send(&pgproto3.CopyData{Data: []byte{0xff, 0xff}}) // the trailer
	}
	c.send(&pgproto3.CopyDone{})
	tag := r.Tag()
	if tag == "" {
		tag = "COPY " + strconv.FormatInt(n, 10)
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

// copyEncoder escapes values for COPY TO in text or CSV format.
type copyEncoder struct {
	csv           bool
	delim         byte
	quote, escape byte
	null          string
}

func newCopyEncoder(opts CopyOptions) *copyEncoder {
	e := &copyEncoder{csv: opts.Format == "csv", delim: '\t', quote: '"', escape: '"', null: opts.Null}
	if e.csv {
		e.delim = ','
	}
	if opts.Delimiter != "" {
		e.delim = opts.Delimiter[0]
	}
	if opts.Quote != "" {
		e.quote = opts.Quote[0]
	}
	e.escape = e.quote
	if opts.Escape != "" {
		e.escape = opts.Escape[0]
	}
	return e
}

func (e *copyEncoder) appendValue(buf, v []byte) []byte {
	if e.csv {
		return e.appendCSV(buf, v)
	}
	for _, ch := range v {
		switch ch {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\v':
			buf = append(buf, '\\', 'v')
		default:
			if ch == e.delim {
				buf = append(buf, '\\')
			}
			buf = append(buf, ch)
		}
	}
	return buf
}

// appendCSV quotes v when it holds the delimiter, a quote, a line break, equals the NULL
// string (so an empty string stays distinct from NULL) or starts with \. (the end marker).
func (e *copyEncoder) appendCSV(buf, v []byte) []byte {
	need := string(v) == e.null || len(v) >= 2 && v[0] == '\\' && v[1] == '.'
	for _, ch := range v {
		if ch == e.delim || ch == e.quote || ch == '\n' || ch == '\r' || ch == e.escape {
			need = true
			break
		}
	}
	if !need {
		return append(buf, v...)
	}
	buf = append(buf, e.quote)
	for _, ch := range v {
		if ch == e.quote || ch == e.escape {
			buf = append(buf, e.escape)
		}
		buf = append(buf, ch)
	}
	return append(buf, e.quote)
}
