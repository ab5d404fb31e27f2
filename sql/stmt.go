package sql

import (
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
)

// stmtParser is the hand-written recursive-descent parser for eddy's own statements. It walks
// the tokens [i, j) of one statement and hands query and expression parts to the bridge.
type stmtParser struct {
	src   *source
	match []int
	i, j  int
}

func (p *stmtParser) tok(k int) token {
	if k >= p.j {
		return token{kind: tPunct, off: len(p.src.text), end: len(p.src.text)}
	}
	return p.src.toks[k]
}

func (p *stmtParser) peekWord(w string) bool {
	return p.i < p.j && p.src.toks[p.i].kind == tIdent && p.src.toks[p.i].val == w
}

func (p *stmtParser) peekWordAt(k int, w string) bool {
	return k < p.j && p.src.toks[k].kind == tIdent && p.src.toks[k].val == w
}

func (p *stmtParser) peekPunct(s string) bool {
	return p.i < p.j && (p.src.toks[p.i].kind == tPunct || p.src.toks[p.i].kind == tOp) && p.src.toks[p.i].val == s
}

// accept consumes the word sequence ws if it is next.
func (p *stmtParser) accept(ws ...string) bool {
	for k, w := range ws {
		if !p.peekWordAt(p.i+k, w) {
			return false
		}
	}
	p.i += len(ws)
	return true
}

func (p *stmtParser) acceptPunct(s string) bool {
	if p.peekPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *stmtParser) errHere() *pgerror.Error {
	if p.i >= p.j {
		return p.src.syntaxErrAt(p.j)
	}
	return p.src.syntaxErrAt(p.i)
}

func (p *stmtParser) expect(ws ...string) error {
	if !p.accept(ws...) {
		return p.errHere()
	}
	return nil
}

func (p *stmtParser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.errHere()
	}
	return nil
}

func (p *stmtParser) done() error {
	if p.i < p.j {
		return p.errHere()
	}
	return nil
}

// ident reads a name: a quoted identifier or an unquoted word that is not reserved.
func (p *stmtParser) ident() (string, error) {
	t := p.tok(p.i)
	if p.i < p.j && (t.kind == tQIdent || (t.kind == tIdent && !reserved[t.val])) {
		p.i++
		return t.val, nil
	}
	return "", p.errHere()
}

// isName reports whether token k (inside the statement) can be read by ident.
func (p *stmtParser) isName(k int) bool {
	t := p.tok(k)
	return k < p.j && (t.kind == tQIdent || (t.kind == tIdent && !reserved[t.val]))
}

// anyWord reads any word, reserved or not (setting names, option keys).
func (p *stmtParser) anyWord() (string, error) {
	t := p.tok(p.i)
	if p.i < p.j && (t.kind == tQIdent || t.kind == tIdent) {
		p.i++
		return t.val, nil
	}
	return "", p.errHere()
}

// objName reads [schema.]name.
func (p *stmtParser) objName() (ObjName, error) {
	pos := p.src.charPos(p.tok(p.i).off)
	a, err := p.ident()
	if err != nil {
		return ObjName{}, err
	}
	if p.acceptPunct(".") {
		b, err := p.anyWord()
		if err != nil {
			return ObjName{}, err
		}
		if p.peekPunct(".") {
			return ObjName{}, p.errHere()
		}
		return ObjName{Schema: a, Name: b, Pos: pos}, nil
	}
	return ObjName{Name: a, Pos: pos}, nil
}

// identList reads ( a, b, ... ).
func (p *stmtParser) identList() ([]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.acceptPunct(",") {
			continue
		}
		return out, p.expectPunct(")")
	}
}

// findTop returns the first index in [p.i, p.j) at depth 0 where pred holds, or p.j.
func (p *stmtParser) findTop(pred func(k int) bool) int {
	for k := p.i; k < p.j; k++ {
		if pred(k) {
			return k
		}
		if t := p.src.toks[k]; t.is("(") || t.is("[") {
			k = p.match[k]
		}
	}
	return p.j
}

func (p *stmtParser) findWords(ws ...string) int {
	return p.findTop(func(k int) bool {
		for _, w := range ws {
			if p.peekWordAt(k, w) {
				return true
			}
		}
		return false
	})
}

// unsupportedCommands are PostgreSQL statements eddy recognises but does not implement.
var unsupportedCommands = wordSet(`grant revoke vacuum analyze analyse listen notify unlisten lock
cluster comment declare close move do call checkpoint reindex refresh security import load reassign
merge fetch`)

// statement parses one statement.
func (p *stmtParser) statement() (Statement, error) {
	t := p.tok(p.i)
	if t.is("(") {
		return p.selectStmt()
	}
	if t.kind != tIdent {
		return nil, p.errHere()
	}
	switch t.val {
	case "select", "with", "values", "table":
		if t.val == "table" {
			// TABLE t is shorthand for SELECT * FROM t.
			p.i++
			p.accept("only")
			n, err := p.objName()
			if err != nil {
				return nil, err
			}
			sel := &SelectClause{Items: []*SelectItem{{Star: true, Pos: p.src.charPos(t.off)}},
				From: []TableExpr{&TableRef{Name: n}}}
			return &SelectStmt{Query: &Query{Body: sel}}, p.done()
		}
		if t.val == "with" {
			// WITH ... INSERT/UPDATE/DELETE is not supported; a data-modifying body ends up at TiDB
			// as a syntax error otherwise.
			for k := p.i + 1; k < p.j; k++ {
				if !p.tok(k-1).is("(") && !p.tok(k-1).is(")") {
					continue
				}
				if p.peekWordAt(k, "insert") || p.peekWordAt(k, "update") || p.peekWordAt(k, "delete") {
					return nil, p.unsupported(k, "WITH with a data-modifying statement")
				}
			}
		}
		return p.selectStmt()
	case "insert":
		return p.insert()
	case "update":
		return p.update()
	case "delete":
		return p.delete()
	case "create":
		return p.create()
	case "drop":
		return p.drop()
	case "alter":
		return p.alter()
	case "truncate":
		return p.truncate()
	case "copy":
		return p.copyStmt()
	case "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release":
		return p.txn()
	case "set", "show", "reset":
		return p.session()
	case "explain":
		return p.explain()
	case "deallocate", "discard", "flush", "prepare", "execute":
		return p.utility()
	case "export", "import":
		if p.peekWordAt(p.i+1, "savepoint") || t.val == "export" {
			return p.savepointFile()
		}
	}
	if unsupportedCommands[t.val] {
		return nil, p.unsupported(p.i, strings.ToUpper(t.val))
	}
	return nil, p.errHere()
}

func (p *stmtParser) unsupported(k int, what string) *pgerror.Error {
	return &pgerror.Error{Code: pgerror.FeatureNotSupported, Message: what + " is not supported",
		Position: p.src.charPos(p.tok(k).off)}
}

func (p *stmtParser) selectStmt() (Statement, error) {
	q, err := parseQueryRange(p.src, p.match, p.i, p.j)
	if err != nil {
		return nil, err
	}
	p.i = p.j
	return &SelectStmt{Query: q}, nil
}

// subStatement parses the rest of the statement as a nested statement (EXPLAIN, PREPARE).
func (p *stmtParser) subStatement() (Statement, string, error) {
	if p.i >= p.j {
		return nil, "", p.errHere()
	}
	sub := &stmtParser{src: p.src, match: p.match, i: p.i, j: p.j}
	st, err := sub.statement()
	if err != nil {
		return nil, "", err
	}
	text := p.src.text[p.src.toks[p.i].off:p.src.toks[p.j-1].end]
	p.i = p.j
	return st, text, nil
}

// literalText reads a constant used as an option value: a string, number, boolean or word.
func (p *stmtParser) literalText() (string, error) {
	t := p.tok(p.i)
	if p.i >= p.j {
		return "", p.errHere()
	}
	switch t.kind {
	case tString, tInt, tNum, tIdent, tQIdent:
		p.i++
		return t.val, nil
	case tOp:
		if (t.val == "-" || t.val == "+") && p.i+1 < p.j {
			n := p.tok(p.i + 1)
			if n.kind == tInt || n.kind == tNum {
				p.i += 2
				if t.val == "-" {
					return "-" + n.val, nil
				}
				return n.val, nil
			}
		}
	}
	return "", p.errHere()
}

// withOptions reads ( key [=] value, ... ); keys may be dotted (fields.v1.kind).
func (p *stmtParser) withOptions() ([]*Option, error) {
	opts, _, err := p.withOptionsHas()
	return opts, err
}

// withOptionsHas is withOptions that also says which options had a value.
func (p *stmtParser) withOptionsHas() ([]*Option, []bool, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, nil, err
	}
	var opts []*Option
	var has []bool
	for {
		// An option name is a dotted path of words (datagen.rows.per.second) or one quoted word
		// ("nexmark.table.type"); both name the same option. An empty word names nothing.
		word := func() (string, error) {
			at := p.errHere()
			w, err := p.anyWord()
			if err == nil && w == "" {
				return "", at
			}
			return w, err
		}
		key, err := word()
		if err != nil {
			return nil, nil, err
		}
		for p.acceptPunct(".") {
			k2, err := word()
			if err != nil {
				return nil, nil, err
			}
			key += "." + k2
		}
		o := &Option{Key: key}
		h := false
		if p.acceptPunct("=") || (!p.peekPunct(",") && !p.peekPunct(")")) {
			if o.Value, err = p.literalText(); err != nil {
				return nil, nil, err
			}
			h = true
		}
		opts = append(opts, o)
		has = append(has, h)
		if p.acceptPunct(",") {
			continue
		}
		return opts, has, p.expectPunct(")")
	}
}
