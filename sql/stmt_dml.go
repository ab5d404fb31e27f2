package sql

import "github.com/eddydb/eddy/sql/pgerror"

// insert parses INSERT INTO t [AS a] [(cols)] {VALUES ... | query | DEFAULT VALUES}
// [ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET ... [WHERE ...]] [RETURNING ...].
func (p *stmtParser) insert() (Statement, error) {
	p.i++
	if err := p.expect("into"); err != nil {
		return nil, err
	}
	st := &InsertStmt{}
	var err error
	if st.Table, err = p.objName(); err != nil {
		return nil, err
	}
	if p.accept("as") {
		if st.Alias, err = p.ident(); err != nil {
			return nil, err
		}
	}
	if p.peekPunct("(") && !p.startsQueryAt(p.i+1) {
		if st.Columns, err = p.identList(); err != nil {
			return nil, err
		}
	}
	if p.accept("overriding") {
		return nil, p.unsupported(p.i-1, "OVERRIDING")
	}
	end := p.findTop(func(k int) bool {
		return (p.peekWordAt(k, "on") && p.peekWordAt(k+1, "conflict")) || p.peekWordAt(k, "returning")
	})
	if p.accept("default", "values") {
		st.DefaultValues = true
		if p.i != end {
			return nil, p.errHere()
		}
	} else {
		if st.Source, err = parseQueryRange(p.src, p.match, p.i, end); err != nil {
			return nil, err
		}
		p.i = end
	}
	if p.accept("on", "conflict") {
		oc := &OnConflict{}
		if p.peekPunct("(") {
			if oc.Columns, err = p.identList(); err != nil {
				return nil, err
			}
		} else if p.peekWord("on") {
			return nil, p.unsupported(p.i, "ON CONFLICT ON CONSTRAINT")
		}
		if err := p.expect("do"); err != nil {
			return nil, err
		}
		if p.accept("nothing") {
			oc.DoNothing = true
		} else {
			if err := p.expect("update", "set"); err != nil {
				return nil, err
			}
			if oc.Set, err = p.assignments("where", "returning"); err != nil {
				return nil, err
			}
			if p.accept("where") {
				e := p.findWords("returning")
				if oc.Where, err = parseExprRange(p.src, p.match, p.i, e); err != nil {
					return nil, err
				}
				p.i = e
			}
		}
		st.OnConflict = oc
	}
	if st.Returning, err = p.returning(); err != nil {
		return nil, err
	}
	return st, p.done()
}

func (p *stmtParser) startsQueryAt(k int) bool {
	for k < p.j && p.tok(k).is("(") {
		k++
	}
	return p.peekWordAt(k, "select") || p.peekWordAt(k, "with") || p.peekWordAt(k, "values")
}

// assignments reads col = expr, ... up to one of the stop words at depth 0.
func (p *stmtParser) assignments(stop ...string) ([]*Assignment, error) {
	var out []*Assignment
	for {
		pos := p.src.charPos(p.tok(p.i).off)
		if p.peekPunct("(") {
			return nil, p.unsupported(p.i, "multiple-column UPDATE")
		}
		col, err := p.ident()
		if err != nil {
			return nil, err
		}
		if p.peekPunct(".") || p.peekPunct("[") {
			return nil, p.unsupported(p.i, "assigning to a field or element")
		}
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		e := p.findTop(func(k int) bool {
			if p.tok(k).is(",") {
				return true
			}
			for _, w := range stop {
				if p.peekWordAt(k, w) {
					return true
				}
			}
			return false
		})
		x, err := parseExprRange(p.src, p.match, p.i, e)
		if err != nil {
			return nil, err
		}
		out = append(out, &Assignment{Column: col, Expr: x, Pos: pos})
		p.i = e
		if p.acceptPunct(",") {
			continue
		}
		return out, nil
	}
}

func (p *stmtParser) returning() ([]*SelectItem, error) {
	if !p.accept("returning") {
		return nil, nil
	}
	items, err := parseSelectItems(p.src, p.match, p.i, p.j)
	if err != nil {
		return nil, err
	}
	p.i = p.j
	return items, nil
}

// tableAlias reads [AS] alias after the target table of UPDATE and DELETE.
func (p *stmtParser) tableAlias() (string, error) {
	if p.accept("as") {
		return p.ident()
	}
	if t := p.tok(p.i); p.i < p.j && (t.kind == tQIdent || (t.kind == tIdent && !reserved[t.val] && t.val != "set")) {
		p.i++
		return t.val, nil
	}
	return "", nil
}

// update parses UPDATE t [AS a] SET ... [FROM ...] [WHERE ...] [RETURNING ...].
func (p *stmtParser) update() (Statement, error) {
	p.i++
	p.accept("only")
	st := &UpdateStmt{}
	var err error
	if st.Table, err = p.objName(); err != nil {
		return nil, err
	}
	if st.Alias, err = p.tableAlias(); err != nil {
		return nil, err
	}
	if err := p.expect("set"); err != nil {
		return nil, err
	}
	if st.Set, err = p.assignments("from", "where", "returning"); err != nil {
		return nil, err
	}
	if p.accept("from") {
		e := p.findWords("where", "returning")
		if st.From, err = parseFromList(p.src, p.match, p.i, e); err != nil {
			return nil, err
		}
		p.i = e
	}
	if st.Where, err = p.where(); err != nil {
		return nil, err
	}
	if st.Returning, err = p.returning(); err != nil {
		return nil, err
	}
	return st, p.done()
}

func (p *stmtParser) where() (Expr, error) {
	if !p.accept("where") {
		return nil, nil
	}
	if p.peekWord("current") {
		return nil, p.unsupported(p.i, "WHERE CURRENT OF")
	}
	e := p.findWords("returning")
	x, err := parseExprRange(p.src, p.match, p.i, e)
	if err != nil {
		return nil, err
	}
	p.i = e
	return x, nil
}

// delete parses DELETE FROM t [AS a] [USING ...] [WHERE ...] [RETURNING ...].
func (p *stmtParser) delete() (Statement, error) {
	p.i++
	if err := p.expect("from"); err != nil {
		return nil, err
	}
	p.accept("only")
	st := &DeleteStmt{}
	var err error
	if st.Table, err = p.objName(); err != nil {
		return nil, err
	}
	if st.Alias, err = p.tableAlias(); err != nil {
		return nil, err
	}
	if p.accept("using") {
		e := p.findWords("where", "returning")
		if st.Using, err = parseFromList(p.src, p.match, p.i, e); err != nil {
			return nil, err
		}
		p.i = e
	}
	if st.Where, err = p.where(); err != nil {
		return nil, err
	}
	if st.Returning, err = p.returning(); err != nil {
		return nil, err
	}
	return st, p.done()
}

// truncate parses TRUNCATE [TABLE] a, b [CASCADE|RESTRICT].
func (p *stmtParser) truncate() (Statement, error) {
	p.i++
	p.accept("table")
	st := &TruncateStmt{}
	for {
		p.accept("only")
		n, err := p.objName()
		if err != nil {
			return nil, err
		}
		st.Tables = append(st.Tables, n)
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.accept("restart", "identity") || p.accept("continue", "identity") {
		// Sequences are the planner's; the option does not change the AST.
	}
	if p.accept("cascade") {
		return nil, p.unsupported(p.i-1, "TRUNCATE ... CASCADE")
	}
	p.accept("restrict")
	return st, p.done()
}

// copyStmt parses COPY t [(cols)] FROM STDIN | COPY {t [(cols)] | (query)} TO STDOUT, with
// either option spelling: WITH (FORMAT csv, HEADER, ...) or the legacy WITH CSV HEADER ....
func (p *stmtParser) copyStmt() (Statement, error) {
	p.i++
	st := &CopyStmt{}
	var err error
	if p.peekPunct("(") {
		rp := p.match[p.i]
		if st.Query, err = parseQueryRange(p.src, p.match, p.i+1, rp); err != nil {
			return nil, err
		}
		p.i = rp + 1
	} else {
		if st.Table, err = p.objName(); err != nil {
			return nil, err
		}
		if p.peekPunct("(") {
			if st.Columns, err = p.identList(); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case p.accept("from"):
		st.From = true
		if st.Query != nil {
			return nil, p.src.syntaxErrAt(p.i - 1)
		}
		if !p.accept("stdin") {
			if p.i < p.j && p.tok(p.i).kind == tString {
				return nil, p.unsupported(p.i, "COPY from a file")
			}
			return nil, p.errHere()
		}
	case p.accept("to"):
		if !p.accept("stdout") {
			if p.i < p.j && p.tok(p.i).kind == tString {
				return nil, p.unsupported(p.i, "COPY to a file")
			}
			return nil, p.errHere()
		}
	default:
		return nil, p.errHere()
	}
	if err := p.copyOptions(&st.Options); err != nil {
		return nil, err
	}
	return st, p.done()
}

func (p *stmtParser) copyOptions(o *CopyOptions) error {
	p.accept("with")
	if p.peekPunct("(") {
		start := p.i
		opts, has, err := p.withOptionsHas()
		if err != nil {
			return err
		}
		for i, op := range opts {
			if err := setCopyOption(o, op.Key, op.Value, has[i]); err != nil {
				return err.WithPosition(p.src.charPos(p.tok(start + 1).off))
			}
		}
		return nil
	}
	// Legacy spelling: [BINARY] [DELIMITER [AS] 'c'] [NULL [AS] 's'] [CSV [HEADER] [QUOTE [AS] 'q']
	// [ESCAPE [AS] 'e'] ...].
	for p.i < p.j {
		w, err := p.anyWord()
		if err != nil {
			return err
		}
		switch w {
		case "binary", "csv":
			o.Format = w
		case "header":
			o.Header = true
		case "delimiter", "null", "quote", "escape":
			p.accept("as")
			t := p.tok(p.i)
			if t.kind != tString || p.i >= p.j {
				return p.errHere()
			}
			p.i++
			if err := setCopyOption(o, w, t.val, true); err != nil {
				return err.WithPosition(p.src.charPos(t.off))
			}
		default:
			return p.src.syntaxErrAt(p.i - 1)
		}
	}
	return nil
}

func setCopyOption(o *CopyOptions, key, val string, has bool) *pgerror.Error {
	switch key {
	case "format":
		o.Format = val
	case "delimiter":
		o.Delimiter = val
	case "null":
		v := val
		o.Null = &v
	case "header":
		o.Header = !has || val == "true" || val == "on" || val == "1"
	case "quote":
		o.Quote = val
	case "escape":
		o.Escape = val
	default:
		return pgerror.Newf(pgerror.SyntaxError, "option \"%s\" not recognized", key)
	}
	return nil
}
