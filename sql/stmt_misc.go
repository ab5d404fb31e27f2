package sql

import "strings"

// txn parses transaction and savepoint statements.
func (p *stmtParser) txn() (Statement, error) {
	w := p.tok(p.i).val
	p.i++
	switch w {
	case "begin", "start":
		if w == "start" {
			if err := p.expect("transaction"); err != nil {
				return nil, err
			}
		} else if !p.accept("work") {
			p.accept("transaction")
		}
		st := &BeginStmt{}
		for p.i < p.j {
			switch {
			case p.accept("isolation", "level"):
				switch {
				case p.accept("serializable"):
					st.Isolation = "serializable"
				case p.accept("repeatable", "read"):
					st.Isolation = "repeatable read"
				case p.accept("read", "committed"):
					st.Isolation = "read committed"
				case p.accept("read", "uncommitted"):
					st.Isolation = "read uncommitted"
				default:
					return nil, p.errHere()
				}
			case p.accept("read", "only"):
				st.ReadOnly = true
			case p.accept("read", "write"):
				st.ReadOnly = false
			case p.accept("deferrable"), p.accept("not", "deferrable"):
			default:
				return nil, p.errHere()
			}
			if p.i < p.j && !p.acceptPunct(",") && !p.peekWord("isolation") && !p.peekWord("read") &&
				!p.peekWord("not") && !p.peekWord("deferrable") {
				return nil, p.errHere()
			}
		}
		return st, nil
	case "commit", "end":
		if !p.accept("work") {
			p.accept("transaction")
		}
		if p.peekWord("and") {
			return nil, p.unsupported(p.i, "COMMIT AND CHAIN")
		}
		if w == "commit" && p.peekWord("prepared") {
			return nil, p.unsupported(p.i, "COMMIT PREPARED")
		}
		return &CommitStmt{}, p.done()
	case "rollback", "abort":
		if !p.accept("work") {
			p.accept("transaction")
		}
		if w == "rollback" && p.accept("to") {
			p.accept("savepoint")
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			return &RollbackToSavepointStmt{Name: n}, p.done()
		}
		if p.peekWord("and") {
			return nil, p.unsupported(p.i, "ROLLBACK AND CHAIN")
		}
		if w == "rollback" && p.peekWord("prepared") {
			return nil, p.unsupported(p.i, "ROLLBACK PREPARED")
		}
		return &RollbackStmt{}, p.done()
	case "savepoint":
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		st := &SavepointStmt{Name: n}
		if p.accept("with") {
			if st.With, err = p.withOptions(); err != nil {
				return nil, err
			}
		}
		return st, p.done()
	case "release":
		p.accept("savepoint")
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		return &ReleaseSavepointStmt{Name: n}, p.done()
	}
	return nil, p.src.syntaxErrAt(p.i - 1)
}

// savepointFile parses EXPORT SAVEPOINT name TO 'file' and IMPORT SAVEPOINT name FROM 'file'.
// The file is any string constant the lexer reads: a standard '...' string (a doubled quote
// stands for one), E'...' or $$...$$.
func (p *stmtParser) savepointFile() (Statement, error) {
	export := p.tok(p.i).val == "export"
	p.i++
	if err := p.expect("savepoint"); err != nil {
		return nil, err
	}
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	dir := "from"
	if export {
		dir = "to"
	}
	if err := p.expect(dir); err != nil {
		return nil, err
	}
	if p.i >= p.j || p.tok(p.i).kind != tString {
		return nil, p.errHere()
	}
	path := p.tok(p.i).val
	p.i++
	if export {
		return &ExportSavepointStmt{Name: name, Path: path}, p.done()
	}
	return &ImportSavepointStmt{Name: name, Path: path}, p.done()
}

// settingName reads a possibly dotted setting name (search_path, eddy.read_consistency).
func (p *stmtParser) settingName() (string, error) {
	n, err := p.anyWord()
	if err != nil {
		return "", err
	}
	for p.acceptPunct(".") {
		m, err := p.anyWord()
		if err != nil {
			return "", err
		}
		n += "." + m
	}
	return n, nil
}

// settingTarget reads "name {TO|=}" of SET and ALTER SYSTEM SET, and DEFAULT if it follows.
func (p *stmtParser) settingTarget() (name string, isDefault bool, err error) {
	if name, err = p.settingName(); err != nil {
		return "", false, err
	}
	if !p.accept("to") && !p.acceptPunct("=") {
		return "", false, p.errHere()
	}
	return name, p.accept("default"), nil
}

// setValue reads one SET value: a constant or a word.
func (p *stmtParser) setValue() (Expr, error) {
	t := p.tok(p.i)
	pos := p.src.charPos(t.off)
	if p.i >= p.j {
		return nil, p.errHere()
	}
	switch t.kind {
	case tString:
		p.i++
		return &Literal{Kind: StringLit, Value: t.val, Pos: pos}, nil
	case tInt, tNum, tOp:
		v, err := p.literalText()
		if err != nil {
			return nil, err
		}
		kind := IntLit
		if strings.ContainsAny(v, ".eE") {
			kind = NumericLit
		}
		return &Literal{Kind: kind, Value: v, Pos: pos}, nil
	case tIdent, tQIdent:
		p.i++
		if t.kind == tIdent && (t.val == "true" || t.val == "false") {
			return &Literal{Kind: BoolLit, Value: t.val, Pos: pos}, nil
		}
		return &ColumnRef{Parts: []string{t.val}, Pos: pos}, nil
	}
	return nil, p.errHere()
}

// session parses SET, SHOW and RESET.
func (p *stmtParser) session() (Statement, error) {
	w := p.tok(p.i).val
	p.i++
	switch w {
	case "set":
		st := &SetStmt{}
		if p.accept("local") {
			st.Local = true
		} else {
			p.accept("session")
		}
		switch {
		case p.accept("time", "zone"):
			st.Name = "timezone"
			if p.accept("local") || p.accept("default") {
				st.Default = true
				return st, p.done()
			}
			if p.peekWord("interval") {
				return nil, p.unsupported(p.i, "SET TIME ZONE INTERVAL")
			}
			v, err := p.setValue()
			if err != nil {
				return nil, err
			}
			st.Values = []Expr{v}
			return st, p.done()
		case p.accept("names"):
			st.Name = "client_encoding"
			if p.accept("default") {
				st.Default = true
				return st, p.done()
			}
			v, err := p.setValue()
			if err != nil {
				return nil, err
			}
			st.Values = []Expr{v}
			return st, p.done()
		case p.peekWord("transaction"), p.peekWord("characteristics"), p.peekWord("role"),
			p.peekWord("constraints"):
			return nil, p.unsupported(p.i, "SET "+strings.ToUpper(p.tok(p.i).val))
		case p.peekWord("session") && p.peekWordAt(p.i+1, "authorization"):
			return nil, p.unsupported(p.i, "SET SESSION AUTHORIZATION")
		}
		var err error
		if st.Name, st.Default, err = p.settingTarget(); err != nil {
			return nil, err
		}
		if st.Default {
			return st, p.done()
		}
		for {
			v, err := p.setValue()
			if err != nil {
				return nil, err
			}
			st.Values = append(st.Values, v)
			if !p.acceptPunct(",") {
				break
			}
		}
		return st, p.done()
	case "show":
		st := &ShowStmt{}
		switch {
		case p.accept("time", "zone"):
			st.Name = "timezone"
		case p.accept("transaction", "isolation", "level"):
			st.Name = "transaction_isolation"
		case p.accept("session", "authorization"):
			st.Name = "session_authorization"
		case p.accept("tables"):
			st.Name = "tables"
			if p.accept("from") || p.accept("in") {
				var err error
				if st.From, err = p.ident(); err != nil {
					return nil, err
				}
			}
		default:
			n, err := p.settingName()
			if err != nil {
				return nil, err
			}
			// Multi-word eddy listings: SHOW MATERIALIZED VIEWS, SHOW SAVEPOINTS, ...
			for p.i < p.j && p.tok(p.i).kind == tIdent && !strings.Contains(n, ".") {
				n += " " + p.tok(p.i).val
				p.i++
			}
			st.Name = n
		}
		return st, p.done()
	case "reset":
		st := &ResetStmt{}
		if p.accept("time", "zone") {
			st.Name = "timezone"
			return st, p.done()
		}
		if p.accept("session", "authorization") {
			st.Name = "session_authorization"
			return st, p.done()
		}
		var err error
		if st.Name, err = p.settingName(); err != nil {
			return nil, err
		}
		return st, p.done()
	}
	return nil, p.src.syntaxErrAt(p.i - 1)
}

// explain parses EXPLAIN [ANALYZE] [VERBOSE] stmt and EXPLAIN (option [value], ...) stmt.
func (p *stmtParser) explain() (Statement, error) {
	p.i++
	st := &ExplainStmt{}
	if p.peekPunct("(") {
		opts, err := p.withOptions()
		if err != nil {
			return nil, err
		}
		for _, o := range opts {
			on := o.Value == "" || o.Value == "true" || o.Value == "on" || o.Value == "1"
			switch o.Key {
			case "analyze", "analyse":
				st.Analyze = on
			case "verbose":
				st.Verbose = on
			}
		}
	} else {
		st.Analyze = p.accept("analyze") || p.accept("analyse")
		st.Verbose = p.accept("verbose")
	}
	var err error
	st.Stmt, _, err = p.subStatement()
	return st, err
}

// utility parses DEALLOCATE, DISCARD, FLUSH, PREPARE and EXECUTE.
func (p *stmtParser) utility() (Statement, error) {
	w := p.tok(p.i).val
	p.i++
	switch w {
	case "deallocate":
		p.accept("prepare")
		if p.accept("all") {
			return &DeallocateStmt{}, p.done()
		}
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		return &DeallocateStmt{Name: n}, p.done()
	case "discard":
		for _, what := range []string{"all", "plans", "sequences", "temp", "temporary"} {
			if p.accept(what) {
				if what == "temporary" {
					what = "temp"
				}
				return &DiscardStmt{What: what}, p.done()
			}
		}
		return nil, p.errHere()
	case "flush":
		return &FlushStmt{}, p.done()
	case "prepare":
		if p.peekWord("transaction") {
			return nil, p.unsupported(p.i-1, "PREPARE TRANSACTION")
		}
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		st := &PrepareStmt{Name: n}
		if p.peekPunct("(") {
			rp := p.match[p.i]
			p.i++
			for p.i < rp {
				ty, next, err := p.src.parseType(p.i, rp)
				if err != nil {
					return nil, err
				}
				st.Types = append(st.Types, ty)
				p.i = next
				if p.i < rp {
					if err := p.expectPunct(","); err != nil {
						return nil, err
					}
				}
			}
			p.i = rp + 1
		}
		if err := p.expect("as"); err != nil {
			return nil, err
		}
		st.Stmt, st.SQL, err = p.subStatement()
		return st, err
	case "execute":
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		st := &ExecuteStmt{Name: n}
		if p.peekPunct("(") {
			rp := p.match[p.i]
			b := newBridge(p.src, p.match, rp)
			for _, r := range b.splitTop(p.i+1, rp) {
				x, err := parseExprRange(p.src, p.match, r[0], r[1])
				if err != nil {
					return nil, err
				}
				st.Params = append(st.Params, x)
			}
			p.i = rp + 1
		}
		return st, p.done()
	}
	return nil, p.src.syntaxErrAt(p.i - 1)
}
