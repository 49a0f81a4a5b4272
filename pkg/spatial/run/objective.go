package run

import (
	"sort"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/spatial"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// TargetName is the name of the regression target a batch carries.
const TargetName = "latents"

// Objective is the loss of t for k categories: the weighted sum of the category's smoothed
// cross-entropy (the recipe's label smoothing) on the first k outputs and, for each regression
// latent, the mean squared error of its columns (outputs k.. in Columns order) against the
// standardised targets. It reports "accuracy" (with the category) and "mse" (the mean over
// regression columns, with any). Its name holds the latents and weights, so a run resumes only
// with the same target.
func Objective(t spatial.TargetSet, k int) train.Objective {
	cols := spatial.Columns(t.Latents)
	cat := 0
	if t.HasCategory() {
		cat = k
	}
	var parts []string
	for _, l := range t.Latents {
		parts = append(parts, l+"*"+strconv.FormatFloat(t.Weight(l), 'g', -1, 64))
	}
	sort.Strings(parts)
	o := train.Objective{Name: "spatial:" + strings.Join(parts, "+") + ":k" + strconv.Itoa(k)}
	if cat > 0 {
		o.Metrics = append(o.Metrics, "accuracy")
	}
	if len(cols) > 0 {
		o.Metrics = append(o.Metrics, "mse")
		o.Targets = []string{TargetName}
	}
	o.Loss = func(in train.LossInput) (*graph.Node, []*graph.Node) {
		logits := in.Logits
		var total *graph.Node
		add := func(x *graph.Node, w float64) {
			x = graph.MulScalar(x, w)
			if total == nil {
				total = x
			} else {
				total = graph.Add(total, x)
			}
		}
		var metrics []*graph.Node
		if cat > 0 {
			lg := graph.Slice(logits, graph.AxisRange(), graph.AxisRange(0, cat))
			add(train.SmoothedCrossEntropy(lg, in.Labels, in.Config.Recipe.LabelSmoothing), t.Weight(spatial.Category))
			metrics = append(metrics, train.Accuracy(lg, in.Labels))
		}
		if len(cols) > 0 {
			pred := graph.Slice(logits, graph.AxisRange(), graph.AxisRange(cat, cat+len(cols)))
			y := graph.ConvertDType(in.Target(TargetName), pred.DType())
			sq := graph.Square(graph.Sub(pred, y)) // [n, cols]
			for j := 0; j < len(cols); {
				l := cols[j].Latent
				w := 1
				if j+1 < len(cols) && cols[j+1].Latent == l {
					w = 2
				}
				part := graph.ReduceAllMean(graph.Slice(sq, graph.AxisRange(), graph.AxisRange(j, j+w)))
				add(part, t.Weight(l))
				j += w
			}
			metrics = append(metrics, graph.ConvertDType(graph.ReduceAllMean(sq), dtypes.Float64))
		}
		return total, metrics
	}
	return o
}
