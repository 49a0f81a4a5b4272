package nbkit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// newTest returns a Notebook on its own flag set parsed from args, printing into a buffer.
func newTest(t *testing.T, args ...string) (*Notebook, *bytes.Buffer) {
	t.Helper()
	fs := flag.NewFlagSet("nb", flag.ContinueOnError)
	nb := NewFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	nb.Out = &b
	return nb, &b
}

func TestFoldersFlagsThenEnvironment(t *testing.T) {
	root, err := datadir.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{datadir.EnvVar, EnvConfig, EnvRuns, EnvFigures} {
		t.Setenv(k, "")
	}
	nb, _ := newTest(t)
	if nb.ConfigName() != DefaultConfig || nb.RunsDir() != filepath.Join(root, "runs", "quick") ||
		nb.FiguresDir() != filepath.Join(root, "figures") || nb.Metric() != "spearman" || nb.RepoDir() != root {
		t.Errorf("defaults: config %q runs %q figures %q metric %q", nb.ConfigName(), nb.RunsDir(), nb.FiguresDir(), nb.Metric())
	}
	// A config file names the default runs folder after itself.
	t.Setenv(EnvConfig, "notebooks/ci-sweep.yaml")
	if got := nb.RunsDir(); got != filepath.Join(root, "runs", "ci-sweep") {
		t.Errorf("runs of a config file: %q", got)
	}
	t.Setenv(datadir.EnvVar, "/data/env")
	t.Setenv(EnvRuns, "/runs/env")
	t.Setenv(EnvFigures, "/figs/env")
	if nb.DataDir() != "/data/env" || nb.RunsDir() != "/runs/env" || nb.FiguresDir() != "/figs/env" {
		t.Errorf("environment: %q %q %q", nb.DataDir(), nb.RunsDir(), nb.FiguresDir())
	}
	nb, _ = newTest(t, "--data=/d", "--config=paper", "--runs=/r", "--figures=/f", "--metric=tau-a", "--label-source=pixels")
	if nb.DataDir() != "/d" || nb.ConfigName() != "paper" || nb.RunsDir() != "/r" || nb.FiguresDir() != "/f" || nb.Metric() != "tau-a" {
		t.Errorf("flags: %q %q %q %q %q", nb.DataDir(), nb.ConfigName(), nb.RunsDir(), nb.FiguresDir(), nb.Metric())
	}
	cfg := &sweep.Config{LabelSources: []string{"fine-net"}}
	if nb.LabelSource(cfg) != "pixels" {
		t.Errorf("label source %q", nb.LabelSource(cfg))
	}
	if nb, _ := newTest(t); nb.LabelSource(cfg) != "fine-net" || nb.LabelSource(&sweep.Config{}) != "" {
		t.Errorf("default label source %q", nb.LabelSource(cfg))
	}
	if got := nb.Rel(filepath.Join(root, "figures", "x.svg")); got != filepath.Join("figures", "x.svg") {
		t.Errorf("Rel %q", got)
	}
}

func TestConfigAndResults(t *testing.T) {
	t.Setenv(EnvRuns, t.TempDir())
	nb, out := newTest(t, "--config=quick")
	cfg := nb.Config()
	if cfg.Name != "quick" {
		t.Fatalf("config %q", cfg.Name)
	}
	// An empty sweep folder: the panic says how to make the runs.
	msg := mustPanic(t, func() { nb.Results() })
	if !strings.Contains(msg, `no finished runs of sweep "quick"`) || !strings.Contains(msg, "coarsealign sweep run quick") {
		t.Errorf("panic %q", msg)
	}
	if msg := mustPanic(t, func() { n, _ := newTest(t, "--config=nope"); n.Config() }); !strings.Contains(msg, `--config: config "nope"`) {
		t.Errorf("panic %q", msg)
	}
	nb.Describe(cfg)
	if !strings.HasPrefix(out.String(), `sweep "quick" in `) || !strings.Contains(out.String(), "8 runs; cifar10") {
		t.Errorf("Describe: %q", out.String())
	}
}

func TestShowSavesAndPrints(t *testing.T) {
	dir := t.TempDir()
	nb, out := newTest(t, "--figures="+dir)
	fig := Must(plots.TrainingCurves(plots.Curve{Label: "fine", Kind: plots.Fine,
		Points: []sweep.EpochStat{{Epoch: 1, TrainLoss: 1}, {Epoch: 2, TrainLoss: 0.5}}}))
	nb.Show(fig, "curves")
	for _, ext := range []string{"svg", "png", "csv"} {
		if _, err := os.Stat(filepath.Join(dir, "curves."+ext)); err != nil {
			t.Error(err)
		}
	}
	if strings.Count(out.String(), "saved ") != 3 {
		t.Errorf("printed %q", out.String())
	}
	out.Reset()
	nb.PrintPanel(plots.GranularityPanel{Title: "hIT", YLabel: "RSA", Bars: []plots.Bar{{Label: "8", Value: 0.25, Low: 0.2, High: 0.3, N: 1}}})
	if !strings.Contains(out.String(), "hIT, RSA; noise ceiling") || !strings.Contains(out.String(), "0.250  [ 0.200,  0.300]  (1 seed(s))") {
		t.Errorf("PrintPanel %q", out.String())
	}
	if msg := mustPanic(t, func() { Must(0, os.ErrNotExist) }); msg != os.ErrNotExist.Error() {
		t.Errorf("Must: %q", msg)
	}
}

func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("no panic")
		}
		switch v := r.(type) {
		case error:
			msg = v.Error()
		case string:
			msg = v
		default:
			t.Fatalf("panic with %T", r)
		}
	}()
	f()
	return ""
}
