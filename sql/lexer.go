package sql

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/eddydb/eddy/sql/pgerror"
)

// tokKind classifies a lexed token.
type tokKind uint8

const (
	tIdent  tokKind = iota // unquoted word; val is lower-cased
	tQIdent                // "quoted identifier"; val is as written, quotes removed
	tString                // any string constant ('..', E'..', $$..$$); val is the decoded text
	tBits                  // B'0101' or X'1F'; val holds the digits
	tInt                   // integer constant; val is the digits
	tNum                   // numeric constant with a point or exponent
	tParam                 // $n; val is n
	tOp                    // operator characters, e.g. "+", "<=", "~*", "||"
	tPunct                 // one of ( ) [ ] , ; . : ::
)

// token is one lexeme of the original query string. off and end are byte offsets into the
// whole query string passed to Parse, so positions never need re-basing per statement.
type token struct {
	kind tokKind
	off  int
	end  int
	val  string
	hex  bool // tBits: X'..' rather than B'..'
}

// is reports whether t is the unquoted word w (lower-case) or the punctuation/operator w.
func (t token) is(w string) bool {
	return (t.kind == tIdent || t.kind == tPunct || t.kind == tOp) && t.val == w
}

// source is a query string with its tokens.
type source struct {
	text string
	toks []token
	// runes[i] is the number of characters before byte i; built on first use, and only for
	// text that is not pure ASCII (where the two coincide).
	runes    []int32
	checked  bool
	nonASCII bool
}

// charPos returns the 1-based character position of byte offset off.
func (s *source) charPos(off int) int32 {
	if off > len(s.text) {
		off = len(s.text)
	}
	if off < 0 {
		off = 0
	}
	if !s.checked {
		s.checked = true
		for i := 0; i < len(s.text); i++ {
			if s.text[i] >= utf8.RuneSelf {
				s.nonASCII = true
				break
			}
		}
		if s.nonASCII {
			s.runes = make([]int32, len(s.text)+1)
			n := int32(0)
			for i := 0; i < len(s.text); i++ {
				s.runes[i] = n
				if utf8.RuneStart(s.text[i]) {
					n++
				}
			}
			s.runes[len(s.text)] = n
		}
	}
	if !s.nonASCII {
		return int32(off) + 1
	}
	return s.runes[off] + 1
}

// maxIdentLen is PostgreSQL's NAMEDATALEN-1: longer identifiers are truncated.
const maxIdentLen = 63

// truncateIdent cuts an identifier to maxIdentLen bytes on a character boundary.
func truncateIdent(s string) string {
	if len(s) <= maxIdentLen {
		return s
	}
	n := maxIdentLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// syntaxErrAt builds PostgreSQL's "syntax error at or near" for token i of the source; an index
// past the end reports "at end of input".
func (s *source) syntaxErrAt(i int) *pgerror.Error {
	if i < 0 || i >= len(s.toks) {
		return s.endOfInput()
	}
	t := s.toks[i]
	if t.is(";") {
		return &pgerror.Error{Code: pgerror.SyntaxError, Message: `syntax error at or near ";"`,
			Position: s.charPos(t.off)}
	}
	return &pgerror.Error{Code: pgerror.SyntaxError,
		Message:  "syntax error at or near \"" + s.text[t.off:t.end] + "\"",
		Position: s.charPos(t.off)}
}

func (s *source) endOfInput() *pgerror.Error {
	return &pgerror.Error{Code: pgerror.SyntaxError, Message: "syntax error at end of input",
		Position: s.charPos(len(s.text))}
}

// lexErrNear is lexErr with PostgreSQL's "at or near" suffix quoting s[off:end].
func lexErrNear(s string, off, end int, msg string) *pgerror.Error {
	return lexErr(s, off, msg+" at or near \""+s[off:end]+"\"")
}

func lexErr(s string, off int, msg string) *pgerror.Error {
	return &pgerror.Error{Code: pgerror.SyntaxError, Message: msg,
		Position: int32(utf8.RuneCountInString(s[:off]) + 1)}
}

// opChars are the characters PostgreSQL builds operators from.
const opChars = "+-*/<>=~!@#%^&|`?"

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentCont(c byte) bool { return isIdentStart(c) || c == '$' || (c >= '0' && c <= '9') }

// foldIdent lower-cases ASCII letters, as PostgreSQL does for unquoted identifiers.
func foldIdent(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return strings.Map(func(r rune) rune {
				if r >= 'A' && r <= 'Z' {
					return r + ('a' - 'A')
				}
				return r
			}, s)
		}
	}
	return s
}

// lex splits the whole query string into tokens. Comments and whitespace are dropped.
func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			start, depth := i, 0
			for {
				if i+1 >= len(s) {
					return nil, lexErrNear(s, start, len(s), "unterminated /* comment")
				}
				if s[i] == '/' && s[i+1] == '*' {
					depth++
					i += 2
				} else if s[i] == '*' && s[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == '\'':
			v, end, err := lexQuoted(s, i, i+1, false)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, off: i, end: end, val: v})
			i = end
		case (c == 'e' || c == 'E') && i+1 < len(s) && s[i+1] == '\'':
			v, end, err := lexQuoted(s, i, i+2, true)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, off: i, end: end, val: v})
			i = end
		case (c == 'n' || c == 'N') && i+1 < len(s) && s[i+1] == '\'':
			v, end, err := lexQuoted(s, i, i+2, false)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, off: i, end: end, val: v})
			i = end
		case (c == 'b' || c == 'B' || c == 'x' || c == 'X') && i+1 < len(s) && s[i+1] == '\'':
			v, end, err := lexQuoted(s, i, i+2, false)
			if err != nil {
				return nil, err
			}
			hex := c == 'x' || c == 'X'
			for _, r := range v {
				if hex && !strings.ContainsRune("0123456789abcdefABCDEF", r) {
					return nil, lexErr(s, i, "\""+string(r)+"\" is not a valid hexadecimal digit")
				}
				if !hex && r != '0' && r != '1' {
					return nil, lexErr(s, i, "\""+string(r)+"\" is not a valid binary digit")
				}
			}
			toks = append(toks, token{kind: tBits, off: i, end: end, val: v, hex: hex})
			i = end
		case (c == 'u' || c == 'U') && i+2 < len(s) && s[i+1] == '&' && (s[i+2] == '\'' || s[i+2] == '"'):
			return nil, &pgerror.Error{Code: pgerror.FeatureNotSupported,
				Message:  "Unicode escape strings (U&'...') are not supported",
				Position: int32(utf8.RuneCountInString(s[:i]) + 1)}
		case c == '"':
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(s) {
					return nil, lexErrNear(s, i, len(s), "unterminated quoted identifier")
				}
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if b.Len() == 0 {
				return nil, lexErrNear(s, i, j+1, "zero-length delimited identifier")
			}
			toks = append(toks, token{kind: tQIdent, off: i, end: j + 1, val: truncateIdent(b.String())})
			i = j + 1
		case c == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(s[i+1 : j])
			if err != nil || n < 1 || n > 65535 {
				return nil, lexErr(s, i, "there is no parameter "+s[i:j])
			}
			toks = append(toks, token{kind: tParam, off: i, end: j, val: strconv.Itoa(n)})
			i = j
		case c == '$':
			j := i + 1
			for j < len(s) && isIdentCont(s[j]) && s[j] != '$' {
				j++
			}
			if j >= len(s) || s[j] != '$' {
				return nil, lexErr(s, i, "syntax error at or near \"$\"")
			}
			tag := s[i : j+1]
			k := strings.Index(s[j+1:], tag)
			if k < 0 {
				return nil, lexErrNear(s, i, len(s), "unterminated dollar-quoted string")
			}
			toks = append(toks, token{kind: tString, off: i, end: j + 1 + k + len(tag), val: s[j+1 : j+1+k]})
			i = j + 1 + k + len(tag)
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentCont(s[j]) {
				j++
			}
			toks = append(toks, token{kind: tIdent, off: i, end: j, val: truncateIdent(foldIdent(s[i:j]))})
			i = j
		case (c >= '0' && c <= '9') || (c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			t, err := lexNumber(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = t.end
		case c == ':' && i+1 < len(s) && s[i+1] == ':':
			toks = append(toks, token{kind: tPunct, off: i, end: i + 2, val: "::"})
			i += 2
		case strings.IndexByte("()[],;.:", c) >= 0:
			toks = append(toks, token{kind: tPunct, off: i, end: i + 1, val: string(c)})
			i++
		case strings.IndexByte(opChars, c) >= 0:
			j := i
			for j < len(s) && strings.IndexByte(opChars, s[j]) >= 0 {
				if j > i && j+1 < len(s) && ((s[j] == '-' && s[j+1] == '-') || (s[j] == '/' && s[j+1] == '*')) {
					break
				}
				j++
			}
			op := s[i:j]
			// A multi-character operator may end in + or - only if it contains one of the
			// characters below; otherwise the trailing signs are separate (PostgreSQL's rule,
			// which makes "a*-1" three tokens).
			if len(op) > 1 && !strings.ContainsAny(op, "~!@#%^&|`?") {
				for len(op) > 1 && (op[len(op)-1] == '+' || op[len(op)-1] == '-') {
					op = op[:len(op)-1]
				}
			}
			if op == "!=" {
				op = "<>"
			}
			toks = append(toks, token{kind: tOp, off: i, end: i + len(op), val: op})
			i += len(op)
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, lexErr(s, i, "syntax error at or near \""+string(r)+"\"")
		}
	}
	return toks, nil
}

// lexNumber reads an integer or numeric constant starting at i.
func lexNumber(s string, i int) (token, error) {
	j := i
	kind := tInt
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	// "1..2" is not a number followed by ".2"; PostgreSQL stops before "..".
	if j < len(s) && s[j] == '.' && !(j+1 < len(s) && s[j+1] == '.') {
		kind = tNum
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			kind = tNum
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		} else {
			return token{}, lexErrNear(s, i, j+1, "trailing junk after numeric literal")
		}
	}
	if j < len(s) && isIdentStart(s[j]) {
		_, size := utf8.DecodeRuneInString(s[j:])
		return token{}, lexErrNear(s, i, j+size, "trailing junk after numeric literal")
	}
	return token{kind: kind, off: i, end: j, val: s[i:j]}, nil
}

// lexQuoted reads a single-quoted string that starts at start and whose body starts at i.
// With escapes, backslash sequences are decoded as in E'...'. It returns the decoded text and
// the offset just past the closing quote.
func lexQuoted(s string, start, i int, escapes bool) (string, int, error) {
	var b strings.Builder
	for {
		if i >= len(s) {
			return "", 0, lexErrNear(s, start, len(s), "unterminated quoted string")
		}
		c := s[i]
		if c == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			i++
			break
		}
		if c == '\\' && escapes {
			if i+1 >= len(s) {
				return "", 0, lexErrNear(s, start, len(s), "unterminated quoted string")
			}
			n, err := decodeEscape(s, i, &b)
			if err != nil {
				return "", 0, err
			}
			i = n
			continue
		}
		b.WriteByte(c)
		i++
	}
	v := b.String()
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return "", 0, &pgerror.Error{Code: pgerror.CharacterNotInRepertoire,
			Message:  "invalid byte sequence for encoding \"UTF8\"",
			Position: int32(utf8.RuneCountInString(s[:start]) + 1)}
	}
	return v, i, nil
}

// decodeEscape decodes one backslash escape at s[i] into b and returns the offset after it.
func decodeEscape(s string, i int, b *strings.Builder) (int, error) {
	c := s[i+1]
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'x':
		j := i + 2
		for j < len(s) && j < i+4 && isHex(s[j]) {
			j++
		}
		if j == i+2 {
			b.WriteByte('x')
			return i + 2, nil
		}
		v, _ := strconv.ParseUint(s[i+2:j], 16, 8)
		b.WriteByte(byte(v))
		return j, nil
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if i+2+n > len(s) {
			return 0, lexErr(s, i, "invalid Unicode escape")
		}
		for k := i + 2; k < i+2+n; k++ {
			if !isHex(s[k]) {
				return 0, lexErr(s, i, "invalid Unicode escape")
			}
		}
		v, _ := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
		if v == 0 || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return 0, lexErr(s, i, "invalid Unicode escape value")
		}
		b.WriteRune(rune(v))
		return i + 2 + n, nil
	default:
		if c >= '0' && c <= '7' {
			j := i + 1
			for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i+1:j], 8, 16)
			b.WriteByte(byte(v))
			return j, nil
		}
		// \\, \' and any other character stand for themselves.
		b.WriteByte(c)
	}
	return i + 2, nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
