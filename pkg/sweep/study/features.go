package study

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/gonum/mat"
)

// FeaturesFile holds the per-layer activations of the 92 stimuli: one JSON header line
// ({"layers":[{"name":..,"n":92,"d":..},...]}) followed by each layer's n x d float32 values,
// little-endian, row-major, in header order.
const FeaturesFile = "features.bin"

func newBackend() (compute.Backend, error) { return backend.New() }

// extractBatch is the number of images per forward pass.
const extractBatch = 128

// Activations runs the network of run on imgs (n images, NHWC, normalised like the training
// images) in inference mode and returns the activations of the named taps (all taps if names is
// nil), each flattened to n x d, float32. It is the features stage's extractor.
func Activations(run *train.Run, imgs []float32, n int, names []string) ([]string, [][]float32, []int, error) {
	spec := run.Config.Model
	size := spec.InputSize * spec.InputSize * spec.Channels
	if len(imgs) != n*size {
		return nil, nil, nil, fmt.Errorf("study: %d floats for %d images of %dx%dx%d", len(imgs), n, spec.InputSize, spec.InputSize, spec.Channels)
	}
	all := spec.TapNames()
	if names == nil {
		names = all
	}
	want := map[string]int{}
	for i, nm := range names {
		want[nm] = i
	}
	for _, nm := range names {
		found := false
		for _, a := range all {
			found = found || a == nm
		}
		if !found {
			return nil, nil, nil, fmt.Errorf("study: model has no tap %q (have %s)", nm, strings.Join(all, ", "))
		}
	}
	b, err := newBackend()
	if err != nil {
		return nil, nil, nil, err
	}
	exec, err := model.NewExec(b, run.Store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
		scope.Store().SetTraining(x.Graph(), false)
		_, taps := models.Build(scope, spec, x)
		out := make([]*graph.Node, len(names))
		for _, t := range taps {
			if i, ok := want[t.Name]; ok {
				out[i] = graph.Reshape(t.Node, t.Node.Shape().Dimensions[0], -1)
			}
		}
		return out
	})
	if err != nil {
		return nil, nil, nil, err
	}
	feats := make([][]float32, len(names))
	dims := make([]int, len(names))
	for start := 0; start < n; start += extractBatch {
		m := min(extractBatch, n-start)
		t := tensors.FromShape(shapes.Make(dtypes.Float32, m, spec.InputSize, spec.InputSize, spec.Channels))
		tensors.MutableFlatData(t, func(f []float32) { copy(f, imgs[start*size:(start+m)*size]) })
		outs, err := exec.Call(t)
		t.FinalizeAll()
		if err != nil {
			return nil, nil, nil, err
		}
		for i, o := range outs {
			v, err := tensors.CopyFlatData[float32](o)
			o.FinalizeAll()
			if err != nil {
				return nil, nil, nil, err
			}
			dims[i] = len(v) / m
			feats[i] = append(feats[i], v...)
		}
	}
	return names, feats, dims, nil
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

// StimulusPixels returns the 92 stimuli resized to size x size (Catmull-Rom, which low-pass
// filters when downscaling) as n x size x size x 3 uint8, in the order of the RDMs.
func StimulusPixels(s *k92.Set, size int) []uint8 {
	out := make([]uint8, 0, len(s.IDs)*size*size*3)
	for i := range s.IDs {
		dst := image.NewRGBA(image.Rect(0, 0, size, size))
		src := s.Image(i)
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
		for p := 0; p < size*size; p++ {
			out = append(out, dst.Pix[4*p], dst.Pix[4*p+1], dst.Pix[4*p+2])
		}
	}
	return out
}

type featuresHeader struct {
	Layers []struct {
		Name string `json:"name"`
		N    int    `json:"n"`
		D    int    `json:"d"`
	} `json:"layers"`
}

// ---- features ----

func (o Options) features(ctx context.Context, env *sweep.Env) error {
	r := env.Run
	run, err := openRun(env.Path(TrainDir), r.Granularity == sweep.Untrained)
	if err != nil {
		return err
	}
	set, err := loadK92(env.DataDir)
	if err != nil {
		return err
	}
	n := len(set.IDs)
	imgs := normalise(StimulusPixels(set, run.Config.Model.InputSize), run.Config.Norm)
	names, feats, dims, err := Activations(run, imgs, n, nil)
	if err != nil {
		return err
	}
	return env.WriteFile(FeaturesFile, func(w io.Writer) error {
		var h featuresHeader
		for i, nm := range names {
			h.Layers = append(h.Layers, struct {
				Name string `json:"name"`
				N    int    `json:"n"`
				D    int    `json:"d"`
			}{nm, n, dims[i]})
		}
		if err := json.NewEncoder(w).Encode(h); err != nil {
			return err
		}
		for _, f := range feats {
			if err := binary.Write(w, binary.LittleEndian, f); err != nil {
				return err
			}
		}
		return nil
	})
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

// ReadFeatures reads a features file as pkg/eval layers (float64).
func ReadFeatures(path string) ([]eval.Features, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("study: %s: header: %w", path, err)
	}
	var h featuresHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("study: %s: header: %w", path, err)
	}
	var out []eval.Features
	for _, l := range h.Layers {
		if l.N <= 0 || l.D <= 0 || l.N*l.D > 1<<30 {
			return nil, fmt.Errorf("study: %s: layer %q has bad size %d x %d", path, l.Name, l.N, l.D)
		}
		v := make([]float32, l.N*l.D)
		if err := binary.Read(br, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("study: %s: layer %q: %w", path, l.Name, err)
		}
		x := make([]float64, len(v))
		for i, e := range v {
			x[i] = float64(e)
		}
		out = append(out, eval.Features{Layer: l.Name, X: x, N: l.N, D: l.D})
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("study: %s: trailing bytes after the last layer", path)
	}
	return out, nil
}

// ---- eval ----

func (o Options) eval(ctx context.Context, env *sweep.Env) error {
	r := env.Run
	layers, err := ReadFeatures(env.Path(FeaturesFile))
	if err != nil {
		return err
	}
	set, err := loadK92(env.DataDir)
	if err != nil {
		return err
	}
	// Drop layers whose patterns are constant for some stimulus (e.g. dead ReLUs of an untrained
	// net): their correlation RDM is undefined. Record them in the log.
	var keep []eval.Features
	for _, l := range layers {
		if constantRow(l) {
			fmt.Fprintf(o.Log, "run %s: layer %s has a constant pattern; skipped\n", env.ID, l.Layer)
			continue
		}
		keep = append(keep, l)
	}
	opt := eval.Options{Draws: r.Eval.Bootstrap, Splits: r.Eval.Splits, Seed: uint64(r.Eval.Seed), MaxTriplets: r.Eval.MaxTriplets}
	if opt.Draws == 0 {
		opt.Draws = -1
	}
	rows, err := eval.Evaluate(keep, eval.K92Data(set), opt)
	if err != nil {
		return err
	}
	scores := make([]sweep.Score, 0, len(rows))
	for _, e := range rows {
		scores = append(scores, sweep.Score{Layer: e.Layer, Target: e.Target, Metric: e.Metric, Value: e.Value,
			CILow: e.CILow, CIHigh: e.CIHigh, CeilingLow: e.CeilLow, CeilingHigh: e.CeilHigh,
			Selected: e.Selected, Split: e.Split, SD: e.SD, N: e.N, Note: e.Note})
	}
	return env.WriteScores(scores)
}

func constantRow(l eval.Features) bool {
	for i := 0; i < l.N; i++ {
		row := l.X[i*l.D : (i+1)*l.D]
		same := true
		for _, v := range row[1:] {
			if v != row[0] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// ---- label-source embeddings ----

// embed returns the embedding (one row per image of ts, in order) of a label source.
func (o Options) embed(ctx context.Context, spec sourceSpec, ts *TrainingSet, tmp string) (mat.Matrix, coarse.Provenance, error) {
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
		dir := filepath.Join(tmp, "net")
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
		_, feats, dims, err := Activations(run, normalise(ds.Pix, run.Config.Norm), ds.N, []string{layer})
		if err != nil {
			return nil, prov, err
		}
		x := make([]float64, len(feats[0]))
		for i, v := range feats[0] {
			x[i] = float64(v)
		}
		return mat.NewDense(ds.N, dims[0], x), prov, nil
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
