package executor

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// parseArrayText splits PostgreSQL's array text form into elements (nil for NULL).
func parseArrayText(s string) ([]*string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, pgerror.Newf(pgerror.InvalidTextRepresentation, "malformed array literal: \"%s\"", s)
	}
	body := s[1 : len(s)-1]
	var out []*string
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	var cur strings.Builder
	quoted, inQuote, escaped := false, false, false
	flush := func() {
		v := cur.String()
		if !quoted {
			v = strings.TrimSpace(v)
			if strings.EqualFold(v, "NULL") {
				out = append(out, nil)
				cur.Reset()
				return
			}
		}
		out = append(out, &v)
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
			quoted = true
		case c == ',' && !inQuote:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out, nil
}

func (ec *ExecContext) evalAnyArray(ctx context.Context, e *AnyArray, rec arrow.Record) (arrow.Array, error) {
	x, arr, err := ec.eval2(ctx, e.X, e.Array, rec)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	defer arr.Release()
	xt := e.X.Type()
	return ec.mapDatums(types.BoolT, int(rec.NumRows()), func(i int) (any, error) {
		a := types.DatumAt(arr, i, e.Array.Type())
		if a == nil {
			return nil, nil
		}
		elems, err := parseArrayText(a.(string))
		if err != nil {
			return nil, err
		}
		if len(elems) == 0 {
			return e.All, nil
		}
		v := types.DatumAt(x, i, xt)
		if v == nil {
			return nil, nil
		}
		sawNull := false
		for _, el := range elems {
			if el == nil {
				sawNull = true
				continue
			}
			w, err := ec.castDatum(*el, types.TextT, xt, false)
			if err != nil {
				return nil, err
			}
			hit := cmpResult(e.Op, compareDatums(v, w))
			if !e.All && hit {
				return true, nil
			}
			if e.All && !hit {
				return false, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return e.All, nil
	})
}
