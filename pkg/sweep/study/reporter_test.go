package study

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/progress"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// countingReporter counts the calls of one fit's reporter.
type countingReporter struct{ steps, epochs, closes *int }

func (c countingReporter) Step(progress.Update)    { *c.steps++ }
func (c countingReporter) EpochEnd(progress.Epoch) { *c.epochs++ }
func (c countingReporter) Close()                  { *c.closes++ }

// TestNewReporter checks that Options.NewReporter receives the training progress of each fit.
func TestNewReporter(t *testing.T) {
	dataDir := datadir.ForTest(t)
	if _, err := os.Stat(filepath.Join(dataDir, "cifar10-jpg", "train")); err != nil {
		datadir.SkipOrFail(t, "no cifar10-jpg in %s", dataDir)
	}
	cfg, err := sweep.Parse([]byte(tinyConfig))
	if err != nil {
		t.Fatal(err)
	}
	var runs []sweep.Run
	for _, r := range cfg.Expand() {
		if r.Granularity == sweep.Fine {
			runs = append(runs, r)
		}
	}
	if len(runs) != 1 {
		t.Fatalf("%d fine runs in the tiny config, want 1", len(runs))
	}
	var made, steps, epochs, closes int
	st := Stages(Options{NewReporter: func() progress.Reporter {
		made++
		return countingReporter{&steps, &epochs, &closes}
	}})
	rn := &sweep.Runner{Out: t.TempDir(), DataDir: dataDir, Stages: []sweep.Stage{st[0], st[1],
		sweep.StageFunc{StageName: "scores", Fn: func(ctx context.Context, env *sweep.Env) error { return env.WriteScores(nil) }}}}
	if _, err := rn.Execute(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	// tinyConfig trains 4 steps in 1 epoch; the fit closes its reporter.
	if made != 1 || steps != 4 || epochs != 1 || closes != 1 {
		t.Fatalf("%d reporters, %d steps, %d epochs, %d closes; want 1, 4, 1, 1", made, steps, epochs, closes)
	}
}
