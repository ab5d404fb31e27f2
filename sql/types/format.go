package types

import "time"

// FormatContext holds the session settings that shape how values are written as text and how
// text without an explicit zone is read.
type FormatContext struct {
	// Location is the session's TimeZone; nil means UTC.
	Location *time.Location
	// ExtraFloatDigits is the extra_float_digits setting (PostgreSQL's default is 1: shortest
	// round-trip output; 0 or less rounds to 15+n significant digits for float8, 6+n for float4).
	ExtraFloatDigits int
	// DateStyle is e.g. "ISO, MDY"; eddy writes ISO and reads MDY/DMY/YMD order from it.
	DateStyle string
	// IntervalStyle is "postgres" (default), "iso_8601", "sql_standard" or "postgres_verbose".
	IntervalStyle string
	// OIDName, when set, names the object a regclass, regtype or regproc value refers to, so
	// those print as names the way PostgreSQL's output functions write them ('pg_class'::regclass
	// prints pg_class). ok false, or OIDName nil, prints the number.
	OIDName func(t T, oid int64) (name string, ok bool)
}

// DefaultFormatContext is what a new session starts with.
var DefaultFormatContext = FormatContext{Location: time.UTC, ExtraFloatDigits: 1, DateStyle: "ISO, MDY", IntervalStyle: "postgres"}
