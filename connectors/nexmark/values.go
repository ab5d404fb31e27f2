package nexmark

import (
	"bytes"
	"math/big"
	"math/bits"

	"github.com/eddydb/eddy/connectors/internal/rng"
)

// This file draws the values of Nexmark events: random text, padding and prices. Everything is
// integer arithmetic on an rng.Stream, so every platform draws the same bits (N1).

// appendText appends a random word-ish string of 3 to maxLen-1 characters: lower-case letters
// with, one time in 13, the special byte instead. With special ' ' the result is trimmed, so it
// may come out shorter. One 64-bit draw yields seven characters (338^7 < 2^64).
func appendText(buf []byte, r *rng.Stream, maxLen int64, special byte) []byte {
	n := 3 + r.Intn(maxLen-3)
	start := len(buf)
	var x uint64
	for i := int64(0); i < n; i++ {
		if i%7 == 0 {
			x = r.Uint64()
		}
		v := x % 338 // 13 * 26: one value in 13 is special, the rest pick a letter
		x /= 338
		if v < 26 {
			buf = append(buf, special)
		} else {
			buf = append(buf, 'a'+byte(v%26))
		}
	}
	if special == ' ' {
		t := bytes.Trim(buf[start:], " ")
		buf = buf[:start+copy(buf[start:], t)]
	}
	return buf
}

// appendLetters appends exactly n random lower-case letters, thirteen per draw (26^13 < 2^64).
func appendLetters(buf []byte, r *rng.Stream, n int64) []byte {
	var x uint64
	for i := int64(0); i < n; i++ {
		if i%13 == 0 {
			x = r.Uint64()
		}
		buf = append(buf, 'a'+byte(x%26))
		x /= 26
	}
	return buf
}

// appendExtra appends the padding that brings an event of size bytes up to about avg bytes:
// nothing when it is already larger, else a random length within 20% of the shortfall.
func appendExtra(buf []byte, r *rng.Stream, size, avg int64) []byte {
	if size > avg {
		return buf
	}
	want := avg - size
	delta := (2*want + 5) / 10 // want/5, rounded half up
	n := want - delta
	if delta > 0 {
		n += r.Intn(2 * delta)
	}
	return appendLetters(buf, r, n)
}

// appendCreditCard appends four groups of four decimal digits, from one draw.
func appendCreditCard(buf []byte, r *rng.Stream) []byte {
	x := r.Uint64()
	for g := 0; g < 4; g++ {
		if g > 0 {
			buf = append(buf, ' ')
		}
		v := x % 10000
		x /= 10000
		buf = append(buf, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
	}
	return buf
}

// fixed-point numbers below have 60 fraction bits; values below 16 fit a uint64.
const (
	fracShift = 60
	fracBits  = 32 // bits of the exponent's fraction that nextPrice resolves
)

// pow10Bytes[j][b] is 10^(b / 256^(j+1)) in fixed point, for b in [0, 256): 10 raised to
// the j-th byte of a 32-bit binary fraction. The entries are products of the square roots
// sqrt(10), sqrt(sqrt(10)), ... computed once with math/big, whose software arithmetic gives
// the same bits everywhere, unlike math.Pow whose last bit may differ between architectures
// (assembly on some, fused multiply-adds on others).
var pow10Bytes = func() (t [fracBits / 8][256]uint64) {
	var steps [fracBits]uint64 // steps[i] = 10^(2^-(i+1))
	x := new(big.Float).SetPrec(256).SetInt64(10)
	one := new(big.Float).SetPrec(256).SetMantExp(big.NewFloat(1), fracShift)
	for i := range steps {
		x.Sqrt(x)
		steps[i], _ = new(big.Float).SetPrec(256).Mul(x, one).Uint64()
	}
	for j := range t {
		for b := range 256 {
			v := uint64(1) << fracShift
			for bit := 0; bit < 8; bit++ {
				if b&(0x80>>bit) != 0 {
					v = mulFixed(v, steps[8*j+bit])
				}
			}
			t[j][b] = v
		}
	}
	return t
}()

// mulFixed multiplies two fixed-point numbers, truncating.
func mulFixed(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi<<(64-fracShift) | lo>>fracShift
}

// nextPrice draws a price in cents from Nexmark's log-uniform distribution: 100 * 10^(6u) for u
// uniform in [0, 1), rounded, so from 1.00 to 1,000,000.00 with every decade equally likely.
func nextPrice(r *rng.Stream) int64 { return priceOf(r.Uint64()) }

// priceOf maps 64 random bits to a price; u is the top 32 bits read as a fraction.
func priceOf(bits64 uint64) int64 {
	e := (bits64 >> 32) * 6 // 6u with 32 fraction bits
	decade, frac := e>>fracBits, e&(1<<fracBits-1)
	x := pow10Bytes[0][frac>>24&0xff] // 10^frac, one byte of frac at a time
	x = mulFixed(x, pow10Bytes[1][frac>>16&0xff])
	x = mulFixed(x, pow10Bytes[2][frac>>8&0xff])
	x = mulFixed(x, pow10Bytes[3][frac&0xff])
	m := uint64(100)
	for range decade {
		m *= 10
	}
	hi, lo := bits.Mul64(x, m)
	lo, carry := bits.Add64(lo, 1<<(fracShift-1), 0) // round half up
	hi += carry
	return int64(hi<<(64-fracShift) | lo>>fracShift)
}
