// Package options reads the WITH (...) options of a connector declaration: typed getters that
// reject bad values with SQLSTATE 22023 (invalid_parameter_value) naming the option, and a final
// check that every option given was understood. The connector packages (datagen, nexmark) own
// the option names and their meaning; this package knows only how to parse values.
//
// Invariants:
//   - O1 every error returned to a caller is a *pgerror.Error with code 22023 whose message
//     names the offending option, so the user can find it in the statement.
//   - O2 the result depends only on the map's contents, never on Go's map iteration order:
//     Unknown reports the smallest unrecognized key.
package options
