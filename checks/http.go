package checks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// userAgent is the User-Agent of HTTP checks: Consul's, which servers
// already recognise (and some filter on).
const userAgent = "Consul Health Check"

// httpProbe returns the probe of an http check: the request as defined; a
// 2xx status is passing, 429 warning, anything else (or no response)
// critical; the output is Consul's "HTTP <method> <url>: <status> Output:
// <body>", with the body read up to the output cap.
func (r *Runner) httpProbe(def servicedef.Check) probe {
	method := def.Method
	if method == "" {
		method = http.MethodGet
	}
	header := make(http.Header, len(def.Header)+2)
	for k, vs := range def.Header {
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", userAgent)
	}
	if header.Get("Accept") == "" {
		header.Set("Accept", "text/plain, text/*, */*")
	}
	client := &http.Client{Transport: r.transports.get(tlsKeyOf(def.TLSServerName, def.TLSSkipVerify))}
	if def.DisableRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	maxOut := int64(def.OutputMaxSize)
	url := def.HTTP

	return func(ctx context.Context) (string, string) {
		var body io.Reader
		if def.Body != "" {
			body = strings.NewReader(def.Body)
		}
		req, err := http.NewRequestWithContext(ctx, method, url, body)
		if err != nil {
			return catalog.StatusCritical, err.Error()
		}
		req.Header = header.Clone()
		if host := req.Header.Get("Host"); host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err != nil {
			return catalog.StatusCritical, err.Error()
		}
		defer resp.Body.Close()
		// A read error (a timeout mid-body, say) leaves what was read: the
		// status line already answers the check.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxOut))
		output := fmt.Sprintf("HTTP %s %s: %s Output: %s", method, url, resp.Status, b)
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode <= 299:
			return catalog.StatusPassing, output
		case resp.StatusCode == http.StatusTooManyRequests:
			return catalog.StatusWarning, output
		}
		return catalog.StatusCritical, output
	}
}
