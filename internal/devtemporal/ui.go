package devtemporal

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// webUI is a running Temporal Web UI.
type webUI struct {
	server *uiserver.Server
	url    string
}

// startUI serves the Temporal Web UI on ip:port, talking gRPC to frontend,
// and returns once the UI root answers.
func startUI(ctx context.Context, ip string, port int, frontend, namespace, codecEndpoint string) (ui *webUI, err error) {
	// ui-server's Start calls os.Exit through echo's logger when it cannot
	// bind, so check the port first; NewServer panics on bad config.
	if !portFree(ip, port) {
		return nil, fmt.Errorf("UI port %s is in use", hostPort(ip, port))
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("create UI server: %v", r)
		}
	}()
	host := ip
	if strings.Contains(ip, ":") {
		host = "[" + ip + "]" // ui-server formats "host:port" itself
	}
	conf := &uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}
	conf.Codec.Endpoint = codecEndpoint
	srv := uiserver.NewServer(uioptions.WithConfigProvider(conf))
	ui = &webUI{server: srv, url: "http://" + hostPort(ip, port)}
	go func() { _ = srv.Start() }()
	if err := waitHTTP200(ctx, ui.url+"/"); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("UI did not come up: %w", err)
	}
	return ui, nil
}

// stop closes the UI's HTTP server.
func (u *webUI) stop() {
	u.server.Stop()
}

// waitHTTP200 polls url until it answers 200 or ctx ends.
func waitHTTP200(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	var lastErr error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
