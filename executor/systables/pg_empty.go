package systables

// The catalogs below describe objects eddy does not have (yet): triggers, policies, rules,
// publications, sequences, extensions, enums, ranges, casts, operators, ... They are empty, but
// carry all of PostgreSQL 15's columns so that the queries psql and drivers send bind and
// simply find nothing. A table that gains contents moves to its own file.
var (
	_ = register("pg_catalog", "pg_inherits", 2611, spec(`
		inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool`), nil)
	_ = register("pg_catalog", "pg_trigger", 2620, spec(`
		oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char,
		tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid,
		tgdeferrable bool, tginitdeferred bool, tgnargs int2, tgattr int2vector, tgargs bytea,
		tgqual pg_node_tree, tgoldtable name, tgnewtable name`), nil)
	_ = register("pg_catalog", "pg_policy", 3256, spec(`
		oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles oid[],
		polqual pg_node_tree, polwithcheck pg_node_tree`), nil)
	_ = register("pg_catalog", "pg_statistic_ext", 3381, spec(`
		oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4,
		stxkeys int2vector, stxkind char[], stxexprs pg_node_tree`), nil)
	_ = register("pg_catalog", "pg_publication", 6104, spec(`
		oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool,
		pubdelete bool, pubtruncate bool, pubviaroot bool`), nil)
	_ = register("pg_catalog", "pg_publication_rel", 6106, spec(`
		oid oid, prpubid oid, prrelid oid, prqual pg_node_tree, prattrs int2vector`), nil)
	_ = register("pg_catalog", "pg_publication_namespace", 6237, spec(`
		oid oid, pnpubid oid, pnnspid oid`), nil)
	_ = register("pg_catalog", "pg_largeobject_metadata", 2995, spec(`
		oid oid, lomowner oid, lomacl aclitem[]`), nil)
	_ = registerView("pg_catalog", "pg_user_mappings", 12327, spec(`
		umid oid, srvid oid, srvname name, umuser oid, usename name, umoptions text[]`), nil)
	_ = register("pg_catalog", "pg_partitioned_table", 3350, spec(`
		partrelid oid, partstrat char, partnatts int2, partdefid oid, partattrs int2vector,
		partclass oidvector, partcollation oidvector, partexprs pg_node_tree`), nil)
	_ = register("pg_catalog", "pg_sequence", 2224, spec(`
		seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8,
		seqcache int8, seqcycle bool`), nil)
	_ = registerView("pg_catalog", "pg_sequences", 12048, spec(`
		schemaname name, sequencename name, sequenceowner name, data_type regtype,
		start_value int8, min_value int8, max_value int8, increment_by int8, cycle bool,
		cache_size int8, last_value int8`), nil)
	_ = register("pg_catalog", "pg_event_trigger", 3466, spec(`
		oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid, evtenabled char,
		evttags text[]`), nil)
	_ = register("pg_catalog", "pg_extension", 3079, spec(`
		oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool,
		extversion text, extconfig oid[], extcondition text[]`), nil)
	_ = register("pg_catalog", "pg_enum", 3501, spec(`
		oid oid, enumtypid oid, enumsortorder float4, enumlabel name`), nil)
	_ = register("pg_catalog", "pg_range", 3541, spec(`
		rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid,
		rngcanonical regproc, rngsubdiff regproc`), nil)
	_ = register("pg_catalog", "pg_cast", 2605, spec(`
		oid oid, castsource oid, casttarget oid, castfunc oid, castcontext char, castmethod char`), nil)
	_ = register("pg_catalog", "pg_operator", 2617, spec(`
		oid oid, oprname name, oprnamespace oid, oprowner oid, oprkind char, oprcanmerge bool,
		oprcanhash bool, oprleft oid, oprright oid, oprresult oid, oprcom oid, oprnegate oid,
		oprcode regproc, oprrest regproc, oprjoin regproc`), nil)
	_ = register("pg_catalog", "pg_opclass", 2616, spec(`
		oid oid, opcmethod oid, opcname name, opcnamespace oid, opcowner oid, opcfamily oid,
		opcintype oid, opcdefault bool, opckeytype oid`), nil)
	_ = register("pg_catalog", "pg_aggregate", 2600, spec(`
		aggfnoid regproc, aggkind char, aggnumdirectargs int2, aggtransfn regproc,
		aggfinalfn regproc, aggcombinefn regproc, aggserialfn regproc, aggdeserialfn regproc,
		aggmtransfn regproc, aggminvtransfn regproc, aggmfinalfn regproc, aggfinalextra bool,
		aggmfinalextra bool, aggfinalmodify char, aggmfinalmodify char, aggsortop oid,
		aggtranstype oid, aggtransspace int4, aggmtranstype oid, aggmtransspace int4,
		agginitval text, aggminitval text`), nil)
	_ = register("pg_catalog", "pg_foreign_data_wrapper", 2328, spec(`
		oid oid, fdwname name, fdwowner oid, fdwhandler oid, fdwvalidator oid, fdwacl aclitem[],
		fdwoptions text[]`), nil)
	_ = register("pg_catalog", "pg_shdepend", 1214, spec(`
		dbid oid, classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid,
		deptype char`), nil)
	_ = register("pg_catalog", "pg_init_privs", 3394, spec(`
		objoid oid, classoid oid, objsubid int4, privtype char, initprivs aclitem[]`), nil)
	_ = register("pg_catalog", "pg_default_acl", 826, spec(`
		oid oid, defaclrole oid, defaclnamespace oid, defaclobjtype char, defaclacl aclitem[]`), nil)
	_ = registerView("pg_catalog", "pg_locks", 12073, spec(`
		locktype text, database oid, relation oid, page int4, tuple int2, virtualxid text,
		transactionid xid, classid oid, objid oid, objsubid int2, virtualtransaction text,
		pid int4, mode text, granted bool, fastpath bool, waitstart timestamptz`), nil)
	_ = registerView("pg_catalog", "pg_prepared_statements", 12095, spec(`
		name text, statement text, prepare_time timestamptz, parameter_types regtype[],
		from_sql bool, generic_plans int8, custom_plans int8`), nil)
	_ = registerView("pg_catalog", "pg_timezone_names", 12126, spec(`
		name text, abbrev text, utc_offset interval, is_dst bool`), nil)
	_ = registerView("pg_catalog", "pg_available_extensions", 12081, spec(`
		name name, default_version text, installed_version text, comment text`), nil)
	_ = registerView("pg_catalog", "pg_policies", 12018, spec(`
		schemaname name, tablename name, policyname name, permissive text, roles name[], cmd text,
		qual text, with_check text`), nil)
	_ = registerView("pg_catalog", "pg_rules", 12023, spec(`
		schemaname name, tablename name, rulename name, definition text`), nil)
	_ = registerView("pg_catalog", "pg_stats", 12053, spec(`
		schemaname name, tablename name, attname name, inherited bool, null_frac float4,
		avg_width int4, n_distinct float4, most_common_vals anyarray, most_common_freqs float4[],
		histogram_bounds anyarray, correlation float4, most_common_elems anyarray,
		most_common_elem_freqs float4[], elem_count_histogram float4[]`), nil)
	_ = register("pg_catalog", "pg_subscription", 6100, spec(`
		oid oid, subdbid oid, subskiplsn pg_lsn, subname name, subowner oid, subenabled bool,
		subbinary bool, substream bool, subtwophasestate char, subdisableonerr bool,
		subconninfo text, subslotname name, subsynccommit text, subpublications text[]`), nil)
	_ = register("pg_catalog", "pg_seclabel", 3596, spec(`
		objoid oid, classoid oid, objsubid int4, provider text, label text`), nil)
	_ = register("pg_catalog", "pg_conversion", 2607, spec(`
		oid oid, conname name, connamespace oid, conowner oid, conforencoding int4,
		contoencoding int4, conproc regproc, condefault bool`), nil)
	_ = register("pg_catalog", "pg_ts_config", 3602, spec(`
		oid oid, cfgname name, cfgnamespace oid, cfgowner oid, cfgparser oid`), nil)
	_ = register("pg_catalog", "pg_statistic", 2619, spec(`
		starelid oid, staattnum int2, stainherit bool, stanullfrac float4, stawidth int4,
		stadistinct float4, stakind1 int2, stakind2 int2, stakind3 int2, stakind4 int2,
		stakind5 int2, staop1 oid, staop2 oid, staop3 oid, staop4 oid, staop5 oid, stacoll1 oid,
		stacoll2 oid, stacoll3 oid, stacoll4 oid, stacoll5 oid, stanumbers1 float4[],
		stanumbers2 float4[], stanumbers3 float4[], stanumbers4 float4[], stanumbers5 float4[],
		stavalues1 anyarray, stavalues2 anyarray, stavalues3 anyarray, stavalues4 anyarray,
		stavalues5 anyarray`), nil)
	_ = register("pg_catalog", "pg_transform", 3576, spec(`
		oid oid, trftype oid, trflang oid, trffromsql regproc, trftosql regproc`), nil)
)
