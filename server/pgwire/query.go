package pgwire

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"
)

// errReported marks an error whose ErrorResponse is already queued.
var errReported = errors.New("pgwire: error already reported")

// setRunning makes cancel the target of CancelRequest until clearRunning.
func (c *conn) setRunning(cancel context.CancelFunc) {
	c.mu.Lock()
	c.mu.cancel = cancel
	c.mu.Unlock()
}

func (c *conn) clearRunning() {
	c.mu.Lock()
	c.mu.cancel = nil
	c.mu.Unlock()
}

// simpleQuery answers a Query message: every statement in turn, stopping at the first error,
// then ReadyForQuery.
func (c *conn) simpleQuery(ctx context.Context, sql string) {
	// The simple protocol destroys the unnamed statement and portal.
	delete(c.stmts, "")
	if p := c.portals[""]; p != nil {
		p.close()
		delete(c.portals, "")
	}
	stmts, err := c.sess.Parse(sql)
	switch {
	case err != nil:
		c.sendError(ctx, err)
	case len(stmts) == 0:
		c.send(&pgproto3.EmptyQueryResponse{})
	default:
		it, implicit := c.sess.(ImplicitTransactions)
		implicit = implicit && len(stmts) > 1
		if implicit {
			it.BeginImplicit()
		}
		ok := true
		for _, st := range stmts {
			if err := c.execSimple(ctx, st); err != nil || c.werr != nil {
				ok = false
				break
			}
		}
		if implicit {
			if err := it.EndImplicit(ctx, ok); err != nil {
				c.sendError(ctx, err)
			}
		}
	}
	c.sendParameterStatus(true)
	c.send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
}

// execSimple runs one statement of a simple query. A non-nil result means an ErrorResponse was
// queued and the rest of the query string is skipped.
func (c *conn) execSimple(ctx context.Context, st Statement) error {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.setRunning(cancel)
	defer c.clearRunning()
	fail := func(err error) error {
		c.sendErrorQ(ctx, qctx, err)
		return errReported
	}
	p, err := c.sess.Prepare(qctx, st, nil)
	if err != nil {
		return fail(err)
	}
	c.fc = c.sess.FormatContext() // an earlier SET in the same query string may have changed it
	res, err := c.sess.Execute(qctx, p, nil)
	if err != nil {
		return fail(err)
	}
	switch r := res.(type) {
	case CopyIn:
		defer r.Close()
		if err := c.copyIn(ctx, qctx, r, st.SQL()); err != nil {
			return fail(err)
		}
		return nil
	case CopyOut:
		defer r.Close()
		if err := c.copyOut(qctx, r); err != nil {
			return fail(err)
		}
		return nil
	}
	cols := res.Columns()
	rs := &rowStream{res: res, cols: cols, formats: make([]int16, len(cols))}
	defer rs.close()
	if cols != nil {
		c.send(rowDescription(cols, rs.formats))
	}
	if _, _, err := c.sendRows(qctx, rs, 0); err != nil {
		return fail(err)
	}
	c.sendNotices(res)
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(res.Tag())})
	return nil
}

func (c *conn) sendNotices(res Result) {
	for _, n := range res.Notices() {
		sev := n.Severity
		if sev == "" {
			sev = "NOTICE"
		}
		code := n.Code
		if code == "" {
			code = "00000"
		}
		c.send(&pgproto3.NoticeResponse{Severity: sev, SeverityUnlocalized: sev, Code: code, Message: n.Message, Detail: n.Detail})
	}
}

func rowDescription(cols []Column, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.AttrNum),
			DataTypeOID:          col.Type.OID(),
			DataTypeSize:         col.Type.Len(),
			TypeModifier:         col.Type.TypeMod(),
			Format:               formats[i],
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// rowStream is a Result being sent as DataRows, possibly across several Execute messages.
type rowStream struct {
	res     Result
	cols    []Column
	formats []int16 // per column: 0 text, 1 binary
	rec     arrow.Record
	row     int
	enc     []colEncoder
	done    bool
	sent    int64 // rows sent so far over all Executes
}

func (rs *rowStream) close() {
	if rs.rec != nil {
		rs.rec.Release()
		rs.rec = nil
	}
	if rs.res != nil {
		rs.res.Close()
		rs.res = nil
	}
}

// sendRows appends DataRows from rs to the write buffer until the result ends or maxRows rows
// went out (0: no limit). suspended reports that the limit stopped it.
func (c *conn) sendRows(qctx context.Context, rs *rowStream, maxRows int64) (suspended bool, n int64, err error) {
	for !rs.done {
		if rs.rec == nil || rs.row >= int(rs.rec.NumRows()) {
			if rs.rec != nil {
				rs.rec.Release()
				rs.rec = nil
			}
			if maxRows > 0 && n >= maxRows {
				return true, n, nil
			}
			rec, err := rs.res.Next(qctx)
			if err != nil {
				return false, n, err
			}
			if rec == nil {
				rs.done = true
				break
			}
			rs.rec, rs.row = rec, 0
			if rs.enc, err = makeEncoders(rec, rs.cols, rs.formats, c.fc); err != nil {
				return false, n, err
			}
		}
		end := int(rs.rec.NumRows())
		if maxRows > 0 && int64(end-rs.row) > maxRows-n {
			end = rs.row + int(maxRows-n)
		}
		cols := rs.rec.Columns()
		for ; rs.row < end; rs.row++ {
			c.wbuf = appendDataRow(c.wbuf, cols, rs.enc, rs.row)
			n++
			rs.sent++
			if len(c.wbuf) >= flushThreshold {
				if err := c.flush(); err != nil {
					return false, n, err
				}
			}
		}
		// Like PostgreSQL, stop at the limit without looking ahead: a result of exactly
		// maxRows rows is suspended, and the next Execute completes it with no rows.
		if maxRows > 0 && n >= maxRows {
			return true, n, nil
		}
	}
	return false, n, nil
}

// appendDataRow encodes row i of cols as one DataRow message.
func appendDataRow(buf []byte, cols []arrow.Array, enc []colEncoder, i int) []byte {
	start := len(buf)
	buf = append(buf, 'D', 0, 0, 0, 0, byte(len(cols)>>8), byte(len(cols)))
	for j, arr := range cols {
		if arr.IsNull(i) {
			buf = append(buf, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		lenAt := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		buf = enc[j](buf, i)
		putUint32(buf, lenAt, uint32(len(buf)-lenAt-4))
	}
	putUint32(buf, start+1, uint32(len(buf)-start-1))
	return buf
}

// retagRows rewrites the row count of a "SELECT n" style tag to n, for a portal that was run
// over several Execute messages (PostgreSQL reports the rows of the last one).
func retagRows(tag string, n int64) string {
	verb, _, ok := strings.Cut(tag, " ")
	if !ok {
		return tag
	}
	switch verb {
	case "SELECT", "FETCH", "MOVE", "COPY":
		return verb + " " + strconv.FormatInt(n, 10)
	}
	return tag
}
