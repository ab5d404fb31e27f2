package systables

import (
	"sort"
	"strings"

	"github.com/eddydb/eddy/storage"
)

// This file holds the database, role and session catalogs. eddy has one database and one
// role: the session's user, a superuser with PostgreSQL's bootstrap superuser OID (10), so
// pg_get_userbyid(relowner) and the join of pg_database.datdba to pg_roles both resolve.

// userName is the name of the one role: the session's user.
func userName(env *Env) string {
	if env.User != "" {
		return env.User
	}
	return "eddy"
}

func databaseName(env *Env) string {
	if env.Database != "" {
		return env.Database
	}
	return storage.DefaultDatabaseName
}

var _ = register("pg_catalog", "pg_database", 1262, spec(`
	oid oid, datname name, datdba oid, encoding int4, datlocprovider char, datistemplate bool,
	datallowconn bool, datconnlimit int4, datfrozenxid xid, datminmxid xid, dattablespace oid,
	datcollate text, datctype text, daticulocale text, datcollversion text, datacl aclitem[]`),
	func(b *builder, _ *storage.Catalog, env *Env) error {
		b.add(row{
			"oid": storage.DatabaseID, "datname": databaseName(env), "datdba": superuserOID,
			"encoding": 6 /* UTF8 */, "datlocprovider": byte('c'), "datistemplate": false,
			"datallowconn": true, "datconnlimit": -1, "datfrozenxid": 0, "datminmxid": 1,
			"dattablespace": pgDefaultTS, "datcollate": "C", "datctype": "C",
		})
		return nil
	})

// roleRow holds the attributes pg_roles and pg_authid share.
func roleRow(env *Env) row {
	return row{
		"oid": superuserOID, "rolname": userName(env), "rolsuper": true, "rolinherit": true,
		"rolcreaterole": true, "rolcreatedb": true, "rolcanlogin": true, "rolreplication": true,
		"rolbypassrls": true, "rolconnlimit": -1,
	}
}

var _ = registerView("pg_catalog", "pg_roles", 12000, spec(`
	rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool,
	rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text,
	rolvaliduntil timestamptz, rolbypassrls bool, rolconfig text[], oid oid`),
	func(b *builder, _ *storage.Catalog, env *Env) error {
		r := roleRow(env)
		r["rolpassword"] = "********" // pg_roles masks the password, set or not
		b.add(r)
		return nil
	})

var _ = register("pg_catalog", "pg_authid", 1260, spec(`
	oid oid, rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool,
	rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolbypassrls bool,
	rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz`),
	func(b *builder, _ *storage.Catalog, env *Env) error {
		b.add(roleRow(env))
		return nil
	})

var userCols = spec(`
	usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool,
	usebypassrls bool, passwd text, valuntil timestamptz, useconfig text[]`)

func fillUser(b *builder, _ *storage.Catalog, env *Env) error {
	b.add(row{"usename": userName(env), "usesysid": superuserOID, "usecreatedb": true,
		"usesuper": true, "userepl": true, "usebypassrls": true, "passwd": "********"})
	return nil
}

var (
	_ = registerView("pg_catalog", "pg_user", 12014, userCols, fillUser)
	_ = registerView("pg_catalog", "pg_shadow", 12005, userCols, func(b *builder, cat *storage.Catalog, env *Env) error {
		b.add(row{"usename": userName(env), "usesysid": superuserOID, "usecreatedb": true,
			"usesuper": true, "userepl": true, "usebypassrls": true})
		return nil
	})
	_ = register("pg_catalog", "pg_auth_members", 1261, spec(`
	roleid oid, member oid, grantor oid, admin_option bool`), nil)
	_ = registerView("pg_catalog", "pg_group", 12010, spec(`
	groname name, grosysid oid, grolist oid[]`), nil)
	_ = register("pg_catalog", "pg_db_role_setting", 2964, spec(`
	setdatabase oid, setrole oid, setconfig text[]`), nil)
)

var _ = register("pg_catalog", "pg_tablespace", 1213, spec(`
	oid oid, spcname name, spcowner oid, spcacl aclitem[], spcoptions text[]`),
	func(b *builder, _ *storage.Catalog, _ *Env) error {
		b.add(row{"oid": pgDefaultTS, "spcname": "pg_default", "spcowner": superuserOID})
		b.add(row{"oid": pgGlobalTS, "spcname": "pg_global", "spcowner": superuserOID})
		return nil
	})

var _ = registerView("pg_catalog", "pg_stat_activity", 12222, spec(`
	datid oid, datname name, pid int4, leader_pid int4, usesysid oid, usename name,
	application_name text, client_addr inet, client_hostname text, client_port int4,
	backend_start timestamptz, xact_start timestamptz, query_start timestamptz,
	state_change timestamptz, wait_event_type text, wait_event text, state text,
	backend_xid xid, backend_xmin xid, query_id int8, query text, backend_type text`),
	func(b *builder, _ *storage.Catalog, env *Env) error {
		// One row: the session reading it. Times stay NULL, since S1 forbids the clock.
		b.add(row{
			"datid": storage.DatabaseID, "datname": databaseName(env), "pid": int(env.PID),
			"usesysid": superuserOID, "usename": userName(env),
			"application_name": env.Settings["application_name"], "client_port": -1,
			"state": "active", "query": env.Query, "backend_type": "client backend",
		})
		return nil
	})

// settingInfo describes a setting for pg_settings. Settings eddy does not describe show as
// user-settable strings.
type settingInfo struct {
	unit, category, desc, context, vartype string
}

var settingInfos = map[string]settingInfo{
	"application_name":              {"", "Reporting and Logging / What to Log", "Sets the application name to be reported in statistics and logs.", "user", "string"},
	"client_encoding":               {"", "Client Connection Defaults / Locale and Formatting", "Sets the client's character set encoding.", "user", "string"},
	"client_min_messages":           {"", "Client Connection Defaults / Statement Behavior", "Sets the message levels that are sent to the client.", "user", "enum"},
	"datestyle":                     {"", "Client Connection Defaults / Locale and Formatting", "Sets the display format for date and time values.", "user", "string"},
	"default_transaction_isolation": {"", "Client Connection Defaults / Statement Behavior", "Sets the transaction isolation level of each new transaction.", "user", "enum"},
	"extra_float_digits":            {"", "Client Connection Defaults / Locale and Formatting", "Sets the number of digits displayed for floating-point values.", "user", "integer"},
	"integer_datetimes":             {"", "Preset Options", "Shows whether datetimes are integer based.", "internal", "bool"},
	"intervalstyle":                 {"", "Client Connection Defaults / Locale and Formatting", "Sets the display format for interval values.", "user", "enum"},
	"is_superuser":                  {"", "Preset Options", "Shows whether the current user is a superuser.", "internal", "bool"},
	"max_identifier_length":         {"", "Preset Options", "Shows the maximum identifier length.", "internal", "integer"},
	"max_index_keys":                {"", "Preset Options", "Shows the maximum number of index keys.", "internal", "integer"},
	"search_path":                   {"", "Client Connection Defaults / Statement Behavior", "Sets the schema search order for names that are not schema-qualified.", "user", "string"},
	"server_encoding":               {"", "Preset Options", "Shows the server (database) character set encoding.", "internal", "string"},
	"server_version":                {"", "Preset Options", "Shows the server version.", "internal", "string"},
	"server_version_num":            {"", "Preset Options", "Shows the server version as an integer.", "internal", "integer"},
	"standard_conforming_strings":   {"", "Version and Platform Compatibility / Previous PostgreSQL Versions", "Causes '...' strings to treat backslashes literally.", "user", "bool"},
	"statement_timeout":             {"ms", "Client Connection Defaults / Statement Behavior", "Sets the maximum allowed duration of any statement.", "user", "integer"},
	"timezone":                      {"", "Client Connection Defaults / Locale and Formatting", "Sets the time zone for displaying and interpreting time stamps.", "user", "string"},
	"transaction_isolation":         {"", "Client Connection Defaults / Statement Behavior", "Sets the current transaction's isolation level.", "user", "enum"},
	"transaction_read_only":         {"", "Client Connection Defaults / Statement Behavior", "Sets the current transaction's read-only status.", "user", "bool"},
}

// presetSettings are shown even when the session's settings lack them: drivers read them
// (pgjdbc asks for max_index_keys).
var presetSettings = map[string]string{
	"max_identifier_length": "63",
	"max_index_keys":        "32",
	"integer_datetimes":     "on",
	"server_encoding":       "UTF8",
}

var _ = registerView("pg_catalog", "pg_settings", 12104, spec(`
	name text, setting text, unit text, category text, short_desc text, extra_desc text,
	context text, vartype text, source text, min_val text, max_val text, enumvals text[],
	boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool`),
	func(b *builder, _ *storage.Catalog, env *Env) error {
		vals := map[string]string{}
		for k, v := range presetSettings {
			vals[k] = v
		}
		for k, v := range env.Settings {
			vals[k] = v
		}
		names := make([]string, 0, len(vals))
		for k := range vals {
			names = append(names, k)
		}
		// PostgreSQL lists settings by name, ignoring case (TimeZone sorts among the t's).
		sort.Slice(names, func(i, j int) bool {
			li, lj := strings.ToLower(names[i]), strings.ToLower(names[j])
			if li != lj {
				return li < lj
			}
			return names[i] < names[j]
		})
		for _, name := range names {
			info, ok := settingInfos[strings.ToLower(name)]
			if !ok {
				info = settingInfo{category: "Customized Options", context: "user", vartype: "string"}
			}
			r := row{"name": name, "setting": vals[name], "category": info.category,
				"short_desc": info.desc, "context": info.context, "vartype": info.vartype,
				"source": "default", "boot_val": vals[name], "reset_val": vals[name],
				"pending_restart": false}
			if info.unit != "" {
				r["unit"] = info.unit
			}
			b.add(r)
		}
		return nil
	})
