package datagen

import (
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/connectors/internal/rng"
	"github.com/eddydb/eddy/sql/types"
)

// alphabet is what random strings are made of.
const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Batch returns the rows at offsets [from, to) as one record with every column (D3: the caller
// releases it). A range past End is an error; an empty range gives an empty record.
func (g *Generator) Batch(mem memory.Allocator, from, to int64) (arrow.Record, error) {
	if err := g.checkRange(from, to); err != nil {
		return nil, err
	}
	n := int(to - from)
	cols := make([]arrow.Array, len(g.fields))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range g.fields {
		b := types.NewBuilder(mem, g.fields[i].col.Type)
		b.Reserve(n)
		g.fields[i].fill(b, from, to, g.rate)
		cols[i] = b.NewArray()
		b.Release()
	}
	return array.NewRecord(g.schema, cols, int64(n)), nil
}

// stream returns the random stream of this column at offset k (D1).
func (f *field) stream(k int64) rng.Stream { return rng.New(rng.Key(f.key, uint64(k))) }

// fill appends the values of offsets [from, to) to b, a builder for f's type.
func (f *field) fill(b array.Builder, from, to, rate int64) {
	if f.kind == kindSequence {
		f.fillSequence(b, from, to)
		return
	}
	switch b := b.(type) {
	case *array.Int16Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(int16(f.randInt(k)))
		}
	case *array.Int32Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(int32(f.randInt(k)))
		}
	case *array.Int64Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(f.randInt(k))
		}
	case *array.Float32Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(float32(f.randFloat(k)))
		}
	case *array.Float64Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(f.randFloat(k))
		}
	case *array.BooleanBuilder:
		for k := from; k < to; k++ {
			r := f.stream(k)
			b.UnsafeAppend(r.Uint64()&1 == 1)
		}
	case *array.Date32Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(arrow.Date32(floorDiv(f.randTime(k, rate), dayMicros)))
		}
	case *array.TimestampBuilder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(arrow.Timestamp(f.randTime(k, rate)))
		}
	case *array.StringBuilder:
		var buf []byte
		numeric := f.col.Type.Family == types.Numeric
		if !numeric {
			b.ReserveData((f.length) * int(to-from))
		}
		for k := from; k < to; k++ {
			if numeric {
				buf = f.appendNumeric(buf[:0], f.randFloat(k))
			} else {
				buf = f.appendString(buf[:0], k)
			}
			b.BinaryBuilder.Append(buf)
		}
	}
}

// fillSequence appends start+k for k in [from, to), converted to f's type (for floats the start
// is f.flo, else f.lo).
func (f *field) fillSequence(b array.Builder, from, to int64) {
	switch b := b.(type) {
	case *array.Int16Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(int16(f.lo + k))
		}
	case *array.Int32Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(int32(f.lo + k))
		}
	case *array.Int64Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(f.lo + k)
		}
	case *array.Float32Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(float32(f.flo + float64(k)))
		}
	case *array.Float64Builder:
		for k := from; k < to; k++ {
			b.UnsafeAppend(f.flo + float64(k))
		}
	case *array.StringBuilder: // numeric, text, varchar: the decimal digits
		var buf []byte
		scale := 0
		if t := f.col.Type; t.Family == types.Numeric && t.Width > 0 {
			scale = int(t.Scale) // numeric(p,s) text carries s fraction digits
		}
		for k := from; k < to; k++ {
			buf = strconv.AppendInt(buf[:0], f.lo+k, 10)
			if scale > 0 {
				buf = append(buf, '.')
				for range scale {
					buf = append(buf, '0')
				}
			}
			b.BinaryBuilder.Append(buf)
		}
	}
}

// randInt is a uniform integer in [lo, hi].
func (f *field) randInt(k int64) int64 {
	r := f.stream(k)
	span := uint64(f.hi - f.lo) // wraps correctly for any lo <= hi
	if span == math.MaxUint64 {
		return int64(r.Uint64())
	}
	return f.lo + int64(r.Below(span+1))
}

// randFloat is a uniform number in [flo, fhi] (fhi itself is reached only when flo == fhi).
func (f *field) randFloat(k int64) float64 {
	r := f.stream(k)
	// The conversion forbids fusing into one FMA instruction, which some platforms would do and
	// others not, giving replicas different bits (D1).
	return f.flo + float64(r.Float64()*(f.fhi-f.flo))
}

// randTime is base(k) minus a uniform spread in [0, maxPast], in µs. base(k) is start, plus
// k/rate seconds in relative mode: the instant offset k holds on the stream's virtual clock.
func (f *field) randTime(k, rate int64) int64 {
	base := f.start
	if f.relative {
		base += (k/rate)*1_000_000 + (k%rate)*1_000_000/rate
	}
	if f.maxPast == 0 {
		return base
	}
	r := f.stream(k)
	return base - int64(r.Below(uint64(f.maxPast)+1))
}

// appendString appends a random string of f.length characters drawn from alphabet. Each draw of
// 64 bits yields ten characters (62^10 < 2^64).
func (f *field) appendString(buf []byte, k int64) []byte {
	r := f.stream(k)
	var x uint64
	for i := 0; i < f.length; i++ {
		if i%10 == 0 {
			x = r.Uint64()
		}
		buf = append(buf, alphabet[x%uint64(len(alphabet))])
		x /= uint64(len(alphabet))
	}
	return buf
}

// appendNumeric appends v as numeric text: rounded to the column's scale when it has a typmod,
// else the shortest decimal that reads back as v.
func (f *field) appendNumeric(buf []byte, v float64) []byte {
	if f.col.Type.Width > 0 {
		start := len(buf)
		buf = strconv.AppendFloat(buf, v, 'f', int(f.col.Type.Scale), 64)
		if buf[start] == '-' && allZero(buf[start+1:]) { // rounded to zero: no "-0.00"
			buf = append(buf[:start], buf[start+1:]...)
		}
		return buf
	}
	return strconv.AppendFloat(buf, v, 'f', -1, 64)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// allZero reports whether digits (with an optional '.') are all zeros.
func allZero(digits []byte) bool {
	for _, c := range digits {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}
