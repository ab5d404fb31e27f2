package fn

import (
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
)

// toCharNumber is to_char(number, template) for the common numeric patterns: 9 and 0 digit
// positions, . or D for the decimal point, , or G for group separators, FM (fill mode), S, MI,
// PL and SG for the sign. The number arrives as decimal text.
func toCharNumber(val, tmpl string) (string, error) {
	fm := false
	var pat []byte // the template without FM, with D and G mapped to . and ,
	signPat := ""
	for i := 0; i < len(tmpl); i++ {
		switch {
		case strings.HasPrefix(strings.ToUpper(tmpl[i:]), "FM"):
			fm = true
			i++
		case strings.HasPrefix(tmpl[i:], "MI"), strings.HasPrefix(tmpl[i:], "PL"), strings.HasPrefix(tmpl[i:], "SG"):
			signPat = tmpl[i : i+2]
			pat = append(pat, 's')
			i++
		case tmpl[i] == 'S':
			signPat = "S"
			pat = append(pat, 's')
		case tmpl[i] == 'D' || tmpl[i] == 'd':
			pat = append(pat, '.')
		case tmpl[i] == 'G' || tmpl[i] == 'g':
			pat = append(pat, ',')
		default:
			pat = append(pat, tmpl[i])
		}
	}
	p := string(pat)
	point := strings.IndexByte(p, '.')
	intPat, fracPat := p, ""
	if point >= 0 {
		intPat, fracPat = p[:point], p[point+1:]
	}
	intDigits := strings.Count(intPat, "9") + strings.Count(intPat, "0")
	fracDigits := strings.Count(fracPat, "9") + strings.Count(fracPat, "0")

	d, _, err := apd.NewFromString(val)
	if err != nil {
		return "", pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", val)
	}
	neg := d.Negative && !d.IsZero()
	d.Negative = false
	if err := quantize(d, int32(fracDigits)); err != nil {
		return "", err
	}
	txt := d.Text('f')
	intPart, fracPart := txt, ""
	if k := strings.IndexByte(txt, '.'); k >= 0 {
		intPart, fracPart = txt[:k], txt[k+1:]
	}
	if intPart == "0" {
		intPart = ""
	}
	overflow := len(intPart) > intDigits
	// Integer part: digits right-aligned onto the digit positions.
	firstZero := strings.IndexByte(intPat, '0')
	var b strings.Builder
	sign := " "
	if neg {
		sign = "-"
	}
	if fm && !neg {
		sign = ""
	}
	placedSign := signPat != ""
	if signPat == "S" && strings.HasPrefix(intPat, "s") {
		// A leading S is anchored to the number, as PostgreSQL does.
		intPat = intPat[1:]
		sign, placedSign = signText("S", neg, fm), false
	}
	digitIdx := 0
	started := false
	emitSign := func() {
		if !placedSign {
			b.WriteString(sign)
			placedSign = true
		}
	}
	for i := 0; i < len(intPat); i++ {
		c := intPat[i]
		switch c {
		case '9', '0':
			pos := intDigits - digitIdx // 1-based position from the right
			digitIdx++
			if overflow {
				if !started {
					emitSign()
					started = true
				}
				b.WriteByte('#')
				continue
			}
			forced := c == '0' || (firstZero >= 0 && i > firstZero)
			last := pos == 1 && intPart == "" && fracDigits == 0
			if pos <= len(intPart) || forced || last {
				if !started {
					emitSign()
					started = true
				}
				if pos <= len(intPart) {
					b.WriteByte(intPart[len(intPart)-pos])
				} else {
					b.WriteByte('0')
				}
			} else if !fm {
				b.WriteByte(' ')
			}
		case ',':
			if started {
				b.WriteByte(',')
			} else if !fm {
				b.WriteByte(' ')
			}
		case 's':
			b.WriteString(signText(signPat, neg, fm))
		default:
			b.WriteByte(c)
		}
	}
	if point >= 0 {
		if !started {
			emitSign()
		}
		b.WriteByte('.')
		var frac strings.Builder
		k := 0
		lastForced := 0
		for i := 0; i < len(fracPat); i++ {
			switch c := fracPat[i]; c {
			case '9', '0':
				if overflow {
					frac.WriteByte('#')
				} else {
					frac.WriteByte(fracPart[k])
				}
				k++
				if c == '0' {
					lastForced = frac.Len()
				}
			case 's':
				frac.WriteString(signText(signPat, neg, fm))
			default:
				frac.WriteByte(c)
			}
		}
		fs := frac.String()
		if fm {
			trimmed := strings.TrimRight(fs, "0")
			if len(trimmed) < lastForced {
				trimmed = fs[:lastForced]
			}
			fs = trimmed
		}
		b.WriteString(fs)
	} else if !started {
		emitSign()
	}
	return b.String(), nil
}

func signText(pat string, neg, fm bool) string {
	switch pat {
	case "MI":
		if neg {
			return "-"
		}
	case "PL":
		if !neg {
			return "+"
		}
	case "SG", "S":
		if neg {
			return "-"
		}
		return "+"
	}
	if fm {
		return ""
	}
	return " "
}

// toNumber is to_number(text, template): it keeps the digits of s, a decimal point, and a minus
// sign (or angle brackets) anywhere, and truncates the fraction to the template's fraction
// positions.
func toNumber(s, tmpl string) (string, error) {
	up := strings.ToUpper(tmpl)
	fracPos := -1
	if k := strings.IndexAny(up, ".D"); k >= 0 {
		fracPos = strings.Count(up[k:], "9") + strings.Count(up[k:], "0")
	}
	var intDigits, fracDigits strings.Builder
	inFrac, neg := false, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if inFrac {
				fracDigits.WriteRune(c)
			} else {
				intDigits.WriteRune(c)
			}
		case c == '.' && fracPos >= 0:
			inFrac = true
		case c == '-' || c == '<':
			neg = true
		}
	}
	if intDigits.Len() == 0 && fracDigits.Len() == 0 {
		return "", pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid input syntax for type numeric: \" \"")
	}
	frac := fracDigits.String()
	if fracPos >= 0 && len(frac) > fracPos {
		frac = frac[:fracPos]
	}
	out := intDigits.String()
	if out == "" {
		out = "0"
	}
	if frac != "" {
		out += "." + frac
	}
	d, _, err := apd.NewFromString(out)
	if err != nil {
		return "", pgerror.Wrap(err, pgerror.InvalidTextRepresentation, "invalid input syntax for type numeric")
	}
	d.Negative = neg && !d.IsZero()
	var r apd.Decimal
	r.Set(d)
	// Drop leading zeros the digit collection kept; the scale stays as read.
	return numText(&r), nil
}
