package main

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
	"github.com/eddydb/eddy/cmd/eddy/internal/slt"
)

var rewrite = flag.Bool("rewrite", false, "rewrite expected results of .slt files from the server under test (use with TestSLTPostgres to take them from PostgreSQL 15)")

// sltFiles lists the sqllogictest files under testdata/slt.
func sltFiles(t *testing.T) []string {
	files, err := filepath.Glob("../../testdata/slt/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no .slt files found: %v", err)
	}
	return files
}

// runSLT runs one file on a fresh connection to url.
func runSLT(t *testing.T, url, target, path string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	recs, err := slt.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	r := &slt.Runner{Conn: conn, Target: target}
	fails := r.Run(ctx, path, recs, *rewrite)
	for _, f := range fails {
		t.Error(f.Error())
	}
	if *rewrite && len(fails) == 0 {
		if err := slt.Write(path, recs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSLT runs every .slt file against a fresh eddy process.
func TestSLT(t *testing.T) {
	for _, path := range sltFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			srv := proc.Start(t)
			runSLT(t, srv.URL(), "eddy", path)
		})
	}
}

// TestSLTPostgres runs the same files against PostgreSQL 15: the expected results in the files
// are PostgreSQL's, so eddy passing TestSLT means eddy matches PostgreSQL on them. Records that
// are eddy-specific are marked `onlyif eddy`.
func TestSLTPostgres(t *testing.T) {
	pg := pgref.Start(t)
	for _, path := range sltFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			// A fresh schema per file, the way a fresh eddy process starts empty.
			resetPostgres(t, context.Background(), pg.URL())
			runSLT(t, pg.URL(), "postgres", path)
		})
	}
}
