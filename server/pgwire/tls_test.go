package pgwire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// selfSignedTLS returns a server config with a fresh self-signed certificate for 127.0.0.1.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "eddy-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	ts := startServer(t, Options{TLSConfig: selfSignedTLS(t)})
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://eddy@%s/x?sslmode=require", ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
		t.Errorf("connection is %T, not TLS", conn.PgConn().Conn())
	}
	var n int64
	if err := conn.QueryRow(ctx, "select $1::int8", int64(5)).Scan(&n); err != nil || n != 5 {
		t.Errorf("query over TLS: %v %v", n, err)
	}
	// Clients that do not ask for TLS still get in.
	plain := ts.connect(t, pgx.QueryExecModeCacheStatement)
	if _, err := plain.Exec(ctx, "insert"); err != nil {
		t.Error(err)
	}
	out, err := runPsqlEnv(t, ts, []string{"PGSSLMODE=require"}, "-c", "insert")
	if err != nil || out != "INSERT 0 1\n" {
		t.Errorf("psql over TLS: %v %q", err, out)
	}
}
