package objectives

import (
	"fmt"
	"iter"
	"maps"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/train/loss"
)

// Names of the extra targets an alignment objective reads from every batch (train.Batch.Targets).
const (
	// TargetStimuli is the stimulus batch [m, H, W, C] (normalised like the training images).
	TargetStimuli = "stimuli"
	// TargetRDM is the target RDM on those stimuli [m, m] (loss "rdm" and "soft-spearman").
	TargetRDM = "target_rdm"
	// TargetCoords is the target coordinates [m, k] (loss "encoding": classical MDS of the RDM).
	TargetCoords = "target_coords"
	// TargetTeacher holds per-image class probabilities [n, K] of a frozen copy of the starting
	// model (task "distill").
	TargetTeacher = "teacher"
)

// Alignment describes a brain-guided objective: a task term plus Beta times an alignment term
// computed on a stimulus batch passed through the model beside each training batch
// (train.LossInput.Forward, which leaves the batch-norm averages alone).
type Alignment struct {
	// Loss is the alignment term: "rdm" (1 - Pearson of the RDM upper triangles),
	// "soft-spearman" (1 - Pearson of soft ranks, an approximation of Spearman; Tau) or
	// "encoding" (a linear head per layer to Dims MDS coordinates; ReAlnet's MSE + correlation
	// loss).
	Loss string
	// Layers are the taps carrying the term (the RDM loss is averaged over them; the encoding
	// head reads them concatenated).
	Layers []string
	// Beta is the weight of the alignment term (0: the term is computed and reported but does
	// not train).
	Beta float64
	// Tau is the soft-rank temperature (dissimilarity units) of "soft-spearman".
	Tau float64
	// Dims is the number of target coordinates of "encoding".
	Dims int
	// Task is "ce" (the recipe's smoothed cross-entropy on the batch labels) or "distill"
	// (cross-entropy against TargetTeacher, ReAlnet's task term).
	Task string
}

// Validate reports the first bad field.
func (a Alignment) Validate() error {
	switch {
	case a.Loss != "rdm" && a.Loss != "soft-spearman" && a.Loss != "encoding":
		return fmt.Errorf("objectives: alignment loss %q (rdm, soft-spearman, encoding)", a.Loss)
	case len(a.Layers) == 0:
		return fmt.Errorf("objectives: alignment without layers")
	case !(a.Beta >= 0) || a.Beta > 1e6:
		return fmt.Errorf("objectives: beta %g, want a finite value >= 0", a.Beta)
	case a.Loss == "soft-spearman" && !(a.Tau > 0):
		return fmt.Errorf("objectives: soft-spearman tau %g, want > 0", a.Tau)
	case a.Loss == "encoding" && a.Dims < 2:
		return fmt.Errorf("objectives: encoding dims %d, want >= 2", a.Dims)
	case a.Task != "ce" && a.Task != "distill":
		return fmt.Errorf("objectives: task %q (ce, distill)", a.Task)
	}
	return nil
}

// Name identifies the objective and its settings (train.Objective.Name).
func (a Alignment) Name() string {
	s := fmt.Sprintf("%s+%g*%s:%s", a.Task, a.Beta, a.Loss, strings.Join(a.Layers, ","))
	switch a.Loss {
	case "soft-spearman":
		s += fmt.Sprintf(":tau=%g", a.Tau)
	case "encoding":
		s += fmt.Sprintf(":dims=%d", a.Dims)
	}
	return s
}

// Targets lists the batch targets the objective reads.
func (a Alignment) Targets() []string {
	t := []string{TargetStimuli}
	if a.Loss == "encoding" {
		t = append(t, TargetCoords)
	} else {
		t = append(t, TargetRDM)
	}
	if a.Task == "distill" {
		t = append(t, TargetTeacher)
	}
	return t
}

// Objective returns the train.Objective: loss = task + Beta * alignment, reporting
// "accuracy", "task" and "align" (the alignment term's value).
func (a Alignment) Objective() (train.Objective, error) {
	if err := a.Validate(); err != nil {
		return train.Objective{}, err
	}
	return train.Objective{
		Name:    a.Name(),
		Metrics: []string{"accuracy", "task", "align"},
		Targets: a.Targets(),
		Loss: func(in train.LossInput) (*graph.Node, []*graph.Node) {
			var task *graph.Node
			if a.Task == "distill" {
				task = loss.CategoricalCrossEntropyLogits([]*graph.Node{in.Target(TargetTeacher)}, []*graph.Node{in.Logits})
			} else {
				task = train.SmoothedCrossEntropy(in.Logits, in.Labels, in.Config.Recipe.LabelSmoothing)
			}
			out := in.Forward(in.Target(TargetStimuli))
			acts := make([]*graph.Node, len(a.Layers))
			for i, l := range a.Layers {
				acts[i] = out.Tap(l)
			}
			var align *graph.Node
			switch a.Loss {
			case "encoding":
				c := in.Target(TargetCoords)
				pred := EncodingHead(in.Scope.In("objective").In("encoding-head"), c.Shape().Dimensions[1], acts...)
				align = EncodingLoss(pred, c).Loss
			default:
				kind, tau := PearsonKind, 0.0
				if a.Loss == "soft-spearman" {
					kind, tau = SoftSpearmanKind, a.Tau
				}
				for _, x := range acts {
					l := RDMLoss(x, in.Target(TargetRDM), kind, tau)
					if align == nil {
						align = l
					} else {
						align = graph.Add(align, l)
					}
				}
				align = graph.DivScalar(align, float64(len(acts)))
			}
			align = graph.ConvertDType(align, task.DType())
			total := graph.Add(task, graph.MulScalar(align, a.Beta))
			return total, []*graph.Node{train.Accuracy(in.Logits, in.Labels), task, align}
		},
	}, nil
}

// WithTargets returns d whose every batch also carries the whole-tensor targets extra (e.g.
// TargetStimuli and TargetRDM), beside its per-image targets.
func WithTargets(d train.Data, extra map[string]train.Target) train.Data {
	return withTargets{d, extra}
}

type withTargets struct {
	train.Data
	extra map[string]train.Target
}

func (w withTargets) Epoch(e int) iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		for b, err := range w.Data.Epoch(e) {
			t := make(map[string]train.Target, len(b.Targets)+len(w.extra))
			maps.Copy(t, b.Targets)
			maps.Copy(t, w.extra)
			b.Targets = t
			if !yield(b, err) {
				return
			}
		}
	}
}
