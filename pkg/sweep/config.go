package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"gopkg.in/yaml.v3"
)

// Granularity values besides the powers of two.
const (
	// Fine is the baseline trained on the data set's own (fine) class labels.
	Fine = "fine"
	// Untrained is the baseline with randomly initialised weights (no training).
	Untrained = "untrained"
)

// Label sources: where the embedding that the PCA median splits cut comes from.
// Any other value ending in ".npy" names a user file of shape n_train x d (float32/float64).
const (
	// SourceFineNet is a network of the sweep's architecture trained here on the fine labels.
	SourceFineNet = "fine-net"
	// SourcePixels uses the raw pixels (input_size x input_size x 3, in [0,1]) as the embedding.
	SourcePixels = "pixels"
	// SourceUntrainedNet uses the penultimate layer of a randomly initialised network.
	SourceUntrainedNet = "untrained-net"
)

// Config is a sweep: a grid of runs plus the settings they share. See the package
// documentation for the YAML schema. The zero value is not valid; use Parse or Load.
type Config struct {
	// Name of the sweep, used for the default output folder (runs/<name>), so one path element:
	// no "/" or "\\", not "." or "..".
	Name string `yaml:"name" json:"name"`
	// Out is the default output folder; the CLI's --out overrides it. Relative paths
	// are resolved against the working directory.
	Out string `yaml:"out,omitempty" json:"out,omitempty"`
	// LabelSources is an axis: label sources for the coarse (K-class) runs.
	LabelSources []string `yaml:"label_sources" json:"label_sources"`
	// Granularity is an axis: K values (powers of two, 2..1024) and/or "fine", "untrained", "ssl" (SSL).
	Granularity []string `yaml:"granularity" json:"granularity"`
	// Seeds is an axis: training seeds (also the seeds of weight initialisation).
	Seeds []int `yaml:"seeds" json:"seeds"`
	// Archs is an axis: the architectures.
	Archs []Arch `yaml:"archs" json:"archs"`
	// Labels holds the PCA settings of the coarse labelling.
	Labels LabelSpec `yaml:"labels" json:"labels"`
	// Train is the training budget and recipe shared by all trained runs.
	Train Train `yaml:"train" json:"train"`
	// Data names the training images.
	Data Data `yaml:"data" json:"data"`
	// Eval holds the evaluation settings.
	Eval Eval `yaml:"eval" json:"eval"`
	// Chronology, if set, keeps and scores checkpoints along training (chronology.go).
	Chronology *Chronology `yaml:"chronology,omitempty" json:"chronology,omitempty"`
	// Factors are the extra axes of a convergence-factors sweep (chronology.go).
	Factors Factors `yaml:"factors,omitempty" json:"factors,omitempty"`
}

// Arch is one architecture setting.
type Arch struct {
	// Name is a registered architecture (package arch): "alexnet-bn", "vit", or one a program
	// registers with models.Register.
	Name string `yaml:"name" json:"name"`
	// Width multiplies the channel counts / embedding width (1 = the paper's AlexNet; the default
	// when omitted; an explicit 0 is an error). Bounded per architecture (arch.Arch.CheckWidth).
	Width float64 `yaml:"width" json:"width"`
	// InputSize is the side of the square input images in pixels (32 for CIFAR, 224 for ImageNet).
	InputSize int `yaml:"input_size" json:"input_size"`
	// Init is the weight initialisation: "torch" (PyTorch's defaults, as the study's code; the
	// default) or "he-normal" (GoMLX's default, what coarsealign used before issue 8). Part of
	// every run's identity, so runs made with the old initialisation are never reused.
	Init string `yaml:"init,omitempty" json:"init,omitempty"`
}

// Weight initialisations of Arch.Init (package arch; pkg/models InitTorch, InitHeNormal).
const (
	InitTorch    = arch.InitTorch
	InitHeNormal = arch.InitHeNormal
)

// LabelSpec holds the settings of the PCA median-split labelling.
type LabelSpec struct {
	// PCs is the number of principal components split at their median (K <= 2^PCs), 1..MaxPCs.
	// Default 6.
	PCs int `yaml:"pcs" json:"pcs"`
	// SourceEpochs is the training budget of the fine-net label source; 0 = Train.Epochs.
	SourceEpochs float64 `yaml:"source_epochs,omitempty" json:"source_epochs,omitempty"`
	// SourceSeed seeds the label-source network (fine-net, untrained-net). Default 0.
	SourceSeed int `yaml:"source_seed,omitempty" json:"source_seed,omitempty"`
	// SourceArch, if its name is set, is the architecture of the fine-net/untrained-net label
	// source, which may differ from the trained one (as in the study, where large pretrained
	// models provide the labels): e.g. {name: vgg-bn, width: 0.25}. Omitted: each run's own
	// architecture. Width defaults to 1, init to torch; input_size, when given, must equal every
	// archs[].input_size (the training images are read once per run, at the run's size).
	// Part of the coarse runs' identity only when set.
	SourceArch Arch `yaml:"source_arch,omitempty" json:"source_arch,omitzero"`
}

// SourceArchFor returns the label-source network's architecture for runs of architecture a:
// SourceArch with its input size filled in from a, or a itself when SourceArch is not set.
func (l LabelSpec) SourceArchFor(a Arch) Arch {
	if l.SourceArch.Name == "" {
		return a
	}
	s := l.SourceArch
	if s.InputSize == 0 {
		s.InputSize = a.InputSize
	}
	return s
}

// Train is the training recipe (methods.md section 1 for the paper's values).
type Train struct {
	// Epochs is the number of passes over the training split; Steps, if > 0, caps the number of
	// optimiser steps instead (then Epochs only scales the schedule).
	Epochs float64 `yaml:"epochs" json:"epochs"`
	Steps  int     `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Batch is the mini-batch size.
	Batch int `yaml:"batch" json:"batch"`
	// LR is AdamW's peak learning rate; WeightDecay its decoupled weight decay (weights only).
	LR          float64 `yaml:"lr" json:"lr"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	// WarmupEpochs of linear warm-up from 0.25*LR, then cosine decay.
	WarmupEpochs float64 `yaml:"warmup_epochs" json:"warmup_epochs"`
	// LabelSmoothing of the cross-entropy (paper: 0.1); ClipNorm the gradient norm clip (paper: 1).
	LabelSmoothing float64 `yaml:"label_smoothing" json:"label_smoothing"`
	ClipNorm       float64 `yaml:"clip_norm" json:"clip_norm"`
	// Augment enables horizontal flips and +-10 degree rotations.
	Augment bool `yaml:"augment" json:"augment"`
}

// Data names the training images.
type Data struct {
	// Source is "cifar10" (the data dir's cifar10-jpg, or the binary release) or "images"
	// (an ImageNet-style folder of class subfolders, Path).
	Source string `yaml:"source" json:"source"`
	// Path is the image folder for Source "images", relative to the data directory unless absolute.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// PerClass keeps at most this many training images per class (0 = all; negative values are
	// errors). Above every class's size it is an error, above some a warning (CheckRuns).
	PerClass int `yaml:"per_class" json:"per_class"`
	// ValFraction is the held-out fraction of the fixed train/validation split (paper: 0.2, the
	// default; Parse rejects an explicit 0, which it used to replace by 0.2).
	ValFraction float64 `yaml:"val_fraction" json:"val_fraction"`
	// SplitSeed seeds subset and split (paper: 42).
	SplitSeed int `yaml:"split_seed" json:"split_seed"`
	// JPEG is the JPEG colour conversion of folder images: "libjpeg" (the default: PIL's pixels)
	// or "go" (Go's image/jpeg, coarsealign's before 2026-12-01); see images.JPEGDecoder. Part of
	// the run identity, so runs decoded differently never mix (except that "go" is left out of
	// it: runs made before this field existed decoded with Go's conversion and keep their IDs).
	JPEG string `yaml:"jpeg" json:"jpeg,omitempty"`
}

// Eval holds the alignment evaluation settings.
type Eval struct {
	// Bootstrap is the number of subsamples (90% of the stimuli, without replacement) for the
	// percentile CIs (paper: 1000).
	Bootstrap int `yaml:"bootstrap" json:"bootstrap"`
	// Splits is the number of random split-halves of the stimuli used to select the layer
	// on one half and score it on the other (default 100, as pkg/eval).
	Splits int `yaml:"splits" json:"splits"`
	// Seed seeds bootstrap and splits.
	Seed int `yaml:"seed" json:"seed"`
	// MaxTriplets caps the odd-one-out triplets per RDM (0: all C(92,3) = 125,580; else a
	// seeded sample).
	MaxTriplets int `yaml:"max_triplets,omitempty" json:"max_triplets,omitempty"`
	// Metrics are the alignment metrics, by pkg/metric registry name (spearman, tau-a, corr,
	// kendall, cka-linear, cka-rbf-unbiased, encoding, oddoneout, ...; metric.Names). Empty
	// means metric.DefaultNames(), spearman and tau-a. Parse stores canonical names and a list
	// equal to the default as empty, so that runs made before the field existed keep their
	// identity; use MetricNames.
	Metrics []string `yaml:"metrics,omitempty" json:"metrics,omitempty"`
	// Targets are the user's own targets, scored beside the 92-image ones: measurements of the
	// same 92 stimuli (rows or RDM entries in the set's order).
	Targets []EvalTarget `yaml:"targets,omitempty" json:"targets,omitempty"`
	// CIFAR10H, if set (`cifar10h: {}` for the defaults), adds the CIFAR-10H human-uncertainty
	// target to every run (an add-on, RunAddOns: scored on done runs too). Not part of the run
	// identity (Run.Canonical): it reads the trained network and changes none of its artifacts;
	// its settings are kept beside its scores.
	CIFAR10H *CIFAR10H `yaml:"cifar10h,omitempty" json:"cifar10h,omitempty"`
}

// CIFAR10H holds the settings of the CIFAR-10H target (pkg/sweep/study cifar10h.go).
type CIFAR10H struct {
	// Layer is the tap the readout reads ("": the architecture's penultimate tap).
	Layer string `yaml:"layer,omitempty" json:"layer,omitempty"`
	// TrainPerClass is the number of the run's training images per class the readout is
	// fitted on (0: 200; fewer if the run has fewer).
	TrainPerClass int `yaml:"train_per_class,omitempty" json:"train_per_class,omitempty"`
	// Test scores the first Test images of the official test order (0: all 10,000).
	Test int `yaml:"test,omitempty" json:"test,omitempty"`
	// Bootstrap is the number of resamples of the test images for the CIs (0: eval.bootstrap).
	Bootstrap int `yaml:"bootstrap,omitempty" json:"bootstrap,omitempty"`
}

// EvalTarget is a target stored in a .npy file (path relative to the working directory
// unless absolute): RDM, a square RDM or its upper-triangle vector; or Responses, a stimuli x
// units matrix (recorded units, voxels), which every metric can score, CKA and encoding
// included. Exactly one of the two is set.
type EvalTarget struct {
	Name      string `yaml:"name" json:"name"`
	RDM       string `yaml:"rdm,omitempty" json:"rdm,omitempty"`
	Responses string `yaml:"responses,omitempty" json:"responses,omitempty"`
}

// MetricNames returns the metrics to compute: Metrics, or the default when it is empty.
func (e Eval) MetricNames() []string {
	if len(e.Metrics) == 0 {
		return metric.DefaultNames()
	}
	return e.Metrics
}

// defaults stores the metric names canonically, and a list equal to the default as empty.
func (e *Eval) defaults(splitsGiven bool) {
	if e.Splits == 0 && !splitsGiven {
		e.Splits = 100
	}
	for i, name := range e.Metrics {
		if m, err := metric.Lookup(name); err == nil {
			e.Metrics[i] = m.Name()
		}
	}
	if slices.Equal(e.Metrics, metric.DefaultNames()) {
		e.Metrics = nil
	}
}

// clashesWithK92 reports whether a target name is one of the 92-image targets' row names
// (pkg/eval.K92Data: mIT; hIT and behav with -mean, -subjects and /S; oddoneout-*).
func clashesWithK92(name string) bool {
	if name == "mIT" || strings.HasPrefix(name, "oddoneout-") {
		return true
	}
	for _, g := range []string{"hIT", "behav"} {
		if name == g || strings.HasPrefix(name, g+"-") || strings.HasPrefix(name, g+"/") {
			return true
		}
	}
	return false
}

// validate adds the problems of the evaluation settings to p.
func (e Eval) validate(p *problems) {
	if e.Bootstrap < 0 {
		p.add("eval.bootstrap", "%d must be >= 0", e.Bootstrap)
	}
	if e.Splits < 1 {
		p.add("eval.splits", "%d must be >= 1", e.Splits)
	}
	if e.MaxTriplets < 0 {
		p.add("eval.max_triplets", "%d must be >= 0", e.MaxTriplets)
	}
	if c := e.CIFAR10H; c != nil {
		if c.TrainPerClass < 0 {
			p.add("eval.cifar10h.train_per_class", "%d must be >= 0", c.TrainPerClass)
		}
		if c.Test < 0 || c.Test > 10000 {
			p.add("eval.cifar10h.test", "%d must be in 0..10000 (0: all)", c.Test)
		}
		if c.Bootstrap < 0 {
			p.add("eval.cifar10h.bootstrap", "%d must be >= 0", c.Bootstrap)
		}
	}
	provided := metric.RDM | metric.Triplets // the 92-image targets are RDMs
	seen := map[string]bool{}
	for i, t := range e.Targets {
		f := fmt.Sprintf("eval.targets[%d]", i)
		switch {
		case strings.TrimSpace(t.Name) == "":
			p.add(f+".name", "empty")
		case seen[t.Name]:
			p.add(f+".name", "%q listed twice", t.Name)
		case clashesWithK92(t.Name):
			p.add(f+".name", "%q clashes with a 92-image target (mIT, hIT-*, behav-*, oddoneout-*)", t.Name)
		}
		switch {
		case (t.RDM == "") == (t.Responses == ""):
			p.add(f, "set exactly one of rdm (an RDM .npy file) and responses (a stimuli x units .npy file)")
		case t.RDM != "" && !strings.HasSuffix(strings.ToLower(t.RDM), ".npy"):
			p.add(f+".rdm", "%q is not a .npy file", t.RDM)
		case t.Responses != "" && !strings.HasSuffix(strings.ToLower(t.Responses), ".npy"):
			p.add(f+".responses", "%q is not a .npy file", t.Responses)
		}
		seen[t.Name] = true
		if t.Responses != "" {
			provided |= metric.Patterns
		}
	}
	first := map[string]int{}
	for i, name := range e.Metrics {
		f := fmt.Sprintf("eval.metrics[%d]", i)
		m, err := metric.Lookup(name)
		if err != nil {
			p.add(f, "%v", err)
			continue
		}
		if j, dup := first[m.Name()]; dup {
			p.add(f, "%q is metrics[%d] again (%s)", name, j, m.Name())
			continue
		}
		first[m.Name()] = i
		if m.Needs()&provided == 0 {
			p.add(f, "%s needs %s; add a responses target to eval.targets", m.Name(), m.Needs())
		}
	}
}

// Problem is one thing wrong with a sweep config: the field, as a path in the config
// ("archs[0].width", "data.per_class"), and what is wrong with it. Field is empty only for a
// problem the YAML decoder found (an unknown field, a type or syntax error), whose message
// starts with "yaml:" and gives the line where the decoder tells it.
type Problem struct {
	Field string
	Msg   string
}

// String formats the problem as "field F: message".
func (p Problem) String() string {
	if p.Field == "" {
		return p.Msg
	}
	return "field " + p.Field + ": " + p.Msg
}

// ConfigError lists every problem found in a sweep config at once (Parse, Load, Validate,
// Check and Runner.Execute return it), so that one pass fixes them all.
type ConfigError struct {
	// File is the config file (Load), or "" for bytes (Parse) and runs (CheckRuns).
	File     string
	Problems []Problem
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("sweep: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if len(e.Problems) == 1 {
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "%d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// problems collects Problems; its err is nil when there are none.
type problems struct{ list []Problem }

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err(file string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &ConfigError{File: file, Problems: p.list}
}

// Load reads a sweep configuration file (YAML or JSON); a *ConfigError names the file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	c, err := Parse(b)
	if ce, ok := err.(*ConfigError); ok {
		ce.File = path
	}
	return c, err
}

// MustLoad is Load that panics on error (for notebooks).
func MustLoad(path string) *Config {
	c, err := Load(path)
	if err != nil {
		panic(err)
	}
	return c
}

// Parse decodes a YAML (or JSON) sweep configuration, fills defaults and validates it. Unknown
// fields are errors, so a typo never silently changes a sweep; so are an explicit zero that a
// default would replace (width: 0, val_fraction: 0, ...) and a second YAML document. Every
// problem is reported at once, in a *ConfigError.
func Parse(b []byte) (*Config, error) {
	var c Config
	var p problems
	raw, fatal := decode(b, &c, &p)
	if fatal != nil {
		return nil, &ConfigError{Problems: []Problem{*fatal}}
	}
	c.defaults(raw, &p)
	c.validate(&p)
	if err := p.err(""); err != nil {
		return nil, err
	}
	return &c, nil
}

// decode decodes b into c (unknown fields are errors) and, as a generic document, into raw
// (to tell which keys are present). Type errors and unknown fields are added to p, since the
// rest of the document was decoded; a syntax error is fatal.
func decode(b []byte, c *Config, p *problems) (raw any, fatal *Problem) {
	defer func() {
		if r := recover(); r != nil { // the YAML decoder on hostile input: an error, not a crash
			raw, fatal = nil, &Problem{Msg: fmt.Sprintf("yaml: decoder panicked: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(c)
	var te *yaml.TypeError
	switch {
	case err == nil, err == io.EOF: // an empty document: the validation lists what is missing
	case errors.As(err, &te):
		for _, m := range te.Errors {
			p.list = append(p.list, Problem{Msg: "yaml: " + m})
		}
	default:
		msg := err.Error()
		if !strings.HasPrefix(msg, "yaml: ") {
			msg = "yaml: " + msg
		}
		return nil, &Problem{Msg: msg}
	}
	if err == nil {
		var extra any
		if err := dec.Decode(&extra); err != io.EOF && (err != nil || extra != nil) {
			p.list = append(p.list, Problem{Msg: "yaml: the config holds more than one document (a second '---'); put everything in one"})
		}
	}
	_ = yaml.Unmarshal(b, &raw)
	return raw, nil
}

// has reports whether the decoded YAML document raw holds the key path (keys of mappings,
// or an int index of a sequence).
func has(raw any, path ...any) bool {
	for _, k := range path {
		switch v := raw.(type) {
		case map[string]any:
			s, ok := k.(string)
			if !ok {
				return false
			}
			if raw, ok = v[s]; !ok {
				return false
			}
		case []any:
			i, ok := k.(int)
			if !ok || i < 0 || i >= len(v) {
				return false
			}
			raw = v[i]
		default:
			return false
		}
	}
	return true
}

// defaults fills the fields the document raw omits. A field given as zero is left as it is
// and, where zero would otherwise have been replaced by the default without a word, reported.
func (c *Config) defaults(raw any, p *problems) {
	if c.Labels.PCs == 0 && !has(raw, "labels", "pcs") {
		c.Labels.PCs = 6
	}
	c.Eval.defaults(has(raw, "eval", "splits"))
	if c.Data.ValFraction == 0 {
		if has(raw, "data", "val_fraction") {
			p.add("data.val_fraction", "0 is not supported: it used to be replaced by the default 0.2 without a word; omit the field for 0.2, or give a fraction in (0,1)")
		} else {
			c.Data.ValFraction = 0.2
		}
	}
	if c.Data.JPEG == "" && !has(raw, "data", "jpeg") {
		c.Data.JPEG = string(images.JPEGLibjpeg)
	}
	if has(raw, "labels", "source_arch") {
		sa := &c.Labels.SourceArch
		if sa.Width == 0 && !has(raw, "labels", "source_arch", "width") {
			sa.Width = 1
		}
		if sa.Init == "" && !has(raw, "labels", "source_arch", "init") {
			sa.Init = InitTorch
		}
	}
	for i := range c.Archs {
		if c.Archs[i].Width == 0 && !has(raw, "archs", i, "width") {
			c.Archs[i].Width = 1
		}
		if c.Archs[i].Init == "" && !has(raw, "archs", i, "init") {
			c.Archs[i].Init = InitTorch
		}
	}
	for i, g := range c.Granularity {
		c.Granularity[i] = strings.ToLower(strings.TrimSpace(g))
	}
	c.defaultsChronology(raw)
}

// Validate checks every field and returns a *ConfigError listing every problem (nil if none).
func (c *Config) Validate() error {
	var p problems
	c.validate(&p)
	return p.err("")
}

// MaxPCs is the largest labels.pcs: pkg/coarse fits at most 8 components (a code is one byte),
// so K is at most 2^8 = 256.
const MaxPCs = 8

// checkName reports why name cannot be the sweep's folder name runs/<name> ("" if it can): it
// must be one path element, so that the folder stays inside runs/.
func checkName(name string) string {
	switch {
	case name == "":
		return "empty"
	case name == "." || name == "..":
		return fmt.Sprintf("%q is not a folder name; it names the default output folder runs/<name>", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Sprintf("%q contains a path separator; it names the default output folder runs/<name>, which must stay inside runs/ (use out: for another folder)", name)
	case strings.TrimSpace(name) != name:
		return fmt.Sprintf("%q starts or ends with white space", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Sprintf("%q contains a control character; it names the default output folder runs/<name>", name)
		}
	}
	return ""
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (c *Config) validate(p *problems) {
	if msg := checkName(c.Name); msg != "" {
		p.add("name", "%s", msg)
	}
	pcsOK := c.Labels.PCs >= 1 && c.Labels.PCs <= MaxPCs
	if !pcsOK {
		p.add("labels.pcs", "%d not in [1,%d] (pkg/coarse fits at most %d components)", c.Labels.PCs, MaxPCs, MaxPCs)
	}
	if !finite(c.Labels.SourceEpochs) || c.Labels.SourceEpochs < 0 {
		p.add("labels.source_epochs", "%v must be finite and >= 0 (0: train.epochs)", c.Labels.SourceEpochs)
	}
	if len(c.Granularity) == 0 {
		p.add("granularity", "empty")
	}
	needSource := false
	seen := map[string]bool{}
	for i, g := range c.Granularity {
		f := fmt.Sprintf("granularity[%d]", i)
		if seen[g] {
			p.add(f, "%q listed twice", g)
			continue
		}
		seen[g] = true
		if isBaseline(g) {
			continue
		}
		k, err := strconv.Atoi(g)
		if err != nil || k < 2 || k&(k-1) != 0 || k > 1<<MaxPCs {
			p.add(f, "%q is neither a power of two in [2,%d] nor %q/%q/%q", g, 1<<MaxPCs, Fine, Untrained, SSL)
			continue
		}
		if pcsOK && k > 1<<c.Labels.PCs {
			p.add(f, "K=%d needs more than labels.pcs=%d components", k, c.Labels.PCs)
		}
		needSource = true
	}
	if needSource && len(c.LabelSources) == 0 {
		p.add("label_sources", "empty but granularity has K values")
	}
	seenSrc := map[string]int{}
	for i, s := range c.LabelSources {
		f := fmt.Sprintf("label_sources[%d]", i)
		switch {
		case s == SourceFineNet, s == SourcePixels, s == SourceUntrainedNet:
		case strings.HasSuffix(s, ".npy"):
		default:
			p.add(f, "%q is not %s, %s, %s or a .npy file", s, SourceFineNet, SourcePixels, SourceUntrainedNet)
		}
		if j, dup := seenSrc[s]; dup {
			p.add(f, "%q is label_sources[%d] again (the same runs twice)", s, j)
		}
		seenSrc[s] = i
	}
	if len(c.Seeds) == 0 {
		p.add("seeds", "empty")
	}
	seenSeed := map[int]int{}
	for i, s := range c.Seeds {
		if j, dup := seenSeed[s]; dup {
			p.add(fmt.Sprintf("seeds[%d]", i), "%d is seeds[%d] again (the same runs twice)", s, j)
		}
		seenSeed[s] = i
	}
	if len(c.Archs) == 0 {
		p.add("archs", "empty")
	}
	for i, a := range c.Archs {
		validateArch(p, fmt.Sprintf("archs[%d]", i), a)
		for j := range i {
			if c.Archs[j] == a {
				p.add(fmt.Sprintf("archs[%d]", i), "the same as archs[%d] (the same runs twice)", j)
				break
			}
		}
	}
	if sa := c.Labels.SourceArch; sa != (Arch{}) {
		for i, a := range c.Archs {
			check := sa
			if check.InputSize == 0 {
				check.InputSize = a.InputSize
			} else if check.InputSize != a.InputSize {
				p.add("labels.source_arch.input_size", "%d differs from archs[%d].input_size %d (the label source embeds the run's training images; omit the field to use each run's size)", sa.InputSize, i, a.InputSize)
				break
			}
			var q problems
			validateArch(&q, "labels.source_arch", check)
			if len(q.list) > 0 {
				p.list = append(p.list, q.list...)
				break
			}
		}
	}
	validateTrain(p, c.Train)
	validateData(p, c.Data)
	c.Eval.validate(p)
	if c.Eval.CIFAR10H != nil && c.Data.Source != "cifar10" {
		p.add("eval.cifar10h", "needs data.source cifar10 (the readout is fitted on the run's CIFAR-10 training images), not %q", c.Data.Source)
	}
	c.validateChronology(p)
	c.validateFactors(p)
}

// validateArch adds the problems of the architecture setting a (the field f) to p.
func validateArch(p *problems, f string, a Arch) {
	// The registry of package arch (GoMLX-free) knows every architecture pkg/models builds.
	desc, ok := arch.Lookup(a.Name)
	if !ok {
		p.add(f+".name", "%q is not a registered architecture (%s)", a.Name, strings.Join(arch.Names(), ", "))
	}
	if !arch.IsInit(a.Init) {
		p.add(f+".init", "%q is not %s or %s", a.Init, InitTorch, InitHeNormal)
	}
	switch {
	case a.Width == 0:
		p.add(f+".width", "0 must be > 0 (omit the field for width 1)")
	case !ok:
		if !(a.Width > 0) || !finite(a.Width) {
			p.add(f+".width", "%v must be finite and > 0", a.Width)
		}
	default:
		if err := desc.CheckWidth(a.Width); err != nil {
			p.add(f+".width", "%v", err)
		}
	}
	if ok {
		if err := desc.CheckInputSize(a.InputSize); err != nil {
			p.add(f+".input_size", "%v", err)
		}
	} else if a.InputSize < arch.MinInputSize {
		p.add(f+".input_size", "%d: want >= %d", a.InputSize, arch.MinInputSize)
	}
}

// validateTrain adds the problems of the training budget t to p.
func validateTrain(p *problems, t Train) {
	if t.Steps < 0 {
		p.add("train.steps", "%d must be >= 0 (0: train.epochs decides)", t.Steps)
	}
	if !(t.Epochs > 0) && t.Steps <= 0 {
		p.add("train", "epochs or steps must be > 0")
	}
	if t.Batch <= 0 {
		p.add("train.batch", "%d must be > 0", t.Batch)
	}
	if !(t.LR > 0) || !finite(t.LR) {
		p.add("train.lr", "%v must be finite and > 0", t.LR)
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"epochs", t.Epochs}, {"weight_decay", t.WeightDecay}, {"warmup_epochs", t.WarmupEpochs},
		{"label_smoothing", t.LabelSmoothing}, {"clip_norm", t.ClipNorm}} {
		if v.v < 0 || !finite(v.v) {
			p.add("train."+v.name, "%v must be finite and >= 0", v.v)
		}
	}
	if t.LabelSmoothing >= 1 {
		p.add("train.label_smoothing", "%v must be < 1", t.LabelSmoothing)
	}
}

// Validate checks the data settings alone, as Config.Validate does, returning a *ConfigError
// listing every problem: for programs that build a Data themselves (a training command, a
// loader), so that they refuse what a sweep refuses, such as a negative PerClass (which
// reads as "all" where only PerClass > 0 subsets).
func (d Data) Validate() error {
	var p problems
	validateData(&p, d)
	return p.err("")
}

// validateData adds the problems of the data settings d to p.
func validateData(p *problems, d Data) {
	switch d.Source {
	case "cifar10", "fashion-mnist":
	case "images":
		if d.Path == "" {
			p.add("data.path", "empty for source images")
		}
	default:
		p.add("data.source", "%q is not cifar10, fashion-mnist or images", d.Source)
	}
	if j := images.JPEGDecoder(d.JPEG); j != images.JPEGLibjpeg && j != images.JPEGGo {
		p.add("data.jpeg", "%q is not %s or %s", d.JPEG, images.JPEGLibjpeg, images.JPEGGo)
	}
	if d.PerClass < 0 {
		p.add("data.per_class", "%d must be >= 0 (0 keeps every image; a negative number does not mean all)", d.PerClass)
	}
	if !(d.ValFraction >= 0 && d.ValFraction < 1) {
		p.add("data.val_fraction", "%v not in [0,1)", d.ValFraction)
	}
}

// Warnings lists the settings of a valid config that have no effect, for the user to see
// (Runner.Execute logs them with those of CheckRuns): a width on an architecture without a
// width setting, data.path with source cifar10, label sources without K runs.
func (c *Config) Warnings() []string {
	var w []string
	for i, a := range c.Archs {
		if s := archWarning(fmt.Sprintf("archs[%d]", i), a); s != "" {
			w = append(w, s)
		}
	}
	if s := dataWarning(c.Data); s != "" {
		w = append(w, s)
	}
	hasK := false
	for _, g := range c.Granularity {
		if !isBaseline(g) {
			hasK = true
		}
	}
	if len(c.LabelSources) > 0 && !hasK {
		w = append(w, "field label_sources: granularity has no K values, so no run uses the label sources")
	}
	if c.Labels.SourceArch.Name != "" && !slices.Contains(c.LabelSources, SourceFineNet) && !slices.Contains(c.LabelSources, SourceUntrainedNet) {
		w = append(w, "field labels.source_arch: only the fine-net and untrained-net label sources use a network; it is ignored")
	}
	return w
}

// archWarning returns the warning for an architecture setting with no effect, or "".
func archWarning(f string, a Arch) string {
	if desc, ok := arch.Lookup(a.Name); ok && !desc.Width && a.Width != 1 {
		return fmt.Sprintf("field %s.width: %s has no width setting; width %v is ignored (the results table's width column still shows it)", f, a.Name, a.Width)
	}
	return ""
}

// dataWarning returns the warning for data settings with no effect, or "".
func dataWarning(d Data) string {
	if d.Source == "cifar10" && d.Path != "" {
		return fmt.Sprintf("field data.path: %q is ignored with source cifar10 (it reads cifar10-jpg or the binary release in the data folder)", d.Path)
	}
	return ""
}

// Expand returns the grid's runs in a deterministic order: for each arch, for each
// granularity (in the config's order), for each label source (K runs only; the fine and
// untrained baselines do not depend on it), for each seed. Run.Index is the position.
func (c *Config) Expand() []Run {
	var runs []Run
	for _, a := range c.Archs {
		for _, g := range c.Granularity {
			sources := c.LabelSources
			if isBaseline(g) {
				sources = []string{""}
			}
			for _, src := range sources {
				for _, seed := range c.Seeds {
					r := Run{
						Granularity: g,
						LabelSource: src,
						Seed:        seed,
						Arch:        a,
						Train:       c.Train,
						Data:        c.Data,
						Eval:        c.Eval,
					}
					if src != "" {
						r.Labels = c.Labels
					}
					if g == Untrained {
						r.Train = Train{} // no training: the budget must not change the run's identity
					}
					r.Index = len(runs)
					runs = append(runs, r)
				}
			}
		}
	}
	return c.extend(runs)
}
