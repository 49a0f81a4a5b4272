package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
	"gonum.org/v1/gonum/mat"
)

// FeaturesDir holds the per-layer activations of the 92 stimuli as written by pkg/features
// (one float32 .npy matrix per layer, 92 x units, and index.json).
const FeaturesDir = "features"

func newBackend() (compute.Backend, error) { return backend.New() }

// embedChunk is the number of training images embedded per Extract call (bounds memory: every
// tap of the chunk is held at once).
const embedChunk = 256

// Embed returns the activations of layer for n images (NHWC, normalised like the training
// images), n x d, using pkg/features in chunks.
func Embed(run *train.Run, imgs []float32, n int, layer string) (*mat.Dense, error) {
	b, err := newBackend()
	if err != nil {
		return nil, err
	}
	ex, err := features.NewExtractor(b, run.Config.Model, run.Store)
	if err != nil {
		return nil, err
	}
	spec := run.Config.Model
	size := spec.InputSize * spec.InputSize * spec.Channels
	var out *mat.Dense
	for start := 0; start < n; start += embedChunk {
		m := min(embedChunk, n-start)
		layers, err := ex.Extract(imgs[start*size:(start+m)*size], m)
		if err != nil {
			return nil, err
		}
		var l *features.Layer
		for i := range layers {
			if layers[i].Name == layer {
				l = &layers[i]
			}
		}
		if l == nil {
			return nil, fmt.Errorf("study: model has no layer %q (have %s)", layer, strings.Join(features.LayerNames(layers), ", "))
		}
		if out == nil {
			out = mat.NewDense(n, l.Cols, nil)
		}
		for i := 0; i < m; i++ {
			row := l.Row(i)
			for j, v := range row {
				out.Set(start+i, j, float64(v))
			}
		}
	}
	return out, nil
}

// normalise converts n images of uint8 NHWC pixels to float32 normalised with the run's
// statistics: (p/255 - mean)/std per channel.
func normalise(pix []uint8, norm train.Normalization) []float32 {
	out := make([]float32, len(pix))
	for i, p := range pix {
		c := i % 3
		out[i] = float32((float64(p)/255 - norm.Mean[c]) / norm.Std[c])
	}
	return out
}

var (
	k92Mu  sync.Mutex
	k92Set = map[string]*k92.Set{}
)

func loadK92(dataDir string) (*k92.Set, error) {
	k92Mu.Lock()
	defer k92Mu.Unlock()
	if s, ok := k92Set[dataDir]; ok {
		return s, nil
	}
	s, err := k92.Load(dataDir)
	if err != nil {
		return nil, err
	}
	k92Set[dataDir] = s
	return s, nil
}

// ---- features ----

func (o Options) features(ctx context.Context, env *sweep.Env) error {
	r := env.Run
	run, err := openRun(env.Path(TrainDir), r.Granularity == sweep.Untrained)
	if err != nil {
		return err
	}
	layers, idx, err := StimulusFeatures(nil, env.DataDir, run, "kriegeskorte92")
	if err != nil {
		return err
	}
	idx.Run = env.ID
	if err := env.WriteDir(FeaturesDir, func(tmp string) error {
		if err := fsutil.ChmodTempDir(tmp); err != nil { // MkdirTemp makes 0700 folders
			return err
		}
		return features.Save(tmp, layers, idx)
	}); err != nil {
		return err
	}
	if err := writeParams(env, run); err != nil {
		return err
	}
	return chronologyFeatures(env)
}

// openRun opens the trained model (latest checkpoint) or, for the untrained baseline, the
// seeded initial weights.
func openRun(dir string, untrained bool) (*train.Run, error) {
	step := -1
	if untrained {
		step = 0
	}
	run, err := train.OpenRun(dir, step)
	if err != nil {
		return nil, err
	}
	if !untrained && run.Step == 0 {
		return nil, fmt.Errorf("study: %s has no checkpoint", dir)
	}
	return run, nil
}

// ReadFeatures reads a run's 92-stimulus features as pkg/eval layers (float64), leaving out the
// logits: the study scores the 14 hidden extraction points.
func ReadFeatures(dir string) ([]eval.Features, error) {
	_, layers, err := features.Load(dir)
	if err != nil {
		return nil, err
	}
	var out []eval.Features
	for i := range layers {
		l := &layers[i]
		if l.Name == "logits" {
			continue
		}
		out = append(out, eval.Features{Layer: l.Name, X: l.Float64(), N: l.Rows, D: l.Cols})
	}
	return out, nil
}

// ---- eval ----: evalstage.go

// ---- label-source embeddings ----

// embed returns the embedding (one row per image of ts, in order) of a label source.
// The label-source network is trained in netDir, outside the shared folder's temporary build
// folder, so that an interrupted training resumes from its last checkpoint.
func (o Options) embed(ctx context.Context, spec sourceSpec, ts *TrainingSet, netDir string) (mat.Matrix, coarse.Provenance, error) {
	prov := coarse.Provenance{Source: spec.Source, Dataset: spec.Data.Source + spec.Data.Path, Split: "train+val"}
	ds := ts.DS
	switch spec.Source {
	case sweep.SourcePixels:
		return coarse.NewPixelMatrix(ds.Pix, ds.N, ds.H*ds.W*3), prov, nil
	case sweep.SourceFineNet, sweep.SourceUntrainedNet:
		mspec, err := ModelSpec(spec.Arch, len(ds.Classes))
		if err != nil {
			return nil, prov, err
		}
		dir := netDir
		var run *train.Run
		if spec.Source == sweep.SourceFineNet {
			cfg := TrainConfig(mspec, spec.Train, spec.Labels.SourceSeed, ts)
			if err := o.fit(ctx, cfg, dir, ts, ds.Labels, spec.Train.Augment, uint64(spec.Labels.SourceSeed)); err != nil {
				return nil, prov, fmt.Errorf("training the fine-label source network: %w", err)
			}
			run, err = openRun(dir, false)
		} else {
			cfg := TrainConfig(mspec, sweep.Train{Epochs: 1, Batch: 1, LR: 1}, spec.Labels.SourceSeed, ts)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, prov, err
			}
			if err := train.SaveConfig(cfg, filepath.Join(dir, train.ConfigFile)); err != nil {
				return nil, prov, err
			}
			run, err = openRun(dir, true)
		}
		if err != nil {
			return nil, prov, err
		}
		layer := PenultimateLayer(spec.Arch.Name)
		prov.Model, prov.Layer = fmt.Sprintf("%s-%s-seed%d", spec.Arch.Name, spec.Source, spec.Labels.SourceSeed), layer
		x, err := Embed(run, normalise(ds.Pix, run.Config.Norm), ds.N, layer)
		if err != nil {
			return nil, prov, err
		}
		return x, prov, nil
	}
	if strings.HasSuffix(spec.Source, ".npy") {
		ids := strings.TrimSuffix(spec.Source, ".npy") + ".ids"
		if _, err := os.Stat(ids); err != nil {
			ids = ""
		}
		x, rowIDs, err := coarse.ReadNPY(spec.Source, ids)
		if err != nil {
			return nil, prov, err
		}
		prov.Model = spec.Source
		if rowIDs != nil {
			x, err = coarse.AlignRows(x, rowIDs, ds.Paths)
			if err != nil {
				return nil, prov, err
			}
		} else if r, _ := x.Dims(); r != ds.N {
			return nil, prov, fmt.Errorf("study: %s has %d rows for %d training images (add %s with one image path per row to match by ID)", spec.Source, r, ds.N, filepath.Base(strings.TrimSuffix(spec.Source, ".npy")+".ids"))
		}
		return x, prov, nil
	}
	return nil, prov, fmt.Errorf("study: label source %q", spec.Source)
}

// rowsOf returns the rows idx of x as a dense matrix (pixel matrices are copied as bytes).
func rowsOf(x mat.Matrix, idx []int) (mat.Matrix, error) {
	if p, ok := x.(*coarse.PixelMatrix); ok {
		pix := make([]uint8, 0, len(idx)*p.Cols)
		for _, i := range idx {
			pix = append(pix, p.Pix[i*p.Cols:(i+1)*p.Cols]...)
		}
		return coarse.NewPixelMatrix(pix, len(idx), p.Cols), nil
	}
	_, c := x.Dims()
	out := mat.NewDense(len(idx), c, nil)
	for k, i := range idx {
		for j := 0; j < c; j++ {
			out.Set(k, j, x.At(i, j))
		}
	}
	return out, nil
}
