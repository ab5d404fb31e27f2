package options

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Set is a connector's option map plus a record of which keys have been read. It is not safe for
// concurrent use; connectors read their options once, when the source is declared.
type Set struct {
	connector string
	m         map[string]string
	used      map[string]bool
}

// New wraps m, the options of a source using connector. The "connector" key itself counts as read.
func New(connector string, m map[string]string) *Set {
	s := &Set{connector: connector, m: m, used: make(map[string]bool, len(m))}
	s.used["connector"] = true
	return s
}

// Errorf returns a 22023 error about option key (O1).
func Errorf(key, format string, args ...any) *pgerror.Error {
	return pgerror.Newf(pgerror.InvalidParameterValue, "option %q: "+format, append([]any{key}, args...)...)
}

// Has reports whether key was given, and marks it read.
func (s *Set) Has(key string) bool {
	_, ok := s.m[key]
	s.used[key] = true
	return ok
}

// lookup returns the trimmed value of key and whether it was given, marking it read.
func (s *Set) lookup(key string) (string, bool) {
	v, ok := s.m[key]
	s.used[key] = true
	return strings.TrimSpace(v), ok
}

// Read reports whether a getter has looked at key.
func (s *Set) Read(key string) bool { return s.used[key] }

// Keys returns the given keys that start with prefix, sorted.
func (s *Set) Keys(prefix string) []string {
	var ks []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// String returns the value of key, or def when it is absent.
func (s *Set) String(key, def string) string {
	if v, ok := s.m[key]; ok {
		s.used[key] = true
		return v
	}
	s.used[key] = true
	return def
}

// Int returns key parsed as a base-10 integer in [lo, hi], or def when it is absent.
func (s *Set) Int(key string, def, lo, hi int64) (int64, error) {
	v, ok := s.lookup(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, Errorf(key, "invalid integer %q", v)
	}
	if n < lo || n > hi {
		return 0, Errorf(key, "value %d out of range [%d, %d]", n, lo, hi)
	}
	return n, nil
}

// Float returns key parsed as a finite number, or def when it is absent.
func (s *Set) Float(key string, def float64) (float64, error) {
	v, ok := s.lookup(key)
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, Errorf(key, "invalid number %q", v)
	}
	return f, nil
}

// Bool returns key parsed as a PostgreSQL boolean ('true', 'off', '1', ...), or def when absent.
func (s *Set) Bool(key string, def bool) (bool, error) {
	v, ok := s.lookup(key)
	if !ok {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "true", "t", "on", "yes", "y", "1":
		return true, nil
	case "false", "f", "off", "no", "n", "0":
		return false, nil
	}
	return false, Errorf(key, "invalid boolean %q", v)
}

// Enum returns the element of allowed that key equals (ignoring case), or def when it is absent.
func (s *Set) Enum(key, def string, allowed ...string) (string, error) {
	v, ok := s.lookup(key)
	if !ok {
		return def, nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, nil
		}
	}
	return "", Errorf(key, "invalid value %q (expected one of: %s)", v, strings.Join(allowed, ", "))
}

// Duration returns key parsed as an interval of fixed length ('2h', '1 day', '500 ms'), in
// microseconds, or def when absent. A day counts 24 hours; months are refused since their length
// varies. Negative intervals are refused.
func (s *Set) Duration(key string, def int64) (int64, error) {
	v, ok := s.lookup(key)
	if !ok {
		return def, nil
	}
	iv, err := types.ParseInterval(v)
	if err != nil {
		return 0, Errorf(key, "invalid interval %q", v)
	}
	if iv.Months != 0 {
		return 0, Errorf(key, "interval %q has months, whose length varies; use days", v)
	}
	us := iv.Micros + int64(iv.Days)*86_400_000_000
	if us < 0 {
		return 0, Errorf(key, "interval %q is negative", v)
	}
	return us, nil
}

// Timestamp returns key parsed as a timestamp literal (UTC unless it names a zone), in
// microseconds since the Unix epoch, or def when absent. Words that depend on the clock
// ('now', 'today') are refused: connectors derive every value from their options.
func (s *Set) Timestamp(key string, def int64) (int64, error) {
	v, ok := s.lookup(key)
	if !ok {
		return def, nil
	}
	d, err := types.ParseText(types.TimestampTZT, v, nil)
	if err != nil {
		return 0, Errorf(key, "invalid timestamp %q", v)
	}
	return d.(int64), nil
}

// Unknown returns a 22023 error naming the smallest key that no getter has read, or nil (O2).
func (s *Set) Unknown() error {
	var bad []string
	for k := range s.m {
		if !s.used[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized option %q for connector %q", bad[0], s.connector)
}
