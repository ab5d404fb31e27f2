package sql

import (
	"sort"
	"strconv"
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
)

// The dialect bridge rewrites a range of PostgreSQL tokens into text the TiDB grammar reads.
// Constructs MySQL lacks become calls to marker functions named eddy_x_*, whose arguments TiDB
// parses as ordinary expressions and whose payload (a type, a function's name and modifiers,
// an operator) sits in a side table indexed by an integer argument or name suffix:
//
//	x::numeric(10,2)        eddy_x_cast(x, 0)            types[0] = numeric(10,2)
//	lower(x) FILTER (...)   eddy_x_fn_1(x)               fns[1] = lower, Filter: ...
//	a ~* b                  a | eddy_x_op_2() | b        ops[2] = "~*" (see below)
//	a IS DISTINCT FROM b    a <=> eddy_x_op_3() <=> b
//	ORDER BY .. LIMIT ..    ORDER BY eddy_x_det_4()      det[4] = the parsed tail
//
// Every PostgreSQL operator of the "any other operator" precedence level (||, ~, #, &, ...)
// is written as MySQL's "|", which sits at the same place between comparisons and additive
// operators, with a marker call as an extra operand. TiDB's tree then holds (a | m) | b and
// the converter folds it back into a BinaryExpr. Identifiers are always emitted back-quoted
// and already case-folded, so MySQL keywords never collide with PostgreSQL names.
//
// Parts MySQL cannot express inline are "detached": parsed by their own TiDB call into eddy
// AST up front (a function's ORDER BY, FILTER and OVER; DISTINCT ON; WINDOW; the query tail
// ORDER BY/LIMIT/OFFSET/FETCH) and referenced by an eddy_x_det_N() marker or the call's entry.
// Every FROM item except a parenthesized join carries an `eddy_x_alias_N` alias whose entry
// holds the real alias with its column list, the join kind MySQL lacks (FULL, CROSS), the
// table name's position, FOR SYSTEM_TIME AS OF and AS OF SAVEPOINT (whose tokens are dropped
// from the rewritten text, so TiDB never sees them).
//
// Every emitted piece records the token it stands for (mark), so an offset in the rewritten
// text, from a TiDB error or a node's OriginTextPosition, maps back to the original query.

// mark says that rewritten text from offset out on stands for source token tok.
type mark struct {
	out int
	tok int
}

// tailInfo is a detached ORDER BY / LIMIT / OFFSET tail of a query.
type tailInfo struct {
	orderBy       []*OrderItem
	limit, offset Expr
}

// bridge is one TiDB invocation: the rewritten text and its side tables.
type bridge struct {
	src   *source
	match []int // partner index of each bracket token, -1 for others
	out   []byte
	marks []mark
	fns   []*FuncCall
	types []*TypeName
	strs  []string
	ops   []string
	alias []*aliasInfo
	det   []any
	// end is the token after the range being rewritten: "end of input" errors point at it.
	end int
}

// aliasInfo is the payload of an eddy_x_alias_N table alias.
type aliasInfo struct {
	alias *Alias // nil when none was written
	join  JoinKind
	// joinSet says join overrides the kind TiDB parsed (FULL and CROSS joins).
	joinSet bool
	// joined says the item followed a JOIN keyword (rather than a comma).
	joined bool
	pos    int32 // position of a table name
	asOf   Expr  // FOR SYSTEM_TIME AS OF
	// asOfSavepoint is the name in AS OF SAVEPOINT name, which never reaches TiDB.
	asOfSavepoint string
}

func newBridge(src *source, match []int, end int) *bridge {
	return &bridge{src: src, match: match, end: end}
}

func (b *bridge) tok(i int) token {
	if i < 0 || i >= len(b.src.toks) {
		return token{kind: tPunct, off: len(b.src.text), end: len(b.src.text)}
	}
	return b.src.toks[i]
}

// emit appends text standing for token tok.
func (b *bridge) emit(tok int, text string) {
	b.out = append(b.out, ' ')
	b.marks = append(b.marks, mark{out: len(b.out), tok: tok})
	b.out = append(b.out, text...)
}

func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// tokAt returns the index of the source token that rewritten offset off stands for.
func (b *bridge) tokAt(off int) int {
	i := sort.Search(len(b.marks), func(i int) bool { return b.marks[i].out > off }) - 1
	if i < 0 {
		if len(b.marks) == 0 {
			return b.end
		}
		i = 0
	}
	return b.marks[i].tok
}

// posAt maps a rewritten offset to a 1-based character position in the original query.
func (b *bridge) posAt(off int) int32 {
	return b.src.charPos(b.tok(b.tokAt(off)).off)
}

// tokBefore returns the token standing for the piece emitted just before offset off.
func (b *bridge) tokBefore(off int) int {
	i := sort.Search(len(b.marks), func(i int) bool { return b.marks[i].out >= off }) - 1
	if i < 0 {
		return b.tokAt(off)
	}
	return b.marks[i].tok
}

func (b *bridge) syntaxErr(i int) *pgerror.Error { return b.src.syntaxErrAt(i) }

func (b *bridge) unsupported(i int, what string) *pgerror.Error {
	return &pgerror.Error{Code: pgerror.FeatureNotSupported, Message: what + " is not supported",
		Position: b.src.charPos(b.tok(i).off)}
}

// isWord reports whether token i is the unquoted word w.
func (b *bridge) isWord(i int, w string) bool {
	t := b.tok(i)
	return i < len(b.src.toks) && t.kind == tIdent && t.val == w
}

// findTop returns the first index in [i, j) at bracket depth 0 where pred holds, or -1.
func (b *bridge) findTop(i, j int, pred func(k int) bool) int {
	for k := i; k < j; k++ {
		if pred(k) {
			return k
		}
		if t := b.tok(k); t.is("(") || t.is("[") {
			k = b.match[k]
		}
	}
	return -1
}

// splitTop splits [i, j) at depth-0 commas.
func (b *bridge) splitTop(i, j int) [][2]int {
	var parts [][2]int
	start := i
	for k := i; k < j; k++ {
		t := b.tok(k)
		if t.is("(") || t.is("[") {
			k = b.match[k]
			continue
		}
		if t.is(",") {
			parts = append(parts, [2]int{start, k})
			start = k + 1
		}
	}
	return append(parts, [2]int{start, j})
}

// seqState is the clause context of one bracket level while rewriting.
type seqState struct {
	selList     bool // inside a SELECT list
	fromCtx     bool // inside a FROM list
	expectTable bool // the next item is a FROM item
	afterOp     bool // the previous item was an operand (so an operator is binary)
	queryStart  bool // a query body may start here (VALUES is a query)
	distinctOn  int  // det index +1 of a pending DISTINCT ON list
	prev        int  // previous token index at this level, -1 at start
	joinKind    JoinKind
	joinSet     bool
	joined      bool // the next FROM item follows a JOIN keyword
	exprOnly    bool // a lone expression: clause words and aliases are errors
}

// seq rewrites tokens [i, j) as a query or expression fragment.
func (b *bridge) seq(i, j int, st seqState) error {
	st.prev = -1
	if i == j {
		return nil
	}
	st.queryStart = true
	k := i
	for k < j {
		n, err := b.step(k, j, &st)
		if err != nil {
			return err
		}
		st.prev = k
		k = n
	}
	b.endSelectList(j, &st)
	return nil
}

// endSelectList appends the DISTINCT ON marker when the select list ends.
func (b *bridge) endSelectList(k int, st *seqState) {
	if st.selList && st.distinctOn > 0 {
		b.emit(k, ", eddy_x_det_"+strconv.Itoa(st.distinctOn-1)+"()")
	}
	st.selList = false
	st.distinctOn = 0
}

// clauseEnd lists the words that end a SELECT list or FROM list at the same level.
var clauseEnd = map[string]bool{"from": true, "where": true, "group": true, "having": true,
	"window": true, "order": true, "limit": true, "offset": true, "fetch": true, "union": true,
	"intersect": true, "except": true, "into": true, "for": true}

// step rewrites the item starting at token k and returns the index after it.
func (b *bridge) step(k, j int, st *seqState) (int, error) {
	t := b.tok(k)
	wasOp := st.afterOp
	st.afterOp = false
	qs := st.queryStart
	st.queryStart = false
	switch t.kind {
	case tIdent:
		if reserved[t.val] && !(b.tok(k+1).is("(") && (t.val == "left" || t.val == "right")) {
			return b.keyword(k, j, st, wasOp, qs)
		}
		if wasOp {
			// An identifier right after an operand is an alias (SELECT a b).
			if st.exprOnly {
				return 0, b.syntaxErr(k)
			}
			b.emit(k, quoteIdent(t.val))
			return k + 1, nil
		}
		if st.expectTable {
			return b.tableItem(k, j, st)
		}
		st.afterOp = true
		return b.primary(k, j)
	case tQIdent:
		if wasOp {
			if st.exprOnly {
				return 0, b.syntaxErr(k)
			}
			b.emit(k, quoteIdent(t.val))
			return k + 1, nil
		}
		if st.expectTable {
			return b.tableItem(k, j, st)
		}
		st.afterOp = true
		return b.primary(k, j)
	case tString, tBits, tInt, tNum, tParam:
		if t.kind == tString && st.prev >= 0 && b.tok(st.prev).is("as") {
			return 0, b.syntaxErr(k)
		}
		if wasOp {
			// Only string constants separated by a newline continue each other ('a'\n'b').
			p := b.tok(k - 1)
			if t.kind != tString || p.kind != tString || !strings.Contains(b.src.text[p.end:t.off], "\n") {
				return 0, b.syntaxErr(k)
			}
		}
		st.afterOp = true
		return b.primary(k, j)
	case tOp:
		return b.operator(k, j, st, wasOp)
	}
	// Punctuation.
	switch t.val {
	case "(":
		if st.expectTable {
			return b.tableItem(k, j, st)
		}
		if qs && b.startsQuery(k+1) {
			st.queryStart = false
		}
		st.afterOp = true
		return b.primary(k, j)
	case "[":
		st.afterOp = true
		return b.primary(k, j)
	case ",":
		if st.exprOnly {
			return 0, b.syntaxErr(k)
		}
		b.emit(k, ",")
		if st.fromCtx {
			st.expectTable = true
		}
		return k + 1, nil
	}
	return 0, b.syntaxErr(k)
}

// startsQuery reports whether token k begins a query (SELECT, WITH, VALUES or a nested one).
func (b *bridge) startsQuery(k int) bool {
	for b.tok(k).is("(") {
		k++
	}
	return b.isWord(k, "select") || b.isWord(k, "with") || b.isWord(k, "values")
}

// noTopComma rejects a depth-0 comma in [i, j), where the bridge expects one expression.
func (b *bridge) noTopComma(i, j int) error {
	if c := b.findTop(i, j, func(k int) bool { return b.tok(k).is(",") }); c >= 0 {
		return b.syntaxErr(c)
	}
	return nil
}
