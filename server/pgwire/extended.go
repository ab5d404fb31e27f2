package pgwire

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// prepStmt is a statement created by Parse.
type prepStmt struct {
	name     string
	prepared Prepared // nil for an empty query string
}

func (ps *prepStmt) paramTypes() []types.T {
	if ps.prepared == nil {
		return nil
	}
	return ps.prepared.ParamTypes()
}

func (ps *prepStmt) columns() []Column {
	if ps.prepared == nil {
		return nil
	}
	return ps.prepared.Columns()
}

// portal is a statement bound to parameter values by Bind. It runs at its first Execute and
// may be resumed by later ones when a row limit suspended it.
type portal struct {
	stmt    *prepStmt
	params  []any
	formats []int16 // result format per column
	// Set once running. ctx lives as long as the portal, so a suspended portal's Result keeps a
	// live context between Execute messages; cancel also serves CancelRequest.
	ctx    context.Context
	cancel context.CancelFunc
	rows   *rowStream
	tag    string // set when complete
	done   bool
}

func (p *portal) close() {
	if p.rows != nil {
		p.rows.close()
		p.rows = nil
	}
	if p.cancel != nil {
		p.cancel()
	}
}

// extError reports an error in the extended protocol and discards messages until Sync (keeps W3).
func (c *conn) extError(ctx, qctx context.Context, err error) {
	c.sendErrorQ(ctx, qctx, err)
	c.ignoreTillSync = true
}

func stmtLabel(name string) string {
	if name == "" {
		return "unnamed prepared statement"
	}
	return fmt.Sprintf("prepared statement \"%s\"", name)
}

func (c *conn) handleParse(ctx context.Context, m *pgproto3.Parse) {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			c.extError(ctx, nil, pgerror.Newf(pgerror.DuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name))
			return
		}
	} else {
		delete(c.stmts, "")
	}
	paramTypes := make([]types.T, len(m.ParameterOIDs))
	for i, oid := range m.ParameterOIDs {
		if oid == 0 {
			continue // types.Unknown: the engine infers it
		}
		t, ok := types.FromOID(oid)
		if !ok {
			c.extError(ctx, nil, pgerror.Newf(pgerror.UndefinedObject, "type with OID %d does not exist", oid))
			return
		}
		paramTypes[i] = t
	}
	stmts, err := c.sess.Parse(m.Query)
	if err != nil {
		c.extError(ctx, nil, err)
		return
	}
	ps := &prepStmt{name: m.Name}
	switch len(stmts) {
	case 0:
	case 1:
		qctx, cancel := context.WithCancel(ctx)
		c.setRunning(cancel)
		ps.prepared, err = c.sess.Prepare(qctx, stmts[0], paramTypes)
		c.clearRunning()
		if err != nil {
			c.extError(ctx, qctx, err)
			cancel()
			return
		}
		cancel()
	default:
		c.extError(ctx, nil, pgerror.New(pgerror.SyntaxError, "cannot insert multiple commands into a prepared statement"))
		return
	}
	c.stmts[m.Name] = ps
	c.send(&pgproto3.ParseComplete{})
}

// formatFor resolves a Bind format-code list: none means text, one applies to all.
func formatFor(codes []int16, i int) int16 {
	switch len(codes) {
	case 0:
		return 0
	case 1:
		return codes[0]
	}
	return codes[i]
}

func (c *conn) handleBind(ctx context.Context, m *pgproto3.Bind) {
	ps := c.stmts[m.PreparedStatement]
	if ps == nil {
		c.extError(ctx, nil, pgerror.Newf(pgerror.InvalidSQLStatementName, "%s does not exist", stmtLabel(m.PreparedStatement)))
		return
	}
	if m.DestinationPortal != "" {
		if _, ok := c.portals[m.DestinationPortal]; ok {
			c.extError(ctx, nil, pgerror.Newf(pgerror.DuplicateCursor, "cursor \"%s\" already exists", m.DestinationPortal))
			return
		}
	} else if old := c.portals[""]; old != nil {
		old.close()
		delete(c.portals, "")
	}
	pts := ps.paramTypes()
	if len(m.Parameters) != len(pts) {
		c.extError(ctx, nil, pgerror.Newf(pgerror.ProtocolViolation, "bind message supplies %d parameters, but %s requires %d",
			len(m.Parameters), stmtLabel(ps.name), len(pts)))
		return
	}
	if n := len(m.ParameterFormatCodes); n > 1 && n != len(m.Parameters) {
		c.extError(ctx, nil, pgerror.Newf(pgerror.ProtocolViolation, "bind message has %d parameter formats but %d parameters", n, len(m.Parameters)))
		return
	}
	c.fc = c.sess.FormatContext()
	params := make([]any, len(m.Parameters))
	for i, raw := range m.Parameters {
		f := formatFor(m.ParameterFormatCodes, i)
		if f != 0 && f != 1 {
			c.extError(ctx, nil, pgerror.Newf(pgerror.ProtocolViolation, "unsupported format code: %d", f))
			return
		}
		v, err := decodeParam(pts[i], f, raw, i+1, c.fc)
		if err != nil {
			c.extError(ctx, nil, err)
			return
		}
		params[i] = v
	}
	cols := ps.columns()
	if n := len(m.ResultFormatCodes); n > 1 && n != len(cols) {
		c.extError(ctx, nil, pgerror.Newf(pgerror.ProtocolViolation, "bind message has %d result formats but query has %d columns", n, len(cols)))
		return
	}
	formats := make([]int16, len(cols))
	for i, col := range cols {
		f := formatFor(m.ResultFormatCodes, i)
		if f != 0 && f != 1 {
			c.extError(ctx, nil, pgerror.Newf(pgerror.ProtocolViolation, "unsupported format code: %d", f))
			return
		}
		if f == 1 && !canBinary(col.Type) {
			c.extError(ctx, nil, noBinary(col.Type))
			return
		}
		formats[i] = f
	}
	c.portals[m.DestinationPortal] = &portal{stmt: ps, params: params, formats: formats}
	c.send(&pgproto3.BindComplete{})
}

func (c *conn) handleDescribe(ctx context.Context, m *pgproto3.Describe) {
	switch m.ObjectType {
	case 'S':
		ps := c.stmts[m.Name]
		if ps == nil {
			c.extError(ctx, nil, pgerror.Newf(pgerror.InvalidSQLStatementName, "%s does not exist", stmtLabel(m.Name)))
			return
		}
		pts := ps.paramTypes()
		oids := make([]uint32, len(pts))
		for i, t := range pts {
			oids[i] = t.OID()
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if cols := ps.columns(); cols != nil {
			c.send(rowDescription(cols, make([]int16, len(cols))))
		} else {
			c.send(&pgproto3.NoData{})
		}
	case 'P':
		p := c.portals[m.Name]
		if p == nil {
			c.extError(ctx, nil, pgerror.Newf(pgerror.InvalidCursorName, "portal \"%s\" does not exist", m.Name))
			return
		}
		if cols := p.stmt.columns(); cols != nil {
			c.send(rowDescription(cols, p.formats))
		} else {
			c.send(&pgproto3.NoData{})
		}
	default:
		c.extError(ctx, nil, pgerror.Newf(pgerror.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType))
	}
}

func (c *conn) handleExecute(ctx context.Context, m *pgproto3.Execute) {
	p := c.portals[m.Portal]
	if p == nil {
		c.extError(ctx, nil, pgerror.Newf(pgerror.InvalidCursorName, "portal \"%s\" does not exist", m.Portal))
		return
	}
	if p.stmt.prepared == nil {
		c.send(&pgproto3.EmptyQueryResponse{})
		return
	}
	if p.done {
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(retagRows(p.tag, 0))})
		return
	}
	if p.ctx == nil {
		p.ctx, p.cancel = context.WithCancel(ctx)
	}
	c.setRunning(p.cancel)
	defer c.clearRunning()
	fail := func(err error) {
		// A failed portal cannot run again; drop it, as its transaction is failing anyway.
		c.extError(ctx, p.ctx, err)
		p.close()
		delete(c.portals, m.Portal)
	}
	if p.rows == nil {
		// As in PostgreSQL, the statements of a pipeline (up to Sync) run in one implicit
		// transaction when no explicit one is open; BeginImplicit is a no-op inside one.
		if it, ok := c.sess.(ImplicitTransactions); ok {
			it.BeginImplicit()
			c.implicitOpen = true
		}
		res, err := c.sess.Execute(p.ctx, p.stmt.prepared, p.params)
		if err != nil {
			fail(err)
			return
		}
		switch r := res.(type) {
		case CopyIn:
			err := c.copyIn(ctx, p.ctx, r, p.stmt.prepared.SQL())
			r.Close()
			if err != nil {
				fail(err)
				return
			}
			p.done, p.tag = true, "COPY 0"
			return
		case CopyOut:
			err := c.copyOut(p.ctx, r)
			r.Close()
			if err != nil {
				fail(err)
				return
			}
			p.done, p.tag = true, "COPY 0"
			return
		}
		p.rows = &rowStream{res: res, cols: res.Columns(), formats: p.formats}
		if p.rows.cols == nil {
			p.rows.formats = nil
		}
	}
	suspended, n, err := c.sendRows(p.ctx, p.rows, int64(m.MaxRows))
	if err != nil {
		fail(err)
		return
	}
	if suspended {
		c.send(&pgproto3.PortalSuspended{})
		return
	}
	c.sendNotices(p.rows.res)
	tag := p.rows.res.Tag()
	if p.rows.sent != n {
		tag = retagRows(tag, n) // the portal ran over several Executes
	}
	p.done, p.tag = true, tag
	p.rows.close()
	p.rows = nil
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
}

func (c *conn) handleClose(m *pgproto3.Close) {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		if p := c.portals[m.Name]; p != nil {
			p.close()
			delete(c.portals, m.Name)
		}
	}
	c.send(&pgproto3.CloseComplete{})
}

// handleSync ends an extended-protocol cycle: outside a transaction block the implicit
// transaction ends, and with it every portal.
func (c *conn) handleSync(ctx context.Context) {
	failed := c.ignoreTillSync
	c.ignoreTillSync = false
	if c.implicitOpen {
		c.implicitOpen = false
		if err := c.sess.(ImplicitTransactions).EndImplicit(ctx, !failed); err != nil {
			c.sendError(ctx, err)
		}
	}
	if c.sess.TxStatus() == 'I' {
		for name, p := range c.portals {
			p.close()
			delete(c.portals, name)
		}
	}
	c.sendParameterStatus(true)
	c.send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
}
