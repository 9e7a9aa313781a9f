//go:build unix

package httpapi

import (
	"errors"
	"syscall"
)

// peerGone reports whether the client of a parked connection has closed
// it or reset it: the socket reads as end-of-file or fails. It peeks
// without waiting and without taking any byte.
func peerGone(raw syscall.RawConn) bool {
	gone := false
	err := raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
			// Open, nothing to read.
		case err != nil, n == 0:
			gone = true
		}
		return true // never wait for the socket
	})
	return gone || err != nil
}
