package brainguided

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/objectives"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Env is where a study runs.
type Env struct {
	Backend compute.Backend
	DataDir string
	// Out holds one JSON file per finished condition (a re-run skips them) and the results.
	Out string
	// Log receives one line per condition (nil: none).
	Log io.Writer
}

// prepared holds the data every condition shares.
type prepared struct {
	cfg       *Config
	start     *train.Run
	spec      models.Spec
	set       *k92.Set
	stim      []float32 // 92 x S x S x 3
	strata    []string
	trainX    []float32
	trainY    []int32
	teacher   []float32 // TrainImages x K (distill)
	testX     []float32
	testY     []int32
	startFeat []features.Layer
	startAcc  float64 // CIFAR-10 test accuracy of the starting model
}

// Run runs the study of cfg: per split, the ceiling rows, the starting model's rows, and every
// condition (each beta with control none, each permuted beta with control permuted),
// fine-tuned from cfg.Start with the same schedule and seed and scored. Finished conditions
// found in env.Out are read back instead of trained again.
func Run(ctx context.Context, env Env, cfg *Config) ([]Row, error) {
	if env.Out != "" {
		if err := claim(env.Out, cfg); err != nil {
			return nil, err
		}
	}
	p, err := prepare(env, cfg)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for s := range cfg.Splits {
		sp, err := p.split(s)
		if err != nil {
			return nil, err
		}
		rows = append(rows, sp.ceilingRows()...)
		startRows, err := sp.score(p.startFeat, math.NaN(), ControlStart)
		if err != nil {
			return nil, err
		}
		rows = append(rows, startRows...)
		rows = append(rows, sp.row(math.NaN(), ControlStart, TargetAccuracy, "cifar10-test", "accuracy", p.startAcc))
		type cond struct {
			beta    float64
			control string
		}
		var conds []cond
		for _, b := range cfg.Betas {
			conds = append(conds, cond{b, ControlNone})
		}
		for _, b := range cfg.PermutedBetas {
			conds = append(conds, cond{b, ControlPermuted})
		}
		for _, c := range conds {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			file := ""
			if env.Out != "" {
				file = filepath.Join(env.Out, "conditions", fmt.Sprintf("split%d-%s-beta%g.json", s, c.control, c.beta))
				if b, err := os.ReadFile(file); err == nil {
					var rs []Row
					if err := json.Unmarshal(b, &rs); err != nil {
						return nil, fmt.Errorf("brainguided: %s: %w (delete it to re-run the condition)", file, err)
					}
					rows = append(rows, rs...)
					continue
				} else if !errors.Is(err, os.ErrNotExist) {
					return nil, err
				}
			}
			t0 := time.Now()
			rs, err := sp.condition(ctx, env.Backend, c.beta, c.control)
			if err != nil {
				return nil, fmt.Errorf("brainguided: split %d, beta %g, control %s: %w", s, c.beta, c.control, err)
			}
			if env.Log != nil {
				fmt.Fprintf(env.Log, "split %d (held-out subject %d, layer %s) beta %g %s: %s, %.1f s\n",
					s, sp.heldOut+1, sp.layer, c.beta, c.control, summaryLine(rs), time.Since(t0).Seconds())
			}
			if file != "" {
				if err := writeJSON(file, rs); err != nil {
					return nil, err
				}
			}
			rows = append(rows, rs...)
		}
	}
	return rows, nil
}

func summaryLine(rs []Row) string {
	s := ""
	for _, r := range rs {
		if (r.Stimuli == "test" && (r.Target == TargetHeldOut || r.Target == TargetTrained)) || r.Target == TargetAccuracy {
			s += fmt.Sprintf("%s=%.4f ", r.Target, r.Value)
		}
	}
	return s
}

// claim records cfg in out/study.json, or checks that the study recorded there is cfg (the
// finished conditions in out belong to it).
func claim(out string, cfg *Config) error {
	file := filepath.Join(out, "study.json")
	want, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if have, err := os.ReadFile(file); err == nil {
		if string(have) != string(want) {
			return fmt.Errorf("brainguided: %s records another study (a setting changed); use another --out or delete the folder", file)
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return writeBytes(file, want)
}

func writeJSON(file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeBytes(file, b)
}

func writeBytes(file string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

func prepare(env Env, cfg *Config) (*prepared, error) {
	start, err := train.OpenRun(cfg.Start, -1)
	if err != nil {
		return nil, fmt.Errorf("brainguided: start run %s: %w", cfg.Start, err)
	}
	if start.Step == 0 {
		return nil, fmt.Errorf("brainguided: start run %s has no checkpoint (an untrained run?)", cfg.Start)
	}
	spec := start.Config.Model
	if spec.Channels != 3 || len(start.Config.Norm.Mean) != 3 {
		return nil, fmt.Errorf("brainguided: start run %s: want an RGB model with normalization statistics", cfg.Start)
	}
	if cfg.Layer != "auto" && !contains(spec.TapNames(), cfg.Layer) {
		return nil, fmt.Errorf("brain-guided config: layer = %q, the model's taps are %v", cfg.Layer, spec.TapNames())
	}
	set, err := k92.Load(env.DataDir)
	if err != nil {
		return nil, err
	}
	p := &prepared{cfg: cfg, start: start, spec: spec, set: set}
	if p.stim, err = features.Preprocess(set.Pixels, k92.ImageSize, k92.ImageSize, spec.InputSize, start.Config.Norm); err != nil {
		return nil, err
	}
	for i := range k92.NumImages {
		p.strata = append(p.strata, Stratum(set.Human[i], set.Face[i], set.Animal[i], set.Natural[i]))
	}
	opts := images.Options{CacheDir: images.CacheDirFor("")}
	load := func(split string, n int, seed uint64) ([]float32, []int32, error) {
		ds, _, err := study.LoadImages(env.DataDir, "cifar10", "", split, spec.InputSize, opts, false)
		if err != nil {
			return nil, nil, err
		}
		idx := rand.New(rand.NewPCG(seed, 0x63696661)).Perm(ds.N)
		if n > 0 && n < ds.N {
			idx = idx[:n]
		}
		px := make([][]uint8, len(idx))
		labels := make([]int32, len(idx))
		for k, i := range idx {
			px[k] = ds.Image(i)
			labels[k] = ds.Labels[i]
		}
		x, err := features.Preprocess(px, ds.H, ds.W, spec.InputSize, start.Config.Norm)
		return x, labels, err
	}
	if p.trainX, p.trainY, err = load("train", cfg.TrainImages, cfg.Seed); err != nil {
		return nil, err
	}
	if p.testX, p.testY, err = load("test", cfg.TestImages, cfg.Seed+1); err != nil {
		return nil, err
	}
	if cfg.Task == "distill" {
		logits, err := Logits(env.Backend, spec, start.Store, p.trainX, len(p.trainY))
		if err != nil {
			return nil, err
		}
		p.teacher = softmaxRows(logits, spec.NumClasses)
	}
	logits, err := Logits(env.Backend, spec, start.Store, p.testX, len(p.testY))
	if err != nil {
		return nil, err
	}
	p.startAcc = Accuracy(logits, p.testY, spec.NumClasses)
	e, err := features.NewExtractor(env.Backend, spec, start.Store)
	if err != nil {
		return nil, err
	}
	if p.startFeat, err = e.Extract(p.stim, k92.NumImages); err != nil {
		return nil, err
	}
	return p, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Logits runs the model (inference mode) on n images x [n, S, S, 3] and returns [n, K].
func Logits(b compute.Backend, spec models.Spec, store *model.Store, x []float32, n int) ([]float32, error) {
	exec, err := model.NewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		scope.Store().SetTraining(x.Graph(), false)
		logits, _ := models.Build(scope, spec, x)
		return logits
	})
	if err != nil {
		return nil, err
	}
	s := spec.InputSize
	per := s * s * 3
	const batch = 250
	out := make([]float32, 0, n*spec.NumClasses)
	for i := 0; i < n; i += batch {
		m := min(batch, n-i)
		t := tensors.FromFlatDataAndDimensions(x[i*per:(i+m)*per], m, s, s, 3)
		res, err := exec.Call(t)
		if err != nil {
			return nil, err
		}
		out = append(out, tensors.MustCopyFlatData[float32](res[0])...)
	}
	return out, nil
}

// Accuracy is the fraction of rows of logits [n, k] whose arg-max is the label.
func Accuracy(logits []float32, labels []int32, k int) float64 {
	hits := 0
	for i, y := range labels {
		row := logits[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if int32(best) == y {
			hits++
		}
	}
	return float64(hits) / float64(len(labels))
}

func softmaxRows(logits []float32, k int) []float32 {
	out := make([]float32, len(logits))
	for i := 0; i < len(logits); i += k {
		row := logits[i : i+k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var s float64
		for j, v := range row {
			e := math.Exp(float64(v - mx))
			out[i+j] = float32(e)
			s += e
		}
		for j := range row {
			out[i+j] = float32(float64(out[i+j]) / s)
		}
	}
	return out
}

// splitData is one stimulus split: its stimuli, held-out subject, targets and layer.
type splitData struct {
	p            *prepared
	s            int
	seed         uint64
	trainIdx     []int
	testIdx      []int
	heldOut      int
	trained, all *rdm.RDM // mean RDMs of the 3 trained subjects and of all 4 (92 stimuli)
	layer        string
	targetSq     []float64 // trained-subject mean on the training stimuli, m x m
}

func (p *prepared) split(s int) (*splitData, error) {
	seed := p.cfg.Seed + uint64(s)
	tr, te, err := StratifiedSplit(p.strata, p.cfg.TrainStimuli, seed)
	if err != nil {
		return nil, err
	}
	sp := &splitData{p: p, s: s, seed: seed, trainIdx: tr, testIdx: te, heldOut: s % k92.NumHITSubjects}
	var three []*rdm.RDM
	for j, r := range p.set.HITSubjects {
		if j != sp.heldOut {
			three = append(three, r)
		}
	}
	if sp.trained, err = rdm.Mean("hIT-trained", three); err != nil {
		return nil, err
	}
	if sp.all, err = rdm.Mean("hIT-all", p.set.HITSubjects[:]); err != nil {
		return nil, err
	}
	sp.targetSq = sp.trained.Subset(tr).Square()
	sp.layer = p.cfg.Layer
	if sp.layer == "auto" {
		best := math.Inf(-1)
		for _, l := range p.startFeat {
			if l.Name == "logits" {
				continue
			}
			m, err := layerRDM(l)
			if err != nil {
				return nil, err
			}
			v, err := rsa.Compare(m.Subset(tr), sp.trained.Subset(tr), rsa.Spearman)
			if err != nil {
				return nil, err
			}
			if v > best {
				best, sp.layer = v, l.Name
			}
		}
	}
	return sp, nil
}

func layerRDM(l features.Layer) (*rdm.RDM, error) {
	return rsa.RDMFromPatternSlice(l.Name, l.Float64(), l.Rows, l.Cols, rsa.Correlation, nil)
}

func (sp *splitData) row(beta float64, control, target, stimuli, metric string, v float64) Row {
	return Row{Beta: beta, Split: sp.s, Control: control, Target: target, Stimuli: stimuli, Layer: sp.layer,
		HeldOut: sp.heldOut + 1, Metric: metric, Value: v}
}

// ceilingRows are the between-subject noise ceiling of the held-out subject on the test
// stimuli: lower = Spearman with the mean of the other 3 subjects, upper = with the mean of all
// 4 (rsatoolbox's leave-one-out bounds, here for the one held-out subject).
func (sp *splitData) ceilingRows() []Row {
	h := sp.p.set.HITSubjects[sp.heldOut].Subset(sp.testIdx)
	lo := rsa.MustCompare(h, sp.trained.Subset(sp.testIdx), rsa.Spearman)
	hi := rsa.MustCompare(h, sp.all.Subset(sp.testIdx), rsa.Spearman)
	return []Row{
		sp.row(math.NaN(), CeilingLower, TargetHeldOut, "test", "spearman", lo),
		sp.row(math.NaN(), CeilingUpper, TargetHeldOut, "test", "spearman", hi),
	}
}

// score returns the alignment rows of a model's features (all 92 stimuli).
func (sp *splitData) score(feat []features.Layer, beta float64, control string) ([]Row, error) {
	var l *features.Layer
	for i := range feat {
		if feat[i].Name == sp.layer {
			l = &feat[i]
		}
	}
	if l == nil {
		return nil, fmt.Errorf("no layer %q", sp.layer)
	}
	m, err := layerRDM(*l)
	if err != nil {
		return nil, err
	}
	set := sp.p.set
	mt := m.Subset(sp.testIdx)
	pairs := []struct {
		target, stimuli string
		model, ref      *rdm.RDM
	}{
		{TargetHeldOut, "test", mt, set.HITSubjects[sp.heldOut].Subset(sp.testIdx)},
		{TargetTrained, "test", mt, sp.trained.Subset(sp.testIdx)},
		{TargetMIT, "test", mt, set.MIT.Subset(sp.testIdx)},
		{TargetBehav, "test", mt, set.BehavMean.Subset(sp.testIdx)},
		{TargetTrained, "train", m.Subset(sp.trainIdx), sp.trained.Subset(sp.trainIdx)},
		{TargetHeldOut, "train", m.Subset(sp.trainIdx), set.HITSubjects[sp.heldOut].Subset(sp.trainIdx)},
	}
	var rows []Row
	for _, q := range pairs {
		v, err := rsa.Compare(q.model, q.ref, rsa.Spearman)
		if err != nil {
			return nil, err
		}
		rows = append(rows, sp.row(beta, control, q.target, q.stimuli, "spearman", v))
	}
	return rows, nil
}

// condition fine-tunes the starting model with one beta and control and scores it.
func (sp *splitData) condition(ctx context.Context, b compute.Backend, beta float64, control string) ([]Row, error) {
	p, cfg := sp.p, sp.p.cfg
	m := len(sp.trainIdx)
	sq := sp.targetSq
	if control == ControlPermuted {
		perm := rand.New(rand.NewPCG(sp.seed, 0x7065726d)).Perm(m)
		sq = make([]float64, m*m)
		for i := range m {
			for j := range m {
				sq[i*m+j] = sp.targetSq[perm[i]*m+perm[j]]
			}
		}
	}
	s := p.spec.InputSize
	per := s * s * 3
	stim := make([]float32, 0, m*per)
	for _, i := range sp.trainIdx {
		stim = append(stim, p.stim[i*per:(i+1)*per]...)
	}
	extra := map[string]train.Target{objectives.TargetStimuli: {Shape: []int{m, s, s, 3}, Data: stim}}
	if cfg.Loss == "encoding" {
		coords, _, err := objectives.ClassicalMDS(sq, m, cfg.Dims)
		if err != nil {
			return nil, err
		}
		extra[objectives.TargetCoords] = train.Target{Shape: []int{m, cfg.Dims}, Data: f32(coords)}
	} else {
		extra[objectives.TargetRDM] = train.Target{Shape: []int{m, m}, Data: f32(sq)}
	}
	md := &train.MemoryData{Images: p.trainX, Labels: p.trainY, H: s, W: s, C: 3, BatchSize: cfg.Batch,
		Seed: sp.seed, Shuffle: true}
	if cfg.Task == "distill" {
		md.Targets = map[string]train.Target{objectives.TargetTeacher: {Shape: []int{len(p.trainY), p.spec.NumClasses}, Data: p.teacher}}
	}
	if err := md.Check(); err != nil {
		return nil, err
	}
	data := objectives.WithTargets(md, extra)
	a := objectives.Alignment{Loss: cfg.Loss, Layers: []string{sp.layer}, Beta: beta, Tau: cfg.Tau, Dims: cfg.Dims, Task: cfg.Task}
	obj, err := a.Objective()
	if err != nil {
		return nil, err
	}
	tc := p.start.Config
	tc.Recipe.LearningRate = cfg.LR
	tc.Recipe.WarmupEpochs, tc.Recipe.WarmupSteps, tc.Recipe.WarmupStart, tc.Recipe.MinLRFactor = 0, 0, 1, 1
	tc.BatchSize, tc.Steps, tc.Seed, tc.Objective = cfg.Batch, cfg.Steps, int64(sp.seed), ""
	tc.CheckpointSteps = nil
	tr, err := train.New(b, tc, "", md.StepsPerEpoch(), train.WithObjective(obj))
	if err != nil {
		return nil, err
	}
	if err := tr.InitFrom(p.start.Store); err != nil {
		return nil, err
	}
	var last train.StepResult
	for step, epoch := 0, 0; step < cfg.Steps; epoch++ {
		for bt, err := range data.Epoch(epoch) {
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				return nil, err
			}
			if last, err = tr.Step(bt); err != nil {
				return nil, err
			}
			if step++; step == cfg.Steps {
				break
			}
		}
	}
	e, err := features.NewExtractor(b, p.spec, tr.Store)
	if err != nil {
		return nil, err
	}
	feat, err := e.Extract(p.stim, k92.NumImages)
	if err != nil {
		return nil, err
	}
	rows, err := sp.score(feat, beta, control)
	if err != nil {
		return nil, err
	}
	logits, err := Logits(b, p.spec, tr.Store, p.testX, len(p.testY))
	if err != nil {
		return nil, err
	}
	rows = append(rows,
		sp.row(beta, control, TargetAccuracy, "cifar10-test", "accuracy", Accuracy(logits, p.testY, p.spec.NumClasses)),
		sp.row(beta, control, TargetAlign, "train", "loss", last.Metrics["align"]))
	return rows, nil
}

func f32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
