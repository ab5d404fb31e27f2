package fn

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Functions beyond the core families: AT TIME ZONE (timezone()), encode/decode, more regular
// expression functions, overlay, num_nulls, hashes, current_setting, and function-style casts
// such as int4(x) and text(x).

var zoneCache sync.Map // zone name → *time.Location; LoadLocation reads files, so cache

// loadZone resolves a time zone as AT TIME ZONE does: an IANA name, or a numeric offset written
// the POSIX way ('+05' and 'UTC+3' are west of Greenwich).
func loadZone(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	var loc *time.Location
	up := strings.ToUpper(name)
	rest := name
	for _, p := range []string{"UTC", "GMT"} {
		if strings.HasPrefix(up, p) && len(name) > 3 && (name[3] == '+' || name[3] == '-') {
			rest = name[3:]
		}
	}
	if off, ok := parseOffset(rest); ok {
		loc = time.FixedZone(name, -off) // POSIX: positive means west of Greenwich
	} else if strings.EqualFold(name, "utc") || strings.EqualFold(name, "gmt") || strings.EqualFold(name, "z") {
		loc = time.UTC
	} else if l, err := time.LoadLocation(name); err == nil {
		loc = l
	} else {
		return nil, pgerror.Newf(pgerror.InvalidParameterValue, "time zone \"%s\" not recognized", name)
	}
	zoneCache.Store(name, loc)
	return loc, nil
}

// parseOffset reads [+-]hh[:mm[:ss]] or a bare number of hours, in seconds.
func parseOffset(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		sign, s = -1, s[1:]
	default:
		if s[0] < '0' || s[0] > '9' {
			return 0, false
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	total := 0
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return 0, false
		}
		total += v * []int{3600, 60, 1}[i]
	}
	return sign * total, true
}

func encodeBytes(b []byte, format string) (string, error) {
	switch strings.ToLower(format) {
	case "hex":
		return hex.EncodeToString(b), nil
	case "base64":
		s := base64.StdEncoding.EncodeToString(b)
		var out strings.Builder
		for len(s) > 76 { // PostgreSQL wraps base64 output at 76 characters
			out.WriteString(s[:76])
			out.WriteByte('\n')
			s = s[76:]
		}
		out.WriteString(s)
		return out.String(), nil
	case "escape":
		var out strings.Builder
		for _, c := range b {
			switch {
			case c == '\\':
				out.WriteString(`\\`)
			case c == 0 || c >= 0x80:
				fmt.Fprintf(&out, "\\%03o", c)
			default:
				out.WriteByte(c)
			}
		}
		return out.String(), nil
	}
	return "", pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized encoding: \"%s\"", format)
}

func decodeText(s, format string) ([]byte, error) {
	switch strings.ToLower(format) {
	case "hex":
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
		}
		return b, nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid base64 end sequence").
				WithHint("Input data is missing padding, is truncated, or is otherwise corrupted.")
		}
		return b, nil
	case "escape":
		v, err := types.ParseText(types.ByteaT, s, nil)
		if err != nil {
			return nil, err
		}
		return v.([]byte), nil
	}
	return nil, pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized encoding: \"%s\"", format)
}

// overlay is overlay(s placing r from start for count).
func overlay(s, r string, start, count int64) (string, error) {
	if start < 1 {
		return "", pgerror.New("22011", "negative substring length not allowed")
	}
	head, _ := substr(s, 1, start-1, true)
	tail, _ := substr(s, start+count, 0, false)
	return head + r + tail, nil
}

// setting answers current_setting for the parameters the Context knows, then defaults.
func setting(ctx *Context, name string) (string, bool) {
	n := strings.ToLower(name)
	if ctx != nil && ctx.Setting != nil {
		if v, ok := ctx.Setting(n); ok {
			return v, true
		}
	}
	fc := formatCtx(ctx)
	switch n {
	case "timezone":
		return location(ctx).String(), true
	case "datestyle":
		return fc.DateStyle, true
	case "intervalstyle":
		return fc.IntervalStyle, true
	case "extra_float_digits":
		return strconv.Itoa(fc.ExtraFloatDigits), true
	case "search_path":
		if ctx != nil && len(ctx.SearchPath) > 0 {
			return strings.Join(ctx.SearchPath, ", "), true
		}
		return `"$user", public`, true
	case "server_version":
		return PGVersion, true
	case "server_version_num":
		return "150000", true
	case "server_encoding", "client_encoding":
		return "UTF8", true
	case "standard_conforming_strings", "integer_datetimes":
		return "on", true
	case "max_identifier_length":
		return "63", true
	case "lc_collate", "lc_ctype":
		return "C", true
	case "application_name":
		return "", true
	}
	return "", false
}

// typeCastFuncs are the type names usable as one-argument cast functions, as in int4(x).
var typeCastFuncs = map[string]types.T{
	"int2": types.Int2T, "int4": types.Int4T, "int8": types.Int8T, "float4": types.Float4T,
	"float8": types.Float8T, "numeric": types.NumericT, "text": types.TextT, "varchar": types.VarcharT,
	"bool": types.BoolT, "date": types.DateT, "timestamp": types.TimestampT, "timestamptz": types.TimestampTZT,
	"interval": types.IntervalT, "time": types.TimeT, "bytea": types.ByteaT, "name": types.NameT,
	"oid": types.OidT, "regclass": fam(types.RegClass), "bpchar": fam(types.Char),
}

func init() {
	defFunc("timezone", ts(text, tzT), tsT, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(text, tzT), tsT, n, true, func(r []any) (any, error) {
			loc, err := loadZone(r[0].(string))
			if err != nil {
				return nil, err
			}
			return utcToWall(r[1].(int64), loc), nil
		})
	})
	defFunc("timezone", ts(text, tsT), tzT, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(text, tsT), tzT, n, true, func(r []any) (any, error) {
			loc, err := loadZone(r[0].(string))
			if err != nil {
				return nil, err
			}
			return wallToUTC(r[1].(int64), loc), nil
		})
	})
	defRows("timezone", ts(ivT, tzT), tsT, func(r []any) (any, error) {
		iv := r[0].(types.IntervalValue)
		if iv.Months != 0 || iv.Days != 0 {
			return nil, pgerror.Newf(pgerror.InvalidParameterValue, "interval time zone \"%s\" must not include months or days",
				types.FormatText(ivT, iv, nil))
		}
		return r[1].(int64) + iv.Micros, nil
	})
	defRows("timezone", ts(ivT, tsT), tzT, func(r []any) (any, error) {
		iv := r[0].(types.IntervalValue)
		if iv.Months != 0 || iv.Days != 0 {
			return nil, pgerror.Newf(pgerror.InvalidParameterValue, "interval time zone \"%s\" must not include months or days",
				types.FormatText(ivT, iv, nil))
		}
		return r[1].(int64) - iv.Micros, nil
	})
	defRows("date_trunc", ts(text, tzT, text), tzT, func(r []any) (any, error) {
		loc, err := loadZone(r[2].(string))
		if err != nil {
			return nil, err
		}
		w, err := truncWall(normUnit(r[0].(string)), utcToWall(r[1].(int64), loc), tzT, strings.ToLower(r[0].(string)))
		if err != nil {
			return nil, err
		}
		return wallToUTC(w, loc), nil
	})
	sevenArgs := ts(int4T, int4T, int4T, int4T, int4T, float8, text)
	defRows("make_timestamptz", sevenArgs, tzT, func(r []any) (any, error) {
		loc, err := loadZone(r[6].(string))
		if err != nil {
			return nil, err
		}
		w, err := makeTimestamp(r[:6])
		return wallToUTC(w, loc), err
	})
	by := types.ByteaT
	defRows("encode", ts(by, text), text, func(r []any) (any, error) { return encodeBytes(r[0].([]byte), r[1].(string)) })
	defRows("decode", ts(text, text), by, func(r []any) (any, error) { return decodeText(r[0].(string), r[1].(string)) })
	defRows("sha256", ts(by), by, func(r []any) (any, error) { h := sha256.Sum256(r[0].([]byte)); return h[:], nil })
	defRows("sha224", ts(by), by, func(r []any) (any, error) { h := sha256.Sum224(r[0].([]byte)); return h[:], nil })
	defRows("sha512", ts(by), by, func(r []any) (any, error) { h := sha512.Sum512(r[0].([]byte)); return h[:], nil })
	defRows("sha384", ts(by), by, func(r []any) (any, error) { h := sha512.Sum384(r[0].([]byte)); return h[:], nil })
	defRows("overlay", ts(text, text, int4T), text, func(r []any) (any, error) {
		return overlay(r[0].(string), r[1].(string), r[2].(int64), runeLen(r[1].(string)))
	})
	defRows("overlay", ts(text, text, int4T, int4T), text, func(r []any) (any, error) {
		return overlay(r[0].(string), r[1].(string), r[2].(int64), r[3].(int64))
	})
	for k := 2; k <= 3; k++ {
		args := []types.T{text, text, text}[:k]
		defRows("regexp_like", args, types.BoolT, func(r []any) (any, error) {
			re, err := compileRegex(r[1].(string), flagsArg(r, 2))
			if err != nil {
				return nil, err
			}
			return re.MatchString(r[0].(string)), nil
		})
		defRows("regexp_split_to_array", args, fam(types.TextArray), func(r []any) (any, error) {
			re, err := compileRegex(r[1].(string), flagsArg(r, 2))
			if err != nil {
				return nil, err
			}
			return formatTextArray(re.Split(r[0].(string), -1)), nil
		})
	}
	// regexp_count(string, pattern [, start [, flags]]): start is 1-based, in characters.
	count := func(r []any) (any, error) {
		flags, src := "", r[0].(string)
		if len(r) > 3 {
			flags = r[3].(string)
		}
		if len(r) > 2 {
			start := r[2].(int64)
			if start <= 0 {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid value for parameter \"%s\": %d", "start", start)
			}
			src, _ = substr(src, start, 0, false)
		}
		re, err := compileRegex(r[1].(string), flags)
		if err != nil {
			return nil, err
		}
		return int64(len(re.FindAllStringIndex(src, -1))), nil
	}
	defRows("regexp_count", ts(text, text), int4T, count)
	defRows("regexp_count", ts(text, text, int4T), int4T, count)
	defRows("regexp_count", ts(text, text, int4T, text), int4T, count)
	for _, name := range []string{"num_nulls", "num_nonnulls"} {
		nulls := name == "num_nulls"
		defPoly(name, ts(anyT), int4T, true, func([]types.T) evalFn {
			return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
				out := make([]int64, n)
				for i := range out {
					for _, a := range args {
						if a.IsNull(i) == nulls {
							out[i]++
						}
					}
				}
				return makeInts(int4T, out, nil), nil
			}
		}).Variadic = true
	}
	defRowsCtx("current_setting", ts(text), text, func(ctx *Context, r []any) (any, error) {
		v, ok := setting(ctx, r[0].(string))
		if !ok {
			return nil, pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter \"%s\"", r[0].(string))
		}
		return v, nil
	})
	defRowsCtx("current_setting", ts(text, types.BoolT), text, func(ctx *Context, r []any) (any, error) {
		v, ok := setting(ctx, r[0].(string))
		if !ok {
			if r[1].(bool) {
				return nil, nil
			}
			return nil, pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter \"%s\"", r[0].(string))
		}
		return v, nil
	})
	defRows("to_char", ts(int4T, text), text, func(r []any) (any, error) {
		return toCharNumber(strconv.FormatInt(r[0].(int64), 10), r[1].(string))
	})
	for name, to := range typeCastFuncs {
		defPoly(name, ts(anyT), to, false, func(at []types.T) evalFn {
			return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
				if !CanCast(at[0], to, CastExplicit) {
					return nil, pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", at[0].SQLName(), to.SQLName())
				}
				return Cast(ctx, args[0], at[0], to)
			}
		})
	}
}

func flagsArg(r []any, i int) string {
	if i < len(r) {
		return r[i].(string)
	}
	return ""
}
