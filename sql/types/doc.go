// Package types is eddy's vocabulary of SQL types: the PostgreSQL types eddy supports, their OIDs
// and names, how each maps onto an Arrow data type, and the Go value ("datum") that carries one
// value of it outside Arrow (constants, parameters, keys).
//
// It is a leaf shared by every layer; it imports only the standard library, arrow-go and apd.
//
// Datum conventions (a nil any is SQL NULL):
//
//	Bool                  bool
//	Int2, Int4, Int8      int64
//	Float4, Float8        float64
//	Numeric               *apd.Decimal
//	Text, Varchar, Char,
//	Name                  string
//	Bytea                 []byte
//	Date                  int32 days since 1970-01-01 (Date)
//	Time                  int64 microseconds since midnight
//	Timestamp,TimestampTZ int64 microseconds since 1970-01-01 00:00 UTC (for Timestamp: of the wall clock)
//	Interval              IntervalValue
//	Oid, RegClass, ...    int64
//	Unknown               string (an untyped literal, before the planner resolves it)
//
// Arrow representation (T.ArrowType): integers, floats and bool natively; Numeric as a String
// column of canonical decimal text; Date as Date32; Time as Time64(µs); Timestamp as
// Timestamp(µs) without zone, TimestampTZ as Timestamp(µs, "UTC"); Interval as MonthDayNano with
// nanoseconds = microseconds*1000.
package types
