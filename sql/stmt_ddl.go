package sql

import (
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
)

// create dispatches CREATE statements.
func (p *stmtParser) create() (Statement, error) {
	p.i++
	orReplace := p.accept("or", "replace")
	switch {
	case p.peekWord("table") && !orReplace:
		return p.createTable(false)
	case p.peekWord("source") && !orReplace:
		return p.createTable(true)
	case p.peekWord("schema") && !orReplace:
		p.i++
		st := &CreateSchemaStmt{IfNotExists: p.accept("if", "not", "exists")}
		var err error
		if st.Name, err = p.ident(); err != nil {
			return nil, err
		}
		if p.peekWord("authorization") {
			return nil, p.unsupported(p.i, "CREATE SCHEMA ... AUTHORIZATION")
		}
		return st, p.done()
	case p.peekWord("view"), p.peekWord("materialized") && p.peekWordAt(p.i+1, "view"):
		return p.createView(orReplace)
	case p.peekWord("temp"), p.peekWord("temporary"), p.peekWord("unlogged"):
		return nil, p.unsupported(p.i, "CREATE "+strings.ToUpper(p.tok(p.i).val))
	}
	if w := p.tok(p.i); p.i < p.j && w.kind == tIdent {
		switch w.val {
		case "index", "unique", "sink", "function", "sequence", "type", "database", "role", "user",
			"extension", "trigger", "domain", "procedure", "aggregate", "cast", "policy", "publication",
			"subscription", "rule", "server", "collation", "operator", "tablespace":
			return nil, p.unsupported(p.i, "CREATE "+strings.ToUpper(w.val))
		}
	}
	return nil, p.errHere()
}

// createTable parses CREATE {TABLE|SOURCE} [IF NOT EXISTS] name (elements) [WITH (...)] and
// CREATE TABLE name [(cols)] AS query.
func (p *stmtParser) createTable(source bool) (Statement, error) {
	p.i++
	st := &CreateTableStmt{Source: source, IfNotExists: p.accept("if", "not", "exists")}
	var err error
	if st.Name, err = p.objName(); err != nil {
		return nil, err
	}
	hadList := p.peekPunct("(")
	if hadList {
		rp := p.match[p.i]
		// CREATE TABLE t (a, b) AS query names the columns only.
		if !source && p.peekWordAt(rp+1, "as") {
			cols, err := p.identList()
			if err != nil {
				return nil, err
			}
			for _, c := range cols {
				st.Columns = append(st.Columns, &ColumnDef{Name: c})
			}
		} else {
			if err := p.tableElements(st, rp); err != nil {
				return nil, err
			}
			p.i = rp + 1
		}
	}
	if p.accept("with") {
		if st.With, err = p.withOptions(); err != nil {
			return nil, err
		}
	}
	if !source && p.accept("as") {
		if st.AsQuery, err = parseQueryRange(p.src, p.match, p.i, p.j); err != nil {
			return nil, err
		}
		p.i = p.j
		return st, nil
	}
	if !hadList && p.i >= p.j {
		return nil, p.errHere()
	}
	if p.peekWord("format") || p.peekWord("partition") || p.peekWord("inherits") {
		return nil, p.unsupported(p.i, strings.ToUpper(p.tok(p.i).val)+" clause")
	}
	return st, p.done()
}

// tableElements parses the column and constraint list between p.i and its closing paren rp.
func (p *stmtParser) tableElements(st *CreateTableStmt, rp int) error {
	outer := p.j
	defer func() { p.j = outer }()
	p.i++
	if p.i == rp {
		return nil
	}
	for {
		end := p.findTopIn(rp, func(k int) bool { return p.tok(k).is(",") })
		p.j = end
		if err := p.tableElement(st); err != nil {
			return err
		}
		p.j = outer
		if end >= rp {
			p.i = rp
			return nil
		}
		p.i = end + 1
	}
}

// findTopIn is findTop bounded by j instead of the statement end.
func (p *stmtParser) findTopIn(j int, pred func(k int) bool) int {
	saved := p.j
	p.j = j
	k := p.findTop(pred)
	p.j = saved
	return k
}

func (p *stmtParser) tableElement(st *CreateTableStmt) error {
	var err error
	if p.accept("constraint") {
		if _, err := p.ident(); err != nil {
			return err
		}
	}
	switch {
	case p.accept("primary", "key"):
		if st.PrimaryKey != nil {
			return p.src.syntaxErrAt(p.i - 2)
		}
		if st.PrimaryKey, err = p.identList(); err != nil {
			return err
		}
		return p.done()
	case p.accept("unique"):
		cols, err := p.identList()
		if err != nil {
			return err
		}
		st.Unique = append(st.Unique, cols)
		return p.done()
	case p.peekWord("check"), p.peekWord("foreign"), p.peekWord("exclude"), p.peekWord("like"):
		return p.unsupported(p.i, strings.ToUpper(p.tok(p.i).val)+" constraint")
	case p.peekWord("watermark"):
		p.i++
		if err := p.expect("for"); err != nil {
			return err
		}
		col, err := p.ident()
		if err != nil {
			return err
		}
		if err := p.expect("as"); err != nil {
			return err
		}
		x, err := parseExprRange(p.src, p.match, p.i, p.j)
		if err != nil {
			return err
		}
		p.i = p.j
		if st.Watermark != nil {
			return p.src.syntaxErrAt(p.i)
		}
		st.Watermark = &Watermark{Column: col, Expr: x}
		return nil
	}
	def, err := p.columnDef()
	if err != nil {
		return err
	}
	st.Columns = append(st.Columns, def)
	return nil
}

// serialTypes maps the serial pseudo-types to their integer types.
var serialTypes = map[string]string{"serial": "integer", "serial4": "integer", "bigserial": "bigint",
	"serial8": "bigint", "smallserial": "smallint", "serial2": "smallint"}

// columnDefStop are the words that start a column constraint and so end a DEFAULT expression.
var columnDefStop = wordSet(`not null primary unique constraint check references default collate
generated`)

// columnDef parses name type [constraints] up to p.j.
func (p *stmtParser) columnDef() (*ColumnDef, error) {
	pos := p.src.charPos(p.tok(p.i).off)
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	ty, n, err := p.src.parseType(p.i, p.j)
	if err != nil {
		return nil, err
	}
	p.i = n
	def := &ColumnDef{Name: name, Type: ty, Pos: pos}
	if it, ok := serialTypes[ty.Name]; ok && !ty.Array && ty.Mods == nil {
		def.Serial = true
		ty.Name = it
	}
	for p.i < p.j {
		switch {
		case p.accept("constraint"):
			if _, err := p.ident(); err != nil {
				return nil, err
			}
		case p.accept("not", "null"):
			def.NotNull = true
		case p.accept("null"):
			def.Null = true
		case p.accept("primary", "key"):
			def.PrimaryKey = true
		case p.accept("unique"):
			def.Unique = true
		case p.accept("default"):
			e := p.findTop(func(k int) bool { return k > p.i && p.tok(k).kind == tIdent && columnDefStop[p.tok(k).val] })
			if def.Default, err = parseExprRange(p.src, p.match, p.i, e); err != nil {
				return nil, err
			}
			p.i = e
		case p.accept("collate"):
			if _, err := p.objName(); err != nil {
				return nil, err
			}
		case p.peekWord("check"), p.peekWord("references"), p.peekWord("generated"):
			return nil, p.unsupported(p.i, strings.ToUpper(p.tok(p.i).val)+" constraint")
		default:
			return nil, p.errHere()
		}
	}
	return def, nil
}

// createView parses [MATERIALIZED] VIEW [IF NOT EXISTS] name [(cols)] [WITH (...)] AS query
// [EMIT ON WINDOW CLOSE] [FROM SAVEPOINT s].
func (p *stmtParser) createView(orReplace bool) (Statement, error) {
	st := &CreateViewStmt{OrReplace: orReplace, Materialized: p.accept("materialized")}
	p.i++ // VIEW
	st.IfNotExists = p.accept("if", "not", "exists")
	var err error
	if st.Name, err = p.objName(); err != nil {
		return nil, err
	}
	if p.peekPunct("(") {
		if st.Columns, err = p.identList(); err != nil {
			return nil, err
		}
	}
	if p.accept("with") {
		if st.With, err = p.withOptions(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("as"); err != nil {
		return nil, err
	}
	end := p.j
	// FROM SAVEPOINT s ends the statement, after the whole query (and EMIT ON WINDOW CLOSE). The
	// query may itself end in a FROM clause: the last FROM SAVEPOINT <name> is always the
	// clause (a table named savepoint must then be quoted or aliased with AS).
	if end-p.i >= 3 && p.peekWordAt(end-3, "from") && p.peekWordAt(end-2, "savepoint") && p.isName(end-1) {
		if !st.Materialized {
			return nil, &pgerror.Error{Code: pgerror.SyntaxError,
				Message:  "FROM SAVEPOINT is only allowed in CREATE MATERIALIZED VIEW",
				Position: p.src.charPos(p.tok(end - 3).off)}
		}
		st.FromSavepoint = p.tok(end - 1).val
		end -= 3
	} else if st.Materialized && end-p.i >= 2 && p.peekWordAt(end-2, "from") && p.peekWordAt(end-1, "savepoint") {
		// FROM SAVEPOINT without its name.
		return nil, p.src.syntaxErrAt(end)
	} else if st.Materialized && end-p.i >= 3 && p.peekWordAt(end-3, "from") && p.peekWordAt(end-2, "savepoint") &&
		notSavepointName(p.tok(end-1)) {
		// FROM SAVEPOINT followed by something that is no name (a constant, a reserved word).
		return nil, p.src.syntaxErrAt(end - 1)
	}
	if end-p.i >= 3 && p.peekWordAt(end-3, "with") && p.peekWordAt(end-1, "data") {
		return nil, p.unsupported(end-3, "WITH [NO] DATA")
	}
	if end-p.i >= 5 && p.peekWordAt(end-4, "emit") && p.peekWordAt(end-3, "on") && p.peekWordAt(end-2, "window") &&
		p.peekWordAt(end-1, "close") {
		st.EmitOnWindowClose = true
		end -= 4
	}
	if st.Query, err = parseQueryRange(p.src, p.match, p.i, end); err != nil {
		return nil, err
	}
	st.QueryText = p.src.text[p.src.toks[p.i].off:p.src.toks[end-1].end]
	p.i = end
	return st, nil
}

// notSavepointName reports whether t, ending a statement right after FROM SAVEPOINT, can be
// neither a savepoint name nor the end of a query whose FROM reads a table named savepoint.
func notSavepointName(t token) bool {
	switch t.kind {
	case tString, tBits, tInt, tNum, tParam:
		return true
	case tIdent:
		return reserved[t.val] && t.val != "isnull" && t.val != "notnull"
	}
	return false
}

// drop parses DROP kind [IF EXISTS] name, ... [CASCADE|RESTRICT].
func (p *stmtParser) drop() (Statement, error) {
	p.i++
	st := &DropStmt{}
	switch {
	case p.accept("table"):
		st.Kind = TableObject
	case p.accept("view"):
		st.Kind = ViewObject
	case p.accept("materialized", "view"):
		st.Kind = MaterializedViewObject
	case p.accept("schema"):
		st.Kind = SchemaObject
	case p.accept("source"):
		st.Kind = SourceObject
	case p.accept("sink"):
		st.Kind = SinkObject
	case p.accept("index"):
		st.Kind = IndexObject
		if p.peekWord("concurrently") {
			return nil, p.unsupported(p.i, "DROP INDEX CONCURRENTLY")
		}
	default:
		if w := p.tok(p.i); p.i < p.j && w.kind == tIdent {
			switch w.val {
			case "function", "sequence", "type", "database", "role", "user", "extension", "trigger",
				"domain", "procedure", "owned":
				return nil, p.unsupported(p.i, "DROP "+strings.ToUpper(w.val))
			}
		}
		return nil, p.errHere()
	}
	st.IfExists = p.accept("if", "exists")
	for {
		n, err := p.objName()
		if err != nil {
			return nil, err
		}
		if st.Kind == SchemaObject && n.Schema != "" {
			return nil, p.src.syntaxErrAt(p.i - 2)
		}
		st.Names = append(st.Names, n)
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.accept("cascade") {
		st.Cascade = true
	} else {
		p.accept("restrict")
	}
	return st, p.done()
}

// alter parses ALTER TABLE [IF EXISTS] name cmd, ..., ALTER {MATERIALIZED VIEW|SOURCE} ...
// PAUSE|RESUME, ALTER SYSTEM and ALTER CLUSTER.
func (p *stmtParser) alter() (Statement, error) {
	p.i++
	if p.accept("system") {
		return p.alterSystem()
	}
	if p.accept("cluster") {
		return p.alterCluster()
	}
	if p.accept("materialized", "view") {
		return p.alterPause("materialized view")
	}
	if p.accept("source") {
		return p.alterPause("source")
	}
	if !p.accept("table") {
		if w := p.tok(p.i); p.i < p.j && w.kind == tIdent {
			return nil, p.unsupported(p.i, "ALTER "+strings.ToUpper(w.val))
		}
		return nil, p.errHere()
	}
	st := &AlterTableStmt{IfExists: p.accept("if", "exists")}
	p.accept("only")
	var err error
	if st.Name, err = p.objName(); err != nil {
		return nil, err
	}
	outer := p.j
	for {
		end := p.findTop(func(k int) bool { return p.tok(k).is(",") })
		p.j = end
		cmd, err := p.alterCmd()
		if err != nil {
			return nil, err
		}
		if err := p.done(); err != nil {
			return nil, err
		}
		p.j = outer
		st.Cmds = append(st.Cmds, cmd)
		if end >= outer {
			return st, nil
		}
		p.i = end + 1
	}
}

// alterPauseActions are the other actions of ALTER MATERIALIZED VIEW (PostgreSQL's) and ALTER
// SOURCE, which eddy does not implement.
var alterPauseActions = wordSet(`rename set reset owner alter depends no cluster add drop`)

// alterPause parses the rest of ALTER MATERIALIZED VIEW|SOURCE [IF EXISTS] name PAUSE|RESUME;
// kind is "materialized view" or "source".
func (p *stmtParser) alterPause(kind string) (Statement, error) {
	st := &AlterPauseStmt{Kind: kind, IfExists: p.accept("if", "exists")}
	var err error
	if st.Name, err = p.objName(); err != nil {
		return nil, err
	}
	switch {
	case p.accept("pause"):
		st.Pause = true
	case p.accept("resume"):
	default:
		if w := p.tok(p.i); p.i < p.j && w.kind == tIdent && alterPauseActions[w.val] {
			return nil, p.unsupported(p.i, "ALTER "+strings.ToUpper(kind)+" ... "+strings.ToUpper(w.val))
		}
		return nil, p.errHere()
	}
	return st, p.done()
}

// alterSystem parses the rest of ALTER SYSTEM SET name {TO|=} value|DEFAULT, ALTER SYSTEM
// RESET name|ALL, ALTER SYSTEM PAUSE [WITH SAVEPOINT s] and ALTER SYSTEM RESUME.
func (p *stmtParser) alterSystem() (Statement, error) {
	switch {
	case p.accept("pause"):
		st := &AlterPauseStmt{Kind: "system", Pause: true}
		if p.accept("with") {
			if err := p.expect("savepoint"); err != nil {
				return nil, err
			}
			var err error
			if st.Savepoint, err = p.ident(); err != nil {
				return nil, err
			}
		}
		return st, p.done()
	case p.accept("resume"):
		return &AlterPauseStmt{Kind: "system"}, p.done()
	}
	st := &AlterSystemStmt{}
	switch {
	case p.accept("set"):
		var err error
		if st.Name, st.Reset, err = p.settingTarget(); err != nil {
			return nil, err
		}
		if st.Reset {
			return st, p.done()
		}
		if st.Value, err = p.setValue(); err != nil {
			return nil, err
		}
	case p.accept("reset"):
		st.Reset = true
		var err error
		if st.Name, err = p.settingName(); err != nil {
			return nil, err
		}
	default:
		return nil, p.errHere()
	}
	return st, p.done()
}

// alterCluster parses the rest of ALTER CLUSTER ADD NODE 'id' [AT] 'address',
// ALTER CLUSTER REMOVE NODE 'id' and ALTER CLUSTER TRANSFER LEADERSHIP TO 'id'. Node ids and
// addresses are string constants or (ids) plain names.
func (p *stmtParser) alterCluster() (Statement, error) {
	st := &AlterClusterStmt{}
	node := func() (string, error) {
		t := p.tok(p.i)
		if p.i >= p.j || (t.kind != tString && t.kind != tIdent && t.kind != tQIdent) {
			return "", p.errHere()
		}
		p.i++
		return t.val, nil
	}
	var err error
	switch {
	case p.accept("add", "node"):
		st.Op = "add"
		if st.Node, err = node(); err != nil {
			return nil, err
		}
		p.accept("at")
		if p.i >= p.j || p.tok(p.i).kind != tString {
			return nil, p.errHere()
		}
		st.Addr = p.tok(p.i).val
		p.i++
	case p.accept("remove", "node"):
		st.Op = "remove"
		if st.Node, err = node(); err != nil {
			return nil, err
		}
	case p.accept("transfer", "leadership", "to"):
		st.Op = "transfer"
		if st.Node, err = node(); err != nil {
			return nil, err
		}
	default:
		return nil, p.errHere()
	}
	return st, p.done()
}

func (p *stmtParser) alterCmd() (AlterTableCmd, error) {
	switch {
	case p.accept("add"):
		if p.peekWord("constraint") || p.peekWord("primary") || p.peekWord("unique") ||
			p.peekWord("check") || p.peekWord("foreign") {
			return nil, p.unsupported(p.i, "ALTER TABLE ... ADD CONSTRAINT")
		}
		p.accept("column")
		c := &AddColumn{IfNotExists: p.accept("if", "not", "exists")}
		var err error
		c.Def, err = p.columnDef()
		return c, err
	case p.accept("drop"):
		if p.peekWord("constraint") {
			return nil, p.unsupported(p.i, "ALTER TABLE ... DROP CONSTRAINT")
		}
		p.accept("column")
		c := &DropColumn{IfExists: p.accept("if", "exists")}
		var err error
		if c.Name, err = p.ident(); err != nil {
			return nil, err
		}
		if p.accept("cascade") {
			c.Cascade = true
		} else {
			p.accept("restrict")
		}
		return c, nil
	case p.accept("rename"):
		if p.accept("to") {
			n, err := p.ident()
			return &RenameTable{New: n}, err
		}
		if p.peekWord("constraint") {
			return nil, p.unsupported(p.i, "ALTER TABLE ... RENAME CONSTRAINT")
		}
		p.accept("column")
		old, err := p.ident()
		if err != nil {
			return nil, err
		}
		if err := p.expect("to"); err != nil {
			return nil, err
		}
		n, err := p.ident()
		return &RenameColumn{Old: old, New: n}, err
	case p.accept("alter"):
		p.accept("column")
		col, err := p.ident()
		if err != nil {
			return nil, err
		}
		switch {
		case p.accept("set", "default"):
			x, err := parseExprRange(p.src, p.match, p.i, p.j)
			if err != nil {
				return nil, err
			}
			p.i = p.j
			return &AlterColumnDefault{Column: col, Default: x}, nil
		case p.accept("drop", "default"):
			return &AlterColumnDefault{Column: col}, nil
		case p.accept("set", "not", "null"):
			return &AlterColumnNotNull{Column: col, NotNull: true}, nil
		case p.accept("drop", "not", "null"):
			return &AlterColumnNotNull{Column: col}, nil
		case p.peekWord("type"), p.peekWord("set") && p.peekWordAt(p.i+1, "data"):
			return nil, p.unsupported(p.i, "ALTER COLUMN ... TYPE")
		}
		return nil, p.errHere()
	case p.peekWord("owner"), p.peekWord("set"):
		return nil, p.unsupported(p.i, "ALTER TABLE ... "+strings.ToUpper(p.tok(p.i).val))
	}
	return nil, p.errHere()
}
