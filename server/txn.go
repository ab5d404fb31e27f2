package server

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
)

// This file holds transaction blocks and the statements that control them. Inside BEGIN ...
// COMMIT, writes are staged in a storage.Txn and committed as one Raft command; SAVEPOINT,
// ROLLBACK TO and RELEASE keep PostgreSQL's semantics there. Outside a block those three are
// reserved for eddy's durable savepoints.

// newBlock starts a transaction block.
func (s *Session) newBlock(implicit bool) *txBlock {
	return &txBlock{txn: s.e.store.BeginTxn(), implicit: implicit, start: time.Now().UnixMicro()}
}

// BeginImplicit implements pgwire.ImplicitTransactions.
func (s *Session) BeginImplicit() {
	if s.tx == nil {
		s.tx = s.newBlock(true)
	}
}

// EndImplicit implements pgwire.ImplicitTransactions: the implicit transaction commits when every
// statement succeeded and is discarded otherwise. An explicit block (BEGIN inside the message)
// stays open.
func (s *Session) EndImplicit(ctx context.Context, ok bool) error {
	tx := s.tx
	if tx == nil || !tx.implicit {
		return nil
	}
	s.tx = nil
	if !ok || tx.failed {
		s.restoreSettings(tx, 0)
		return nil
	}
	err := s.e.commitTxn(ctx, tx.txn)
	if err != nil {
		s.restoreSettings(tx, 0)
	}
	if pgerror.GetCode(err) == pgerror.SerializationFailure && tx.stmts == 1 && tx.lone != nil {
		// A single autocommit-style statement lost a race: run it again, as a lone statement
		// outside a pipeline would be.
		return s.rerun(ctx, tx.lone, err)
	}
	return err
}

func (s *Session) begin(n *sql.BeginStmt) (pgwire.Result, error) {
	if s.tx != nil && s.tx.implicit {
		s.tx.implicit = false // the statements so far become part of the explicit block
		return tagResult("BEGIN"), nil
	}
	if s.tx != nil {
		return tagResult("BEGIN", warning(pgerror.ActiveSQLTransaction, "there is already a transaction in progress")), nil
	}
	s.tx = s.newBlock(false)
	return tagResult("BEGIN"), nil
}

func (s *Session) commit(ctx context.Context) (pgwire.Result, error) {
	tx := s.tx
	if tx == nil {
		return tagResult("COMMIT", warning(pgerror.NoActiveSQLTransaction, "there is no transaction in progress")), nil
	}
	if tx.implicit {
		// PostgreSQL commits the implicit block with a warning; later statements of the message
		// run in a new implicit block.
		s.tx = s.newBlock(true)
		if err := s.e.commitTxn(ctx, tx.txn); err != nil {
			s.restoreSettings(tx, 0)
			return nil, err
		}
		return tagResult("COMMIT", warning(pgerror.NoActiveSQLTransaction, "there is no transaction in progress")), nil
	}
	s.tx = nil
	if tx.failed {
		s.restoreSettings(tx, 0)
		return tagResult("ROLLBACK"), nil
	}
	if err := s.e.commitTxn(ctx, tx.txn); err != nil {
		s.restoreSettings(tx, 0)
		return nil, err
	}
	return tagResult("COMMIT"), nil
}

func (s *Session) rollback() (pgwire.Result, error) {
	if s.tx == nil {
		return tagResult("ROLLBACK", warning(pgerror.NoActiveSQLTransaction, "there is no transaction in progress")), nil
	}
	s.restoreSettings(s.tx, 0)
	if s.tx.implicit {
		s.tx = s.newBlock(true)
		return tagResult("ROLLBACK", warning(pgerror.NoActiveSQLTransaction, "there is no transaction in progress")), nil
	}
	s.tx = nil
	return tagResult("ROLLBACK"), nil
}

// saveSettings copies the session settings before a statement inside a block changes them, so
// that rolling back can undo the change.
func (s *Session) saveSettings() {
	if s.tx != nil {
		s.tx.settings = append(s.tx.settings, maps.Clone(s.settings.vals))
	}
}

// restoreSettings undoes the setting changes tx made since it had n saved copies (all of them
// for n = 0), and queues a ParameterStatus for each reported setting that changes back.
func (s *Session) restoreSettings(tx *txBlock, n int) {
	if n >= len(tx.settings) {
		return
	}
	old := tx.settings[n]
	tx.settings = tx.settings[:n]
	for _, st := range settingList {
		if st.report && s.settings.vals[st.name] != old[st.name] {
			s.settings.dirty[st.name] = true
		}
	}
	s.settings.vals = old
	s.settings.refreshFormat()
}

func (s *Session) savepoint(ctx context.Context, n *sql.SavepointStmt) (pgwire.Result, error) {
	if out, err := s.outsideBlock("SAVEPOINT"); err != nil || out {
		if err != nil {
			return nil, err
		}
		return s.durableSavepoint(ctx, n)
	}
	if len(n.With) > 0 {
		return nil, pgerror.New(pgerror.SyntaxError, "SAVEPOINT inside a transaction block takes no options").
			WithHint("Options describe durable savepoints, taken outside a transaction block.")
	}
	s.tx.savepoints = append(s.tx.savepoints, txSavepoint{name: n.Name, mark: s.tx.txn.Savepoint(), settings: len(s.tx.settings)})
	return tagResult("SAVEPOINT"), nil
}

// findSavepoint returns the index of the innermost savepoint called name.
func (s *Session) findSavepoint(name string) (int, error) {
	for i := len(s.tx.savepoints) - 1; i >= 0; i-- {
		if s.tx.savepoints[i].name == name {
			return i, nil
		}
	}
	return 0, pgerror.Newf(pgerror.InvalidSavepointSpecification, "savepoint %q does not exist", name)
}

func (s *Session) rollbackTo(ctx context.Context, n *sql.RollbackToSavepointStmt) (pgwire.Result, error) {
	if out, err := s.outsideBlock("ROLLBACK TO SAVEPOINT"); err != nil || out {
		if err != nil {
			return nil, err
		}
		return s.durableRollbackTo(ctx, n)
	}
	i, err := s.findSavepoint(n.Name)
	if err != nil {
		return nil, err
	}
	s.tx.txn.RollbackTo(s.tx.savepoints[i].mark)
	s.restoreSettings(s.tx, s.tx.savepoints[i].settings)
	// The savepoint itself stays, so it can be rolled back to again.
	s.tx.savepoints = s.tx.savepoints[:i+1]
	s.tx.failed = false
	return tagResult("ROLLBACK"), nil
}

func (s *Session) release(ctx context.Context, n *sql.ReleaseSavepointStmt) (pgwire.Result, error) {
	if out, err := s.outsideBlock("RELEASE SAVEPOINT"); err != nil || out {
		if err != nil {
			return nil, err
		}
		return s.durableRelease(ctx, n)
	}
	i, err := s.findSavepoint(n.Name)
	if err != nil {
		return nil, err
	}
	s.tx.savepoints = s.tx.savepoints[:i]
	return tagResult("RELEASE"), nil
}

func warning(code pgerror.Code, msg string) pgwire.Notice {
	return pgwire.Notice{Severity: "WARNING", Code: string(code), Message: msg}
}

// set runs SET. Values are literals or bare words; lists (search_path) are joined with ", ".
func (s *Session) set(n *sql.SetStmt) (pgwire.Result, error) {
	s.saveSettings()
	name := n.Name
	if name == "time zone" || name == "time_zone" {
		name = "timezone"
	}
	if name == "names" {
		name = "client_encoding"
	}
	if n.Default {
		if err := s.settings.reset(name); err != nil {
			return nil, err
		}
		return tagResult("SET"), nil
	}
	vals := make([]string, len(n.Values))
	for i, v := range n.Values {
		str, err := settingValue(v)
		if err != nil {
			return nil, err
		}
		vals[i] = str
	}
	if len(vals) == 0 {
		return nil, pgerror.Newf(pgerror.SyntaxError, "SET %s requires a value", name)
	}
	if err := s.settings.set(name, strings.Join(vals, ", ")); err != nil {
		return nil, err
	}
	return tagResult("SET"), nil
}

// settingValue renders one SET value: a string or number literal, an identifier, or a signed number.
func settingValue(e sql.Expr) (string, error) {
	switch v := e.(type) {
	case *sql.Literal:
		return v.Value, nil
	case *sql.ColumnRef:
		return strings.Join(v.Parts, "."), nil
	case *sql.UnaryExpr:
		if lit, ok := v.X.(*sql.Literal); ok && (v.Op == "-" || v.Op == "+") {
			return v.Op + lit.Value, nil
		}
	case *sql.CastExpr:
		// SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE and friends.
		if lit, ok := v.X.(*sql.Literal); ok {
			return lit.Value, nil
		}
	}
	return "", pgerror.Newf(pgerror.SyntaxError, "SET value must be a literal or a name, not %s", fmt.Sprint(sql.FormatExpr(e)))
}
