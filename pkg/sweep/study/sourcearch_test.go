package study

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// labels.source_arch: runs of two architectures get their coarse labels from one label-source
// network (here an AlexNet-BN), so their labels are identical and the source is computed once.
func TestSourceArchSharedLabels(t *testing.T) {
	dataDir := datadir.ForTest(t)
	if _, err := os.Stat(filepath.Join(dataDir, "cifar10-jpg", "train")); err != nil {
		datadir.SkipOrFail(t, "no cifar10-jpg in %s", dataDir)
	}
	cfg, err := sweep.Parse([]byte(`
name: source-arch
label_sources: [fine-net]
granularity: [4]
seeds: [1]
archs:
  - {name: vgg-bn, width: 0.0625, input_size: 32}
  - {name: alexnet-bn, width: 0.125, input_size: 32}
labels: {pcs: 2, source_epochs: 1, source_arch: {name: alexnet-bn, width: 0.0625}}
train: {epochs: 1, steps: 1, batch: 8, lr: 1.0e-3}
data: {source: cifar10, per_class: 4}
eval: {bootstrap: 0, splits: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: []sweep.Stage{Stages(Options{})[0],
		sweep.StageFunc{StageName: "scores", Fn: func(ctx context.Context, env *sweep.Env) error { return env.WriteScores(nil) }}}}
	runs := cfg.Expand()
	if _, err := rn.Execute(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(sweep.RunDir(out, runs[0].ID()), LabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(sweep.RunDir(out, runs[1].ID()), LabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("vgg-bn and alexnet-bn runs with one label source have different labels")
	}
	shared, _ := filepath.Glob(filepath.Join(out, "shared", "labels-*[^k]")) // not the .lock files
	nets, _ := filepath.Glob(filepath.Join(out, "shared", "net-*"))
	if len(shared) != 1 || len(nets) != 1 {
		t.Errorf("shared label folders %v, networks %v; want one of each", shared, nets)
	}
	spec, err := os.ReadFile(filepath.Join(shared[0], "spec.json"))
	if err != nil || !strings.Contains(string(spec), `"name":"alexnet-bn","width":0.0625`) {
		t.Errorf("label source spec %s (%v), want the alexnet-bn source", spec, err)
	}
}
