package fn

import (
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// Context carries what function evaluation may depend on. Everything here comes from the
// session or the command being applied, never from the local clock, so evaluation is
// deterministic.
type Context struct {
	Mem    memory.Allocator
	Format *types.FormatContext
	// Now is the statement's timestamp in microseconds since the Unix epoch (now(),
	// current_timestamp); it comes from the leader-stamped command or the session's statement start.
	Now int64
	// User and Database answer current_user and current_database().
	User, Database string
	// SearchPath answers current_schema() and current_schemas().
	SearchPath []string
	// BackendPID answers pg_backend_pid().
	BackendPID int32
	// Seed seeds random(); the same seed gives the same sequence (F1).
	Seed int64
	// Setting answers current_setting(name) (name in lower case) for session parameters; nil or
	// false falls back to what Format and SearchPath say, then to PostgreSQL's defaults.
	Setting func(name string) (string, bool)
	// Cancel is closed when the statement is canceled (pg_sleep stops waiting); nil never is.
	Cancel <-chan struct{}
	// RelationVisible answers pg_table_is_visible(oid) from the statement's catalog and search
	// path; nil answers true (the executor, which holds the catalog, sets it).
	RelationVisible func(oid uint32) bool

	// rng is random()'s generator, created from Seed on first use; it makes a Context unsafe
	// for concurrent Evals of random().
	rng *rand.Rand
}

// Overload is one signature of a scalar function or operator. Eval works on whole columns:
// every argument is an array of length n (constants arrive as arrays too).
//
// An Args entry of types.UnknownT is a polymorphic "any" parameter: it accepts every argument
// type without a cast (pg_typeof, the right operand of text || anynonarray).
type Overload struct {
	Name string
	Args []types.T
	// Variadic means the last entry of Args repeats (concat, greatest, ...).
	Variadic bool
	Ret      types.T
	// NullSafe is false for strict functions: a NULL in any argument yields NULL without calling
	// Eval for that row (the framework handles it). True for functions that see NULLs (concat,
	// coalesce-like behaviour). Every Eval in this package applies the strict rule itself, so
	// callers may pass columns with NULLs straight to Eval (doc.go, F4).
	NullSafe bool
	// Volatile functions (random) must not be constant-folded.
	Volatile bool
	Eval     func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error)
}

// CastContext is when a cast may be applied, as in pg_cast.castcontext.
type CastContext uint8

// Cast contexts, from most to least permissive.
const (
	CastExplicit   CastContext = iota // CAST(x AS t), x::t
	CastAssignment                    // INSERT/UPDATE target columns
	CastImplicit                      // anywhere (operator and function arguments)
)
