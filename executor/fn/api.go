package fn

import (
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
}

// Overload is one signature of a scalar function or operator. Eval works on whole columns:
// every argument is an array of length n (constants arrive as arrays too).
type Overload struct {
	Name string
	Args []types.T
	// Variadic means the last entry of Args repeats (concat, greatest, ...).
	Variadic bool
	Ret      types.T
	// NullSafe is false for strict functions: a NULL in any argument yields NULL without calling
	// Eval for that row (the framework handles it). True for functions that see NULLs (concat,
	// coalesce-like behaviour).
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
