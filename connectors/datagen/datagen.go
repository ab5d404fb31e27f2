package datagen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/eddydb/eddy/connectors/internal/rng"
	"github.com/eddydb/eddy/connectors/options"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// DefaultStart is the base instant of timestamp and date columns without fields.<col>.start:
// 2015-07-15 00:00:00 UTC in microseconds, the same fixed epoch as the nexmark connector.
const DefaultStart int64 = 1_436_918_400_000_000

const (
	dayMicros       = 86_400_000_000
	defaultMaxPast  = dayMicros
	defaultRate     = 10
	defaultStrLen   = 10
	defaultRandMax  = 32767
	maxStringLength = 1 << 20
)

// Column is one declared column of a datagen source.
type Column struct {
	Name string
	Type types.T
}

type kind uint8

const (
	kindRandom kind = iota
	kindSequence
)

// field is the compiled recipe of one column.
type field struct {
	col  Column
	kind kind
	key  uint64 // random: stream key from the seed and column name

	// sequence: values start..end; random integers: min..max (inclusive).
	lo, hi int64
	// random float4/float8/numeric: values in [flo, fhi].
	flo, fhi float64
	// random text/varchar: length in characters.
	length int
	// date/timestamp: base instant (µs), spread (µs) and whether the base follows the offset.
	start, maxPast int64
	relative       bool
}

// Generator produces the rows of one datagen source. It is immutable after New and safe for
// concurrent use.
type Generator struct {
	fields []field
	schema *arrow.Schema
	rate   int64
	end    int64 // one past the last offset; -1 when unbounded
}

// New compiles columns and options (a CREATE SOURCE ... WITH map) into a generator. Errors are
// *pgerror.Error with SQLSTATE 22023 (D2).
func New(columns []Column, opts map[string]string) (*Generator, error) {
	if len(columns) == 0 {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "datagen source needs at least one column")
	}
	s := options.New("datagen", opts)
	g := &Generator{end: -1}
	var err error
	if g.rate, err = s.Int("datagen.rows.per.second", defaultRate, 1, math.MaxInt64); err != nil {
		return nil, err
	}
	seed, err := s.Int("datagen.seed", 0, math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	if _, err := s.Int("datagen.split.num", 1, 1, 1); err != nil {
		return nil, err
	}
	names := make([]string, len(columns))
	ts := make([]types.T, len(columns))
	byName := make(map[string]bool, len(columns))
	for i, c := range columns {
		f, err := compileField(s, c, seed)
		if err != nil {
			return nil, err
		}
		if f.kind == kindSequence {
			if n := f.hi - f.lo + 1; g.end < 0 || n < g.end {
				g.end = n
			}
		}
		g.fields = append(g.fields, f)
		names[i], ts[i] = c.Name, c.Type
		byName[c.Name] = true
	}
	// Explain leftover fields.* keys better than "unrecognized option".
	for _, k := range s.Keys("fields.") {
		if s.Read(k) {
			continue
		}
		rest := strings.TrimPrefix(k, "fields.")
		dot := strings.LastIndexByte(rest, '.')
		if dot < 0 {
			return nil, options.Errorf(k, "expected fields.<column>.<property>")
		}
		col := rest[:dot]
		if !byName[col] {
			return nil, options.Errorf(k, "column %q does not exist", col)
		}
		return nil, options.Errorf(k, "does not apply to column %q", col)
	}
	if err := s.Unknown(); err != nil {
		return nil, err
	}
	g.schema = types.Schema(names, ts)
	return g, nil
}

// compileField reads the fields.<col>.* options of c.
func compileField(s *options.Set, c Column, seed int64) (field, error) {
	p := "fields." + c.Name + "."
	f := field{col: c}
	k, err := s.Enum(p+"kind", "random", "random", "sequence")
	if err != nil {
		return f, err
	}
	if k == "sequence" {
		f.kind = kindSequence
	}
	fam := c.Type.Family
	switch fam {
	case types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric,
		types.Text, types.Varchar, types.Bool, types.Date, types.Timestamp, types.TimestampTZ:
	default:
		return f, pgerror.Newf(pgerror.InvalidParameterValue,
			"datagen does not support column %q of type %s", c.Name, c.Type.SQLName())
	}
	if f.kind == kindSequence {
		return compileSequence(s, p, f)
	}
	colSeed, err := s.Int(p+"seed", seed, math.MinInt64, math.MaxInt64)
	if err != nil {
		return f, err
	}
	f.key = rng.Key(uint64(colSeed), rng.HashString(c.Name))
	switch fam {
	case types.Int2, types.Int4, types.Int8:
		tlo, thi := intRange(fam)
		if f.lo, err = s.Int(p+"min", 0, tlo, thi); err != nil {
			return f, err
		}
		if f.hi, err = s.Int(p+"max", min(defaultRandMax, thi), tlo, thi); err != nil {
			return f, err
		}
		if f.lo > f.hi {
			return f, options.Errorf(p+"min", "min %d is greater than max %d", f.lo, f.hi)
		}
	case types.Float4, types.Float8, types.Numeric:
		if f.flo, err = s.Float(p+"min", 0); err != nil {
			return f, err
		}
		defMax := float64(defaultRandMax)
		if lim, ok := numericLimit(c.Type); ok {
			defMax = min(defMax, lim)
		}
		if f.fhi, err = s.Float(p+"max", defMax); err != nil {
			return f, err
		}
		if f.flo > f.fhi {
			return f, options.Errorf(p+"min", "min %v is greater than max %v", f.flo, f.fhi)
		}
		if math.IsInf(f.fhi-f.flo, 0) {
			return f, options.Errorf(p+"max", "range [%v, %v] is wider than double precision can span", f.flo, f.fhi)
		}
		if err := checkNumericWidth(p+"max", c.Type, f.flo, f.fhi); err != nil {
			return f, err
		}
		if fam == types.Float4 && (math.Abs(f.flo) > math.MaxFloat32 || math.Abs(f.fhi) > math.MaxFloat32) {
			return f, options.Errorf(p+"max", "range exceeds real")
		}
	case types.Text, types.Varchar:
		def := int64(defaultStrLen)
		if w := int64(c.Type.Width); w > 0 {
			def = min(def, w)
		}
		n, err := s.Int(p+"length", def, 0, maxStringLength)
		if err != nil {
			return f, err
		}
		if c.Type.Width > 0 && n > int64(c.Type.Width) {
			return f, options.Errorf(p+"length", "length %d exceeds the column's %s", n, c.Type)
		}
		f.length = int(n)
	case types.Date, types.Timestamp, types.TimestampTZ:
		// basetime is RisingWave's name; start is eddy's, matching the sequences' option.
		if s.Has(p+"basetime") && s.Has(p+"start") {
			return f, options.Errorf(p+"start", "conflicts with %s; give one", p+"basetime")
		}
		key := p + "start"
		if s.Has(p + "basetime") {
			key = p + "basetime"
		}
		if f.start, err = s.Timestamp(key, DefaultStart); err != nil {
			return f, err
		}
		if f.maxPast, err = s.Duration(p+"max_past", defaultMaxPast); err != nil {
			return f, err
		}
		mode, err := s.Enum(p+"max_past_mode", "relative", "relative", "absolute")
		if err != nil {
			return f, err
		}
		f.relative = mode == "relative"
	}
	return f, nil
}

// compileSequence reads start and end of a sequence column.
func compileSequence(s *options.Set, p string, f field) (field, error) {
	fam := f.col.Type.Family
	var tlo, thi int64
	switch fam {
	case types.Int2, types.Int4, types.Int8:
		tlo, thi = intRange(fam)
	case types.Float4, types.Float8:
		return compileFloatSequence(s, p, f)
	case types.Numeric, types.Text, types.Varchar:
		tlo, thi = math.MinInt64, math.MaxInt64
		if t := f.col.Type; fam == types.Numeric && t.Width > 0 && t.Width-t.Scale <= 18 {
			thi = int64(math.Pow10(int(t.Width-t.Scale))) - 1
			tlo = -thi
		}
	default:
		return f, options.Errorf(p+"kind", "sequence is not supported for column %q of type %s",
			f.col.Name, f.col.Type.SQLName())
	}
	var err error
	if f.lo, err = s.Int(p+"start", 0, tlo, thi); err != nil {
		return f, err
	}
	if f.hi, err = s.Int(p+"end", thi, tlo, thi); err != nil {
		return f, err
	}
	if f.lo > f.hi {
		return f, options.Errorf(p+"start", "start %d is greater than end %d", f.lo, f.hi)
	}
	if err := checkNumericWidth(p+"end", f.col.Type, float64(f.lo), float64(f.hi)); err != nil {
		return f, err
	}
	if f.hi-f.lo+1 <= 0 { // the span overflows int64: cap it, nobody reads 2^63 rows
		f.hi = f.lo + math.MaxInt64 - 1
	}
	if w := f.col.Type.Width; fam == types.Varchar && w > 0 {
		if n := max(len(strconv.FormatInt(f.lo, 10)), len(strconv.FormatInt(f.hi, 10))); n > int(w) {
			return f, options.Errorf(p+"end", "values need %d characters, more than the column's %s", n, f.col.Type)
		}
	}
	return f, nil
}

// compileFloatSequence reads start and end of a real or double precision sequence: start,
// start+1, ... up to end, inclusive. The bounds may have fractions ('1.5').
func compileFloatSequence(s *options.Set, p string, f field) (field, error) {
	limit := float64(1 << 53) // beyond it, start+k no longer steps by one in float8
	if f.col.Type.Family == types.Float4 {
		limit = 1 << 24
	}
	var err error
	if f.flo, err = s.Float(p+"start", 0); err != nil {
		return f, err
	}
	if f.fhi, err = s.Float(p+"end", limit); err != nil {
		return f, err
	}
	if math.Abs(f.flo) > limit || math.Abs(f.fhi) > limit {
		return f, options.Errorf(p+"end", "sequence bounds must lie within ±%v for %s", limit, f.col.Type.SQLName())
	}
	if f.flo > f.fhi {
		return f, options.Errorf(p+"start", "start %v is greater than end %v", f.flo, f.fhi)
	}
	f.lo, f.hi = 0, int64(math.Floor(f.fhi-f.flo)) // offsets 0..hi; values flo + k
	return f, nil
}

// numericLimit returns the largest value numeric(p,s) holds, 10^(p-s) - 10^-s, and false for
// other types and unconstrained numeric.
func numericLimit(t types.T) (float64, bool) {
	if t.Family != types.Numeric || t.Width == 0 {
		return 0, false
	}
	return math.Pow10(int(t.Width-t.Scale)) - math.Pow10(-int(t.Scale)), true
}

// checkNumericWidth refuses a range [lo, hi] that numeric(p,s) cannot hold, so that rounding a
// value to the scale never overflows the precision.
func checkNumericWidth(key string, t types.T, lo, hi float64) error {
	limit, ok := numericLimit(t)
	limit *= 1 + 1e-12 // the limit itself, written in decimal, may parse a hair above it
	if ok && (math.Abs(lo) > limit || math.Abs(hi) > limit) {
		return options.Errorf(key, "range [%v, %v] does not fit in %s", lo, hi, t)
	}
	return nil
}

func intRange(fam types.Family) (int64, int64) {
	switch fam {
	case types.Int2:
		return math.MinInt16, math.MaxInt16
	case types.Int4:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// Schema returns the Arrow schema of the records Batch returns.
func (g *Generator) Schema() *arrow.Schema { return g.schema }

// RowsPerSecond is datagen.rows.per.second: the pace at which a reader should advance offsets.
// The generator itself never sleeps.
func (g *Generator) RowsPerSecond() int64 { return g.rate }

// End returns one past the last offset of a stream bounded by sequence columns (the shortest
// sequence wins), and false for an unbounded stream.
func (g *Generator) End() (int64, bool) { return g.end, g.end >= 0 }

// checkRange validates [from, to) against the stream.
func (g *Generator) checkRange(from, to int64) error {
	if from < 0 || to < from {
		return fmt.Errorf("datagen: invalid offset range [%d, %d)", from, to)
	}
	if g.end >= 0 && to > g.end {
		return fmt.Errorf("datagen: offset range [%d, %d) passes the end of the stream at %d", from, to, g.end)
	}
	return nil
}
