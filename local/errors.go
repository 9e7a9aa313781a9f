package local

import (
	"errors"
	"fmt"
)

// The kinds of error the State's methods return; test them with errors.Is.
// The HTTP API maps ErrNotFound to 404 and the others to 400, except
// persistence failures, which match none of them.
var (
	// ErrNotFound: the service or check named does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a definition or argument is not acceptable.
	ErrInvalid = errors.New("invalid")
	// ErrLimit: the agent already has as many services or checks as allowed.
	ErrLimit = errors.New("limit reached")
	// ErrScriptChecksDisabled: a script check was refused because the
	// setting that enables it is off. Nothing was run.
	ErrScriptChecksDisabled = errors.New("script checks disabled")
	// ErrClosed: the State was closed.
	ErrClosed = errors.New("closed")
)

// kindError is an error of one of the kinds above whose message is its own
// (the kind is not repeated in it).
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
