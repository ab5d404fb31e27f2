// Package rng is the counter-based random source of eddy's generators: a stream of numbers that
// is a pure function of a 64-bit key, so a generator can key one stream per (seed, column,
// offset) or per (seed, event number) and regenerate any row without replaying the rows before
// it. It holds no global state and reads no clock.
//
// The mixing function is SplitMix64 (Steele, Lea and Flood, 2014): a Weyl sequence passed through
// a 64-bit finalizer. It is not cryptographic; it is fast, has no bad seeds, and its output for a
// key is fixed forever, which is the property replicas rely on.
//
// Invariant R1: the numbers drawn from Stream(k) depend only on k and on the sequence of calls,
// on every platform and Go version (only integer arithmetic and math.Float64frombits are used).
package rng

import "math/bits"

const golden = 0x9e3779b97f4a7c15

// Mix is the SplitMix64 finalizer: a bijection on uint64 that spreads every input bit over
// every output bit.
func Mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Key combines a and b into a stream key; Key(a, b) and Key(b, a) differ.
func Key(a, b uint64) uint64 { return Mix(a*golden + Mix(b+golden)) }

// HashString is FNV-1a over s, for keying streams by name.
func HashString(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

// Stream is a sequence of random numbers determined by its key. The zero value is a valid stream.
type Stream struct{ s uint64 }

// New returns the stream for key.
func New(key uint64) Stream { return Stream{s: key} }

// Uint64 returns the next 64 random bits.
func (r *Stream) Uint64() uint64 {
	r.s += golden
	return Mix(r.s)
}

// Below returns a number in [0, n); n must be positive. Lemire's multiply-shift mapping: the
// bias (at most n/2^64) is irrelevant for test data and the result stays a pure function of
// the key.
func (r *Stream) Below(n uint64) uint64 {
	hi, _ := bits.Mul64(r.Uint64(), n)
	return hi
}

// Intn returns a number in [0, n) for n > 0, and 0 for n <= 0.
func (r *Stream) Intn(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return int64(r.Below(uint64(n)))
}

// Float64 returns a number in [0, 1) with 53 random bits.
func (r *Stream) Float64() float64 {
	return float64(r.Uint64()>>11) * (1.0 / (1 << 53))
}
