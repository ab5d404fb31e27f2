package types

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Family is the kind of a SQL type, without modifiers.
type Family uint8

// The type families eddy supports.
const (
	Unknown Family = iota // an untyped literal or NULL whose type is not yet resolved
	Bool
	Int2
	Int4
	Int8
	Float4
	Float8
	Numeric
	Text
	Varchar
	Char // bpchar: blank-padded character(n)
	Name // the 63-byte identifier type of pg_catalog
	Bytea
	Date
	Time
	Timestamp
	TimestampTZ
	Interval
	Oid
	RegClass
	RegType
	RegProc
	InternalChar // the one-byte "char" type of pg_catalog
	TextArray    // text[]: enough for pg_catalog columns and string_to_array
	Int2Vector
	OidVector
	Int8Array
	Void // the result type of statements and functions that return nothing
	Record
	numFamilies
)

// T is a SQL type: a family plus its modifiers.
type T struct {
	Family Family
	// Width is varchar(n)/char(n) length or numeric precision; 0 means unconstrained.
	Width int32
	// Scale is the numeric scale; meaningful only when Width > 0.
	Scale int32
}

// Convenience values for the unmodified types.
var (
	UnknownT     = T{Family: Unknown}
	BoolT        = T{Family: Bool}
	Int2T        = T{Family: Int2}
	Int4T        = T{Family: Int4}
	Int8T        = T{Family: Int8}
	Float4T      = T{Family: Float4}
	Float8T      = T{Family: Float8}
	NumericT     = T{Family: Numeric}
	TextT        = T{Family: Text}
	VarcharT     = T{Family: Varchar}
	NameT        = T{Family: Name}
	ByteaT       = T{Family: Bytea}
	DateT        = T{Family: Date}
	TimeT        = T{Family: Time}
	TimestampT   = T{Family: Timestamp}
	TimestampTZT = T{Family: TimestampTZ}
	IntervalT    = T{Family: Interval}
	OidT         = T{Family: Oid}
)

type familyInfo struct {
	oid      uint32
	arrayOID uint32
	pgName   string // the name format_type prints for the unmodified type
	size     int16  // pg_type.typlen
	category byte   // pg_type.typcategory
}

var families = [numFamilies]familyInfo{
	Unknown:      {705, 0, "unknown", -2, 'X'},
	Bool:         {16, 1000, "boolean", 1, 'B'},
	Int2:         {21, 1005, "smallint", 2, 'N'},
	Int4:         {23, 1007, "integer", 4, 'N'},
	Int8:         {20, 1016, "bigint", 8, 'N'},
	Float4:       {700, 1021, "real", 4, 'N'},
	Float8:       {701, 1022, "double precision", 8, 'N'},
	Numeric:      {1700, 1231, "numeric", -1, 'N'},
	Text:         {25, 1009, "text", -1, 'S'},
	Varchar:      {1043, 1015, "character varying", -1, 'S'},
	Char:         {1042, 1014, "character", -1, 'S'},
	Name:         {19, 1003, "name", 64, 'S'},
	Bytea:        {17, 1001, "bytea", -1, 'U'},
	Date:         {1082, 1182, "date", 4, 'D'},
	Time:         {1083, 1183, "time without time zone", 8, 'D'},
	Timestamp:    {1114, 1115, "timestamp without time zone", 8, 'D'},
	TimestampTZ:  {1184, 1185, "timestamp with time zone", 8, 'D'},
	Interval:     {1186, 1187, "interval", 16, 'T'},
	Oid:          {26, 1028, "oid", 4, 'N'},
	RegClass:     {2205, 2210, "regclass", 4, 'N'},
	RegType:      {2206, 2211, "regtype", 4, 'N'},
	RegProc:      {24, 1008, "regproc", 4, 'N'},
	InternalChar: {18, 1002, "\"char\"", 1, 'Z'},
	TextArray:    {1009, 0, "text[]", -1, 'A'},
	Int2Vector:   {22, 1006, "int2vector", -1, 'A'},
	OidVector:    {30, 1013, "oidvector", -1, 'A'},
	Int8Array:    {1016, 0, "bigint[]", -1, 'A'},
	Void:         {2278, 0, "void", 4, 'P'},
	Record:       {2249, 2287, "record", -1, 'P'},
}

// OID returns the PostgreSQL type OID.
func (t T) OID() uint32 { return families[t.Family].oid }

// ArrayOID returns the OID of the array type whose elements are t, or 0.
func (t T) ArrayOID() uint32 { return families[t.Family].arrayOID }

// Len returns pg_type.typlen: the fixed size in bytes, or -1 for variable length.
func (t T) Len() int16 { return families[t.Family].size }

// Category returns pg_type.typcategory.
func (t T) Category() byte { return families[t.Family].category }

// TypeMod returns the atttypmod PostgreSQL reports for t (-1 when unconstrained).
func (t T) TypeMod() int32 {
	switch t.Family {
	case Varchar, Char:
		if t.Width > 0 {
			return t.Width + 4
		}
	case Numeric:
		if t.Width > 0 {
			return (t.Width<<16 | t.Scale) + 4
		}
	}
	return -1
}

// String returns the name PostgreSQL's format_type prints, e.g. "character varying(10)".
func (t T) String() string {
	name := families[t.Family].pgName
	switch t.Family {
	case Varchar, Char:
		if t.Width > 0 {
			return fmt.Sprintf("%s(%d)", name, t.Width)
		}
	case Numeric:
		if t.Width > 0 {
			return fmt.Sprintf("numeric(%d,%d)", t.Width, t.Scale)
		}
	}
	return name
}

// SQLName returns the short name of the family as used in error messages ("integer", "text").
func (t T) SQLName() string { return families[t.Family].pgName }

// IsNumeric reports whether t is an integer, float or numeric type.
func (t T) IsNumeric() bool {
	switch t.Family {
	case Int2, Int4, Int8, Float4, Float8, Numeric:
		return true
	}
	return false
}

// IsInteger reports whether t is int2, int4 or int8.
func (t T) IsInteger() bool { return t.Family == Int2 || t.Family == Int4 || t.Family == Int8 }

// IsString reports whether t is text, varchar, char or name.
func (t T) IsString() bool {
	switch t.Family {
	case Text, Varchar, Char, Name:
		return true
	}
	return false
}

// Equal reports whether a and b are the same type including modifiers.
func (t T) Equal(o T) bool { return t == o }

// FromOID returns the unmodified type with the given OID.
func FromOID(oid uint32) (T, bool) {
	for f := Family(0); f < numFamilies; f++ {
		if families[f].oid == oid {
			return T{Family: f}, true
		}
	}
	return T{}, false
}

// ArrowType returns the Arrow data type that carries values of t in record batches.
func (t T) ArrowType() arrow.DataType {
	switch t.Family {
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Int2:
		return arrow.PrimitiveTypes.Int16
	case Int4:
		return arrow.PrimitiveTypes.Int32
	case Int8, Oid, RegClass, RegType, RegProc:
		return arrow.PrimitiveTypes.Int64
	case Float4:
		return arrow.PrimitiveTypes.Float32
	case Float8:
		return arrow.PrimitiveTypes.Float64
	case Bytea:
		return arrow.BinaryTypes.Binary
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Time:
		return arrow.FixedWidthTypes.Time64us
	case Timestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case TimestampTZ:
		return arrow.FixedWidthTypes.Timestamp_us // Timestamp(µs, "UTC")
	case Interval:
		return arrow.FixedWidthTypes.MonthDayNanoInterval
	case TextArray, Int2Vector, OidVector, Int8Array:
		// Arrays travel as their PostgreSQL text form ({a,b}); enough for catalog queries.
		return arrow.BinaryTypes.String
	default: // Unknown, Numeric, Text, Varchar, Char, Name, InternalChar
		return arrow.BinaryTypes.String
	}
}

// IntervalValue is a PostgreSQL interval: months, days and microseconds kept apart, as PostgreSQL does.
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}

// ParseTypeName maps a PostgreSQL type name (any accepted spelling, lower case, with the
// modifiers already split out) onto a type. It accepts pg_catalog-qualified names.
func ParseTypeName(name string, mods []int32) (T, error) {
	name = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "pg_catalog.")
	var t T
	switch name {
	case "bool", "boolean":
		t = BoolT
	case "int2", "smallint", "smallserial", "serial2":
		t = Int2T
	case "int", "int4", "integer", "serial", "serial4":
		t = Int4T
	case "int8", "bigint", "bigserial", "serial8":
		t = Int8T
	case "float4", "real":
		t = Float4T
	case "float8", "double precision", "double":
		t = Float8T
	case "float":
		t = Float8T
		if len(mods) == 1 {
			if mods[0] < 1 || mods[0] > 53 {
				return T{}, fmt.Errorf("precision for type float must be between 1 and 53 bits")
			}
			if mods[0] <= 24 {
				t = Float4T
			}
			return t, nil
		}
	case "numeric", "decimal":
		t = NumericT
		switch len(mods) {
		case 0:
		case 1, 2:
			t.Width = mods[0]
			if len(mods) == 2 {
				t.Scale = mods[1]
			}
			if t.Width < 1 || t.Width > 1000 {
				return T{}, fmt.Errorf("NUMERIC precision %d must be between 1 and 1000", t.Width)
			}
			if t.Scale < 0 || t.Scale > t.Width {
				return T{}, fmt.Errorf("NUMERIC scale %d must be between 0 and precision %d", t.Scale, t.Width)
			}
			return t, nil
		default:
			return T{}, fmt.Errorf("invalid NUMERIC type modifier")
		}
	case "text":
		t = TextT
	case "varchar", "character varying":
		t = VarcharT
		if len(mods) > 0 {
			if len(mods) > 1 || mods[0] < 1 {
				return T{}, fmt.Errorf("length for type varchar must be at least 1")
			}
			t.Width = mods[0]
			return t, nil
		}
	case "char", "character", "bpchar":
		t = T{Family: Char, Width: 1}
		if name == "bpchar" {
			t.Width = 0
		}
		if len(mods) > 0 {
			if len(mods) > 1 || mods[0] < 1 {
				return T{}, fmt.Errorf("length for type char must be at least 1")
			}
			t.Width = mods[0]
		}
		return t, nil
	case "name":
		t = NameT
	case "bytea":
		t = ByteaT
	case "date":
		t = DateT
	case "time", "time without time zone":
		t = TimeT
	case "timestamp", "timestamp without time zone":
		t = TimestampT
	case "timestamptz", "timestamp with time zone":
		t = TimestampTZT
	case "interval":
		t = IntervalT
	case "oid":
		t = OidT
	case "regnamespace", "regrole":
		// No value type of their own: psql casts catalog columns of empty tables to them
		// (\d reads pg_statistic_ext.stxnamespace::regnamespace), so they read as oid.
		t = OidT
	case "regclass":
		t = T{Family: RegClass}
	case "regtype":
		t = T{Family: RegType}
	case "regproc":
		t = T{Family: RegProc}
	case "\"char\"":
		t = T{Family: InternalChar}
	case "text[]", "_text":
		t = T{Family: TextArray}
	case "unknown":
		t = UnknownT
	default:
		return T{}, fmt.Errorf("type %q does not exist", name)
	}
	if len(mods) > 0 {
		return T{}, fmt.Errorf("type modifier is not allowed for type %q", name)
	}
	return t, nil
}

// IsSerial reports whether name is one of the serial pseudo-types, which CREATE TABLE turns into an
// integer column with a sequence default.
func IsSerial(name string) bool {
	switch strings.ToLower(name) {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return true
	}
	return false
}
