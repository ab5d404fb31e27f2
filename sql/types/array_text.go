package types

import "strings"

// SplitArrayText splits the text form of a one-dimensional PostgreSQL array ({a,"b c",NULL})
// into its elements; a nil element is SQL NULL. Quoted elements keep their spaces and may hold
// backslash escapes; unquoted ones are trimmed, and an unquoted NULL (any case) is NULL.
// ok is false for a malformed literal.
func SplitArrayText(s string) (elems []*string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	out := []*string{}
	if strings.TrimSpace(body) == "" {
		return out, true
	}
	for i := 0; ; {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		var elem strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				elem.WriteByte(body[i])
				i++
			}
			if i >= len(body) {
				return nil, false // unterminated quote
			}
			i++ // closing quote
		} else {
			for i < len(body) && body[i] != ',' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				elem.WriteByte(body[i])
				i++
			}
		}
		v := elem.String()
		if !quoted {
			v = strings.TrimSpace(v)
			if v == "" {
				return nil, false // {a,,b} and {a,} are malformed
			}
		}
		if !quoted && strings.EqualFold(v, "NULL") {
			out = append(out, nil)
		} else {
			out = append(out, &v)
		}
		for i < len(body) && body[i] == ' ' {
			i++
		}
		if i == len(body) {
			return out, true
		}
		if body[i] != ',' {
			return nil, false
		}
		i++
	}
}
