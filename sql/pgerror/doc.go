// Package pgerror holds eddy's SQL error vocabulary: SQLSTATE codes and an error type that carries
// one, born where the error is detected and translated for the wire only by server.
//
// It is a leaf: it imports only the standard library, so every layer may use it.
package pgerror
