package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"

	"github.com/discod/discod/config"
)

// listeners are the HTTP API's sockets. They are bound before anything
// else, so that a port conflict fails the start before this node has
// gossiped; close is their one cleanup path when the start fails later.
type listeners struct {
	http  net.Listener
	https net.Listener // nil without -https-port
}

func openListeners(rt *config.Runtime) (*listeners, error) {
	l := &listeners{}
	var err error
	if l.http, err = net.Listen("tcp", httpAddr(rt)); err != nil {
		return nil, fmt.Errorf("HTTP API: %w", err)
	}
	if rt.Ports.HTTPS == 0 {
		return l, nil
	}
	cert, err := tls.LoadX509KeyPair(rt.CertFile, rt.KeyFile)
	if err == nil {
		l.https, err = net.Listen("tcp", net.JoinHostPort(rt.ClientAddr.String(), strconv.Itoa(rt.Ports.HTTPS)))
	}
	if err != nil {
		l.close()
		return nil, fmt.Errorf("HTTPS API: %w", err)
	}
	l.https = tls.NewListener(l.https, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	return l, nil
}

// httpAddr is the HTTP API's address.
func httpAddr(rt *config.Runtime) string {
	return net.JoinHostPort(rt.ClientAddr.String(), strconv.Itoa(rt.Ports.HTTP))
}

// all returns the open listeners.
func (l *listeners) all() []net.Listener {
	if l.https == nil {
		return []net.Listener{l.http}
	}
	return []net.Listener{l.http, l.https}
}

// close closes every listener. Errors are not reported: the start is
// failing already.
func (l *listeners) close() {
	for _, ln := range l.all() {
		if ln != nil {
			_ = ln.Close()
		}
	}
}
