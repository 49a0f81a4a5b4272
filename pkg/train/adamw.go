package train

import (
	"fmt"
	"math"
	"sort"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// AdamWScope is the absolute scope of the optimizer's moment variables.
const AdamWScope = "/adamw"

// DecayedVariableName is the name of the variables that get weight decay: the kernels of
// layers.Dense and layers.Convolution. Biases, batch-norm and layer-norm parameters, the ViT class
// token and position embedding are not decayed (the study: "weight decay on weights only").
const DecayedVariableName = "weights"

// AdamW is the study's optimizer: PyTorch's AdamW (decoupled weight decay) applied after
// clipping the gradients by their global norm, with the learning-rate schedule of Recipe.
// It implements GoMLX's optimizer.Interface; Update also returns the rate and gradient norm.
type AdamW struct {
	Recipe      Recipe
	WarmupSteps int // resolved warm-up length in steps.
	TotalSteps  int // planned number of steps (end of the cosine).
}

var _ optimizer.Interface = (*AdamW)(nil)

// UpdateGraph implements optimizer.Interface.
func (o *AdamW) UpdateGraph(scope *model.Scope, g *graph.Graph, loss *graph.Node) {
	o.Update(scope, loss)
}

// Clear implements optimizer.Interface: it deletes the moment variables.
func (o *AdamW) Clear(scope *model.Scope) error {
	return scope.Store().DeleteVariablesInScope(AdamWScope)
}

// Update adds one optimisation step to the graph of loss: it increments the global step
// (GoMLX's optimizer.GlobalStepVariableName, an int64 variable at the root) and updates every
// trainable variable used by the graph. It returns the learning rate used and the global
// gradient norm before clipping (float32 scalars).
//
// With step t = the global step before the update (0-based), and for each variable p with
// gradient g (after clipping g *= min(1, clip/(norm+1e-6)), as torch.nn.utils.clip_grad_norm_):
//
//	p -= lr*wd*p                        (only variables named "weights")
//	m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//	p -= lr * (m/(1-b1^(t+1))) / (sqrt(v/(1-b2^(t+1))) + eps)
//
// which is torch.optim.AdamW's update (amsgrad=False).
func (o *AdamW) Update(scope *model.Scope, loss *graph.Node) (lr, gradNorm *graph.Node) {
	g := loss.Graph()
	dtype := dtypes.Float32
	store := scope.Store()
	var vars []*model.Variable
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	if len(grads) != len(vars) {
		panic(fmt.Sprintf("train: %d gradients for %d trainable variables", len(grads), len(vars)))
	}
	// The store iterates variables in creation order, which differs between a run built from
	// scratch and one whose variables were created by loading a checkpoint. The global norm is a
	// float32 sum over them, so it is summed in path order: the same bits however the run started.
	order := make([]int, len(vars))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vars[order[a]].Path() < vars[order[b]].Path() })

	// Step counter and schedule.
	stepVar := optimizer.GetGlobalStepVar(store)
	step := stepVar.NodeValue(g) // int64, steps done before this one.
	stepVar.SetNodeValue(graph.AddScalar(step, 1))
	t := graph.ConvertDType(step, dtype)
	lr = o.scheduleGraph(t)
	t1 := graph.AddScalar(t, 1)

	// Global gradient norm and clipping.
	var sq *graph.Node
	for _, i := range order {
		s := graph.ReduceAllSum(graph.Square(graph.ConvertDType(grads[i], dtype)))
		if sq == nil {
			sq = s
		} else {
			sq = graph.Add(sq, s)
		}
	}
	gradNorm = graph.Sqrt(sq)
	clipCoef := graph.ScalarOne(g, dtype)
	if o.Recipe.ClipNorm > 0 {
		// torch.nn.utils.clip_grad_norm_: coef = max_norm/(total_norm+1e-6), clamped to 1.
		coef := graph.Div(graph.Scalar(g, dtype, o.Recipe.ClipNorm), graph.AddScalar(gradNorm, 1e-6))
		clipCoef = graph.Min(coef, graph.ScalarOne(g, dtype))
	}

	b1, b2 := o.Recipe.Beta1, o.Recipe.Beta2
	bias1 := graph.OneMinus(graph.Pow(graph.Scalar(g, dtype, b1), t1)) // 1-b1^(t+1)
	bias2 := graph.OneMinus(graph.Pow(graph.Scalar(g, dtype, b2), t1))
	for i, v := range vars {
		gr := graph.Mul(graph.ConvertDType(grads[i], dtype), clipCoef)
		p := v.NodeValue(g)
		m1v, m2v := momentVars(store, v)
		m := graph.Add(graph.MulScalar(m1v.NodeValue(g), b1), graph.MulScalar(gr, 1-b1))
		s := graph.Add(graph.MulScalar(m2v.NodeValue(g), b2), graph.MulScalar(graph.Square(gr), 1-b2))
		m1v.SetNodeValue(m)
		m2v.SetNodeValue(s)
		if v.Name() == DecayedVariableName && o.Recipe.WeightDecay > 0 {
			p = graph.Sub(p, graph.Mul(graph.MulScalar(lr, o.Recipe.WeightDecay), p))
		}
		denom := graph.AddScalar(graph.Sqrt(graph.Div(s, bias2)), o.Recipe.Epsilon)
		upd := graph.Div(graph.Div(m, bias1), denom)
		p = graph.Sub(p, graph.Mul(lr, upd))
		v.SetNodeValue(p)
	}
	return lr, gradNorm
}

// scheduleGraph is Recipe.LearningRateAt in the graph, for t a float32 scalar.
func (o *AdamW) scheduleGraph(t *graph.Node) *graph.Node {
	g := t.Graph()
	dtype := t.DType()
	r := o.Recipe
	peak := graph.Scalar(g, dtype, r.LearningRate)
	warm := float64(o.WarmupSteps)
	span := float64(o.TotalSteps - o.WarmupSteps)
	cosine := peak
	if span > 0 {
		p := graph.MinScalar(graph.DivScalar(graph.AddScalar(t, -warm), span), 1)
		p = graph.MaxScalar(p, 0)
		lo := r.MinLRFactor * r.LearningRate
		half := graph.MulScalar(graph.OnePlus(graph.Cos(graph.MulScalar(p, math.Pi))), 0.5)
		cosine = graph.AddScalar(graph.MulScalar(half, r.LearningRate-lo), lo)
	}
	if o.WarmupSteps <= 0 {
		return cosine
	}
	f := graph.AddScalar(graph.MulScalar(graph.DivScalar(t, warm), 1-r.WarmupStart), r.WarmupStart)
	warmup := graph.Mul(peak, f)
	return graph.Where(graph.LessThan(t, graph.Scalar(g, dtype, warm)), warmup, cosine)
}

// momentVars returns (creating them at zero) the first and second moments of v.
func momentVars(store *model.Store, v *model.Variable) (m1, m2 *model.Variable) {
	sc := store.Scope(model.JoinPath(AdamWScope, v.Scope())).WithInitializer(initializer.Zero)
	shape := v.Shape().Clone()
	shape.DType = dtypes.Float32
	m1 = sc.VariableWithShape(v.Name()+"_m1", shape).SetTrainable(false)
	m2 = sc.VariableWithShape(v.Name()+"_m2", shape).SetTrainable(false)
	return
}
