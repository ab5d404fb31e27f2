package sql

import (
	"strconv"
	"strings"
)

// tokWord reports whether token i (below j) is the unquoted word w.
func (s *source) tokWord(i, j int, w string) bool {
	return i < j && i < len(s.toks) && s.toks[i].kind == tIdent && s.toks[i].val == w
}

func (s *source) tokIs(i, j int, p string) bool {
	return i < j && i < len(s.toks) && s.toks[i].is(p)
}

// parseType reads a PostgreSQL type name at [i, j): an optionally schema-qualified or quoted
// name, the multi-word SQL spellings (double precision, character varying, timestamp with time
// zone, ...), numeric modifiers and array bounds. It returns the type and the index after it.
func (s *source) parseType(i, j int) (*TypeName, int, error) {
	if i >= j {
		return nil, 0, s.syntaxErrAt(j)
	}
	t := s.toks[i]
	ty := &TypeName{Pos: s.charPos(t.off)}
	n := i + 1
	switch {
	case t.kind == tQIdent:
		ty.Name = t.val
		if t.val == "char" || strings.ToLower(t.val) != t.val {
			ty.Name = `"` + t.val + `"`
		}
	case t.kind == tIdent && (!reserved[t.val] || t.val == "binary"):
		ty.Name = t.val
	default:
		return nil, 0, s.syntaxErrAt(i)
	}
	// schema.type: pg_catalog is the default search path, so it is dropped.
	if s.tokIs(n, j, ".") && n+1 < j && (s.toks[n+1].kind == tIdent || s.toks[n+1].kind == tQIdent) {
		name := s.toks[n+1].val
		if s.toks[n+1].kind == tQIdent && (name == "char" || strings.ToLower(name) != name) {
			name = `"` + name + `"`
		}
		if ty.Name != "pg_catalog" {
			name = ty.Name + "." + name
		}
		ty.Name = name
		n += 2
	} else if t.kind == tIdent {
		switch t.val {
		case "double":
			if s.tokWord(n, j, "precision") {
				ty.Name = "double precision"
				n++
			}
		case "character", "char", "national", "nchar":
			if t.val == "national" && (s.tokWord(n, j, "character") || s.tokWord(n, j, "char")) {
				n++
			}
			ty.Name = "character"
			if t.val == "char" && !s.tokWord(n, j, "varying") {
				ty.Name = "char"
			}
			if s.tokWord(n, j, "varying") {
				ty.Name = "character varying"
				n++
			}
		case "bit":
			if s.tokWord(n, j, "varying") {
				ty.Name = "bit varying"
				n++
			}
		case "time", "timestamp":
			if s.tokIs(n, j, "(") {
				mods, m, err := s.typeMods(n, j)
				if err != nil {
					return nil, 0, err
				}
				ty.Mods, n = mods, m
			}
			if (s.tokWord(n, j, "with") || s.tokWord(n, j, "without")) && s.tokWord(n+1, j, "time") && s.tokWord(n+2, j, "zone") {
				ty.Name = t.val + " " + s.toks[n].val + " time zone"
				n += 3
			}
		case "interval":
			for n < j && s.toks[n].kind == tIdent && intervalUnits[s.toks[n].val] {
				n++
				if s.tokWord(n, j, "to") {
					n++
				}
			}
		}
	}
	if s.tokIs(n, j, "(") && ty.Mods == nil {
		mods, m, err := s.typeMods(n, j)
		if err != nil {
			return nil, 0, err
		}
		ty.Mods, n = mods, m
	}
	for {
		if s.tokIs(n, j, "[") {
			n++
			if n < j && s.toks[n].kind == tInt {
				n++
			}
			if !s.tokIs(n, j, "]") {
				return nil, 0, s.syntaxErrAt(n)
			}
			ty.Array = true
			n++
			continue
		}
		if s.tokWord(n, j, "array") && !ty.Array {
			ty.Array = true
			n++
			if s.tokIs(n, j, "[") && s.tokIs(n+2, j, "]") && s.toks[n+1].kind == tInt {
				n += 3
			}
			continue
		}
		break
	}
	return ty, n, nil
}

// typeMods reads (n[, n...]) at i.
func (s *source) typeMods(i, j int) ([]int32, int, error) {
	var mods []int32
	n := i + 1
	for {
		if n >= j || s.toks[n].kind != tInt {
			return nil, 0, s.syntaxErrAt(n)
		}
		v, err := strconv.ParseInt(s.toks[n].val, 10, 32)
		if err != nil {
			return nil, 0, s.syntaxErrAt(n)
		}
		mods = append(mods, int32(v))
		n++
		if s.tokIs(n, j, ",") {
			n++
			continue
		}
		if !s.tokIs(n, j, ")") {
			return nil, 0, s.syntaxErrAt(n)
		}
		return mods, n + 1, nil
	}
}

// formatType renders a type name in a form parseType reads back.
func formatType(t *TypeName) string {
	var sb strings.Builder
	name := t.Name
	base := name
	suffix := ""
	// Precision goes before "with time zone": timestamp(3) with time zone.
	for _, w := range []string{" with time zone", " without time zone"} {
		if strings.HasSuffix(name, w) {
			base, suffix = strings.TrimSuffix(name, w), w
		}
	}
	sb.WriteString(formatTypeName(base))
	if len(t.Mods) > 0 {
		sb.WriteByte('(')
		for i, m := range t.Mods {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(strconv.Itoa(int(m)))
		}
		sb.WriteByte(')')
	}
	sb.WriteString(suffix)
	if t.Array {
		sb.WriteString("[]")
	}
	return sb.String()
}

// formatTypeName quotes the parts of a possibly qualified type name that need it.
func formatTypeName(name string) string {
	if strings.HasPrefix(name, `"`) || strings.Contains(name, " ") {
		return name
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if strings.HasPrefix(p, `"`) {
			continue
		}
		// Type names are read where any plain word is a name, so only reserved words and names
		// that are not plain lower-case words need quotes.
		if reserved[p] || !simpleWord(p) || p == "true" || p == "false" {
			parts[i] = formatIdent(p)
		}
	}
	return strings.Join(parts, ".")
}
