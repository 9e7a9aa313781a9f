package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Reload asks the agent to re-read its config files and Corefile.
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPut, "/v1/agent/reload", nil)
}

// Monitor copies the agent's log lines at level (and above) to w until ctx
// ends or the agent goes away.
func (c *Client) Monitor(ctx context.Context, level string, asJSON bool, w io.Writer) error {
	q := url.Values{"loglevel": {level}}
	if asJSON {
		q.Set("logjson", "")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/agent/monitor?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set(TokenHeader, c.token)
	}
	// No client timeout: the stream lasts as long as the caller wants.
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s (HTTP %d)", strings.TrimSpace(string(b)), resp.StatusCode)
	}
	_, err = io.Copy(w, resp.Body)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
