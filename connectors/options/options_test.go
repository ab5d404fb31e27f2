package options

import (
	"strings"
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
)

func TestGetters(t *testing.T) {
	s := New("x", map[string]string{
		"connector": "x", "n": " 42 ", "f": "1.5", "b": "off", "e": "SEQUENCE",
		"d": "1 day 2h", "ts": "2024-01-01 00:00:00+01", "s": "v",
	})
	if n, err := s.Int("n", 0, 0, 100); n != 42 || err != nil {
		t.Errorf("Int = %d, %v", n, err)
	}
	if f, err := s.Float("f", 0); f != 1.5 || err != nil {
		t.Errorf("Float = %v, %v", f, err)
	}
	if b, err := s.Bool("b", true); b || err != nil {
		t.Errorf("Bool = %v, %v", b, err)
	}
	if e, err := s.Enum("e", "", "random", "sequence"); e != "sequence" || err != nil {
		t.Errorf("Enum = %q, %v", e, err)
	}
	if d, err := s.Duration("d", 0); d != 26*3600*1_000_000 || err != nil {
		t.Errorf("Duration = %d, %v", d, err)
	}
	if ts, err := s.Timestamp("ts", 0); ts != 1_704_063_600_000_000 || err != nil {
		t.Errorf("Timestamp = %d, %v", ts, err)
	}
	if err := s.Unknown(); err == nil || !strings.Contains(err.Error(), `unrecognized option "s" for connector "x"`) {
		t.Errorf("Unknown = %v", err)
	}
	if s.String("s", "") != "v" || s.Unknown() != nil {
		t.Error("s still unknown after String")
	}
	if v, err := s.Int("absent", 7, 0, 10); v != 7 || err != nil {
		t.Errorf("default = %d, %v", v, err)
	}
}

// TestErrors keeps O1 and O2.
func TestErrors(t *testing.T) {
	m := map[string]string{"i": "1e3", "f": "NaN", "b": "maybe", "d": "-1h", "m": "1 mon", "t": "today", "z": "1", "a": "1"}
	s := New("x", m)
	for key, call := range map[string]func() error{
		"i": func() error { _, err := s.Int("i", 0, 0, 10); return err },
		"f": func() error { _, err := s.Float("f", 0); return err },
		"b": func() error { _, err := s.Bool("b", false); return err },
		"d": func() error { _, err := s.Duration("d", 0); return err },
		"m": func() error { _, err := s.Duration("m", 0); return err },
		"t": func() error { _, err := s.Timestamp("t", 0); return err },
	} {
		err := call()
		if pe := pgerror.As(err); pe == nil || pe.Code != pgerror.InvalidParameterValue || !strings.HasPrefix(pe.Message, `option "`+key+`"`) {
			t.Errorf("%s: %v", key, err)
		}
	}
	for range 10 { // O2: always the smallest unread key
		if err := s.Unknown(); err == nil || !strings.Contains(err.Error(), `"a"`) {
			t.Fatalf("Unknown = %v", err)
		}
	}
}
