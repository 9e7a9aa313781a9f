package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// selfSigned writes a certificate for ip and its key into dir.
func selfSigned(t *testing.T, dir, ip string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "discod test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestHTTPS: -https-port serves the same API over TLS; a certificate that
// does not load fails the start naming the files.
func TestHTTPS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir, "127.0.0.19")
	a := startAgent(t, "tls", "127.0.0.19", "-node=tls", "-bind=127.0.0.19", "-client=127.0.0.19",
		"-https-port=8501", "-cert-file", certFile, "-key-file", keyFile)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	// startAgent waits for the plain HTTP port; the TLS one is served a
	// moment later, so poll it too.
	var code int
	testproc.WaitFor(t, 15*time.Second, "HTTPS API up", func() bool {
		resp, err := c.Get("https://127.0.0.19:8501/v1/agent/self")
		if err != nil {
			return false
		}
		resp.Body.Close()
		code = resp.StatusCode
		return true
	})
	if code != 200 {
		t.Errorf("GET over HTTPS = %d", code)
	}
	a.signal(syscall.SIGINT)

	_, errOut, code := cli(t, "agent", "-node=tls", "-bind=127.0.0.19", "-client=127.0.0.19",
		"-https-port=8501", "-cert-file", keyFile, "-key-file", keyFile)
	if code != 1 || !strings.Contains(errOut, "-cert-file") || !strings.Contains(errOut, "HTTPS") {
		t.Errorf("bad certificate: exit %d %q", code, errOut)
	}
}
