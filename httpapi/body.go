package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// bodyReadTimeout is how long a client has to send a request body once
// its headers are in. The HTTP server has no ReadTimeout (it would also
// cut blocking queries short: cmd/discod/httpserver.go), so a body
// trickled a byte at a time is cut off here.
var bodyReadTimeout = 30 * time.Second // a variable for the tests

// errBodyTooLarge is wrapped by readBody's error for a body over the
// limit; the caller answers 413.
var errBodyTooLarge = errors.New("request body too large")

// readBody reads r's body, at most limit bytes, within bodyReadTimeout.
// A larger body is an error wrapping errBodyTooLarge that names the
// limit; a body the client is too slow to send is an error naming the
// deadline.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rc := http.NewResponseController(w)
	// Not every ResponseWriter supports deadlines (httptest's recorder
	// does not); the limit still holds there. The deadline is lifted
	// only after a complete body: after a failed read it stays, so that
	// net/http, which reads what is left of a body before it answers,
	// gives up at once and closes the connection.
	deadline := rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)) == nil
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if deadline && err == nil {
		_ = rc.SetReadDeadline(time.Time{})
	}
	var tooBig *http.MaxBytesError
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooBig):
		return nil, fmt.Errorf("%w: the limit is %d bytes", errBodyTooLarge, limit)
	case errors.As(err, &ne) && ne.Timeout():
		return nil, fmt.Errorf("the request body did not arrive within %v: %w", bodyReadTimeout, err)
	case err != nil:
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	return b, nil
}

// bodyError answers a readBody error: 413 for a body over the limit, 408
// for one that came too slowly, 400 otherwise.
func bodyError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, errBodyTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		code = http.StatusRequestTimeout
	}
	httpError(w, code, err.Error())
}
