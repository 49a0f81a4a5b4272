package train

import (
	"fmt"
	"slices"

	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
)

// Objective is what a Trainer minimises: a function from the model's outputs on a batch (the
// logits and every named tap) and the batch (labels and extra targets) to a scalar loss, plus
// the metrics it reports. The trainer has no loss of its own; SmoothedCrossEntropyObjective, the
// study's, is the default. Objectives are values: build one as a struct literal (see
// SoftLabelCrossEntropy), pass it to New with WithObjective.
type Objective struct {
	// Name identifies the objective and its settings. It is stored in config.json
	// (Config.Objective; omitted for DefaultObjective) and a run resumes only with the objective
	// it was started with, so an objective with a setting outside the Config (a loss weight, a
	// tap) should name it ("mse:fc7.post").
	Name string
	// Metrics names the values Loss reports besides the loss, in order: scalar batch means
	// (e.g. "accuracy", a fraction; any float dtype, read as float64), averaged over an epoch's
	// steps and weighted by batch size over evaluation data. "accuracy" fills the accuracy columns of metrics.{jsonl,csv} and the
	// progress bar; the others are recorded under EpochRecord.Metrics.
	Metrics []string
	// Targets names the extra targets every batch must carry (Batch.Targets), in order.
	Targets []string
	// Loss returns the loss to minimise (a scalar: the mean over the batch) and one scalar node
	// per entry of Metrics. It is called twice per trainer: for the training step and for
	// evaluation (LossInput.Training false: inference mode).
	Loss func(in LossInput) (loss *graph.Node, metrics []*graph.Node)
}

// DefaultObjective is the name of the study's objective, SmoothedCrossEntropyObjective.
const DefaultObjective = "smoothed-cross-entropy"

// Outputs is what the model computes for a batch of images.
type Outputs struct {
	// Logits is [n, NumClasses].
	Logits *graph.Node
	// Taps are the activations at the model's named points, in network order
	// (models.Spec.TapNames).
	Taps []models.Tap
}

// Tap returns the activation named name. It panics (a caller bug, found when the graph is
// built) if the model has no such tap.
func (o Outputs) Tap(name string) *graph.Node {
	for _, t := range o.Taps {
		if t.Name == name {
			return t.Node
		}
	}
	names := make([]string, len(o.Taps))
	for i, t := range o.Taps {
		names[i] = t.Name
	}
	panic(fmt.Sprintf("train: the model has no tap %q (taps: %v)", name, names))
}

// LossInput is what an objective sees of one batch.
type LossInput struct {
	// Outputs of the model on the batch's images.
	Outputs
	// Images is the batch's images [n, H, W, C]; Labels its class indices [n] int32.
	Images, Labels *graph.Node
	// Targets holds the batch's extra targets (Objective.Targets), float32 nodes of the shapes
	// the batch gives (Target.Shape).
	Targets map[string]*graph.Node
	// Config is the run's configuration (the model spec; the recipe, e.g. its label smoothing).
	Config Config
	// Scope is the root scope. Variables of the objective (e.g. a read-out of an alignment
	// term) belong in a scope of their own (Scope.In("objective")); trainable ones are optimised
	// with the model's and saved in its checkpoints.
	Scope *model.Scope
	// Training is true for the training step, false for evaluation (inference mode).
	Training bool
}

// Forward runs the model on other images [m, H, W, C] (e.g. a stimulus-set batch carried as a
// target, for an alignment term) with the same variables and mode (models.BuildShared). In
// training mode its batch-norm layers normalise with that batch's statistics; the state the
// pass would update (batch-norm moving averages, the random-number state) is left as the
// training batch's pass left it.
func (in LossInput) Forward(images *graph.Node) Outputs {
	g := images.Graph()
	type saved struct {
		v *model.Variable
		n *graph.Node
	}
	var state []saved
	for v := range in.Scope.Store().IterVariables() {
		if !v.Trainable && v.InUseByGraph(g) {
			state = append(state, saved{v, v.NodeValue(g)})
		}
	}
	logits, taps := models.BuildShared(in.Scope, in.Config.Model, images)
	for _, s := range state {
		s.v.SetNodeValue(s.n)
	}
	return Outputs{Logits: logits, Taps: taps}
}

// Target returns the extra target name. It panics (a caller bug) if the objective did not
// declare it in Objective.Targets.
func (in LossInput) Target(name string) *graph.Node {
	t, ok := in.Targets[name]
	if !ok {
		panic(fmt.Sprintf("train: objective reads target %q it does not declare in Objective.Targets", name))
	}
	return t
}

// check reports what is missing from o.
func (o Objective) check() error {
	switch {
	case o.Name == "":
		return fmt.Errorf("train: objective without a name")
	case o.Loss == nil:
		return fmt.Errorf("train: objective %q has no Loss function", o.Name)
	}
	for i, m := range o.Metrics {
		if m == "" || slices.Contains(o.Metrics[:i], m) {
			return fmt.Errorf("train: objective %q metric names %v: empty or repeated", o.Name, o.Metrics)
		}
	}
	for i, t := range o.Targets {
		if t == "" || slices.Contains(o.Targets[:i], t) {
			return fmt.Errorf("train: objective %q target names %v: empty or repeated", o.Name, o.Targets)
		}
	}
	return nil
}

// SmoothedCrossEntropy is the mean cross-entropy of logits [n,K] against labels [n] smoothed as
// (1-eps)*onehot + eps/K (PyTorch CrossEntropyLoss(label_smoothing=eps)).
func SmoothedCrossEntropy(logits, labels *graph.Node, eps float64) *graph.Node {
	k := logits.Shape().Dimensions[1]
	target := graph.OneHot(labels, k, logits.DType())
	if eps > 0 {
		target = graph.AddScalar(graph.MulScalar(target, 1-eps), eps/float64(k))
	}
	return loss.CategoricalCrossEntropyLogits([]*graph.Node{target}, []*graph.Node{logits})
}

// Accuracy is the fraction of rows of logits [n, K] whose arg-max equals the label (a float64
// scalar: the number of hits divided by n exactly as on the host).
func Accuracy(logits, labels *graph.Node) *graph.Node {
	pred := graph.ArgMax(logits, -1, labels.DType())
	hits := graph.ReduceAllSum(graph.ConvertDType(graph.Equal(pred, labels), dtypes.Float32))
	n := graph.Scalar(logits.Graph(), dtypes.Float64, float64(labels.Shape().Dimensions[0]))
	return graph.Div(graph.ConvertDType(hits, dtypes.Float64), n) // not DivScalar, which multiplies by 1/n
}

// SmoothedCrossEntropyObjective is the study's objective: cross-entropy against the labels
// smoothed by the recipe's LabelSmoothing (PyTorch CrossEntropyLoss(label_smoothing=0.1)),
// reporting the accuracy. It is the default of New.
func SmoothedCrossEntropyObjective() Objective {
	return Objective{
		Name:    DefaultObjective,
		Metrics: []string{"accuracy"},
		Loss: func(in LossInput) (*graph.Node, []*graph.Node) {
			l := SmoothedCrossEntropy(in.Logits, in.Labels, in.Config.Recipe.LabelSmoothing)
			return l, []*graph.Node{Accuracy(in.Logits, in.Labels)}
		},
	}
}

// SoftLabelCrossEntropy is the cross-entropy of the logits against per-image class
// distributions carried by every batch as the target named target ([n, K], rows summing to 1;
// e.g. human label distributions such as CIFAR-10H). It reports the accuracy against the hard
// labels and is named "soft-label-cross-entropy:<target>".
func SoftLabelCrossEntropy(target string) Objective {
	return Objective{
		Name:    "soft-label-cross-entropy:" + target,
		Metrics: []string{"accuracy"},
		Targets: []string{target},
		Loss: func(in LossInput) (*graph.Node, []*graph.Node) {
			p := in.Target(target)
			if !slices.Equal(p.Shape().Dimensions, in.Logits.Shape().Dimensions) {
				panic(fmt.Sprintf("train: soft-label target %q has shape %v, the logits %v", target, p.Shape().Dimensions, in.Logits.Shape().Dimensions))
			}
			l := loss.CategoricalCrossEntropyLogits([]*graph.Node{p}, []*graph.Node{in.Logits})
			return l, []*graph.Node{Accuracy(in.Logits, in.Labels)}
		},
	}
}
