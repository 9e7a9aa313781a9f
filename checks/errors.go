package checks

import "errors"

// Errors of TTLUpdate, for errors.Is (the HTTP API maps them to 404 and
// 400).
var (
	// ErrUnknownCheck: no check with that ID runs.
	ErrUnknownCheck = errors.New("no such check")
	// ErrNotTTL: the check is not a TTL check.
	ErrNotTTL = errors.New("not a TTL check")
)
