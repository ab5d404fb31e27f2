package server

import (
	"context"
	"strings"

	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// Pausing: ALTER SOURCE s PAUSE | RESUME stops and restarts one connector's ingestion;
// ALTER SYSTEM PAUSE [WITH SAVEPOINT name] | RESUME every connector's; ALTER MATERIALIZED
// VIEW v PAUSE | RESUME freezes one view (its input changes wait in a durable buffer that
// RESUME applies in order, executor/views). Both are replicated
// catalog changes (they survive restarts), and the apply path refuses ingestion while paused,
// so a pause is exact at its log index: nothing is read after it, and resuming continues from
// the same offset (nothing lost, nothing read twice).

func (s *Session) alterPause(ctx context.Context, n *sql.AlterPauseStmt) (pgwire.Result, error) {
	verb := "RESUME"
	if n.Pause {
		verb = "PAUSE"
	}
	if s.tx != nil && !s.tx.implicit {
		return nil, pgerror.Newf(pgerror.ActiveSQLTransaction, "ALTER ... %s cannot run inside a transaction block", verb)
	}
	switch n.Kind {
	case "system":
		ss := &storage.SetSystem{Name: storage.SettingSourcesPaused, Value: "on"}
		if !n.Pause {
			ss = &storage.SetSystem{Name: storage.SettingSourcesPaused, Reset: true}
		}
		if err := s.proposeSystem(ctx, ss); err != nil {
			return nil, err
		}
		if n.Savepoint != "" {
			if _, err := s.durableSavepoint(ctx, &sql.SavepointStmt{Name: n.Savepoint}); err != nil {
				return nil, err
			}
		}
		return tagResult("ALTER SYSTEM"), nil
	case "source", "materialized view":
		tag := "ALTER " + strings.ToUpper(n.Kind)
		for attempt := 0; ; attempt++ {
			cat := s.e.store.Catalog()
			t := cat.Resolve(s.settings.searchPath(), n.Name.Schema, n.Name.Name)
			if t == nil {
				if n.IfExists {
					return tagResult(tag, pgwire.Notice{Severity: "NOTICE", Code: "00000",
						Message: "relation \"" + n.Name.Name + "\" does not exist, skipping"}), nil
				}
				return nil, pgerror.Newf(pgerror.UndefinedTable, "relation \"%s\" does not exist", n.Name.Name).WithPosition(n.Name.Pos)
			}
			switch {
			case n.Kind == "source" && t.Connector == nil:
				return nil, pgerror.Newf(pgerror.WrongObjectType, "\"%s\" is not a source", t.Name).
					WithHint("Only sources and tables declared WITH (connector = ...) ingest.")
			case n.Kind == "materialized view" && t.Kind != storage.KindMaterializedView:
				return nil, pgerror.Newf(pgerror.WrongObjectType, "\"%s\" is not a materialized view", t.Name)
			}
			_, err := s.e.propose(ctx, &storage.Command{DDL: &storage.DDL{ExpectCatalogVersion: cat.Version,
				SetPaused: &storage.SetPaused{ID: t.ID, Paused: n.Pause}}})
			if pgerror.GetCode(err) == pgerror.SerializationFailure && attempt < 10 {
				continue // other DDL got in first: resolve the name again
			}
			if err != nil {
				return nil, err
			}
			return tagResult(tag), nil
		}
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "ALTER %s ... %s is not supported", strings.ToUpper(n.Kind), verb)
}
