package sweep

import (
	"slices"
	"strings"
	"testing"
)

// withEval returns testConfig with its eval line replaced.
func withEval(eval string) string {
	return strings.Replace(testConfig, "eval: {bootstrap: 50, splits: 2, seed: 7}", eval, 1)
}

func TestEvalMetricsConfig(t *testing.T) {
	def := mustParse(t, testConfig)
	if def.Eval.Metrics != nil || !slices.Equal(def.Eval.MetricNames(), []string{"spearman", "tau-a"}) {
		t.Fatalf("default metrics: stored %v, names %v", def.Eval.Metrics, def.Eval.MetricNames())
	}
	// Listing the default (in any spelling) keeps the runs' identity.
	explicit := mustParse(t, withEval("eval: {bootstrap: 50, splits: 2, seed: 7, metrics: [Spearman, tau_a]}"))
	if explicit.Expand()[0].ID() != def.Expand()[0].ID() {
		t.Error("metrics: [spearman, tau-a] changed the run identity")
	}
	c := mustParse(t, withEval(`eval:
  bootstrap: 50
  splits: 2
  metrics: [spearman, tau-a, pearson, cka_linear, cka-rbf-unbiased, encoding]
  targets:
    - {name: V4, responses: data/v4.npy}
    - {name: mine, rdm: /abs/rdm.npy}`))
	want := []string{"spearman", "tau-a", "corr", "cka-linear", "cka-rbf-unbiased", "encoding"}
	if !slices.Equal(c.Eval.Metrics, want) || !slices.Equal(c.Eval.MetricNames(), want) {
		t.Errorf("metrics %v, want %v", c.Eval.Metrics, want)
	}
	if c.Expand()[0].ID() == def.Expand()[0].ID() {
		t.Error("other metrics, same run identity")
	}
	if len(c.Eval.Targets) != 2 || c.Eval.Targets[0].Responses != "data/v4.npy" || c.Eval.Targets[1].RDM != "/abs/rdm.npy" {
		t.Errorf("targets %+v", c.Eval.Targets)
	}
	for _, tc := range []struct{ eval, field string }{
		{"eval: {metrics: [spearman, nope]}", "field eval.metrics[1]: unknown metric"},
		{"eval: {metrics: [corr, pearson]}", "field eval.metrics[1]"},
		{"eval: {metrics: [tau-a, encoding]}", "field eval.metrics[1]: encoding needs patterns"},
		{"eval: {targets: [{name: '', rdm: a.npy}]}", "field eval.targets[0].name"},
		{"eval: {targets: [{name: a, rdm: a.npy, responses: b.npy}]}", "field eval.targets[0]: set exactly one"},
		{"eval: {targets: [{name: a}]}", "field eval.targets[0]: set exactly one"},
		{"eval: {targets: [{name: a, rdm: a.csv}]}", "field eval.targets[0].rdm"},
		{"eval: {targets: [{name: a, responses: a.mat}]}", "field eval.targets[0].responses"},
		{"eval: {targets: [{name: a, rdm: a.npy}, {name: a, rdm: b.npy}]}", "field eval.targets[1].name"},
		{"eval: {targets: [{name: hIT-mean, rdm: a.npy}]}", "field eval.targets[0].name"},
		{"eval: {targets: [{name: a, rdm: a.npy, path: x}]}", "field path not found"},
		{"eval: {max_triplets: -1}", "field eval.max_triplets"},
	} {
		_, err := Parse([]byte(withEval(tc.eval)))
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %v, want %q", tc.eval, err, tc.field)
		}
	}
	for _, ok := range []string{"hITx", "behavioural", "mIT2", "V1"} {
		if _, err := Parse([]byte(withEval("eval: {targets: [{name: " + ok + ", rdm: a.npy}]}"))); err != nil {
			t.Errorf("target name %s: %v", ok, err)
		}
	}
}
