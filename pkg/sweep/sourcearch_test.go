package sweep

import (
	"strings"
	"testing"
)

// labels.source_arch: the label-source network's architecture may differ from the trained one.
func TestSourceArchConfig(t *testing.T) {
	plain := mustParse(t, testConfig)
	c := mustParse(t, replaceLine("labels", "labels: {pcs: 6, source_arch: {name: vgg-bn, width: 0.25}}"))
	want := Arch{Name: "vgg-bn", Width: 0.25, Init: InitTorch}
	if c.Labels.SourceArch != want {
		t.Fatalf("source_arch %+v, want %+v (init defaults to torch, input size to the run's)", c.Labels.SourceArch, want)
	}
	runs, base := c.Expand(), plain.Expand()
	for i, r := range runs {
		_, coarse := r.K()
		sa := r.Labels.SourceArchFor(r.Arch)
		if coarse && (sa.Name != "vgg-bn" || sa.InputSize != r.Arch.InputSize) {
			t.Errorf("run %d: source arch %+v", i, sa)
		}
		// Coarse runs get a new identity (their labels differ); the baselines keep theirs, and
		// a config without the field keeps every ID (omitzero leaves it out of the canonical JSON).
		if coarse == (r.ID() == base[i].ID()) {
			t.Errorf("run %d (%s): ID %s, without source_arch %s", i, r.Granularity, r.ID(), base[i].ID())
		}
		if strings.Contains(string(base[i].Canonical()), "source_arch") {
			t.Errorf("canonical JSON of a run without source_arch names it: %s", base[i].Canonical())
		}
	}
	if sa := plain.Labels.SourceArchFor(plain.Archs[0]); sa != plain.Archs[0] {
		t.Errorf("no source_arch: %+v, want the run's %+v", sa, plain.Archs[0])
	}
	for _, bad := range []struct{ line, field string }{
		{"labels: {pcs: 6, source_arch: {name: resnet}}", "labels.source_arch.name"},
		{"labels: {pcs: 6, source_arch: {name: vgg-bn, input_size: 64}}", "labels.source_arch.input_size"},
		{"labels: {pcs: 6, source_arch: {name: vgg-bn, width: 0}}", "labels.source_arch.width"},
		{"labels: {pcs: 6, source_arch: {name: vgg-bn, depth: 3}}", "depth"},
	} {
		_, err := Parse([]byte(replaceLine("labels", bad.line)))
		if err == nil || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%s: %v, want an error naming %s", bad.line, err, bad.field)
		}
	}
	w := mustParse(t, strings.Replace(replaceLine("labels", "labels: {pcs: 6, source_arch: {name: vgg-bn}}"), "[fine-net, pixels]", "[pixels]", 1)).Warnings()
	if !strings.Contains(strings.Join(w, "\n"), "labels.source_arch") {
		t.Errorf("source_arch with pixels only: warnings %v", w)
	}
}
