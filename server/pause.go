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
// ALTER SYSTEM PAUSE [WITH SAVEPOINT name] | RESUME every connector's. Both are replicated
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
	case "source":
		for attempt := 0; ; attempt++ {
			cat := s.e.store.Catalog()
			t := s.lookupRelation(cat, n.Name)
			if t == nil {
				if n.IfExists {
					return tagResult("ALTER SOURCE", pgwire.Notice{Severity: "NOTICE", Code: "00000",
						Message: "relation \"" + n.Name.Name + "\" does not exist, skipping"}), nil
				}
				return nil, pgerror.Newf(pgerror.UndefinedTable, "relation \"%s\" does not exist", n.Name.Name).WithPosition(n.Name.Pos)
			}
			if t.Connector == nil {
				return nil, pgerror.Newf(pgerror.WrongObjectType, "\"%s\" is not a source", t.Name).
					WithHint("Only sources and tables declared WITH (connector = ...) ingest.")
			}
			_, err := s.e.propose(ctx, &storage.Command{DDL: &storage.DDL{ExpectCatalogVersion: cat.Version,
				SetPaused: &storage.SetPaused{ID: t.ID, Paused: n.Pause}}})
			if pgerror.GetCode(err) == pgerror.SerializationFailure && attempt < 10 {
				continue // other DDL got in first: resolve the name again
			}
			if err != nil {
				return nil, err
			}
			return tagResult("ALTER SOURCE"), nil
		}
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "ALTER %s ... %s is not supported yet", strings.ToUpper(n.Kind), verb).
		WithHint("Pause the sources it reads with ALTER SOURCE ... PAUSE, or all of them with ALTER SYSTEM PAUSE.")
}

// lookupRelation resolves a relation name through the session's search path.
func (s *Session) lookupRelation(cat *storage.Catalog, name sql.ObjName) *storage.TableDesc {
	schemas := s.settings.searchPath()
	if name.Schema != "" {
		schemas = []string{name.Schema}
	}
	for _, sn := range schemas {
		if sc := cat.Schema(sn); sc != nil {
			if t := cat.Table(sc.ID, name.Name); t != nil {
				return t
			}
		}
	}
	return nil
}
