package pgwire

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// pgx's CopyFrom describes "select a, b, c from t" and then streams COPY ... FROM STDIN BINARY.
func TestPgxCopyFromBinary(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	var rows [][]any
	for i := range 2500 {
		var c any = float64(i) / 4
		if i%7 == 0 {
			c = nil
		}
		rows = append(rows, []any{int32(i), fmt.Sprintf("row %d", i), c})
	}
	n, err := conn.CopyFrom(testCtx(t), pgx.Identifier{"t"}, []string{"a", "b", "c"}, pgx.CopyFromRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2500 {
		t.Errorf("copied %d", n)
	}
	got := ts.engine.copiedRows()
	if len(got) != 2500 {
		t.Fatalf("engine got %d rows", len(got))
	}
	for i, r := range got {
		var c any = float64(i) / 4
		if i%7 == 0 {
			c = nil
		}
		want := []any{int64(i), fmt.Sprintf("row %d", i), c}
		if !reflect.DeepEqual(r, want) {
			t.Fatalf("row %d: got %v, want %v", i, r, want)
		}
	}
}

// chunkReader hands out its data n bytes at a time, so rows span CopyData messages.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(r.n, len(p), len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func TestCopyFromTextAndCSV(t *testing.T) {
	cases := []struct {
		name, sql, data string
		want            [][]any
	}{
		{"text", "copy t from stdin", "1\tone\t1.5\n2\t\\N\t\\N\n3\ttab\\there\\nnew \\\\ \\x41\\101\t-2\n",
			[][]any{{int64(1), "one", 1.5}, {int64(2), nil, nil}, {int64(3), "tab\there\nnew \\ AA", -2.0}}},
		{"text-crlf-end-marker", "copy t from stdin", "1\ta\t1\r\n2\tb\t2\r\n\\.\r\n",
			[][]any{{int64(1), "a", 1.0}, {int64(2), "b", 2.0}}},
		{"csv", "copy t from stdin csv header", "a,b,c\n1,\"x, \"\"quoted\"\"\nline\",0.5\n2,,\n3,\"\",7\n",
			[][]any{{int64(1), "x, \"quoted\"\nline", 0.5}, {int64(2), nil, nil}, {int64(3), "", 7.0}}},
		{"csv-no-final-newline", "copy t from stdin csv", "1,a,1\n2,b,2",
			[][]any{{int64(1), "a", 1.0}, {int64(2), "b", 2.0}}},
	}
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	for _, c := range cases {
		for _, chunk := range []int{1, 3, 1 << 16} {
			t.Run(fmt.Sprintf("%s/chunk=%d", c.name, chunk), func(t *testing.T) {
				before := len(ts.engine.copiedRows())
				tag, err := conn.PgConn().CopyFrom(testCtx(t), &chunkReader{data: []byte(c.data), n: chunk}, c.sql)
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("COPY %d", len(c.want)); tag.String() != want {
					t.Errorf("tag %q, want %q", tag, want)
				}
				got := ts.engine.copiedRows()[before:]
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("got %#v\nwant %#v", got, c.want)
				}
			})
		}
	}
}

func TestCopyFromErrors(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	cases := []struct{ data, code, msg, where string }{
		{"1\ta\t1\n2\tb\n", "22P04", `missing data for column "c"`, "COPY t, line 2"},
		{"1\ta\t1\textra\n", "22P04", "extra data after last expected column", "COPY t, line 1"},
		{"1\ta\t1\n2\tb\t1\nx\tc\t1\n", "22P02", `invalid input syntax for type integer: "x"`, `COPY t, line 3, column a: "x"`},
	}
	for _, c := range cases {
		before := len(ts.engine.copiedRows())
		_, err := conn.PgConn().CopyFrom(testCtx(t), strings.NewReader(c.data), "copy t from stdin")
		pe := pgErr(t, err)
		if pe.Code != c.code || pe.Message != c.msg || pe.Where != c.where {
			t.Errorf("%q: got %s %q %q", c.data, pe.Code, pe.Message, pe.Where)
		}
		if len(ts.engine.copiedRows()) != before {
			t.Errorf("%q: rows were committed", c.data)
		}
	}
	// CopyFail: pgx sends it when the reader fails.
	_, err := conn.PgConn().CopyFrom(testCtx(t), io.MultiReader(strings.NewReader("1\ta\t1\n"), errReader{}), "copy t from stdin")
	if pe := pgErr(t, err); pe.Code != "57014" || !strings.HasPrefix(pe.Message, "COPY from stdin failed: ") {
		t.Errorf("CopyFail: %+v", pe)
	}
	// The connection is fine afterwards.
	if _, err := conn.Exec(testCtx(t), "insert"); err != nil {
		t.Error(err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("reader broke") }

func TestCopyTo(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	cases := map[string]string{
		"copy t to stdout": "1\tplain\t1.5\n2\ttab\\there, \"quoted\"\\nnewline \\\\ back\t\\N\n\\N\t\t-0.25\n",
		"copy t to stdout csv header": "a,b,c\n1,plain,1.5\n2,\"tab\there, \"\"quoted\"\"\nnewline \\ back\",\n" +
			",\"\",-0.25\n",
	}
	for sql, want := range cases {
		var buf bytes.Buffer
		tag, err := conn.PgConn().CopyTo(testCtx(t), &buf, sql)
		if err != nil {
			t.Fatal(err)
		}
		if tag.String() != "COPY 3" {
			t.Errorf("%s: tag %q", sql, tag)
		}
		if buf.String() != want {
			t.Errorf("%s:\n got %q\nwant %q", sql, buf.String(), want)
		}
	}
}

// TestCopyBinaryRoundTrip reads COPY TO STDOUT BINARY back through the COPY FROM decoder.
func TestCopyBinaryRoundTrip(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	var buf bytes.Buffer
	tag, err := conn.PgConn().CopyTo(testCtx(t), &buf, "copy t to stdout binary")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("%v %v", tag, err)
	}
	dec := &copyBinaryDecoder{cols: tableT}
	var rows [][]any
	emit := func(r []any) error { rows = append(rows, r); return nil }
	if err := dec.feed(buf.Bytes(), emit); err != nil {
		t.Fatal(err)
	}
	if err := dec.finish(emit); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{int64(1), "plain", 1.5}, {int64(2), "tab\there, \"quoted\"\nnewline \\ back", nil}, {nil, "", -0.25}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %#v", rows)
	}
}
