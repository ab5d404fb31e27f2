package fn

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Pattern matching: LIKE/ILIKE (functions like, ilike, and operators ~~ ~~* !~~ !~~*), POSIX
// regular expressions (~ ~* !~ !~*, regexp_replace, regexp_match, substring(text, text)).
// PostgreSQL's regular expressions are translated onto Go's RE2: '.' matches newlines (PostgreSQL
// is not newline-sensitive by default), and \m \M \y \Y and [[:<:]] [[:>:]] become word
// boundaries. Back-references have no RE2 equivalent and are rejected with 2201B.
//
// Patterns are compiled once per distinct pattern within a batch, so a constant pattern column
// costs one compilation per batch.

// patternCache compiles each distinct pattern of one Eval call once.
type patternCache struct {
	m       map[string]*regexp.Regexp
	compile func(p string) (*regexp.Regexp, error)
}

func newPatternCache(compile func(string) (*regexp.Regexp, error)) *patternCache {
	return &patternCache{m: map[string]*regexp.Regexp{}, compile: compile}
}

func (c *patternCache) get(p string) (*regexp.Regexp, error) {
	if re, ok := c.m[p]; ok {
		return re, nil
	}
	re, err := c.compile(p)
	if err != nil {
		return nil, err
	}
	c.m[p] = re
	return re, nil
}

var pgWordBoundary = strings.NewReplacer(`\m`, `\b`, `\M`, `\b`, `\y`, `\b`, `\Y`, `\B`,
	`[[:<:]]`, `\b`, `[[:>:]]`, `\b`)

// compileRegex translates a PostgreSQL ARE with the given flags (regexp_replace's letters).
func compileRegex(p string, flags string) (*regexp.Regexp, error) {
	prefix := "(?s"
	for _, f := range flags {
		switch f {
		case 'i':
			prefix += "i"
		case 'n', 'm':
			prefix = strings.Replace(prefix, "s", "", 1) + "m"
		case 'g', 'c', 's':
		case 'x':
			// Expanded syntax: drop unescaped whitespace and comments.
			p = stripExpanded(p)
		default:
			return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid regular expression option: \"%c\"", f)
		}
	}
	if prefix == "(?" {
		prefix = ""
	} else {
		prefix += ")"
	}
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '\\' {
			if p[i+1] >= '1' && p[i+1] <= '9' {
				return nil, pgerror.New(pgerror.InvalidRegularExpression,
					"invalid regular expression: back-references are not supported")
			}
			i++
		}
	}
	re, err := regexp.Compile(prefix + pgWordBoundary.Replace(p))
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = string(se.Code)
			if m, ok := reErrors[se.Code]; ok {
				msg = m
			}
		}
		return nil, pgerror.Wrap(err, pgerror.InvalidRegularExpression, "invalid regular expression: "+msg)
	}
	return re, nil
}

// reErrors maps RE2's complaints onto the wording of PostgreSQL's regex engine.
var reErrors = map[syntax.ErrorCode]string{
	syntax.ErrMissingParen:          "parentheses () not balanced",
	syntax.ErrUnexpectedParen:       "parentheses () not balanced",
	syntax.ErrMissingBracket:        "brackets [] not balanced",
	syntax.ErrInvalidRepeatOp:       "quantifier operand invalid",
	syntax.ErrMissingRepeatArgument: "quantifier operand invalid",
	syntax.ErrInvalidEscape:         "invalid escape \\ sequence",
	syntax.ErrTrailingBackslash:     "invalid escape \\ sequence",
	syntax.ErrInvalidCharRange:      "invalid character range",
	syntax.ErrInvalidRepeatSize:     "invalid repetition count(s)",
}

func stripExpanded(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
		case c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// likeToRegex translates a LIKE pattern with escape character esc (0: none).
func likeToRegex(p string, esc rune, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s")
	if fold {
		b.WriteString("i")
	}
	b.WriteString(")^")
	escaped := false
	for _, r := range p {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case esc != 0 && r == esc:
			escaped = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if escaped {
		return nil, pgerror.New(pgerror.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func likeEscape(e string) (rune, error) {
	switch utf8.RuneCountInString(e) {
	case 0:
		return 0, nil
	case 1:
		r, _ := utf8.DecodeRuneInString(e)
		return r, nil
	}
	return 0, pgerror.New("22019", "invalid escape string").WithHint("Escape string must be empty or one character.")
}

// matchEval evaluates s (arg 0) against pattern (arg 1), with an optional escape (arg 2) for
// LIKE; negate flips the answer.
func matchEval(like, fold, negate bool) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		s, p := strCol(args[0]), strCol(args[1])
		var esc strs
		if len(args) > 2 {
			esc = strCol(args[2])
		}
		caches := map[string]*patternCache{}
		valid := validity(args, n)
		out := make([]bool, n)
		for i := range out {
			if valid != nil && !valid[i] {
				continue
			}
			e := `\`
			if esc.a != nil {
				e = esc.at(i)
			}
			c := caches[e]
			if c == nil {
				if like {
					r, err := likeEscape(e)
					if err != nil {
						return nil, err
					}
					c = newPatternCache(func(p string) (*regexp.Regexp, error) { return likeToRegex(p, r, fold) })
				} else {
					flags := ""
					if fold {
						flags = "i"
					}
					c = newPatternCache(func(p string) (*regexp.Regexp, error) { return compileRegex(p, flags) })
				}
				caches[e] = c
			}
			re, err := c.get(p.at(i))
			if err != nil {
				return nil, err
			}
			out[i] = re.MatchString(s.at(i)) != negate
		}
		return makeBools(out, valid), nil
	}
}

// pgReplacement turns a PostgreSQL replacement string (\1..\9, \& for the match, \\ for a
// backslash) into Go's Expand template.
func pgReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(r):
			n := r[i+1]
			switch {
			case n >= '1' && n <= '9':
				b.WriteString("${" + string(n) + "}")
			case n == '&':
				b.WriteString("${0}")
			default:
				b.WriteByte(n)
			}
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func regexpReplace(re *regexp.Regexp, s, repl string, global bool) string {
	tmpl := pgReplacement(repl)
	if global {
		return re.ReplaceAllString(s, tmpl)
	}
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		return s
	}
	var dst []byte
	dst = re.ExpandString(dst, tmpl, s, loc)
	return s[:loc[0]] + string(dst) + s[loc[1]:]
}

func init() {
	b := types.BoolT
	for _, o := range []struct {
		name           string
		like, fold, ng bool
	}{{"~", false, false, false}, {"~*", false, true, false}, {"!~", false, false, true}, {"!~*", false, true, true},
		{"~~", true, false, false}, {"~~*", true, true, false}, {"!~~", true, false, true}, {"!~~*", true, true, true}} {
		defBin(o.name, text, text, b, matchEval(o.like, o.fold, o.ng))
	}
	// The keyword spellings resolve like the operators.
	for kw, op := range map[string]string{"like": "~~", "ilike": "~~*", "not like": "!~~", "not ilike": "!~~*"} {
		binOps[kw] = binOps[op]
	}
	defFunc("like", ts(text, text), b, matchEval(true, false, false))
	defFunc("like", ts(text, text, text), b, matchEval(true, false, false))
	defFunc("ilike", ts(text, text), b, matchEval(true, true, false))
	defFunc("ilike", ts(text, text, text), b, matchEval(true, true, false))
	defFunc("not_like", ts(text, text), b, matchEval(true, false, true))
	defFunc("not_like", ts(text, text, text), b, matchEval(true, false, true))
	defFunc("not_ilike", ts(text, text), b, matchEval(true, true, true))
	defFunc("not_ilike", ts(text, text, text), b, matchEval(true, true, true))
	defFunc("textregexeq", ts(text, text), b, matchEval(false, false, false))

	replace := func(r []any, flags string) (any, error) {
		re, err := compileRegex(r[1].(string), flags)
		if err != nil {
			return nil, err
		}
		return regexpReplace(re, r[0].(string), r[2].(string), strings.Contains(flags, "g")), nil
	}
	defRows("regexp_replace", ts(text, text, text), text, func(r []any) (any, error) { return replace(r, "") })
	defRows("regexp_replace", ts(text, text, text, text), text, func(r []any) (any, error) { return replace(r, r[3].(string)) })
	match := func(r []any, flags string) (any, error) {
		if strings.Contains(flags, "g") {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "regexp_match() does not support the \"global\" option").
				WithHint("Use the regexp_matches function instead.")
		}
		re, err := compileRegex(r[1].(string), flags)
		if err != nil {
			return nil, err
		}
		m := re.FindStringSubmatch(r[0].(string))
		if m == nil {
			return nil, nil
		}
		if len(m) > 1 {
			m = m[1:]
		}
		return formatTextArray(m), nil
	}
	ta := fam(types.TextArray)
	defRows("regexp_match", ts(text, text), ta, func(r []any) (any, error) { return match(r, "") })
	defRows("regexp_match", ts(text, text, text), ta, func(r []any) (any, error) { return match(r, r[2].(string)) })
	defRows("substring", ts(text, text), text, func(r []any) (any, error) {
		re, err := compileRegex(r[1].(string), "")
		if err != nil {
			return nil, err
		}
		m := re.FindStringSubmatch(r[0].(string))
		switch {
		case m == nil:
			return nil, nil
		case len(m) > 1:
			return m[1], nil
		}
		return m[0], nil
	})
}

// formatEval is format(fmt, args...): %s (text form, NULL as empty), %I (quote_ident; NULL is an
// error), %L (quote_literal, NULL as NULL) and %%, with optional n$ argument positions.
func formatEval(at []types.T) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		out := newStrBuilder(ctx, n)
		f := strCol(args[0])
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				out.b.AppendNull()
				continue
			}
			s, err := formatRow(ctx, f.at(i), args[1:], at[1:], i)
			if err != nil {
				out.b.Release()
				return nil, err
			}
			out.b.Append(s)
		}
		return out.finish(), nil
	}
}

func formatRow(ctx *Context, f string, args []arrow.Array, at []types.T, row int) (string, error) {
	var b strings.Builder
	next := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return "", pgerror.New(pgerror.InvalidParameterValue, "unterminated format() type specifier").
				WithHint("For a single \"%\" use \"%%\".")
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		// %[n$][-][width|*|*n$]type
		argN := next
		readNum := func() (int, bool) {
			j, k := i, 0
			for j < len(f) && f[j] >= '0' && f[j] <= '9' {
				k = k*10 + int(f[j]-'0')
				j++
			}
			if j == i {
				return 0, false
			}
			i = j
			return k, true
		}
		if k, ok := readNum(); ok {
			if i < len(f) && f[i] == '$' {
				argN, i = k-1, i+1
			} else {
				i -= len(strconv.Itoa(k)) // a width, read again below
			}
		}
		left := false
		if i < len(f) && f[i] == '-' {
			left, i = true, i+1
		}
		width := 0
		if i < len(f) && f[i] == '*' {
			i++
			wArg := argN
			if k, ok := readNum(); ok && i < len(f) && f[i] == '$' {
				wArg, i = k-1, i+1
			}
			if wArg >= len(args) {
				return "", pgerror.New(pgerror.InvalidParameterValue, "too few arguments for format()")
			}
			if !args[wArg].IsNull(row) {
				w, err := strconv.Atoi(textOf(ctx, args[wArg], at[wArg], row))
				if err != nil {
					return "", pgerror.New(pgerror.InvalidParameterValue, "width argument must be an integer")
				}
				width = w
			}
			if wArg == argN {
				argN++
			}
		} else if k, ok := readNum(); ok {
			width = k
		}
		if width < 0 {
			left, width = true, -width
		}
		if i >= len(f) {
			return "", pgerror.New(pgerror.InvalidParameterValue, "unterminated format() type specifier").
				WithHint("For a single \"%\" use \"%%\".")
		}
		if argN >= len(args) {
			return "", pgerror.New(pgerror.InvalidParameterValue, "too few arguments for format()")
		}
		next = argN + 1
		null := args[argN].IsNull(row)
		var v string
		if !null {
			v = textOf(ctx, args[argN], at[argN], row)
		}
		var piece string
		switch f[i] {
		case 's':
			piece = v
		case 'I':
			if null {
				return "", pgerror.New(pgerror.NullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			piece = quoteIdent(v)
		case 'L':
			piece = "NULL"
			if !null {
				piece = quoteLiteral(v)
			}
		default:
			return "", pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized format() type specifier \"%c\"", f[i]).
				WithHint("For a single \"%\" use \"%%\".")
		}
		if pad := width - utf8.RuneCountInString(piece); pad > 0 {
			if left {
				piece += strings.Repeat(" ", pad)
			} else {
				piece = strings.Repeat(" ", pad) + piece
			}
		}
		b.WriteString(piece)
	}
	return b.String(), nil
}
