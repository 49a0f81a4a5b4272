package study

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/cifar10h"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// The CIFAR-10H target (eval.cifar10h): for each run, the activations of the CIFAR-10 test
// images at one tap, a multinomial logistic readout to the 10 fine classes fitted on the run's
// own training images (pkg/cifar10h.FitReadout), and, for the fine-label runs, the network's
// own softmax; both scored against the human choices (pkg/cifar10h Score) with bootstrap CIs
// over images. It is an add-on (sweep.RunAddOns): it runs on done runs too and leaves their
// identity and other artifacts alone.

// CIFAR10HDir is the add-on's folder in a run: settings.json (what produced it) and, per
// scored model, its predicted distributions (readout.npy, softmax.npy: test images x 10,
// float32, rows in the official test order of the scored images).
const CIFAR10HDir = "cifar10h"

// CIFAR10H target names: one per score of cifar10h.Results.
const (
	TargetCIFAR10HCE             = "cifar10h-ce"
	TargetCIFAR10HKL             = "cifar10h-kl"
	TargetCIFAR10HAcc            = "cifar10h-acc"
	TargetCIFAR10HEntropy        = "cifar10h-entropy-rho"
	TargetCIFAR10HEntropyWithin  = "cifar10h-entropy-rho-within"
	TargetCIFAR10HConfusionRSA   = "cifar10h-confusion-rsa"
	MetricCIFAR10HReadout        = "readout"
	MetricCIFAR10HSoftmax        = "softmax"
	defaultCIFAR10HTrainPerClass = 100
)

// CIFAR10HTargets lists the target names in the order the rows are written.
var CIFAR10HTargets = []string{TargetCIFAR10HCE, TargetCIFAR10HKL, TargetCIFAR10HAcc,
	TargetCIFAR10HEntropy, TargetCIFAR10HEntropyWithin, TargetCIFAR10HConfusionRSA}

// CIFAR10HLambdas is the readout's penalty grid (L2, on standardised features), searched by
// 3-fold CV, each fit capped at CIFAR10HMaxIter L-BFGS iterations: a coarser grid than
// cifar10h.DefaultLambdas, for speed on 2 shared cores.
var CIFAR10HLambdas = []float64{1e-2, 1e-1, 1}

// CIFAR10HMaxIter caps the L-BFGS iterations of each readout fit.
const CIFAR10HMaxIter = 150

// CIFAR10HSettings are the resolved settings of the add-on for one run (its key).
type CIFAR10HSettings struct {
	Layer         string    `json:"layer"`
	TrainPerClass int       `json:"train_per_class"`
	Test          int       `json:"test"`
	Bootstrap     int       `json:"bootstrap"`
	Seed          int       `json:"seed"`
	Lambdas       []float64 `json:"lambdas"`
	Folds         int       `json:"folds"`
	MaxIter       int       `json:"max_iter"`
}

// CIFAR10HSettingsFor resolves run r's eval.cifar10h settings (ok false when it is off).
func CIFAR10HSettingsFor(r sweep.Run) (CIFAR10HSettings, bool) {
	c := r.Eval.CIFAR10H
	if c == nil {
		return CIFAR10HSettings{}, false
	}
	s := CIFAR10HSettings{Layer: c.Layer, TrainPerClass: c.TrainPerClass, Test: c.Test, Bootstrap: c.Bootstrap,
		Seed: r.Eval.Seed, Lambdas: CIFAR10HLambdas, Folds: 3, MaxIter: CIFAR10HMaxIter}
	if s.Layer == "" {
		s.Layer = PenultimateLayer(r.Arch.Name)
	}
	if s.TrainPerClass == 0 {
		s.TrainPerClass = defaultCIFAR10HTrainPerClass
	}
	if s.Test == 0 {
		s.Test = cifar10h.NumImages
	}
	if s.Bootstrap == 0 {
		s.Bootstrap = r.Eval.Bootstrap
	}
	return s, true
}

// AddOns returns the study's add-on targets: CIFAR-10H.
func (o Options) AddOns() []sweep.AddOn {
	if o.Log == nil {
		o.Log = io.Discard
	}
	return []sweep.AddOn{cifar10hAddOn{o}}
}

type cifar10hAddOn struct{ o Options }

func (cifar10hAddOn) Name() string { return "cifar10h" }

func (cifar10hAddOn) Key(r sweep.Run) (string, bool) {
	s, ok := CIFAR10HSettingsFor(r)
	if !ok {
		return "", false
	}
	b, _ := json.Marshal(s)
	return string(b), true
}

func (a cifar10hAddOn) Score(ctx context.Context, env *sweep.Env) ([]sweep.Score, error) {
	return a.o.cifar10h(ctx, env)
}

var (
	c10hMu   sync.Mutex
	c10hSets = map[string]*cifar10h.Set{}
	c10hTest = map[string]*images.Dataset{}
)

// cifar10hData loads (once per process) the CIFAR-10H set and the CIFAR-10 test images at
// size x size decoded with jpeg, and returns the test-set index of each official test image.
func cifar10hData(dataDir string, size int, jpeg string) (*cifar10h.Set, *images.Dataset, []int, error) {
	c10hMu.Lock()
	defer c10hMu.Unlock()
	set, ok := c10hSets[dataDir]
	if !ok {
		var err error
		if set, err = cifar10h.Load(dataDir, nil); err != nil {
			return nil, nil, nil, err
		}
		c10hSets[dataDir] = set
	}
	key := fmt.Sprintf("%s|%d|%s", dataDir, size, jpeg)
	ds, ok := c10hTest[key]
	if !ok {
		var err error
		ds, _, err = LoadImages(dataDir, "cifar10", "", "test", size,
			images.Options{CacheDir: images.CacheDirFor(""), JPEG: images.JPEGDecoder(jpeg)}, false)
		if err != nil {
			return nil, nil, nil, err
		}
		c10hTest[key] = ds
	}
	order, err := officialOrder(ds, set)
	return set, ds, order, err
}

// officialOrder maps official test index i to its image in ds: "<class>/<rank>.jpg" for the
// cifar10-jpg folder (cifar10h.ImagePaths), record i for the binary release ("file#i").
func officialOrder(ds *images.Dataset, set *cifar10h.Set) ([]int, error) {
	if ds.N != set.N() {
		return nil, fmt.Errorf("study: cifar10h: %d CIFAR-10 test images in %s, want %d", ds.N, ds.Source, set.N())
	}
	byPath := make(map[string]int, ds.N)
	for i, p := range ds.Paths {
		byPath[p] = i
	}
	paths := set.ImagePaths()
	order := make([]int, set.N())
	for i := range order {
		j, ok := byPath[paths[i]]
		if !ok && strings.HasSuffix(ds.Paths[i], fmt.Sprintf("#%d", i)) {
			j, ok = i, true
		}
		if !ok {
			return nil, fmt.Errorf("study: cifar10h: official test image %d (%s) not found in %s", i, paths[i], ds.Source)
		}
		if int(ds.Labels[j]) != set.Labels[i] {
			return nil, fmt.Errorf("study: cifar10h: test image %s has label %d, CIFAR-10H's labels file says %d", ds.Paths[j], ds.Labels[j], set.Labels[i])
		}
		order[i] = j
	}
	return order, nil
}

// extractChunk is the number of images per Extract call of the add-on.
const extractChunk = 500

// embedLayers returns the activations of the named layers (n x d each, float64) for the
// images idx of ds, normalised with the run's statistics.
func embedLayers(ctx context.Context, run *train.Run, ds *images.Dataset, idx []int, names []string) ([]*mat.Dense, error) {
	b, err := newBackend()
	if err != nil {
		return nil, err
	}
	ex, err := features.NewExtractor(b, run.Config.Model, run.Store)
	if err != nil {
		return nil, err
	}
	ex.BatchSize = 100
	spec := run.Config.Model
	if ds.H != spec.InputSize || ds.W != spec.InputSize {
		return nil, fmt.Errorf("study: images are %dx%d, the network reads %dx%d", ds.H, ds.W, spec.InputSize, spec.InputSize)
	}
	size := ds.ImageSize()
	out := make([]*mat.Dense, len(names))
	pix := make([]uint8, 0, extractChunk*size)
	for start := 0; start < len(idx); start += extractChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := min(extractChunk, len(idx)-start)
		pix = pix[:0]
		for _, i := range idx[start : start+m] {
			pix = append(pix, ds.Image(i)...)
		}
		layers, err := ex.Extract(normalise(pix, run.Config.Norm), m)
		if err != nil {
			return nil, err
		}
		for k, name := range names {
			var l *features.Layer
			for i := range layers {
				if layers[i].Name == name {
					l = &layers[i]
				}
			}
			if l == nil {
				return nil, fmt.Errorf("study: model has no layer %q (have %s)", name, strings.Join(features.LayerNames(layers), ", "))
			}
			if out[k] == nil {
				out[k] = mat.NewDense(len(idx), l.Cols, nil)
			}
			for i := 0; i < m; i++ {
				row := out[k].RawRowView(start + i)
				for j, v := range l.Row(i) {
					row[j] = float64(v)
				}
			}
		}
	}
	return out, nil
}

// softmaxRows returns the row-wise softmax of logits.
func softmaxRows(logits *mat.Dense) *mat.Dense {
	r, c := logits.Dims()
	out := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		in, row := logits.RawRowView(i), out.RawRowView(i)
		mx := math.Inf(-1)
		for _, v := range in {
			mx = math.Max(mx, v)
		}
		sum := 0.0
		for j, v := range in {
			row[j] = math.Exp(v - mx)
			sum += row[j]
		}
		for j := range row {
			row[j] /= sum
		}
	}
	return out
}

// CIFAR10HRows converts Results into the results table's rows for layer and metric
// (readout or softmax); note is added to every row.
func CIFAR10HRows(res cifar10h.Results, layer, metric, note string) []sweep.Score {
	ests := []cifar10h.Estimate{res.CrossEntropy, res.KL, res.Accuracy, res.EntropySpearman,
		res.EntropySpearmanWithinClass, res.ConfusionRSA}
	out := make([]sweep.Score, 0, len(ests))
	for i, e := range ests {
		if math.IsNaN(e.Value) {
			continue // e.g. entropy correlations of a model with constant entropies
		}
		out = append(out, sweep.Score{Layer: layer, Target: CIFAR10HTargets[i], Metric: metric, Value: e.Value,
			CILow: e.Low, CIHigh: e.High, CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Split: "all",
			SD: math.NaN(), N: res.N, Note: note})
	}
	return out
}

func (o Options) cifar10h(ctx context.Context, env *sweep.Env) ([]sweep.Score, error) {
	r := env.Run
	st, ok := CIFAR10HSettingsFor(r)
	if !ok {
		return nil, nil
	}
	t0 := time.Now()
	run, err := openRun(env.Path(TrainDir), r.Granularity == sweep.Untrained)
	if err != nil {
		return nil, err
	}
	set, test, order, err := cifar10hData(env.DataDir, r.Arch.InputSize, r.Data.JPEG)
	if err != nil {
		return nil, err
	}
	ts, err := LoadTrainingSet(env.DataDir, r.Data, r.Arch.InputSize)
	if err != nil {
		return nil, err
	}
	// Readout training images: TrainPerClass per class of the run's training part (seeded).
	trainLabels := make([]int32, len(ts.Train))
	for k, i := range ts.Train {
		trainLabels[k] = ts.DS.Labels[i]
	}
	var trainIdx []int
	for _, k := range images.SubsetPerClass(trainLabels, st.TrainPerClass, uint64(st.Seed)) {
		trainIdx = append(trainIdx, ts.Train[k])
	}
	labels := make([]int, len(trainIdx))
	for k, i := range trainIdx {
		labels[k] = int(ts.DS.Labels[i])
	}
	scored := make([]int, st.Test) // official indices
	testIdx := make([]int, st.Test)
	for i := range scored {
		scored[i] = i
		testIdx[i] = order[i]
	}
	fine := r.Granularity == sweep.Fine && run.Config.Model.NumClasses == cifar10h.NumClasses
	names := []string{st.Layer}
	if fine {
		names = append(names, "logits")
	}
	trX, err := embedLayers(ctx, run, ts.DS, trainIdx, names[:1])
	if err != nil {
		return nil, err
	}
	teX, err := embedLayers(ctx, run, test, testIdx, names)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "run %s: cifar10h: features of %d + %d images in %s\n", env.ID, len(trainIdx), len(testIdx), time.Since(t0).Round(time.Second))
	ro, err := cifar10h.FitReadout(trX[0], labels, &cifar10h.ReadoutOptions{Lambdas: st.Lambdas, Folds: st.Folds, Seed: uint64(st.Seed), MaxIter: st.MaxIter, GradTol: 1e-5})
	if err != nil {
		return nil, fmt.Errorf("cifar10h readout: %w", err)
	}
	fmt.Fprintf(o.Log, "run %s: cifar10h: readout fitted (lambda %g) at %s\n", env.ID, ro.Lambda, time.Since(t0).Round(time.Second))
	models := []struct {
		metric, layer, file, note string
		p                         *mat.Dense
	}{{MetricCIFAR10HReadout, st.Layer, "readout.npy",
		fmt.Sprintf("readout from %s on %d training images, lambda %g (%d-fold CV)", st.Layer, len(trainIdx), ro.Lambda, st.Folds), ro.Predict(teX[0])}}
	if fine {
		models = append(models, struct {
			metric, layer, file, note string
			p                         *mat.Dense
		}{MetricCIFAR10HSoftmax, "logits", "softmax.npy", "the network's own softmax", softmaxRows(teX[1])})
	}
	var scores []sweep.Score
	for _, m := range models {
		res, err := set.Score(m.p, scored, &cifar10h.ScoreOptions{Resamples: bootstrapOrNone(st.Bootstrap), Seed: uint64(st.Seed)})
		if err != nil {
			return nil, fmt.Errorf("cifar10h %s: %w", m.metric, err)
		}
		scores = append(scores, CIFAR10HRows(res, m.layer, m.metric, m.note)...)
	}
	if err := env.WriteDir(CIFAR10HDir, func(tmp string) error {
		if err := fsutil.ChmodTempDir(tmp); err != nil {
			return err
		}
		for _, m := range models {
			rows, cols := m.p.Dims()
			data := make([]float32, 0, rows*cols)
			for i := 0; i < rows; i++ {
				for _, v := range m.p.RawRowView(i) {
					data = append(data, float32(v))
				}
			}
			if err := npy.WriteMatrix32(filepath.Join(tmp, m.file), rows, cols, data); err != nil {
				return err
			}
		}
		b, err := json.MarshalIndent(struct {
			CIFAR10HSettings
			TrainImages int       `json:"train_images"`
			Lambda      float64   `json:"lambda"`
			CVLoss      []float64 `json:"cv_loss"`
		}{st, len(trainIdx), ro.Lambda, ro.CVLoss}, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, "settings.json"), append(b, '\n'), 0o644)
	}); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "run %s: cifar10h: %d rows in %s\n", env.ID, len(scores), time.Since(t0).Round(time.Second))
	return scores, nil
}

func bootstrapOrNone(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// ReadCIFAR10HPredictions reads a run's stored distributions of the add-on: file is
// "readout.npy" or "softmax.npy"; rows are the scored test images in the official order.
func ReadCIFAR10HPredictions(runDir, file string) (*mat.Dense, error) {
	r, c, data, err := npy.ReadMatrix(filepath.Join(runDir, CIFAR10HDir, file))
	if err != nil {
		return nil, err
	}
	if c != cifar10h.NumClasses {
		return nil, fmt.Errorf("study: %s: %d columns, want %d", filepath.Join(runDir, CIFAR10HDir, file), c, cifar10h.NumClasses)
	}
	return mat.NewDense(r, c, data), nil
}

// CIFAR10HRun is a done run's stored CIFAR-10H distributions (rows: the scored test images in
// the official order).
type CIFAR10HRun struct {
	Run sweep.Run
	// Label names the run: "K=8 seed 1", "fine seed 1", "untrained seed 1".
	Label string
	// Readout holds the readout's distributions; Softmax the network's own (fine runs only, else nil).
	Readout, Softmax *mat.Dense
}

// CIFAR10HPredictions reads the stored CIFAR-10H distributions of the run of cfg under out with
// the given granularity ("2".."1024", "fine", "untrained") and seed (0: the config's first),
// for the first label source of a coarse run.
func CIFAR10HPredictions(cfg *sweep.Config, out, granularity string, seed int) (*CIFAR10HRun, error) {
	if seed == 0 && len(cfg.Seeds) > 0 {
		seed = cfg.Seeds[0]
	}
	for _, r := range cfg.Expand() {
		if r.Granularity != granularity || r.Seed != seed || (r.LabelSource != "" && len(cfg.LabelSources) > 0 && r.LabelSource != cfg.LabelSources[0]) {
			continue
		}
		dir := sweep.RunDir(out, r.ID())
		label := fmt.Sprintf("%s seed %d", granularity, seed)
		if _, ok := r.K(); ok {
			label = "K=" + label
		}
		res := &CIFAR10HRun{Run: r, Label: label}
		var err error
		if res.Readout, err = ReadCIFAR10HPredictions(dir, "readout.npy"); err != nil {
			return nil, fmt.Errorf("study: run %s (%s): %w (is eval.cifar10h on? 'coarsealign sweep run' scores it)", r.ID(), r.Label(), err)
		}
		if r.Granularity == sweep.Fine {
			if res.Softmax, err = ReadCIFAR10HPredictions(dir, "softmax.npy"); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	return nil, fmt.Errorf("study: sweep %s has no run with granularity %q and seed %d", cfg.Name, granularity, seed)
}
