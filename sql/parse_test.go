package sql

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/eddydb/eddy/sql/pgerror"
)

// TestParse runs the golden files under testdata/parse. Commands:
//
//	parse [ast]   input: one or more statements. Output: FormatStatement of each, one per line;
//	              with "ast", each is followed by a compact dump of its AST. Every statement is
//	              also checked to round-trip: Parse(FormatStatement(s)) equals s, positions aside.
//	error         input: text that must fail. Output: ERROR <SQLSTATE> at position N: message.
//	expr          input: one expression for ParseExpr. Output: FormatExpr and the AST dump.
//
// Regenerate with go test ./sql -run TestParse -rewrite.
func TestParse(t *testing.T) {
	datadriven.Walk(t, "testdata/parse", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "parse":
				stmts, err := Parse(d.Input)
				if err != nil {
					t.Fatalf("%s: %s", d.Pos, describeErr(err))
				}
				var sb strings.Builder
				for _, s := range stmts {
					sb.WriteString(FormatStatement(s.Stmt) + "\n")
					if d.HasArg("ast") {
						sb.WriteString(dumpAST(s.Stmt) + "\n")
					}
					checkRoundTrip(t, s.Stmt)
				}
				return sb.String()
			case "error":
				_, err := Parse(d.Input)
				if err == nil {
					t.Fatalf("%s: expected an error", d.Pos)
				}
				return describeErr(err) + "\n"
			case "expr":
				e, err := ParseExpr(d.Input)
				if err != nil {
					return describeErr(err) + "\n"
				}
				e2, err := ParseExpr(FormatExpr(e))
				if err != nil {
					t.Fatalf("%s: formatted expression does not parse: %v", d.Pos, err)
				}
				if !reflect.DeepEqual(stripPos(e), stripPos(e2)) {
					t.Fatalf("%s: round trip differs:\n%s\n%s", d.Pos, dumpAST(e), dumpAST(e2))
				}
				return FormatExpr(e) + "\n" + dumpAST(e) + "\n"
			}
			return fmt.Sprintf("unknown command %q", d.Cmd)
		})
	})
}

func describeErr(err error) string {
	var pe *pgerror.Error
	if !errors.As(err, &pe) {
		return "NOT A PGERROR: " + err.Error()
	}
	return fmt.Sprintf("ERROR %s at position %d: %s", pe.Code, pe.Position, pe.Message)
}

// checkRoundTrip asserts Parse(FormatStatement(s)) yields s again, ignoring positions and the
// verbatim-text fields.
func checkRoundTrip(t *testing.T, s Statement) {
	t.Helper()
	text := FormatStatement(s)
	again, err := Parse(text)
	if err != nil {
		t.Fatalf("formatted statement does not parse: %s\n%s", describeErr(err), text)
	}
	if len(again) != 1 {
		t.Fatalf("formatted statement parses into %d statements:\n%s", len(again), text)
	}
	if a, b := stripPos(s), stripPos(again[0].Stmt); !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip differs for\n%s\nbefore: %s\nafter:  %s", text, dumpAST(a), dumpAST(b))
	}
}

// stripPos returns a deep copy of v with Pos, SQL and QueryText fields cleared.
func stripPos(v any) any {
	rv := reflect.ValueOf(v)
	return stripValue(rv).Interface()
}

func stripValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Ptr:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Elem().Type())
		n.Elem().Set(stripValue(v.Elem()))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(stripValue(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Name == "Pos" || f.Name == "SQL" || f.Name == "QueryText" {
				continue
			}
			n.Field(i).Set(stripValue(v.Field(i)))
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			n.Index(i).Set(stripValue(v.Index(i)))
		}
		return n
	}
	return v
}

// dumpAST prints a compact tree: Type{Field: value ...}, omitting zero fields and positions.
func dumpAST(v any) string {
	var sb strings.Builder
	dumpValue(&sb, reflect.ValueOf(v))
	return sb.String()
}

func dumpValue(sb *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Ptr, reflect.Interface:
		if v.IsNil() {
			sb.WriteString("nil")
			return
		}
		dumpValue(sb, v.Elem())
	case reflect.Struct:
		sb.WriteString(v.Type().Name() + "{")
		first := true
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Name == "Pos" || !f.IsExported() || v.Field(i).IsZero() {
				continue
			}
			if !first {
				sb.WriteByte(' ')
			}
			first = false
			sb.WriteString(f.Name + ":")
			dumpValue(sb, v.Field(i))
		}
		sb.WriteByte('}')
	case reflect.Slice:
		sb.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				sb.WriteByte(' ')
			}
			dumpValue(sb, v.Index(i))
		}
		sb.WriteByte(']')
	case reflect.String:
		fmt.Fprintf(sb, "%q", v.String())
	default:
		fmt.Fprintf(sb, "%v", v.Interface())
	}
}
