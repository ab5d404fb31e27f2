package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// pgServerVersion is what clients see as server_version: PostgreSQL 15 compatible, so drivers
// pick their PostgreSQL 15 code paths.
const pgServerVersion = "15.0"

// setting describes one session variable.
type setting struct {
	name string // canonical spelling, as SHOW ALL prints it
	def  string
	// report marks settings sent as ParameterStatus at startup and whenever they change.
	report   bool
	readOnly bool
	desc     string
	// check validates and normalizes a new value.
	check func(v string) (string, error)
}

var settingList = []*setting{
	{name: "application_name", report: true, desc: "Sets the application name to be reported in statistics and logs."},
	{name: "client_encoding", def: "UTF8", report: true, check: checkEncoding, desc: "Sets the client's character set encoding."},
	{name: "client_min_messages", def: "notice", check: oneOf("debug5", "debug4", "debug3", "debug2", "debug1", "debug", "log", "notice", "warning", "error"), desc: "Sets the message levels that are sent to the client."},
	{name: "DateStyle", def: "ISO, MDY", report: true, check: checkDateStyle, desc: "Sets the display format for date and time values."},
	{name: "default_transaction_isolation", def: "read committed", check: oneOf("read committed", "read uncommitted", "repeatable read", "serializable"), desc: "Sets the transaction isolation level of each new transaction."},
	{name: "default_transaction_read_only", def: "off", check: checkBool, desc: "Sets the default read-only status of new transactions."},
	{name: "extra_float_digits", def: "1", check: intRange(-15, 3), desc: "Sets the number of digits displayed for floating-point values."},
	{name: "integer_datetimes", def: "on", report: true, readOnly: true, desc: "Shows whether datetimes are integer based."},
	{name: "IntervalStyle", def: "postgres", report: true, check: oneOf("postgres", "postgres_verbose", "sql_standard", "iso_8601"), desc: "Sets the display format for interval values."},
	{name: "is_superuser", def: "on", report: true, readOnly: true, desc: "Shows whether the current user is a superuser."},
	{name: "lc_messages", def: "C", desc: "Sets the language in which messages are displayed."},
	{name: "max_identifier_length", def: "63", readOnly: true, desc: "Shows the maximum identifier length."},
	{name: "read_consistency", def: "local", check: oneOf("local", "strong"), desc: "Sets how fresh reads are in a cluster: local reads this node's replica; strong first waits for every write the leader has committed."},
	{name: "search_path", def: `"$user", public`, check: checkSearchPath, desc: "Sets the schema search order for names that are not schema-qualified."},
	{name: "server_encoding", def: "UTF8", report: true, readOnly: true, desc: "Shows the server (database) character set encoding."},
	{name: "server_version", def: pgServerVersion, report: true, readOnly: true, desc: "Shows the server version."},
	{name: "server_version_num", def: "150000", readOnly: true, desc: "Shows the server version as an integer."},
	{name: "session_authorization", report: true, readOnly: true, desc: "Sets the session user name."},
	{name: "standard_conforming_strings", def: "on", report: true, check: onlyOn, desc: "Causes '...' strings to treat backslashes literally."},
	{name: "statement_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed duration of any statement."},
	{name: "TimeZone", def: "UTC", report: true, check: checkTimeZone, desc: "Sets the time zone for displaying and interpreting time stamps."},
	{name: "transaction_isolation", def: "read committed", check: oneOf("read committed", "read uncommitted", "repeatable read", "serializable"), desc: "Sets the current transaction's isolation level."},
	{name: "transaction_read_only", def: "off", check: checkBool, desc: "Sets the current transaction's read-only status."},
}

func lookupSetting(name string) *setting {
	for _, s := range settingList {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

// sessionSettings are one session's current values, keyed by canonical name.
type sessionSettings struct {
	vals map[string]string
	// dirty holds reported settings changed since the last ParameterStatus(changed=true).
	dirty map[string]bool
	fc    types.FormatContext
	// oidName names regclass/regtype/regproc values for output; kept across refreshFormat.
	oidName func(t types.T, oid int64) (string, bool)
}

func newSessionSettings(user string, startup map[string]string, cfg Config) (*sessionSettings, error) {
	s := &sessionSettings{vals: map[string]string{}, dirty: map[string]bool{}, fc: types.DefaultFormatContext}
	for _, st := range settingList {
		s.vals[st.name] = st.def
	}
	s.vals["session_authorization"] = user
	if cfg.StatementTimeout > 0 {
		s.vals["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	}
	// Startup parameters other than user/database/options are settings, as in PostgreSQL.
	keys := make([]string, 0, len(startup))
	for k := range startup {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch k {
		case "user", "database", "options", "replication":
			continue
		}
		if err := s.set(k, startup[k]); err != nil {
			return nil, err
		}
	}
	s.dirty = map[string]bool{}
	return s, nil
}

// set validates and stores a value.
func (s *sessionSettings) set(name, value string) error {
	st := lookupSetting(name)
	if st == nil {
		return pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	if st.readOnly {
		return pgerror.Newf(pgerror.CantChangeRuntimeParam, "parameter %q cannot be changed", st.name)
	}
	if st.check != nil {
		v, err := st.check(value)
		if err != nil {
			return pgerror.Newf(pgerror.InvalidParameterValue, "invalid value for parameter %q: %q", st.name, value).WithDetail(err.Error())
		}
		value = v
	}
	s.vals[st.name] = value
	if st.report {
		s.dirty[st.name] = true
	}
	s.refreshFormat()
	return nil
}

func (s *sessionSettings) reset(name string) error {
	if strings.EqualFold(name, "all") {
		for _, st := range settingList {
			if !st.readOnly && s.vals[st.name] != st.def {
				s.vals[st.name] = st.def
				if st.report {
					s.dirty[st.name] = true
				}
			}
		}
		s.refreshFormat()
		return nil
	}
	st := lookupSetting(name)
	if st == nil {
		return pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	return s.set(st.name, st.def)
}

func (s *sessionSettings) get(name string) (string, error) {
	st := lookupSetting(name)
	if st == nil {
		return "", pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	return s.vals[st.name], nil
}

func (s *sessionSettings) refreshFormat() {
	loc, err := loadLocation(s.vals["TimeZone"])
	if err != nil {
		loc = time.UTC
	}
	efd, _ := strconv.Atoi(s.vals["extra_float_digits"])
	s.fc = types.FormatContext{Location: loc, ExtraFloatDigits: efd, DateStyle: s.vals["DateStyle"],
		IntervalStyle: s.vals["IntervalStyle"], OIDName: s.oidName}
}

// statementTimeout returns the statement_timeout setting as a duration (0 = none).
func (s *sessionSettings) statementTimeout() time.Duration {
	d, _ := parseTimeoutMillis(s.vals["statement_timeout"])
	return d
}

// searchPath returns the schemas of search_path in order, with "$user" dropped.
func (s *sessionSettings) searchPath() []string {
	var out []string
	for _, p := range strings.Split(s.vals["search_path"], ",") {
		p = strings.TrimSpace(p)
		if p == `"$user"` || p == "$user" || p == "" {
			continue
		}
		out = append(out, strings.Trim(p, `"`))
	}
	return out
}

// paramStatus returns every reported setting, or only those changed since the last call.
func (s *sessionSettings) paramStatus(changed bool) map[string]string {
	out := map[string]string{}
	for _, st := range settingList {
		if st.report && (!changed || s.dirty[st.name]) {
			out[st.name] = s.vals[st.name]
		}
	}
	s.dirty = map[string]bool{}
	return out
}

func oneOf(vals ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		lv := strings.ToLower(strings.TrimSpace(v))
		if slices.Contains(vals, lv) {
			return lv, nil
		}
		return "", fmt.Errorf("available values: %s", strings.Join(vals, ", "))
	}
}

func intRange(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("must be an integer between %d and %d", lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

func checkBool(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1", "t":
		return "on", nil
	case "off", "false", "no", "0", "f":
		return "off", nil
	}
	return "", fmt.Errorf("requires a Boolean value")
}

func onlyOn(v string) (string, error) {
	b, err := checkBool(v)
	if err != nil {
		return "", err
	}
	if b != "on" {
		return "", fmt.Errorf("eddy supports only standard_conforming_strings = on")
	}
	return b, nil
}

func checkEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(v), "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	}
	return "", fmt.Errorf("eddy supports only the UTF8 client encoding")
}

func checkDateStyle(v string) (string, error) {
	style, order := "ISO", "MDY"
	for _, part := range strings.Split(v, ",") {
		switch strings.ToUpper(strings.TrimSpace(part)) {
		case "ISO":
			style = "ISO"
		case "MDY", "US", "NONEURO", "NONEUROPEAN":
			order = "MDY"
		case "DMY", "EURO", "EUROPEAN":
			order = "DMY"
		case "YMD":
			order = "YMD"
		case "":
		default:
			return "", fmt.Errorf("eddy writes dates in the ISO style only")
		}
	}
	return style + ", " + order, nil
}

func checkTimeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	if _, err := loadLocation(v); err != nil {
		return "", fmt.Errorf("time zone %q not recognized", v)
	}
	if strings.EqualFold(v, "utc") {
		return "UTC", nil
	}
	return v, nil
}

func checkSearchPath(v string) (string, error) {
	var parts []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", "), nil
}

func checkDuration(v string) (string, error) {
	d, err := parseTimeoutMillis(v)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(d.Milliseconds(), 10), nil
}

// parseTimeoutMillis reads a PostgreSQL time setting: a bare number is milliseconds; units
// us, ms, s, min, h, d are accepted.
func parseTimeoutMillis(v string) (time.Duration, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	num, err := strconv.ParseFloat(v[:i], 64)
	if err != nil || num < 0 {
		return 0, fmt.Errorf("invalid value for a duration: %q", v)
	}
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := unit[strings.TrimSpace(v[i:])]
	if !ok {
		return 0, fmt.Errorf("valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"")
	}
	return time.Duration(num * float64(u)), nil
}

// loadLocation resolves a TimeZone setting: IANA names, UTC/GMT, and fixed offsets like +02:00.
func loadLocation(name string) (*time.Location, error) {
	switch strings.ToUpper(name) {
	case "UTC", "GMT", "Z", "ZULU", "ETC/UTC":
		return time.UTC, nil
	case "LOCAL", "DEFAULT":
		return time.UTC, nil
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, nil
	}
	// A bare number or [+-]HH[:MM]: POSIX-style offsets in PostgreSQL are east-negative for names,
	// but numeric SET TIME ZONE values are hours east of UTC.
	s := strings.TrimSpace(name)
	sign := 1
	if strings.HasPrefix(s, "-") {
		sign, s = -1, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	h, m := s, "0"
	if i := strings.IndexByte(s, ':'); i >= 0 {
		h, m = s[:i], s[i+1:]
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh > 15 || mm > 59 {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.FixedZone(name, sign*(hh*3600+mm*60)), nil
}
