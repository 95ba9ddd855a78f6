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
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := cluster(t, map[string]any{"auto_accept": true, "metrics": map[string]any{"listen": addr}})
	c.StartMinion(c.MinionConfig("m-1", nil))
	waitPing(t, c, "m-1", 1)
	if r := c.Ctl("cmd.run", "m-1", "exit 3"); r.Code != 1 {
		t.Fatalf("failing job: exit %d", r.Code)
	}

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
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
	} {
		if got := value(families, want.name, want.label, want.val); got < want.min {
			t.Errorf("%s{%s=%q} = %v, want at least %v", want.name, want.label, want.val, got, want.min)
		}
	}
	if h := families["brine_job_return_seconds"]; h == nil || h.GetMetric()[0].GetHistogram().GetSampleCount() < 2 {
		t.Errorf("return latency histogram: %v", h)
	}
}

// value is the value of one metric of a family (the one whose label has
// val, or the first), or -1.
func value(families map[string]*dto.MetricFamily, name, label, val string) float64 {
	f := families[name]
	if f == nil {
		return -1
	}
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
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Untyped != nil:
			return m.GetUntyped().GetValue()
		}
	}
	return -1
}
