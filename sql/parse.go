package sql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"

	// The TiDB parser needs a driver for literal values; the test driver is its standalone one.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Parse splits a query string into statements and parses each. Empty statements (only
// comments, whitespace or semicolons) are dropped, so an empty string yields no statements.
// Positions in the AST and in errors are 1-based character offsets into query.
func Parse(query string) (stmts []Parsed, err error) {
	defer func() {
		// S2: a parser bug must not take the session down; report it with a SQLSTATE instead.
		if r := recover(); r != nil {
			stmts, err = nil, &pgerror.Error{Code: pgerror.SyntaxError,
				Message: fmt.Sprintf("could not parse statement: %v", r)}
		}
	}()
	if !utf8.ValidString(query) || strings.IndexByte(query, 0) >= 0 {
		return nil, pgerror.New(pgerror.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8"`)
	}
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	src := &source{text: query, toks: toks}
	match, err := matchBrackets(src)
	if err != nil {
		return nil, err
	}
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && !toks[i].is(";") {
			continue
		}
		if i > start {
			p := &stmtParser{src: src, match: match, i: start, j: i}
			st, err := p.statement()
			if err != nil {
				return nil, err
			}
			first, last := toks[start], toks[i-1]
			stmts = append(stmts, Parsed{Stmt: st, SQL: query[first.off:last.end], Offset: first.off})
		}
		start = i + 1
	}
	return stmts, nil
}

// ParseExpr parses one scalar expression, e.g. a stored column DEFAULT.
func ParseExpr(s string) (e Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, &pgerror.Error{Code: pgerror.SyntaxError,
				Message: fmt.Sprintf("could not parse expression: %v", r)}
		}
	}()
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	src := &source{text: s, toks: toks}
	match, err := matchBrackets(src)
	if err != nil {
		return nil, err
	}
	for i, t := range toks {
		if t.is(";") {
			return nil, src.syntaxErrAt(i)
		}
	}
	return parseExprRange(src, match, 0, len(toks))
}

// matchBrackets pairs every ( with ) and [ with ] across the whole query; a statement boundary
// inside brackets is a syntax error.
func matchBrackets(src *source) ([]int, error) {
	match := make([]int, len(src.toks))
	var stack []int
	for i, t := range src.toks {
		match[i] = -1
		switch {
		case t.is("(") || t.is("["):
			stack = append(stack, i)
		case t.is(")") || t.is("]"):
			if len(stack) == 0 {
				return nil, src.syntaxErrAt(i)
			}
			o := stack[len(stack)-1]
			if (t.val == ")") != src.toks[o].is("(") {
				return nil, src.syntaxErrAt(i)
			}
			stack = stack[:len(stack)-1]
			match[i], match[o] = o, i
		case t.is(";"):
			if len(stack) > 0 {
				return nil, src.syntaxErrAt(i)
			}
		}
	}
	if len(stack) > 0 {
		return nil, src.endOfInput()
	}
	return match, nil
}

var parserPool = sync.Pool{New: func() any {
	p := parser.New()
	p.SetSQLMode(mysql.ModeANSIQuotes | mysql.ModeNoBackslashEscapes)
	p.EnableWindowFunc(true)
	return p
}}

var nearRE = regexp.MustCompile(`line \d+ column \d+ near "`)

// runTiDB parses the rewritten text as one statement, mapping TiDB's errors back onto the
// original query.
func (b *bridge) runTiDB() (ast.StmtNode, error) {
	p := parserPool.Get().(*parser.Parser)
	defer parserPool.Put(p)
	text := string(b.out)
	stmts, _, err := p.Parse(text, "", "")
	if err != nil {
		return nil, b.tidbError(text, err)
	}
	if len(stmts) != 1 {
		return nil, b.syntaxErr(b.end)
	}
	return stmts[0], nil
}

func (b *bridge) tidbError(text string, err error) error {
	msg := err.Error()
	loc := nearRE.FindStringIndex(msg)
	if loc == nil {
		// Not a positioned syntax error (e.g. a value TiDB rejects): report the statement end.
		return b.syntaxErr(b.end)
	}
	rest := msg[loc[1]:]
	off := -1
	if i := strings.LastIndex(rest, "(total length "); i >= 0 {
		if n, e := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest[i+len("(total length "):]), ")")); e == nil {
			off = len(text) - n
		}
	}
	if off < 0 {
		// The near text is the rest of the input from the offending token; take the longest
		// suffix of the text that the message starts with and that the closing quote follows.
		for k := len(text); k >= 0; k-- {
			if k <= len(rest)-1 && rest[k] == '"' && rest[:k] == text[len(text)-k:] {
				off = len(text) - k
				break
			}
		}
	}
	if off < 0 || strings.TrimSpace(text[off:]) == "" {
		return b.syntaxErr(b.end)
	}
	for off < len(text) && text[off] == ' ' {
		off++
	}
	return b.syntaxErr(b.tokAt(off))
}

// parseExprRange parses tokens [i, j) as one scalar expression.
func parseExprRange(src *source, match []int, i, j int) (Expr, error) {
	if i >= j {
		return nil, src.syntaxErrAt(j)
	}
	b := newBridge(src, match, j)
	b.out = append(b.out, "SELECT"...)
	if err := b.seq(i, j, seqState{exprOnly: true}); err != nil {
		return nil, err
	}
	st, err := b.runTiDB()
	if err != nil {
		return nil, err
	}
	sel, ok := st.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.From != nil || sel.Where != nil {
		return nil, b.syntaxErr(i)
	}
	f := sel.Fields.Fields[0]
	if f.WildCard != nil || f.Expr == nil {
		return nil, b.syntaxErr(i)
	}
	if isMarker(f.Expr, "eddy_x_star") {
		return nil, b.syntaxErr(i)
	}
	return b.expr(f.Expr)
}

// parseQueryRange parses tokens [i, j) as a query.
func parseQueryRange(src *source, match []int, i, j int) (*Query, error) {
	if i >= j {
		return nil, src.syntaxErrAt(j)
	}
	b := newBridge(src, match, j)
	if !b.startsQuery(i) {
		return nil, b.syntaxErr(i)
	}
	if err := b.seq(i, j, seqState{}); err != nil {
		return nil, err
	}
	st, err := b.runTiDB()
	if err != nil {
		return nil, err
	}
	return b.topQuery(st, i)
}

// parseSelectItems parses tokens [i, j) as a select list (RETURNING).
func parseSelectItems(src *source, match []int, i, j int) ([]*SelectItem, error) {
	if i >= j {
		return nil, src.syntaxErrAt(j)
	}
	b := newBridge(src, match, j)
	b.out = append(b.out, "SELECT"...)
	if err := b.seq(i, j, seqState{selList: true}); err != nil {
		return nil, err
	}
	st, err := b.runTiDB()
	if err != nil {
		return nil, err
	}
	sel, ok := st.(*ast.SelectStmt)
	if !ok || sel.From != nil || sel.Where != nil || sel.OrderBy != nil {
		return nil, b.syntaxErr(i)
	}
	sc, err := b.selectClause(sel)
	if err != nil {
		return nil, err
	}
	return sc.Items, nil
}

// parseFromList parses tokens [i, j) as a FROM list (UPDATE ... FROM, DELETE ... USING).
func parseFromList(src *source, match []int, i, j int) ([]TableExpr, error) {
	if i >= j {
		return nil, src.syntaxErrAt(j)
	}
	b := newBridge(src, match, j)
	b.out = append(b.out, "SELECT 1 FROM"...)
	if err := b.seq(i, j, seqState{fromCtx: true, expectTable: true}); err != nil {
		return nil, err
	}
	st, err := b.runTiDB()
	if err != nil {
		return nil, err
	}
	sel, ok := st.(*ast.SelectStmt)
	if !ok || sel.From == nil || sel.Where != nil || sel.OrderBy != nil || sel.GroupBy != nil {
		return nil, b.syntaxErr(i)
	}
	return b.fromList(sel.From.TableRefs)
}
