package sql

import (
	"strconv"
	"strings"
)

// keyword rewrites the reserved word at token k.
func (b *bridge) keyword(k, j int, st *seqState, wasOp, qs bool) (int, error) {
	w := b.tok(k).val
	if st.exprOnly {
		switch w {
		case "from", "where", "group", "having", "window", "order", "limit", "offset", "fetch",
			"union", "intersect", "except", "into", "for", "as", "select", "returning", "on", "using":
			return 0, b.syntaxErr(k)
		}
	}
	if st.expectTable {
		switch w {
		case "where", "group", "having", "window", "order", "limit", "offset", "fetch", "union",
			"intersect", "except":
			// A reserved word where a table name belongs: PostgreSQL points at the word itself
			// (SELECT * FROM order -> syntax error at or near "order").
			return 0, b.syntaxErr(k)
		}
	}
	switch w {
	case "select":
		b.emit(k, "SELECT")
		st.selList, st.fromCtx, st.expectTable = true, false, false
		if b.isWord(k+1, "distinct") && b.isWord(k+2, "on") && b.tok(k+3).is("(") {
			rp := b.match[k+3]
			var exprs []Expr
			for _, r := range b.splitTop(k+4, rp) {
				e, err := parseExprRange(b.src, b.match, r[0], r[1])
				if err != nil {
					return 0, err
				}
				exprs = append(exprs, e)
			}
			if b.isWord(rp+1, "distinct") || b.isWord(rp+1, "all") {
				return 0, b.syntaxErr(rp + 1)
			}
			b.det = append(b.det, exprs)
			st.distinctOn = len(b.det)
			return rp + 1, nil
		}
		return k + 1, nil
	case "from", "where", "group", "having":
		b.endSelectList(k, st)
		if w == "group" {
			if !b.isWord(k+1, "by") {
				return 0, b.syntaxErr(k + 1)
			}
			for _, w := range []string{"rollup", "cube", "grouping"} {
				if b.isWord(k+2, w) {
					return 0, b.unsupported(k+2, "GROUP BY "+strings.ToUpper(w))
				}
			}
			b.emit(k, "GROUP BY")
			st.fromCtx, st.expectTable = false, false
			return k + 2, nil
		}
		b.emit(k, strings.ToUpper(w))
		st.fromCtx = w == "from"
		st.expectTable = st.fromCtx
		return k + 1, nil
	case "window":
		b.endSelectList(k, st)
		st.fromCtx, st.expectTable = false, false
		return b.windowClause(k, j)
	case "order", "limit", "offset", "fetch":
		if w == "order" && !b.isWord(k+1, "by") {
			return 0, b.syntaxErr(k + 1)
		}
		b.endSelectList(k, st)
		st.fromCtx, st.expectTable = false, false
		return b.tail(k, j)
	case "for":
		if st.selList || st.fromCtx || st.prev >= 0 {
			return 0, b.unsupported(k, "SELECT ... FOR UPDATE/SHARE")
		}
	case "union", "intersect", "except":
		b.endSelectList(k, st)
		st.fromCtx, st.expectTable = false, false
		b.emit(k, strings.ToUpper(w))
		st.queryStart = true
		return k + 1, nil
	case "all", "distinct":
		if p := b.tok(st.prev); st.prev >= 0 && (p.is("union") || p.is("intersect") || p.is("except")) {
			st.queryStart = true
		}
		if w == "all" && b.tok(k+1).is("(") {
			return b.anyAll(k, "all")
		}
		b.emit(k, strings.ToUpper(w))
		return k + 1, nil
	case "any", "some":
		if b.tok(k + 1).is("(") {
			return b.anyAll(k, "any")
		}
	case "values":
		if qs {
			return b.values(k, j)
		}
	case "with":
		n, err := b.with(k, j)
		st.queryStart = true
		return n, err
	case "join":
		b.emit(k, "JOIN")
		st.expectTable = st.fromCtx
		st.joined = true
		return k + 1, nil
	case "full":
		b.emit(k, "LEFT")
		st.joinKind, st.joinSet = FullJoin, true
		return k + 1, nil
	case "cross":
		b.emit(k, "CROSS")
		st.joinKind, st.joinSet = CrossJoin, true
		return k + 1, nil
	case "inner":
		if b.tok(st.prev).is("natural") {
			return k + 1, nil
		}
	case "only":
		if st.expectTable {
			return k + 1, nil
		}
	case "on", "using":
		st.expectTable = false
	case "as":
		b.emit(k, "AS")
		if t := b.tok(k + 1); k+1 < j && (t.kind == tIdent || t.kind == tQIdent) && !b.tok(k+2).is("(") {
			b.emit(k+1, quoteIdent(t.val))
			return k + 2, nil
		}
		return k + 1, nil
	case "like", "ilike":
		return b.like(k, j, w, false)
	case "similar":
		if !b.isWord(k+1, "to") {
			return 0, b.syntaxErr(k + 1)
		}
		return b.like(k+1, j, "like", true)
	case "between":
		b.emit(k, "BETWEEN")
		n := k + 1
		if b.isWord(n, "asymmetric") {
			n++
		}
		if b.isWord(n, "symmetric") {
			and := b.findTop(n+1, j, func(i int) bool { return b.isWord(i, "and") })
			if and < 0 {
				return 0, b.syntaxErr(j)
			}
			if and == n+1 {
				return 0, b.syntaxErr(and)
			}
			if err := b.noTopComma(n+1, and); err != nil {
				return 0, err
			}
			b.emit(n, "eddy_x_sym(")
			if err := b.seq(n+1, and, seqState{}); err != nil {
				return 0, err
			}
			b.emit(and, ")")
			return and, nil
		}
		return n, nil
	case "is":
		return b.isOp(k, j, st)
	case "isnull":
		b.emit(k, "IS NULL")
		st.afterOp = true
		return k + 1, nil
	case "notnull":
		b.emit(k, "IS NOT NULL")
		st.afterOp = true
		return k + 1, nil
	case "operator":
		if b.tok(k + 1).is("(") {
			rp := b.match[k+1]
			op := ""
			for i := k + 2; i < rp; i++ {
				if t := b.tok(i); t.kind == tOp {
					op = t.val
				} else if !(t.kind == tIdent || t.is(".")) {
					return 0, b.syntaxErr(i)
				}
			}
			if op == "" {
				return 0, b.syntaxErr(rp)
			}
			if !wasOp {
				return 0, b.unsupported(k, "prefix OPERATOR()")
			}
			b.binaryMarker(k, op)
			return rp + 1, nil
		}
	case "case", "cast", "array", "true", "false", "null", "default", "left", "right",
		"current_date", "current_time", "current_timestamp", "localtime", "localtimestamp",
		"current_user", "session_user", "user", "current_role", "current_catalog", "current_schema":
		if wasOp || ((w == "left" || w == "right") && !b.tok(k+1).is("(")) {
			break
		}
		st.afterOp = true
		return b.primary(k, j)
	case "natural", "outer", "lateral", "and", "or", "not", "in", "then", "else", "when", "asc",
		"desc", "exists", "by", "escape", "end":
	default:
		if wasOp {
			// e.g. SELECT 1 AS x is handled above; a reserved word after an operand starts a clause
			// TiDB will judge.
			break
		}
	}
	b.emit(k, strings.ToUpper(w))
	return k + 1, nil
}

// binaryMarker emits an operator of PostgreSQL's "any other operator" level (see bridge.go).
func (b *bridge) binaryMarker(k int, op string) {
	b.ops = append(b.ops, op)
	b.emit(k, "| eddy_x_op_"+strconv.Itoa(len(b.ops)-1)+"() |")
}

// operator rewrites the operator token at k.
func (b *bridge) operator(k, j int, st *seqState, wasOp bool) (int, error) {
	op := b.tok(k).val
	if !wasOp {
		switch op {
		case "*":
			if st.selList {
				b.emit(k, "eddy_x_star()")
				st.afterOp = true
				return k + 1, nil
			}
		case "-", "+":
			b.emit(k, op)
			return k + 1, nil
		case "~":
			b.emit(k, "~")
			return k + 1, nil
		case "@", "|/", "||/", "!!":
			n, err := b.prefixMarker(k, j, op)
			st.afterOp = true
			return n, err
		}
		return 0, b.syntaxErr(k)
	}
	switch op {
	case "+", "-", "*", "/", "%", "^", "=", "<", ">", "<=", ">=", "<>":
		b.emit(k, op)
	default:
		b.binaryMarker(k, op)
	}
	return k + 1, nil
}

// prefixMarker rewrites a prefix operator MySQL lacks, applied to the primary that follows.
func (b *bridge) prefixMarker(k, j int, op string) (int, error) {
	b.ops = append(b.ops, op)
	b.emit(k, "eddy_x_uop_"+strconv.Itoa(len(b.ops)-1)+"(")
	s := k + 1
	for s < j && (b.tok(s).is("-") || b.tok(s).is("+")) {
		b.emit(s, b.tok(s).val)
		s++
	}
	n, err := b.primary(s, j)
	if err != nil {
		return 0, err
	}
	b.emit(n-1, ")")
	return n, nil
}

// isOp rewrites IS [NOT] {NULL|TRUE|FALSE|UNKNOWN|DISTINCT FROM}.
func (b *bridge) isOp(k, j int, st *seqState) (int, error) {
	n := k + 1
	not := b.isWord(n, "not")
	if not {
		n++
	}
	switch {
	case b.isWord(n, "null") || b.isWord(n, "true") || b.isWord(n, "false"):
		if not {
			b.emit(k, "IS NOT")
		} else {
			b.emit(k, "IS")
		}
		b.emit(n, strings.ToUpper(b.tok(n).val))
		st.afterOp = true
		return n + 1, nil
	case b.isWord(n, "unknown"):
		op := "is unknown"
		if not {
			op = "is not unknown"
		}
		b.ops = append(b.ops, op)
		b.emit(k, "<=> eddy_x_op_"+strconv.Itoa(len(b.ops)-1)+"() <=> NULL")
		st.afterOp = true
		return n + 1, nil
	case b.isWord(n, "distinct") && b.isWord(n+1, "from"):
		op := "is distinct from"
		if not {
			op = "is not distinct from"
		}
		b.ops = append(b.ops, op)
		b.emit(k, "<=> eddy_x_op_"+strconv.Itoa(len(b.ops)-1)+"() <=>")
		// The right operand takes everything that binds tighter than IS (comparisons too), so
		// it is parenthesized for TiDB, where <=> is just another comparison.
		end := b.findTop(n+2, j, func(i int) bool {
			t := b.tok(i)
			return t.is(",") || (t.kind == tIdent && isStop[t.val])
		})
		if end < 0 {
			end = j
		}
		if end == n+2 {
			return 0, b.syntaxErr(end)
		}
		b.emit(n+2, "(")
		if err := b.seq(n+2, end, seqState{}); err != nil {
			return 0, err
		}
		b.emit(end-1, ")")
		st.afterOp = true
		return end, nil
	case b.isWord(n, "document") || b.isWord(n, "normalized") || b.isWord(n, "json"):
		return 0, b.unsupported(n, "IS "+strings.ToUpper(b.tok(n).val))
	}
	return 0, b.syntaxErr(n)
}

// isStop ends the right operand of IS [NOT] DISTINCT FROM: words that bind no tighter than IS.
var isStop = wordSet(`and or is isnull notnull then else when end from where group having order
limit offset fetch union intersect except window as on using for asc desc returning`)

// likeStop ends a LIKE pattern: words and operators that bind more loosely than LIKE.
var likeStop = wordSet(`and or not is escape then else when end from where group having order limit
offset fetch union intersect except window as on using like ilike similar between in isnull notnull
for asc desc`)

// like rewrites [NOT] LIKE|ILIKE pattern [ESCAPE e] and SIMILAR TO. MySQL's grammar takes only a
// simple expression as the pattern, so a compound pattern ('%' || x) is parenthesized; ESCAPE and
// SIMILAR travel in an eddy_x_pat marker.
func (b *bridge) like(k, j int, kind string, similar bool) (int, error) {
	b.emit(k, strings.ToUpper(kind))
	end := b.findTop(k+1, j, func(i int) bool {
		t := b.tok(i)
		if t.kind == tIdent && likeStop[t.val] {
			return true
		}
		return t.is(",") || (t.kind == tOp && (t.val == "=" || t.val == "<" || t.val == ">" ||
			t.val == "<=" || t.val == ">=" || t.val == "<>"))
	})
	if end < 0 {
		end = j
	}
	if end == k+1 {
		return 0, b.syntaxErr(end)
	}
	if (b.isWord(k+1, "any") || b.isWord(k+1, "all") || b.isWord(k+1, "some")) && b.tok(k+2).is("(") {
		return 0, b.unsupported(k+1, strings.ToUpper(kind)+" "+strings.ToUpper(b.tok(k+1).val))
	}
	escEnd := end
	hasEsc := b.isWord(end, "escape")
	if hasEsc {
		escEnd = end + 2
		if escEnd > j {
			return 0, b.syntaxErr(j)
		}
	}
	if hasEsc || similar {
		flag := "0"
		if similar {
			flag = "1"
		}
		b.emit(k, "eddy_x_pat_"+flag+"(")
		if err := b.seq(k+1, end, seqState{}); err != nil {
			return 0, err
		}
		if hasEsc {
			b.emit(end, ",")
			if err := b.seq(end+1, escEnd, seqState{}); err != nil {
				return 0, err
			}
		}
		b.emit(escEnd-1, ")")
		return escEnd, nil
	}
	b.emit(k+1, "(")
	if err := b.seq(k+1, end, seqState{}); err != nil {
		return 0, err
	}
	b.emit(end-1, ")")
	return end, nil
}

// anyAll rewrites ANY|SOME|ALL (...): a subquery stays for TiDB, an array becomes a marker call.
func (b *bridge) anyAll(k int, kind string) (int, error) {
	lp := k + 1
	rp := b.match[lp]
	if b.startsQuery(lp + 1) {
		b.emit(k, strings.ToUpper(kind))
		n, err := b.primary(lp, rp+1)
		return n, err
	}
	b.emit(k, "eddy_x_"+kind+"(")
	if err := b.seq(lp+1, rp, seqState{}); err != nil {
		return 0, err
	}
	b.emit(rp, ")")
	return rp + 1, nil
}

// values rewrites VALUES (..), (..) as a query into MySQL's VALUES ROW(..), ROW(..).
func (b *bridge) values(k, j int) (int, error) {
	b.emit(k, "VALUES")
	n := k + 1
	for {
		if !b.tok(n).is("(") || n >= j {
			return 0, b.syntaxErr(n)
		}
		rp := b.match[n]
		b.emit(n, "ROW(")
		if err := b.seq(n+1, rp, seqState{}); err != nil {
			return 0, err
		}
		b.emit(rp, ")")
		n = rp + 1
		if n < j && b.tok(n).is(",") {
			b.emit(n, ",")
			n++
			continue
		}
		return n, nil
	}
}

// with rewrites WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query), ...
func (b *bridge) with(k, j int) (int, error) {
	b.emit(k, "WITH")
	n := k + 1
	if b.isWord(n, "recursive") {
		b.emit(n, "RECURSIVE")
		n++
	}
	for {
		t := b.tok(n)
		if n >= j || (t.kind != tIdent && t.kind != tQIdent) || (t.kind == tIdent && reserved[t.val]) {
			return 0, b.syntaxErr(n)
		}
		b.emit(n, quoteIdent(t.val))
		n++
		if b.tok(n).is("(") {
			rp := b.match[n]
			b.emit(n, "(")
			for i, r := range b.splitTop(n+1, rp) {
				if r[1] != r[0]+1 || (b.tok(r[0]).kind != tIdent && b.tok(r[0]).kind != tQIdent) {
					return 0, b.syntaxErr(r[0])
				}
				if i > 0 {
					b.emit(r[0]-1, ",")
				}
				b.emit(r[0], quoteIdent(b.tok(r[0]).val))
			}
			b.emit(rp, ")")
			n = rp + 1
		}
		if !b.isWord(n, "as") {
			return 0, b.syntaxErr(n)
		}
		b.emit(n, "AS")
		n++
		if b.isWord(n, "not") && b.isWord(n+1, "materialized") {
			n += 2
		} else if b.isWord(n, "materialized") {
			n++
		}
		if !b.tok(n).is("(") || n >= j {
			return 0, b.syntaxErr(n)
		}
		rp := b.match[n]
		b.emit(n, "(")
		if err := b.seq(n+1, rp, seqState{}); err != nil {
			return 0, err
		}
		b.emit(rp, ")")
		n = rp + 1
		if b.tok(n).is(",") && n < j {
			b.emit(n, ",")
			n++
			continue
		}
		return n, nil
	}
}
