package pgerror

import (
	"errors"
	"fmt"
)

// Code is a PostgreSQL SQLSTATE, five characters.
type Code string

// The SQLSTATE codes eddy raises. Names follow PostgreSQL's errcodes.txt.
const (
	SuccessfulCompletion          Code = "00000"
	Warning                       Code = "01000"
	ConnectionException           Code = "08000"
	ConnectionFailure             Code = "08006"
	ProtocolViolation             Code = "08P01"
	FeatureNotSupported           Code = "0A000"
	InvalidSavepointSpecification Code = "3B001"
	CardinalityViolation          Code = "21000"
	DataException                 Code = "22000"
	StringDataRightTruncation     Code = "22001"
	NumericValueOutOfRange        Code = "22003"
	NullValueNotAllowed           Code = "22004"
	InvalidDatetimeFormat         Code = "22007"
	DatetimeFieldOverflow         Code = "22008"
	InvalidTimeZoneDisplacement   Code = "22009"
	DivisionByZero                Code = "22012"
	InvalidParameterValue         Code = "22023"
	InvalidRegularExpression      Code = "2201B"
	InvalidRowCountInLimit        Code = "2201W"
	InvalidRowCountInResultOffset Code = "2201X"
	InvalidEscapeSequence         Code = "22025"
	BadCopyFileFormat             Code = "22P04"
	IntervalFieldOverflow         Code = "22015"
	InvalidTextRepresentation     Code = "22P02"
	InvalidBinaryRepresentation   Code = "22P03"
	CharacterNotInRepertoire      Code = "22021"
	IntegrityConstraintViolation  Code = "23000"
	NotNullViolation              Code = "23502"
	ForeignKeyViolation           Code = "23503"
	UniqueViolation               Code = "23505"
	CheckViolation                Code = "23514"
	CantChangeRuntimeParam        Code = "55P02"
	InvalidTransactionState       Code = "25000"
	ActiveSQLTransaction          Code = "25001"
	NoActiveSQLTransaction        Code = "25P01"
	InFailedSQLTransaction        Code = "25P02"
	ReadOnlySQLTransaction        Code = "25006"
	InvalidSQLStatementName       Code = "26000"
	DuplicateCursor               Code = "42P03"
	InvalidCursorName             Code = "34000"
	InvalidAuthorizationSpec      Code = "28000"
	InvalidPassword               Code = "28P01"
	SerializationFailure          Code = "40001"
	StatementCompletionUnknown    Code = "40003"
	SyntaxErrorOrAccessRuleViol   Code = "42000"
	SyntaxError                   Code = "42601"
	InsufficientPrivilege         Code = "42501"
	GroupingError                 Code = "42803"
	WindowingError                Code = "42P20"
	InvalidRecursion              Code = "42P19"
	InvalidForeignKey             Code = "42830"
	InvalidName                   Code = "42602"
	NameTooLong                   Code = "42622"
	ReservedName                  Code = "42939"
	DatatypeMismatch              Code = "42804"
	IndeterminateDatatype         Code = "42P18"
	CollationMismatch             Code = "42P21"
	WrongObjectType               Code = "42809"
	UndefinedColumn               Code = "42703"
	UndefinedFunction             Code = "42883"
	UndefinedTable                Code = "42P01"
	UndefinedParameter            Code = "42P02"
	UndefinedObject               Code = "42704"
	DuplicateColumn               Code = "42701"
	DuplicateDatabase             Code = "42P04"
	DuplicateFunction             Code = "42723"
	DuplicatePreparedStatement    Code = "42P05"
	DuplicateSchema               Code = "42P06"
	DuplicateTable                Code = "42P07"
	DuplicateAlias                Code = "42712"
	DuplicateObject               Code = "42710"
	AmbiguousColumn               Code = "42702"
	AmbiguousFunction             Code = "42725"
	AmbiguousParameter            Code = "42P08"
	AmbiguousAlias                Code = "42P09"
	InvalidColumnReference        Code = "42P10"
	InvalidColumnDefinition       Code = "42611"
	InvalidTableDefinition        Code = "42P16"
	InvalidSchemaDefinition       Code = "42P15"
	InvalidObjectDefinition       Code = "42P17"
	CannotCoerce                  Code = "42846"
	DependentObjectsStillExist    Code = "2BP01"
	InvalidSchemaName             Code = "3F000"
	UndefinedDatabase             Code = "3D000"
	DiskFull                      Code = "53100"
	ProgramLimitExceeded          Code = "54000"
	TooManyColumns                Code = "54011"
	ObjectNotInPrerequisiteState  Code = "55000"
	LockNotAvailable              Code = "55P03"
	OperatorIntervention          Code = "57000"
	QueryCanceled                 Code = "57014"
	AdminShutdown                 Code = "57P01"
	CannotConnectNow              Code = "57P03"
	SystemError                   Code = "58000"
	UndefinedFile                 Code = "58P01"
	DuplicateFile                 Code = "58P02"
	IOError                       Code = "58030"
	ConfigFile                    Code = "F0000"
	Internal                      Code = "XX000"
	DataCorrupted                 Code = "XX001"
)

// Error is an error with a SQLSTATE, in the shape of PostgreSQL's ErrorResponse.
type Error struct {
	Code    Code
	Message string
	Detail  string
	Hint    string
	// Position is the 1-based character offset into the statement text of the token the error
	// is about; 0 when unknown.
	Position int32
	cause    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error this one was built from, if any.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error with the given code and message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Newf returns an error with the given code and a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with the given code and message whose cause is err.
func Wrap(err error, code Code, msg string) *Error {
	return &Error{Code: code, Message: msg, cause: err}
}

// WithHint returns a copy of e with the hint set.
func (e *Error) WithHint(hint string) *Error { c := *e; c.Hint = hint; return &c }

// WithDetail returns a copy of e with the detail set.
func (e *Error) WithDetail(detail string) *Error { c := *e; c.Detail = detail; return &c }

// WithPosition returns a copy of e with the 1-based position set.
func (e *Error) WithPosition(pos int32) *Error { c := *e; c.Position = pos; return &c }

// GetCode returns the SQLSTATE of the first *Error in err's chain, or Internal if there is none.
func GetCode(err error) Code {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return Internal
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// Unimplemented returns a FeatureNotSupported error for a feature eddy does not have yet.
func Unimplemented(feature string) *Error {
	return Newf(FeatureNotSupported, "%s is not supported", feature)
}
