//go:build !unix

package httpapi

import "syscall"

// peerGone cannot tell on this system: a parked request whose client went
// away lasts until it wakes or its wait ends.
func peerGone(syscall.RawConn) bool { return false }
