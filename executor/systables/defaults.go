package systables

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/sql/types"
)

// pgDefault rewrites a column's DEFAULT text, as eddy stores it (the expression as written),
// into the text PostgreSQL's pg_get_expr shows for the same default, for the simple forms
// where the two differ. PostgreSQL stores a default as an expression coerced to the column's
// type; a literal becomes a typed constant, which it prints with a cast unless the type is
// integer, boolean or a decimal-looking numeric:
//
//	text    DEFAULT 'x'   -> 'x'::text
//	varchar DEFAULT 'y'   -> 'y'::character varying
//	int     DEFAULT -1    -> '-1'::integer
//	int     DEFAULT '4'   -> 4
//	boolean DEFAULT TRUE  -> true
//
// Anything else (function calls, operators, unquoted non-negative numbers) is returned as is.
func pgDefault(def string, t types.T) string {
	s := strings.TrimSpace(def)
	switch {
	case s == "":
		return def
	case strings.EqualFold(s, "true") || strings.EqualFold(s, "false"):
		if t.Family == types.Bool {
			return strings.ToLower(s)
		}
	case isStringLiteral(s):
		return typedConst(s[1:len(s)-1], t)
	case s[0] == '-' && isNumber(s[1:]):
		// A negative number is one constant in PostgreSQL's parse tree, of type integer,
		// bigint or numeric, whatever the column's type (an implicit cast hides the rest).
		lit := strings.TrimSpace(s[1:])
		if _, err := strconv.ParseInt("-"+lit, 10, 32); err == nil {
			return "'-" + lit + "'::integer"
		}
		if _, err := strconv.ParseInt("-"+lit, 10, 64); err == nil {
			return "'-" + lit + "'::bigint"
		}
		return "'-" + lit + "'::numeric"
	}
	return def
}

// typedConst prints a string literal (quotes removed, inner quotes still doubled) that
// PostgreSQL has turned into a constant of type t.
func typedConst(body string, t types.T) string {
	val := strings.ReplaceAll(body, "''", "'")
	switch t.Family {
	case types.Int4:
		if n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 32); err == nil {
			if n >= 0 {
				return strconv.FormatInt(n, 10)
			}
			return "'" + strconv.FormatInt(n, 10) + "'::integer"
		}
	case types.Bool:
		switch strings.ToLower(strings.TrimSpace(val)) {
		case "t", "true", "y", "yes", "on", "1":
			return "true"
		case "f", "false", "n", "no", "off", "0":
			return "false"
		}
	case types.Numeric:
		v := strings.TrimSpace(val)
		if isNumber(v) && strings.ContainsAny(v, ".eE") {
			return v
		}
	}
	return "'" + body + "'::" + castName(t)
}

// castName is format_type's name for t without its modifiers, as a cast in a deparsed
// constant shows it.
func castName(t types.T) string {
	if t.Family == types.Char {
		return "bpchar"
	}
	return types.T{Family: t.Family}.String()
}

// isStringLiteral reports whether s is exactly one standard single-quoted literal.
func isStringLiteral(s string) bool {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return false
	}
	inner := s[1 : len(s)-1]
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\'' {
			if i+1 >= len(inner) || inner[i+1] != '\'' {
				return false
			}
			i++
		}
	}
	return true
}

// isNumber reports whether s is an unsigned decimal number (digits, an optional fraction and
// exponent).
func isNumber(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.ContainsAny(s, "xXpP_")
}
