// Package datagen is the built-in generator of synthetic rows behind
// `CREATE SOURCE s (...) WITH (connector = 'datagen', ...)`. It accepts RisingWave's option names
// so declarations move over unchanged, and it is deterministic: row k of a source is a pure
// function of the declared columns, the options and k. The leader logs only "offsets [a, b)" and
// every replica calls Batch(a, b) to rebuild the same rows (DESIGN.md, deterministic sources).
//
// Offsets: offset k is the k-th row of the stream, counting from 0. Batch(from, to) returns rows
// from..to-1. A stream is unbounded unless a sequence column bounds it (End).
//
// Options (keys as written in WITH; values are strings):
//
//	datagen.rows.per.second   rows per second of the stream's virtual clock (default 10). The
//	                          reader paces itself with it; relative timestamps advance with it.
//	datagen.seed              default seed of every random column (default 0)
//	datagen.split.num         accepted for compatibility; must be 1
//	fields.<col>.kind         'random' (default) or 'sequence'
//	fields.<col>.start        sequence: first value (default 0; an integer, except for real
//	                          and double precision, which step by 1 from any start such as 1.5)
//	fields.<col>.end          sequence: last value, inclusive (default: the type's maximum)
//	fields.<col>.basetime     timestamp/date: the base instant, a timestamp literal, UTC unless
//	  (or .start)             it names a zone (default '2015-07-15 00:00:00+00')
//	fields.<col>.min, .max    random numbers: inclusive range (defaults 0 and 32767)
//	fields.<col>.length       random text/varchar: length in characters (default 10)
//	fields.<col>.seed         random: this column's seed (default datagen.seed)
//	fields.<col>.max_past     random timestamp/date: how far before the base a value may fall
//	                          (interval, default '1 day')
//	fields.<col>.max_past_mode 'relative' (default): the base is start + k/rows.per.second, so
//	                          values move forward with the stream; 'absolute': the base is start.
//
// Supported types: int2, int4, int8, float4, float8, numeric, text, varchar, bool, date,
// timestamp, timestamptz. Sequences are for the numeric types and text (decimal text of the
// number); bool, date and timestamps are random only.
//
// Differences from RisingWave: there is no wall clock. RisingWave draws timestamps before now()
// (frozen at creation in max_past_mode 'absolute', its default) or before basetime, which then
// overrides the mode. eddy draws them before its base instant (basetime, or DefaultStart), and
// max_past_mode still applies: 'relative', the default, moves the base along the stream's
// virtual clock so event-time columns advance; 'absolute' keeps it fixed. Random values come
// from eddy's own generator, so they differ from RisingWave's for the same seed.
//
// Invariants (cite as "keeps D1"):
//   - D1 determinism: the value of column c at offset k depends only on (c's options, c's name,
//     k); never on the clock, global randomness, or which batch k falls in. Hence Batch(a, c)
//     equals Batch(a, b) followed by Batch(b, c), on every replica and after any restart.
//     Floating-point values use only correctly rounded operations with fusion forbidden, so
//     replicas on different CPU architectures agree to the bit.
//   - D2 option errors are *pgerror.Error with SQLSTATE 22023 naming the option.
//   - D3 ownership: Batch returns one reference to a new record; the caller releases it.
package datagen
