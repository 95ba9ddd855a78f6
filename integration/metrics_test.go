package integration

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/brine-cm/brine/internal/testutil"
)

// TestMetrics scrapes the master's metrics.listen after a job and parses
// them with Prometheus's own text parser; /healthz and /readyz answer.
func TestMetrics(t *testing.T) {
	t.Parallel()
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	apiPort, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	apiAddr := fmt.Sprintf("127.0.0.1:%d", apiPort)
	c := cluster(t, map[string]any{"auto_accept": true, "metrics": map[string]any{"listen": addr},
		"api": map[string]any{"listen": apiAddr, "hooks": []any{map[string]any{"path": "ci/*", "auth": "token", "secret": "t0ken"}}}})
	c.StartMinion(c.MinionConfig("m-1", nil))
	waitPing(t, c, "m-1", 1)
	if r := c.Ctl("cmd.run", "m-1", "exit 3"); r.Code != 1 {
		t.Fatalf("failing job: exit %d", r.Code)
	}

	get := func(path string) (int, string) {
		base := addr
		if api, ok := strings.CutPrefix(path, "api:"); ok {
			base, path = apiAddr, api
		}
		resp, err := http.Get("http://" + base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tok := range []string{"t0ken", "wrong"} {
		req, _ := http.NewRequest("POST", "http://"+apiAddr+"/hook/ci/build-42", strings.NewReader(`{"x":1}`))
		req.Header.Set("X-Brine-Token", tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, p := range []string{"/healthz", "/readyz", "api:/healthz", "api:/readyz"} {
		if code, body := get(p); code != 200 || body != "ok\n" {
			t.Errorf("GET %s: %d %q", p, code, body)
		}
	}
	var families map[string]*dto.MetricFamily
	testutil.Eventually(t, 10*time.Second, "the returns counted", func() bool {
		_, body := get("/metrics")
		p := expfmt.NewTextParser(model.UTF8Validation)
		families, err = p.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("parse metrics: %v\n%s", err, body)
		}
		return value(families, "brine_job_returns_total", "result", "failure") >= 1
	})
	for _, want := range []struct {
		name, label, val string
		min              float64
	}{
		{"brine_jobs_published_total", "", "", 2},
		{"brine_job_returns_total", "result", "success", 1},
		{"brine_job_returns_total", "result", "failure", 1},
		{"brine_minions_connected", "", "", 1},
		{"brine_keys_accepted", "", "", 1},
		{"brine_events_fired_total", "", "", 1},
		{"brine_nats_connections", "", "", 2},
		{"brine_nats_in_msgs_total", "", "", 1},
		{"brine_nats_jetstream_streams", "", "", 1},
		{"brine_api_requests_total", "route", "hook:ci/*", 2},
	} {
		if got := value(families, want.name, want.label, want.val); got < want.min {
			t.Errorf("%s{%s=%q} = %v, want at least %v", want.name, want.label, want.val, got, want.min)
		}
	}
	if h := families["brine_job_return_seconds"]; h == nil || h.GetMetric()[0].GetHistogram().GetSampleCount() < 2 {
		t.Errorf("return latency histogram: %v", h)
	}
}

// value sums the metrics of a family whose label has val (all of them
// when label is ""), or is -1 when there are none.
func value(families map[string]*dto.MetricFamily, name, label, val string) float64 {
	f := families[name]
	if f == nil {
		return -1
	}
	sum, found := 0.0, false
	for _, m := range f.GetMetric() {
		if label != "" {
			match := false
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == val {
					match = true
				}
			}
			if !match {
				continue
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	if !found {
		return -1
	}
	return sum
}
