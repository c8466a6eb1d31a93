package publish

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gopkg.in/yaml.v3"
)

func sampleReport() *report.Report {
	return &report.Report{
		Rules:      []report.Rule{{ID: "adws-out", Status: "blocked", BlockedN: 2}, {ID: "ldap-out", Status: "ok", Allowed: 3}},
		Unexpected: []report.Unexpected{{Transport: "tcp", Direction: matrix.Outbound, Port: 3268, Peer: "192.0.2.21", Flows: 2}},
		Blocked:    []report.Blocked{{Rule: "adws-out", Responder: "192.0.2.21:9389"}},
	}
}

func TestMetricsSeries(t *testing.T) {
	m := NewMetrics()
	m.Interface("eth0", 10, 1000, 3)
	m.Table(5, 1)
	m.Evaluation(sampleReport(), 1)
	if v := testutil.ToFloat64(m.ruleStatus.WithLabelValues("adws-out", "blocked")); v != 1 {
		t.Errorf("adws-out blocked = %v", v)
	}
	if v := testutil.ToFloat64(m.ruleStatus.WithLabelValues("adws-out", "ok")); v != 0 {
		t.Errorf("adws-out ok = %v", v)
	}
	if v := testutil.ToFloat64(m.unexpected.WithLabelValues("tcp", "outbound", "3268")); v != 2 {
		t.Errorf("unexpected 3268 = %v", v)
	}
	if v := testutil.ToFloat64(m.drops.WithLabelValues("eth0")); v != 3 {
		t.Errorf("drops = %v", v)
	}
	if v := testutil.ToFloat64(m.observed); v != 1 {
		t.Errorf("observed ratio of a report over a whole input = %v, want 1", v)
	}
	// A monitor five seconds into a 20-second window: observing, not
	// conforms, and a quarter observed.
	early := &report.Report{Summary: report.Summary{Verdict: matrix.OutcomeObserving}, Window: report.Window{Length: 20, Observed: 5}}
	m.Evaluation(early, 2)
	if v := testutil.ToFloat64(m.verdict.WithLabelValues("observing")); v != 1 {
		t.Errorf("verdict observing = %v, want 1", v)
	}
	if v := testutil.ToFloat64(m.verdict.WithLabelValues("conforms")); v != 0 {
		t.Errorf("verdict conforms = %v while observing, want 0", v)
	}
	if v := testutil.ToFloat64(m.observed); v != 0.25 {
		t.Errorf("observed ratio = %v, want 0.25", v)
	}
	if n, err := testutil.GatherAndCount(m.Registry); err != nil || n < 10 {
		t.Errorf("%d series, %v", n, err)
	}
}

// TestAlertRules parses configs/prometheus-alerts.yaml, checks that every
// expression uses only series the monitor exports, and runs promtool when
// it is installed.
func TestAlertRules(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "prometheus-alerts.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	m.Interface("eth0", 1, 1, 1)
	m.Evaluation(sampleReport(), 1)
	m.Table(1, 1)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
	}
	series := regexp.MustCompile(`flowverify_[a-z_]+`)
	alerts := map[string]bool{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("alert %s lacks expr, severity or summary", r.Alert)
			}
			for _, s := range series.FindAllString(r.Expr, -1) {
				if !exported[s] {
					t.Errorf("alert %s uses %s, which the monitor does not export", r.Alert, s)
				}
			}
		}
	}
	for _, a := range []string{"FlowverifyRuleMissing", "FlowverifyRuleBlocked", "FlowverifyUnexpectedTraffic"} {
		if !alerts[a] {
			t.Errorf("no %s alert", a)
		}
	}
	t.Run("promtool", func(t *testing.T) {
		promtool, err := exec.LookPath("promtool")
		if err != nil {
			t.Skip("promtool is not installed (Debian package prometheus; make test-deps installs it)")
		}
		if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Fatalf("promtool check rules: %v\n%s", err, out)
		}
	})
}
