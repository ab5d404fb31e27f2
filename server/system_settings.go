package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// System settings belong to the whole database rather than to a session: ALTER SYSTEM SET
// proposes the new value through the log, so every replica stores it in its catalog and it
// outlives restarts, overriding the flag the process was started with. SET on a system setting
// does the same (the users expect `SET checkpoint_interval = '5s'` to work) and says so
// in a notice, since in PostgreSQL SET only touches the session.

// systemSetting describes one system setting.
type systemSetting struct {
	name string
	desc string
	// check validates a value and returns its canonical text.
	check func(v string) (string, error)
	// flag returns the value the process was started with, in canonical text.
	flag func(cfg *Config) string
}

var systemSettingList = []*systemSetting{
	{
		name:  "checkpoint_interval",
		desc:  "Sets how often the state is checkpointed (0 leaves it to the log's own schedule).",
		check: checkCheckpointInterval,
		flag:  func(cfg *Config) string { return formatInterval(cfg.CheckpointInterval) },
	},
	{
		name:  storage.SettingSourcesPaused,
		desc:  "Pauses every source's ingestion (ALTER SYSTEM PAUSE / RESUME).",
		check: checkBool,
		flag:  func(*Config) string { return "off" },
	},
}

func lookupSystemSetting(name string) *systemSetting {
	for _, s := range systemSettingList {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

// minCheckpointInterval keeps checkpoints from being requested faster than the checkpointer
// looks at the clock.
const minCheckpointInterval = 100 * time.Millisecond

// checkCheckpointInterval accepts PostgreSQL time values (a bare number is seconds, as for
// checkpoint_timeout; units ms, s, min, h, d) and Go durations such as 1m30s.
func checkCheckpointInterval(v string) (string, error) {
	d, err := parseInterval(v)
	if err != nil {
		return "", err
	}
	if d != 0 && d < minCheckpointInterval {
		return "", fmt.Errorf("checkpoint_interval must be 0 or at least %s", formatInterval(minCheckpointInterval))
	}
	return formatInterval(d), nil
}

func parseInterval(v string) (time.Duration, error) {
	t := strings.TrimSpace(strings.ToLower(v))
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		t += "s"
	}
	if d, err := parseTimeoutMillis(t); err == nil {
		return d, nil
	}
	if d, err := time.ParseDuration(t); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("invalid value for a duration: %q (use e.g. '5s', '500ms' or '1min')", v)
}

// formatInterval prints a duration the way PostgreSQL prints time settings: in the largest unit
// that divides it.
func formatInterval(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%time.Second != 0:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d%time.Minute != 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Hour != 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "min"
	default:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
}

// systemValue returns a system setting's current value: ALTER SYSTEM's, else the flag's.
func (e *Engine) systemValue(st *systemSetting) string {
	if v, ok := e.store.Catalog().Setting(st.name); ok {
		return v
	}
	return st.flag(&e.cfg)
}

// checkpointInterval is the checkpoint_interval in force.
func (e *Engine) checkpointInterval() time.Duration {
	d, err := parseInterval(e.systemValue(lookupSystemSetting("checkpoint_interval")))
	if err != nil {
		return e.cfg.CheckpointInterval
	}
	return d
}

// alterSystem runs ALTER SYSTEM SET/RESET (and SET/RESET of a system setting).
func (s *Session) alterSystem(ctx context.Context, n *sql.AlterSystemStmt) (pgwire.Result, error) {
	if s.tx != nil && !s.tx.implicit {
		return nil, pgerror.New(pgerror.ActiveSQLTransaction, "ALTER SYSTEM cannot run inside a transaction block")
	}
	var names []string
	if n.Reset && n.Name == "all" {
		for _, st := range systemSettingList {
			names = append(names, st.name)
		}
	} else {
		st := lookupSystemSetting(n.Name)
		if st == nil {
			if lookupSetting(n.Name) != nil {
				return nil, pgerror.Newf(pgerror.CantChangeRuntimeParam, "parameter %q is a session setting", n.Name).
					WithHint("Use SET to change it for this session.")
			}
			return nil, pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter %q", n.Name)
		}
		names = []string{st.name}
	}
	for _, name := range names {
		ss := &storage.SetSystem{Name: name, Reset: n.Reset}
		if !n.Reset {
			raw, err := settingValue(n.Value)
			if err != nil {
				return nil, err
			}
			if ss.Value, err = lookupSystemSetting(name).check(raw); err != nil {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid value for parameter %q: %q", name, raw).
					WithDetail(err.Error())
			}
		}
		if err := s.proposeSystem(ctx, ss); err != nil {
			return nil, err
		}
	}
	return tagResult("ALTER SYSTEM"), nil
}

// proposeSystem proposes one setting change, planning it again if other DDL got in first (the
// change does not depend on the rest of the catalog).
func (s *Session) proposeSystem(ctx context.Context, ss *storage.SetSystem) error {
	for attempt := 0; ; attempt++ {
		d := &storage.DDL{ExpectCatalogVersion: s.e.store.Catalog().Version, SetSystem: ss}
		_, err := s.e.propose(ctx, &storage.Command{DDL: d})
		if pgerror.GetCode(err) != pgerror.SerializationFailure || attempt >= 10 {
			return err
		}
	}
}

// setSystemFromSession runs SET/RESET name when name is a system setting.
func (s *Session) setSystemFromSession(ctx context.Context, n *sql.AlterSystemStmt, verb string) (pgwire.Result, error) {
	if _, err := s.alterSystem(ctx, n); err != nil {
		return nil, err
	}
	return tagResult(verb, pgwire.Notice{Severity: "NOTICE", Code: "00000",
		Message: fmt.Sprintf("%s is a system setting: the change applies to every session and node and survives restarts, as ALTER SYSTEM does", n.Name)}), nil
}
