package stream

import "sort"

// State is an operator's keyed state: values of type V addressed by an encoded key (the
// executor.RowKey encoding of a group, join key or row). It is the seam between an operator
// and durability (keeps S6):
//
//   - Get returns the value stored under key. A Pebble-backed State serves it from its
//     in-memory cache, loading from the store on a miss; the value it returns stays valid
//     until the next Put or Delete of that key, and the operator may change it in place, after
//     which it must call Put so the change is flushed.
//   - Put stores v under key and marks the key dirty; Delete removes the key and marks it
//     dirty.
//   - Ascend visits the entries in byte order of their keys (Pebble's iteration order), so an
//     operator that walks its state emits deterministically.
//   - Dirty hands over the keys changed since the previous call, in byte order, with their
//     current values (nil-equivalent and ok false for deleted keys). The FSM calls it once per
//     epoch and writes the entries, with the applied log index, in one Pebble batch: that batch
//     is the checkpoint. A Pebble-backed State needs a codec for V; the in-memory one does not.
type State[V any] interface {
	Get(key string) (V, bool)
	Put(key string, v V)
	Delete(key string)
	Len() int
	Ascend(f func(key string, v V) bool)
	Dirty(f func(key string, v V, ok bool))
}

// MemState is the in-memory State: a map plus the set of keys changed since the last epoch.
type MemState[V any] struct {
	m     map[string]V
	dirty map[string]struct{}
}

// NewMemState returns an empty in-memory State.
func NewMemState[V any]() *MemState[V] {
	return &MemState[V]{m: map[string]V{}, dirty: map[string]struct{}{}}
}

// Get implements State.
func (s *MemState[V]) Get(key string) (V, bool) {
	v, ok := s.m[key]
	return v, ok
}

// Put implements State.
func (s *MemState[V]) Put(key string, v V) {
	s.m[key] = v
	s.dirty[key] = struct{}{}
}

// Delete implements State.
func (s *MemState[V]) Delete(key string) {
	delete(s.m, key)
	s.dirty[key] = struct{}{}
}

// Len implements State.
func (s *MemState[V]) Len() int { return len(s.m) }

// Ascend implements State.
func (s *MemState[V]) Ascend(f func(key string, v V) bool) {
	for _, k := range sortedKeys(s.m) {
		if !f(k, s.m[k]) {
			return
		}
	}
}

// AscendRange is Ascend over the keys in [lower, upper).
func (s *MemState[V]) AscendRange(lower, upper string, f func(key string, v V) bool) {
	ks := make([]string, 0)
	for k := range s.m {
		if k >= lower && k < upper {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	for _, k := range ks {
		if !f(k, s.m[k]) {
			return
		}
	}
}

// Dirty implements State.
func (s *MemState[V]) Dirty(f func(key string, v V, ok bool)) {
	ks := make([]string, 0, len(s.dirty))
	for k := range s.dirty {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		v, ok := s.m[k]
		f(k, v, ok)
	}
	clear(s.dirty)
}
