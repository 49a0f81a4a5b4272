// Package nbkit is the common set-up of the coarsealign notebooks (notebooks/*.ipynb): their
// parameters as flags with environment fallbacks, the data, sweep and figure folders, the sweep
// configuration and its results table, and figures shown inline and saved. A notebook's set-up is
//
//	import "github.com/coarsealign/coarsealign/pkg/nbkit"
//
//	var nb = nbkit.New()
//
// after the cell that pins the module versions; later cells call nb.Results(), nb.Show(fig,
// name), and so on. Parameters are set with GoNB's `%args --runs=DIR --config=quick` (or
// `%% --flag=...` for one cell).
//
// Notebook helpers report failures by panicking with a message that says what to do (GoNB shows
// it under the cell); the error-returning functions they wrap live in pkg/ (configs.Load,
// sweep.Collect, ...). nbkit is a UI package, beside pkg/plots and pkg/progress/gonbprogress: it
// may import gonbui, and no other package of the module imports it. It does not import GoMLX, so
// notebooks that only read results compile quickly.
package nbkit

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/coarsealign/coarsealign/configs"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// Environment variables read when the corresponding flag is not set (scripts/notebooks/run.sh
// sets them for headless runs). The data directory's is datadir.EnvVar (COARSEALIGN_DATA).
const (
	EnvConfig  = "COARSEALIGN_SWEEP_CONFIG"
	EnvRuns    = "COARSEALIGN_RUNS"
	EnvFigures = "COARSEALIGN_FIGURES"
)

// DefaultConfig is the sweep read when neither --config nor $COARSEALIGN_SWEEP_CONFIG is set:
// the one `make demo` runs into runs/quick.
const DefaultConfig = "quick"

// Notebook holds a notebook's common parameters. Create it with New, as a package-level
// variable, so its flags exist before GoNB parses the cell's arguments.
type Notebook struct {
	data, config, runs, figures, metric, labelSource *string
	// Out receives what the helpers print (default os.Stdout).
	Out io.Writer
}

// New registers the notebooks' common flags on flag.CommandLine and returns their Notebook:
//
//	--data          data directory (default $COARSEALIGN_DATA, else the user cache folder)
//	--config        sweep config: a YAML file or a shipped name (default $COARSEALIGN_SWEEP_CONFIG, else quick)
//	--runs          sweep output folder (default $COARSEALIGN_RUNS, else <repo>/runs/<config name>)
//	--figures       figure folder (default $COARSEALIGN_FIGURES, else <repo>/figures)
//	--metric        comparison of the alignment panels (default spearman)
//	--label-source  label source of the coarse runs drawn (default: the config's first)
func New() *Notebook { return NewFlags(flag.CommandLine) }

// NewFlags is New on the flag set fs.
func NewFlags(fs *flag.FlagSet) *Notebook {
	return &Notebook{
		data:        fs.String("data", "", "data directory (default $"+datadir.EnvVar+", else the user cache folder)"),
		config:      fs.String("config", "", "sweep config: a YAML file or a shipped name ("+strings.Join(configs.Names(), ", ")+"); default $"+EnvConfig+", else "+DefaultConfig),
		runs:        fs.String("runs", "", "sweep output folder (default $"+EnvRuns+", else <repo>/runs/<config name>)"),
		figures:     fs.String("figures", "", "figure folder (default $"+EnvFigures+", else <repo>/figures)"),
		metric:      fs.String("metric", "spearman", "comparison of the alignment panels (a pkg/metric name with selected-layer rows: spearman, tau-a, ...)"),
		labelSource: fs.String("label-source", "", "label source of the coarse runs drawn (default: the config's first)"),
		Out:         os.Stdout,
	}
}

// pick returns the flag value, else the environment variable, else def.
func pick(flagValue, env, def string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

// RepoDir is the repository root (the folder holding go.mod above the working directory; a
// notebook runs in <repo>/notebooks).
func (nb *Notebook) RepoDir() string {
	root, err := datadir.RepoRoot()
	if err != nil {
		panic(fmt.Sprintf("nbkit: %v (run the notebook from the repository's notebooks/ folder)", err))
	}
	return root
}

// DataDir is --data, else $COARSEALIGN_DATA, else the user cache folder (datadir.Resolve).
func (nb *Notebook) DataDir() string { return datadir.Resolve(*nb.data) }

// ConfigName is --config, else $COARSEALIGN_SWEEP_CONFIG, else DefaultConfig.
func (nb *Notebook) ConfigName() string { return pick(*nb.config, EnvConfig, DefaultConfig) }

// RunsDir is --runs, else $COARSEALIGN_RUNS, else <repo>/runs/<config name> (the config file's
// name without extension, or the shipped config's name).
func (nb *Notebook) RunsDir() string {
	base := filepath.Base(nb.ConfigName())
	name := strings.TrimSuffix(base, filepath.Ext(base))
	return pick(*nb.runs, EnvRuns, filepath.Join(nb.RepoDir(), "runs", name))
}

// FiguresDir is --figures, else $COARSEALIGN_FIGURES, else <repo>/figures.
func (nb *Notebook) FiguresDir() string {
	return pick(*nb.figures, EnvFigures, filepath.Join(nb.RepoDir(), "figures"))
}

// Metric is --metric.
func (nb *Notebook) Metric() string { return *nb.metric }

// LabelSource is --label-source, else the first label source of cfg ("" if it has none).
func (nb *Notebook) LabelSource(cfg *sweep.Config) string {
	if *nb.labelSource != "" || len(cfg.LabelSources) == 0 {
		return *nb.labelSource
	}
	return cfg.LabelSources[0]
}

// Rel shortens path for printing: relative to the repository when inside it, so that saved
// outputs hold no absolute paths of the machine that ran them.
func (nb *Notebook) Rel(path string) string {
	root, err := datadir.RepoRoot()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// Config loads the sweep configuration ConfigName (configs.Load: a file, else a shipped config).
func (nb *Notebook) Config() *sweep.Config {
	cfg, err := configs.Load(nb.ConfigName())
	if err != nil {
		panic(fmt.Sprintf("--config: %v", err))
	}
	return cfg
}

// Results returns the sweep configuration and the results table of its finished runs in
// RunsDir (sweep.Collect; nothing is trained). It notes how many runs are not finished, and
// panics, saying how to make them, when none is.
func (nb *Notebook) Results() (*sweep.Config, []sweep.Row) {
	cfg := nb.Config()
	rows, note, err := results(cfg, nb.RunsDir())
	if err != nil {
		panic(fmt.Sprintf("%v: run notebook 02 or `coarsealign sweep run %s --out %s`", err, nb.ConfigName(), nb.Rel(nb.RunsDir())))
	}
	if note != "" {
		fmt.Fprintln(nb.Out, note)
	}
	return cfg, rows
}

// results collects the table of cfg's finished runs under out; note says how many are missing.
func results(cfg *sweep.Config, out string) (rows []sweep.Row, note string, err error) {
	runs := cfg.Expand()
	rows, missing, err := sweep.Collect(runs, out)
	if err != nil {
		return nil, "", err
	}
	if len(rows) == 0 {
		return nil, "", fmt.Errorf("no finished runs of sweep %q in %s", cfg.Name, out)
	}
	if len(missing) > 0 {
		note = fmt.Sprintf("note: %d of %d runs are not finished yet and are left out", len(missing), len(runs))
	}
	return rows, note, nil
}

// Describe prints what a sweep's numbers come from: its name, folder, runs and settings.
func (nb *Notebook) Describe(cfg *sweep.Config) {
	fmt.Fprintf(nb.Out, "sweep %q in %s: %d runs; %s, %d images per class, %g epochs, archs %v, seeds %v\n",
		cfg.Name, nb.Rel(nb.RunsDir()), len(cfg.Expand()), cfg.Data.Source, cfg.Data.PerClass, cfg.Train.Epochs, cfg.Archs, cfg.Seeds)
}

// K92 loads the 92-image set from DataDir (k92.Load).
func (nb *Notebook) K92() *k92.Set {
	s, err := k92.Load(nb.DataDir())
	if err != nil {
		panic(fmt.Sprintf("%v (coarsealign data fetch downloads it)", err))
	}
	return s
}

// Show displays fig inline (in a notebook) and saves it as FiguresDir/name.{svg,png,csv},
// printing where.
func (nb *Notebook) Show(fig *plots.Figure, name string) {
	Check(fig.Show())
	paths, err := fig.Save(nb.FiguresDir(), name)
	Check(err)
	for _, p := range paths {
		fmt.Fprintln(nb.Out, "saved", nb.Rel(p))
	}
}

// Must returns v, or panics with err: for one-line calls in cells,
// fig := nbkit.Must(plots.AlignmentVsK(panels...)).
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Must2 is Must for functions returning two values and an error.
func Must2[A, B any](a A, b B, err error) (A, B) {
	Check(err)
	return a, b
}

// Check panics with err when it is not nil.
func Check(err error) {
	if err != nil {
		panic(err)
	}
}

// PrintPanel lists the numbers an AlignmentVsK panel draws: the noise ceiling, and per
// granularity the value, its CI and the number of seeds.
func (nb *Notebook) PrintPanel(p plots.GranularityPanel) {
	fmt.Fprintf(nb.Out, "%s, %s; noise ceiling [%.3f, %.3f]\n", p.Title, p.YLabel, p.CeilingLow, p.CeilingHigh)
	for _, b := range p.Bars {
		fmt.Fprintf(nb.Out, "  %-10s %6.3f  [%6.3f, %6.3f]  (%d seed(s))\n", b.Label, b.Value, b.Low, b.High, b.N)
	}
}
