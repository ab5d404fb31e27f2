package types

import (
	"math"
	"testing"
	"time"

	"github.com/eddydb/eddy/sql/pgerror"
)

// Outputs checked against PostgreSQL 15 with the session settings named in each test.

func TestTimestampTZInZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	cases := []struct {
		loc     *time.Location
		in, out string
	}{
		{berlin, "2024-01-02 03:04:05", "2024-01-02 03:04:05+01"},
		{berlin, "2024-07-02 03:04:05", "2024-07-02 03:04:05+02"},
		{berlin, "2024-03-31 02:30:00", "2024-03-31 03:30:00+02"}, // in the spring-forward gap
		{berlin, "2024-10-27 02:30:00", "2024-10-27 02:30:00+01"}, // ambiguous: standard time
		{berlin, "1850-01-01 00:00", "1850-01-01 00:00:00+00:53:28"},
		{berlin, "2024-01-02 03:04:05+05:30", "2024-01-01 22:34:05+01"},
		{kolkata, "2024-01-02 03:04:05Z", "2024-01-02 08:34:05+05:30"},
	}
	for _, c := range cases {
		fc := DefaultFormatContext
		fc.Location = c.loc
		v, err := ParseText(TimestampTZT, c.in, &fc)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := FormatText(TimestampTZT, v, &fc); got != c.out {
			t.Errorf("%s %q: got %q, want %q", c.loc, c.in, got, c.out)
		}
	}
}

func TestFloatExtraDigits(t *testing.T) {
	cases := []struct {
		f     float64
		bits  int
		extra int
		out   string
	}{
		{0.1, 64, 0, "0.1"},
		{1e6, 64, 0, "1000000"},
		{1.0 / 3, 64, 0, "0.333333333333333"},
		{1e16, 64, 0, "1e+16"},
		{1e-5, 64, 0, "1e-05"},
		{float64(float32(1.0 / 3)), 32, 0, "0.333333"},
		{float64(float32(123456789)), 32, 0, "1.23457e+08"},
		{0.1, 64, 3, "0.1"},
		{float64(float32(0.1)), 32, 3, "0.1"},
		{-1.5e-7, 64, 1, "-1.5e-07"},
		{math.Inf(-1), 64, 0, "-Infinity"},
	}
	for _, c := range cases {
		if got := string(AppendFloat(nil, c.f, c.bits, c.extra)); got != c.out {
			t.Errorf("AppendFloat(%v, %d, %d) = %q, want %q", c.f, c.bits, c.extra, got, c.out)
		}
	}
}

// TestIntervalStyles checks every IntervalStyle against PostgreSQL 15's output.
func TestIntervalStyles(t *testing.T) {
	cases := []struct{ style, in, out string }{
		{"sql_standard", "1 year 2 mons 3 days 04:05:06.7", "+1-2 +3 +4:05:06.7"},
		{"sql_standard", "-1 day", "-1 0:00:00"},
		{"sql_standard", "0", "0"},
		{"sql_standard", "-1 day +04:05:06.5", "+0-0 -1 +4:05:06.5"},
		{"sql_standard", "-00:00:01.5", "-0:00:01.5"},
		{"sql_standard", "1-2", "1-2"},
		{"sql_standard", "-1-2", "-1-2"},
		{"sql_standard", "3 4:05:06", "3 4:05:06"},
		{"sql_standard", "-3 -4:05:06", "-3 4:05:06"},
		{"sql_standard", "1 year -1 day", "+1-0 -1 +0:00:00"},
		{"sql_standard", "1 sec", "0:00:01"},
		{"sql_standard", "-1 sec", "-0:00:01"},
		{"sql_standard", "2 mons ago", "-0-2"},
		{"sql_standard", "1 day 1 sec", "1 0:00:01"},
		{"sql_standard", "100 hours", "100:00:00"},
		{"sql_standard", "-1 year -2 mons +3 days", "-1-2 +3 +0:00:00"},
		{"sql_standard", "00:00:00.000001", "0:00:00.000001"},
		{"sql_standard", "1.5 seconds ago", "-0:00:01.5"},
		{"postgres_verbose", "1 year 2 mons 3 days 04:05:06.7", "@ 1 year 2 mons 3 days 4 hours 5 mins 6.7 secs"},
		{"postgres_verbose", "-1 day", "@ 1 day ago"},
		{"postgres_verbose", "0", "@ 0"},
		{"postgres_verbose", "-1 day +04:05:06.5", "@ 1 day -4 hours -5 mins -6.5 secs ago"},
		{"postgres_verbose", "-00:00:01.5", "@ 1.5 secs ago"},
		{"postgres_verbose", "1-2", "@ 1 year 2 mons"},
		{"postgres_verbose", "-1-2", "@ 1 year 2 mons ago"},
		{"postgres_verbose", "3 4:05:06", "@ 3 days 4 hours 5 mins 6 secs"},
		{"postgres_verbose", "-3 -4:05:06", "@ 3 days 4 hours 5 mins 6 secs ago"},
		{"postgres_verbose", "1 year -1 day", "@ 1 year -1 days"},
		{"postgres_verbose", "1 sec", "@ 1 sec"},
		{"postgres_verbose", "-1 sec", "@ 1 sec ago"},
		{"postgres_verbose", "2 mons ago", "@ 2 mons ago"},
		{"postgres_verbose", "1 day 1 sec", "@ 1 day 1 sec"},
		{"postgres_verbose", "100 hours", "@ 100 hours"},
		{"postgres_verbose", "-1 year -2 mons +3 days", "@ 1 year 2 mons -3 days ago"},
		{"postgres_verbose", "00:00:00.000001", "@ 0.000001 secs"},
		{"postgres_verbose", "1.5 seconds ago", "@ 1.5 secs ago"},
		{"iso_8601", "1 year 2 mons 3 days 04:05:06.7", "P1Y2M3DT4H5M6.7S"},
		{"iso_8601", "-1 day", "P-1D"},
		{"iso_8601", "0", "PT0S"},
		{"iso_8601", "-1 day +04:05:06.5", "P-1DT4H5M6.5S"},
		{"iso_8601", "-00:00:01.5", "PT-1.5S"},
		{"iso_8601", "1-2", "P1Y2M"},
		{"iso_8601", "-1-2", "P-1Y-2M"},
		{"iso_8601", "3 4:05:06", "P3DT4H5M6S"},
		{"iso_8601", "-3 -4:05:06", "P-3DT-4H-5M-6S"},
		{"iso_8601", "1 year -1 day", "P1Y-1D"},
		{"iso_8601", "1 sec", "PT1S"},
		{"iso_8601", "-1 sec", "PT-1S"},
		{"iso_8601", "2 mons ago", "P-2M"},
		{"iso_8601", "1 day 1 sec", "P1DT1S"},
		{"iso_8601", "100 hours", "PT100H"},
		{"iso_8601", "-1 year -2 mons +3 days", "P-1Y-2M3D"},
		{"iso_8601", "00:00:00.000001", "PT0.000001S"},
		{"iso_8601", "1.5 seconds ago", "PT-1.5S"},
	}
	for _, c := range cases {
		iv, err := ParseInterval(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got := string(AppendInterval(nil, iv, c.style)); got != c.out {
			t.Errorf("%s %q: got %q, want %q", c.style, c.in, got, c.out)
		}
	}
}

// TestTextRoundTrip checks that the output of every value reads back to the same datum.
func TestTextRoundTrip(t *testing.T) {
	fc := DefaultFormatContext
	for _, c := range textCases {
		if c.code != "" {
			continue
		}
		typ := testType(t, c.typ)
		v, err := ParseText(typ, c.want, &fc)
		if err != nil {
			t.Errorf("%s: output %q does not read back: %v", c.typ, c.want, err)
			continue
		}
		if got := FormatText(typ, v, &fc); got != c.want {
			t.Errorf("%s: %q reads back as %q", c.typ, c.want, got)
		}
	}
}

func FuzzParseText(f *testing.F) {
	for _, c := range textCases {
		f.Add(uint8(testFamilyIndex(c.typ)), c.in)
	}
	f.Fuzz(func(t *testing.T, fam uint8, s string) {
		typ := T{Family: Family(fam % uint8(numFamilies))}
		v, err := ParseText(typ, s, nil)
		if err != nil || v == nil {
			return
		}
		out := FormatText(typ, v, nil)
		if typ.Family == Float4 || typ.Family == Float8 || typ.Family == InternalChar {
			return
		}
		v2, err := ParseText(typ, out, nil)
		if err != nil {
			t.Fatalf("%s %q: output %q does not read back: %v", typ, s, out, err)
		}
		if out2 := FormatText(typ, v2, nil); out2 != out {
			t.Fatalf("%s %q: %q reads back as %q", typ, s, out, out2)
		}
	})
}

func testFamilyIndex(name string) Family {
	for f := Family(0); f < numFamilies; f++ {
		if families[f].pgName == name {
			return f
		}
	}
	t, err := ParseTypeName(name, nil)
	if err != nil {
		return Text
	}
	return t.Family
}

func TestParseTextAtClock(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	fc := DefaultFormatContext
	fc.Location = berlin
	now := time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC).UnixMicro() // 00:30 next day in Berlin
	cases := []struct {
		typ     T
		in, out string
	}{
		{DateT, "today", "2026-11-27"},
		{DateT, "now", "2026-11-27"},
		{DateT, "yesterday", "2026-11-26"},
		{TimestampT, "now", "2026-11-27 00:30:00"},
		{TimestampT, "yesterday", "2026-11-26 00:00:00"},
		{TimestampTZT, "now", "2026-11-27 00:30:00+01"},
		{TimestampTZT, "tomorrow 10:00", "2026-11-28 10:00:00+01"},
		{TimestampTZT, "today UTC", "2026-11-26 01:00:00+01"},
		{TimeT, "now", "00:30:00"},
	}
	for _, c := range cases {
		v, err := ParseTextAt(c.typ, c.in, &fc, now)
		if err != nil {
			t.Errorf("%s %q: %v", c.typ, c.in, err)
			continue
		}
		if got := FormatText(c.typ, v, &fc); got != c.out {
			t.Errorf("%s %q: got %q, want %q", c.typ, c.in, got, c.out)
		}
		if _, err := ParseText(c.typ, c.in, &fc); pgerror.GetCode(err) != pgerror.FeatureNotSupported {
			t.Errorf("%s %q: ParseText without a clock: %v, want 0A000", c.typ, c.in, err)
		}
	}
	for _, bad := range []string{"now 10:00", "today 2024-01-02", "now now"} {
		if _, err := ParseTextAt(TimestampT, bad, &fc, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseTextAt(TimeT, "today", &fc, now); err == nil {
		t.Error("'today'::time accepted")
	}
}
