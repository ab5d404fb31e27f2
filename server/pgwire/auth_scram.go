package pgwire

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/eddydb/eddy/sql/pgerror"
)

// scramIterations is PostgreSQL's default scram_iterations.
const scramIterations = 4096

// ScramAuthenticator authenticates with SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL does,
// without channel binding. The password never crosses the wire and the client checks that the
// server knows it too.
type ScramAuthenticator struct {
	// Password returns the user's password, or ok false if the user may not log in. An unknown
	// user still goes through the whole exchange, so the answer does not reveal who exists.
	Password func(user string) (password string, ok bool)
}

// Authenticate runs the SCRAM exchange.
func (a ScramAuthenticator) Authenticate(ctx context.Context, ac AuthConn, user, _ string) error {
	failed := pgerror.Newf(pgerror.InvalidPassword, "password authentication failed for user \"%s\"", user)
	malformed := func(what string) error {
		return pgerror.Newf(pgerror.ProtocolViolation, "malformed SCRAM message (%s)", what)
	}
	if err := ac.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}}); err != nil {
		return err
	}
	if err := ac.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return err
	}
	msg, err := ac.Receive()
	if err != nil {
		return fmt.Errorf("read SASL initial response: %w", err)
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok || init.AuthMechanism != "SCRAM-SHA-256" {
		return pgerror.New(pgerror.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	// client-first-message: gs2-header ("n,," or "y,,"; "p=" asks for channel binding) then
	// client-first-bare "n=<name>,r=<nonce>". PostgreSQL ignores the name: the startup user counts.
	first := string(init.Data)
	var gs2, bare string
	switch {
	case strings.HasPrefix(first, "n,,"), strings.HasPrefix(first, "y,,"):
		gs2, bare = first[:3], first[3:]
	case strings.HasPrefix(first, "p="):
		return pgerror.New(pgerror.ProtocolViolation, "channel binding is not supported")
	default:
		return malformed("gs2 header")
	}
	clientNonce := scramAttr(bare, 'r')
	if clientNonce == "" {
		return malformed("client nonce")
	}
	password, known := a.Password(user)
	salt := randomBytes(16)
	nonce := clientNonce + base64.StdEncoding.EncodeToString(randomBytes(18))
	serverFirst := fmt.Sprintf("r=%s,s=%s,i=%d", nonce, base64.StdEncoding.EncodeToString(salt), scramIterations)
	if err := ac.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}); err != nil {
		return err
	}
	if err := ac.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return err
	}
	msg, err = ac.Receive()
	if err != nil {
		return fmt.Errorf("read SASL response: %w", err)
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return malformed("expected SASLResponse")
	}
	// client-final-message: "c=<base64 gs2 header>,r=<nonce>,p=<base64 proof>".
	final := string(resp.Data)
	i := strings.LastIndex(final, ",p=")
	if i < 0 {
		return malformed("proof")
	}
	withoutProof := final[:i]
	proof, err := base64.StdEncoding.DecodeString(final[i+3:])
	if err != nil || len(proof) != sha256.Size {
		return malformed("proof")
	}
	if scramAttr(withoutProof, 'c') != base64.StdEncoding.EncodeToString([]byte(gs2)) {
		return malformed("channel binding")
	}
	if scramAttr(withoutProof, 'r') != nonce {
		return malformed("nonce")
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return fmt.Errorf("scram: derive key: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	authMessage := bare + "," + serverFirst + "," + withoutProof
	clientSig := hmacSHA256(storedKey[:], authMessage)
	recovered := make([]byte, sha256.Size)
	for k := range recovered {
		recovered[k] = proof[k] ^ clientSig[k]
	}
	check := sha256.Sum256(recovered)
	if !known || subtle.ConstantTimeCompare(check[:], storedKey[:]) != 1 {
		return failed
	}
	serverSig := hmacSHA256(hmacSHA256(salted, "Server Key"), authMessage)
	return ac.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSig))})
}

// scramAttr returns the value of attribute name in a comma-separated SCRAM message.
func scramAttr(msg string, name byte) string {
	for _, part := range strings.Split(msg, ",") {
		if len(part) >= 2 && part[0] == name && part[1] == '=' {
			return part[2:]
		}
	}
	return ""
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
