package pgwire

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/eddydb/eddy/sql/pgerror"
)

// Authenticator checks a client's identity between its startup message and AuthenticationOk.
// It drives the exchange through AuthConn (AuthenticationCleartextPassword, AuthenticationSASL,
// ...) and returns nil to let the client in, or an error (a *pgerror.Error with 28P01 or 28000
// is sent to the client as FATAL). The server sends AuthenticationOk itself.
//
// SCRAM-SHA-256 plugs in here: send AuthenticationSASL{AuthMechanisms: {"SCRAM-SHA-256"}},
// call SetAuthType(pgproto3.AuthTypeSASL) so the reply decodes as SASLInitialResponse, then
// exchange AuthenticationSASLContinue / SASLResponse and finish with AuthenticationSASLFinal.
type Authenticator interface {
	Authenticate(ctx context.Context, ac AuthConn, user, database string) error
}

// AuthConn is the part of a connection an Authenticator may use.
type AuthConn interface {
	// Send writes msg and flushes it.
	Send(msg pgproto3.BackendMessage) error
	// Receive reads the client's next message.
	Receive() (pgproto3.FrontendMessage, error)
	// SetAuthType tells the decoder which kind of 'p' message to expect next.
	SetAuthType(authType uint32) error
}

// TrustAuthenticator lets every client in, like PostgreSQL's "trust" method.
type TrustAuthenticator struct{}

// Authenticate accepts the client.
func (TrustAuthenticator) Authenticate(context.Context, AuthConn, string, string) error { return nil }

// PasswordAuthenticator asks for a password. With MD5 true it uses PostgreSQL's md5 method
// (the password never crosses the wire in clear); otherwise the cleartext method.
type PasswordAuthenticator struct {
	// Password returns the user's password, or ok false if the user may not log in.
	Password func(user string) (password string, ok bool)
	MD5      bool
}

// Authenticate runs the password exchange.
func (a PasswordAuthenticator) Authenticate(ctx context.Context, ac AuthConn, user, _ string) error {
	failed := pgerror.Newf(pgerror.InvalidPassword, "password authentication failed for user \"%s\"", user)
	var salt [4]byte
	if a.MD5 {
		copy(salt[:], randomBytes(4))
		if err := ac.Send(&pgproto3.AuthenticationMD5Password{Salt: salt}); err != nil {
			return err
		}
		if err := ac.SetAuthType(pgproto3.AuthTypeMD5Password); err != nil {
			return err
		}
	} else {
		if err := ac.Send(&pgproto3.AuthenticationCleartextPassword{}); err != nil {
			return err
		}
		if err := ac.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
			return err
		}
	}
	msg, err := ac.Receive()
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return pgerror.Newf(pgerror.ProtocolViolation, "expected password response, got message type %T", msg)
	}
	want, ok := a.Password(user)
	if !ok {
		return failed
	}
	if a.MD5 {
		// md5(md5(password || user) || salt), hex, prefixed "md5", as libpq computes it.
		inner := md5.Sum([]byte(want + user))
		h := md5.New()
		h.Write([]byte(hex.EncodeToString(inner[:])))
		h.Write(salt[:])
		want = "md5" + hex.EncodeToString(h.Sum(nil))
	}
	if subtle.ConstantTimeCompare([]byte(pm.Password), []byte(want)) != 1 {
		return failed
	}
	return nil
}
