package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// resetPostgres empties the reference server's public schema.
func resetPostgres(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	c, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public").ReadAll(); err != nil {
		t.Fatal(err)
	}
}
