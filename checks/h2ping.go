package checks

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/net/http2"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// h2pingProbe returns the probe of an h2ping check: an HTTP/2 connection
// (over TLS with h2 negotiated when h2ping_use_tls, else cleartext with
// prior knowledge) whose PING is acknowledged within the timeout is
// passing. The outputs are Consul's.
func h2pingProbe(def servicedef.Check) probe {
	addr := def.H2PING
	var dialer net.Dialer
	var td *tls.Dialer
	if def.H2PingUseTLS {
		cfg := tlsKeyOf(def.TLSServerName, def.TLSSkipVerify).config()
		cfg.NextProtos = []string{http2.NextProtoTLS}
		td = &tls.Dialer{NetDialer: &dialer, Config: cfg}
	}
	return func(ctx context.Context) (string, string) {
		var conn net.Conn
		var err error
		if td != nil {
			conn, err = td.DialContext(ctx, "tcp", addr)
			if err == nil {
				if p := conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != http2.NextProtoTLS {
					conn.Close()
					err = fmt.Errorf("the server did not negotiate HTTP/2 (ALPN %q)", p)
				}
			}
		} else {
			conn, err = dialer.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return catalog.StatusCritical, fmt.Sprintf("Failed to dial to %s: %s", addr, err)
		}
		defer conn.Close()
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		unblock := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
		defer unblock()
		if err := h2Ping(conn); err != nil {
			return catalog.StatusCritical, fmt.Sprintf("HTTP2 ping failed: %s", err)
		}
		return catalog.StatusPassing, "HTTP2 ping was successful"
	}
}

// h2Ping speaks just enough HTTP/2 on conn to send a PING and wait for its
// acknowledgement: the preface, SETTINGS (and the ack of the server's), the
// PING, and a GOAWAY when done.
func h2Ping(conn net.Conn) error {
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		return fmt.Errorf("write preface: %w", err)
	}
	fr := http2.NewFramer(conn, bufio.NewReader(conn))
	if err := fr.WriteSettings(); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	var data [8]byte
	rand.Read(data[:])
	if err := fr.WritePing(false, data); err != nil {
		return fmt.Errorf("write ping: %w", err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := fr.WriteSettingsAck(); err != nil {
					return fmt.Errorf("write settings ack: %w", err)
				}
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				if err := fr.WritePing(true, f.Data); err != nil {
					return fmt.Errorf("write ping ack: %w", err)
				}
				continue
			}
			if f.Data == data {
				fr.WriteGoAway(0, http2.ErrCodeNo, nil)
				return nil
			}
		case *http2.GoAwayFrame:
			return errors.New("the server sent GOAWAY: " + f.ErrCode.String())
		}
	}
}
