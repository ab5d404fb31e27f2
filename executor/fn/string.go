package fn

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// String functions work on text (varchar, char and name reach them through implicit casts) and
// count characters, not bytes, as PostgreSQL does under UTF-8.

var text, i4 = types.TextT, types.Int4T

// textMap applies f to every non-NULL row of a text column.
func textMap(f func(s string) string) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		a := strCol(args[0])
		out := newStrBuilder(ctx, n)
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				out.b.AppendNull()
				continue
			}
			out.b.Append(f(a.at(i)))
		}
		return out.finish(), nil
	}
}

// textToInt applies f to every non-NULL row of a text column, giving int4.
func textToInt(f func(s string) int64) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		a := strCol(args[0])
		valid := validity(args, n)
		out := make([]int64, n)
		for i := range out {
			if valid == nil || valid[i] {
				out[i] = f(a.at(i))
			}
		}
		return makeInts(types.Int4T, out, valid), nil
	}
}

// rows is the strict row-at-a-time path for a fixed signature.
func rows(argTypes []types.T, ret types.T, f func(r []any) (any, error)) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, argTypes, ret, n, true, f)
	}
}

// defRows registers a strict function evaluated row by row over datums.
func defRows(name string, args []types.T, ret types.T, f func(r []any) (any, error)) *Overload {
	return defFunc(name, args, ret, rows(args, ret, f))
}

func runeLen(s string) int64 { return int64(utf8.RuneCountInString(s)) }

// substr is PostgreSQL's substring(s from start for count): positions are 1-based, a start
// before 1 eats into the count, and a negative count is an error.
func substr(s string, start, count int64, hasCount bool) (string, error) {
	if hasCount && count < 0 {
		return "", pgerror.New("22011", "negative substring length not allowed")
	}
	end := int64(1) << 62
	if hasCount {
		end = start + count // exclusive, 1-based
		if count > 0 && end < start {
			end = int64(1) << 62
		}
	}
	if start < 1 {
		start = 1
	}
	if end <= start {
		return "", nil
	}
	r := []rune(s)
	if start > int64(len(r)) {
		return "", nil
	}
	if end-1 > int64(len(r)) {
		end = int64(len(r)) + 1
	}
	return string(r[start-1 : end-1]), nil
}

func initcap(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inWord := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if inWord {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			inWord = true
		} else {
			b.WriteRune(r)
			inWord = false
		}
	}
	return b.String()
}

// pad is lpad/rpad: fill s to n characters with fill, or truncate it to n.
func pad(s string, n int64, fill string, left bool) (string, error) {
	if n <= 0 {
		return "", nil
	}
	if err := checkLength(n * 4); err != nil {
		return "", err
	}
	r := []rune(s)
	if int64(len(r)) >= n {
		return string(r[:n]), nil
	}
	fr := []rune(fill)
	if len(fr) == 0 {
		return s, nil
	}
	need := int(n) - len(r)
	p := make([]rune, need)
	for i := range p {
		p[i] = fr[i%len(fr)]
	}
	if left {
		return string(p) + s, nil
	}
	return s + string(p), nil
}

func trimChars(s, chars string, left, right bool) string {
	in := func(r rune) bool { return strings.ContainsRune(chars, r) }
	if left {
		s = strings.TrimLeftFunc(s, in)
	}
	if right {
		s = strings.TrimRightFunc(s, in)
	}
	return s
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func translate(s, from, to string) string {
	fr, tr := []rune(from), []rune(to)
	var b strings.Builder
	for _, c := range s {
		k := -1
		for i, f := range fr {
			if f == c {
				k = i
				break
			}
		}
		switch {
		case k < 0:
			b.WriteRune(c)
		case k < len(tr):
			b.WriteRune(tr[k])
		}
	}
	return b.String()
}

func splitPart(s, delim string, field int64) (string, error) {
	if field == 0 {
		return "", pgerror.New(pgerror.InvalidParameterValue, "field position must not be zero")
	}
	var parts []string
	if delim == "" {
		parts = []string{s}
		if s == "" {
			parts = nil
		}
	} else {
		parts = strings.Split(s, delim)
		if s == "" {
			parts = nil
		}
	}
	if field < 0 {
		field += int64(len(parts)) + 1
	}
	if field < 1 || field > int64(len(parts)) {
		return "", nil
	}
	return parts[field-1], nil
}

func chr(c int64) (string, error) {
	switch {
	case c == 0:
		return "", pgerror.New(pgerror.ProgramLimitExceeded, "null character not permitted")
	case c < 0:
		return "", pgerror.New(pgerror.ProgramLimitExceeded, "character number must be positive")
	case c > utf8.MaxRune || (c >= 0xD800 && c <= 0xDFFF):
		return "", pgerror.Newf(pgerror.ProgramLimitExceeded, "requested character too large for encoding: %d", c)
	}
	return string(rune(c)), nil
}

// quoteIdent quotes an identifier unless it is a plain lower-case one, as quote_ident does.
func quoteIdent(s string) string {
	safe := s != "" && !reservedWords[s]
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || (i > 0 && (r >= '0' && r <= '9' || r == '$'))) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWords are PostgreSQL's reserved key words, which quote_ident always quotes.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast
		check collate column constraint create current_catalog current_date current_role current_time
		current_timestamp current_user default deferrable desc distinct do else end except false fetch
		for foreign from grant group having in initially intersect into lateral leading limit
		localtime localtimestamp not null offset on only or order placing primary references returning
		select session_user some symmetric table then to trailing true union unique user using variadic
		when where window with authorization binary collation concurrently cross current_schema
		freeze full ilike inner is isnull join left like natural notnull outer overlaps right similar
		tablesample verbose`) {
		m[w] = true
	}
	return m
}()

// quoteLiteral quotes a string as a SQL literal, using E” when it holds backslashes.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

func toHex(v int64, bits int) string {
	if bits == 32 {
		return strconv.FormatUint(uint64(uint32(v)), 16)
	}
	return strconv.FormatUint(uint64(v), 16)
}

func init() {
	for _, name := range []string{"length", "char_length", "character_length"} {
		defFunc(name, ts(text), i4, textToInt(runeLen))
	}
	defFunc("octet_length", ts(text), i4, textToInt(func(s string) int64 { return int64(len(s)) }))
	defRows("length", ts(types.ByteaT), i4, func(r []any) (any, error) { return int64(len(r[0].([]byte))), nil })
	defRows("octet_length", ts(types.ByteaT), i4, func(r []any) (any, error) { return int64(len(r[0].([]byte))), nil })
	defFunc("bit_length", ts(text), i4, textToInt(func(s string) int64 { return int64(len(s)) * 8 }))
	defFunc("lower", ts(text), text, textMap(strings.ToLower))
	defFunc("upper", ts(text), text, textMap(strings.ToUpper))
	defFunc("initcap", ts(text), text, textMap(initcap))
	defFunc("reverse", ts(text), text, textMap(reverse))
	defFunc("md5", ts(text), text, textMap(func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }))
	defRows("md5", ts(types.ByteaT), text, func(r []any) (any, error) {
		h := md5.Sum(r[0].([]byte))
		return hex.EncodeToString(h[:]), nil
	})
	defFunc("quote_ident", ts(text), text, textMap(quoteIdent))
	defFunc("quote_literal", ts(text), text, textMap(quoteLiteral))
	defFunc("ascii", ts(text), i4, textToInt(func(s string) int64 {
		r, _ := utf8.DecodeRuneInString(s)
		if s == "" {
			return 0
		}
		return int64(r)
	}))
	defFunc("ltrim", ts(text), text, textMap(func(s string) string { return strings.TrimLeft(s, " ") }))
	defFunc("rtrim", ts(text), text, textMap(func(s string) string { return strings.TrimRight(s, " ") }))
	defFunc("btrim", ts(text), text, textMap(func(s string) string { return strings.Trim(s, " ") }))
	defFunc("trim", ts(text), text, textMap(func(s string) string { return strings.Trim(s, " ") }))
	for name, lr := range map[string][2]bool{"ltrim": {true, false}, "rtrim": {false, true}, "btrim": {true, true}, "trim": {true, true}} {
		defRows(name, ts(text, text), text, func(r []any) (any, error) {
			return trimChars(r[0].(string), r[1].(string), lr[0], lr[1]), nil
		})
	}
	for _, name := range []string{"substr", "substring"} {
		defRows(name, ts(text, i4), text, func(r []any) (any, error) { return substr(r[0].(string), r[1].(int64), 0, false) })
		defRows(name, ts(text, i4, i4), text, func(r []any) (any, error) {
			return substr(r[0].(string), r[1].(int64), r[2].(int64), true)
		})
	}
	defRows("substr", ts(types.ByteaT, i4), types.ByteaT, func(r []any) (any, error) {
		b, s := r[0].([]byte), max(r[1].(int64), 1)
		if s > int64(len(b)) {
			return []byte{}, nil
		}
		return b[s-1:], nil
	})
	for _, name := range []string{"strpos", "position"} {
		defRows(name, ts(text, text), i4, func(r []any) (any, error) {
			k := strings.Index(r[0].(string), r[1].(string))
			if k < 0 {
				return int64(0), nil
			}
			return runeLen(r[0].(string)[:k]) + 1, nil
		})
	}
	defRows("replace", ts(text, text, text), text, func(r []any) (any, error) {
		if r[1].(string) == "" {
			return r[0], nil
		}
		return strings.ReplaceAll(r[0].(string), r[1].(string), r[2].(string)), nil
	})
	defRows("left", ts(text, i4), text, func(r []any) (any, error) {
		s, k := []rune(r[0].(string)), r[1].(int64)
		if k < 0 {
			k = max(int64(len(s))+k, 0)
		}
		return string(s[:min(k, int64(len(s)))]), nil
	})
	defRows("right", ts(text, i4), text, func(r []any) (any, error) {
		s, k := []rune(r[0].(string)), r[1].(int64)
		if k < 0 {
			k = max(int64(len(s))+k, 0)
		}
		k = min(k, int64(len(s)))
		return string(s[int64(len(s))-k:]), nil
	})
	defRows("lpad", ts(text, i4), text, func(r []any) (any, error) { return pad(r[0].(string), r[1].(int64), " ", true) })
	defRows("rpad", ts(text, i4), text, func(r []any) (any, error) { return pad(r[0].(string), r[1].(int64), " ", false) })
	defRows("lpad", ts(text, i4, text), text, func(r []any) (any, error) {
		return pad(r[0].(string), r[1].(int64), r[2].(string), true)
	})
	defRows("rpad", ts(text, i4, text), text, func(r []any) (any, error) {
		return pad(r[0].(string), r[1].(int64), r[2].(string), false)
	})
	defRows("repeat", ts(text, i4), text, func(r []any) (any, error) {
		k := r[1].(int64)
		if k <= 0 {
			return "", nil
		}
		if int64(len(r[0].(string)))*k > 1<<30 {
			return nil, pgerror.New(pgerror.ProgramLimitExceeded, "requested length too large")
		}
		return strings.Repeat(r[0].(string), int(k)), nil
	})
	defRows("split_part", ts(text, text, i4), text, func(r []any) (any, error) {
		return splitPart(r[0].(string), r[1].(string), r[2].(int64))
	})
	defRows("starts_with", ts(text, text), types.BoolT, func(r []any) (any, error) {
		return strings.HasPrefix(r[0].(string), r[1].(string)), nil
	})
	defRows("chr", ts(i4), text, func(r []any) (any, error) { return chr(r[0].(int64)) })
	defRows("to_hex", ts(i4), text, func(r []any) (any, error) { return toHex(r[0].(int64), 32), nil })
	defRows("to_hex", ts(types.Int8T), text, func(r []any) (any, error) { return toHex(r[0].(int64), 64), nil })
	defRows("translate", ts(text, text, text), text, func(r []any) (any, error) {
		return translate(r[0].(string), r[1].(string), r[2].(string)), nil
	})
	defFunc("quote_nullable", ts(text), text, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		a := strCol(args[0])
		out := newStrBuilder(ctx, n)
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				out.b.Append("NULL")
			} else {
				out.b.Append(quoteLiteral(a.at(i)))
			}
		}
		return out.finish(), nil
	}).NullSafe = true
	defPoly("concat", ts(anyT), text, true, func(at []types.T) evalFn { return concatEval(at, 0) }).Variadic = true
	defPoly("concat_ws", ts(text, anyT), text, true, func(at []types.T) evalFn { return concatEval(at, 1) }).Variadic = true
	// text || anynonarray and anynonarray || text are strict, unlike concat.
	strictConcat := func(at []types.T) evalFn {
		ev := concatWith(at, 0, true)
		return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			res, err := ev(ctx, args, n)
			if err != nil || (args[0].NullN() == 0 && args[1].NullN() == 0) {
				return res, err
			}
			defer res.Release()
			return withNulls(ctx, res, validity(args, n)), nil
		}
	}
	defPolyBin("||", text, text, text, strictConcat)
	defRows("byteacat", ts(types.ByteaT, types.ByteaT), types.ByteaT, func(r []any) (any, error) {
		return append(append([]byte{}, r[0].([]byte)...), r[1].([]byte)...), nil
	})
	binOps["||"] = append(binOps["||"], funcs["byteacat"][0])
	defPolyBin("||", text, anyT, text, strictConcat)
	defPolyBin("||", anyT, text, text, strictConcat)
	defPoly("format", ts(text), text, true, formatEval)
	defPoly("format", ts(text, anyT), text, true, formatEval).Variadic = true
}

// textOf returns row i of a column of type t in its text form (booleans as PostgreSQL's output
// function writes them: t/f).
func textOf(ctx *Context, a arrow.Array, t types.T, i int) string {
	if t.IsString() || t.Family == types.Unknown {
		if s, ok := a.(*array.String); ok {
			if t.Family == types.Char {
				return strings.TrimRight(s.Value(i), " ")
			}
			return s.Value(i)
		}
	}
	return types.FormatText(t, types.DatumAt(a, i, t), formatCtx(ctx))
}

// concatEval is concat (sep 0) or concat_ws (sep 1: the first argument is the separator, and a
// NULL separator gives NULL). NULL arguments are skipped.
func concatEval(at []types.T, sep int) evalFn { return concatWith(at, sep, false) }

// concatWith is concatEval; asCast renders booleans as the bool → text cast does (true/false)
// rather than as the output function does (t/f), which || needs.
func concatWith(at []types.T, sep int, asCast bool) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		out := newStrBuilder(ctx, n)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.Reset()
			if sep == 1 && args[0].IsNull(i) {
				out.b.AppendNull()
				continue
			}
			first := true
			for k := sep; k < len(args); k++ {
				if args[k].IsNull(i) {
					continue
				}
				if sep == 1 && !first {
					b.WriteString(textOf(ctx, args[0], at[0], i))
				}
				if asCast && at[k].Family == types.Bool {
					b.WriteString(strconv.FormatBool(args[k].(*array.Boolean).Value(i)))
				} else {
					b.WriteString(textOf(ctx, args[k], at[k], i))
				}
				first = false
			}
			out.b.Append(b.String())
		}
		return out.finish(), nil
	}
}

// formatTextArray writes elements in PostgreSQL's array text form, quoting where needed.
func formatTextArray(elems []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		if e == "" || strings.ContainsAny(e, "{},\"\\ \t\n") || strings.EqualFold(e, "null") {
			b.WriteByte('"')
			b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(e))
			b.WriteByte('"')
		} else {
			b.WriteString(e)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// parseTextArray reads a one-dimensional array in text form; nil elements are NULLs.
func parseTextArray(s string) ([]*string, error) {
	elems, ok := types.SplitArrayText(s)
	if !ok {
		return nil, pgerror.Newf(pgerror.InvalidTextRepresentation, "malformed array literal: \"%s\"", s)
	}
	return elems, nil
}
