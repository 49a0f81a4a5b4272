package objectives

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func newBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randn(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

// matrix returns data as an [m][d] slice for tensors.FromValue.
func matrix(data []float64, m, d int) [][]float64 {
	out := make([][]float64, m)
	for i := range out {
		out[i] = data[i*d : (i+1)*d]
	}
	return out
}

// call runs fn on the given float64 matrices and returns its scalar output(s).
func call[F graph.ExecGraphFn](t *testing.T, b compute.Backend, fn F, args ...any) []float64 {
	t.Helper()
	exec, err := graph.NewExec(b, fn)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call(args...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([]float64, len(outs))
	for i, o := range outs {
		res[i] = tensors.ToScalar[float64](o)
	}
	return res
}

// The graph's RDM loss equals 1 - rsa.Compare(Corr) of pkg/rsa's correlation RDMs of the same
// patterns (the reference: rsatoolbox calc_rdm "correlation" and compare "corr"), to 1e-5 in
// float32 and 1e-10 in float64; the soft-rank variant approaches 1 - Spearman as tau shrinks.
func TestRDMLossMatchesRSA(t *testing.T) {
	b := newBackend(t)
	r := rand.New(rand.NewPCG(1, 2))
	const m, d, dt = 12, 9, 5
	x := randn(r, m*d)
	y := randn(r, m*dt)
	mx, err := rsa.RDMFromPatternSlice("x", x, m, d, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	ty, err := rsa.RDMFromPatternSlice("target", y, m, dt, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := 1 - rsa.MustCompare(mx, ty, rsa.Corr)
	wantSpearman := 1 - rsa.MustCompare(mx, ty, rsa.Spearman)
	sq := matrix(ty.Square(), m, m)
	got := call(t, b, func(a, tg *graph.Node) []*graph.Node {
		return []*graph.Node{RDMLoss(a, tg, PearsonKind, 0)}
	}, matrix(x, m, d), sq)[0]
	if math.Abs(got-want) > 1e-10 {
		t.Errorf("float64 RDM loss %.12f, pkg/rsa 1 - corr %.12f", got, want)
	}
	x32 := make([][]float32, m)
	for i := range x32 {
		x32[i] = make([]float32, d)
		for j := range d {
			x32[i][j] = float32(x[i*d+j])
		}
	}
	got32 := call32(t, b, func(a, tg *graph.Node) []*graph.Node {
		return []*graph.Node{RDMLoss(a, tg, PearsonKind, 0)}
	}, x32, sq)
	if math.Abs(got32-want) > 1e-5 {
		t.Errorf("float32 RDM loss %.8f, pkg/rsa 1 - corr %.8f", got32, want)
	}
	// Soft ranks: the gap to 1 - Spearman shrinks with tau (the pair dissimilarities of 12
	// random patterns are ~0.1 apart at the closest, so tau = 1e-4 is nearly exact).
	prev := math.Inf(1)
	for _, tau := range []float64{0.1, 0.01, 1e-4} {
		s := call(t, b, func(a, tg *graph.Node) []*graph.Node {
			return []*graph.Node{RDMLoss(a, tg, SoftSpearmanKind, tau)}
		}, matrix(x, m, d), sq)[0]
		gap := math.Abs(s - wantSpearman)
		if gap > prev+1e-12 {
			t.Errorf("tau %g: soft-rank loss %.6f is further from 1 - Spearman %.6f than at a larger tau", tau, s, wantSpearman)
		}
		prev = gap
	}
	if prev > 1e-3 {
		t.Errorf("soft-rank loss at tau 1e-4 is %.2g from 1 - Spearman %.6f", prev, wantSpearman)
	}
	// The vector form is pkg/rdm's: check UpperTriangle against rdm.Index.
	vec := callVec(t, b, func(a *graph.Node) *graph.Node { return UpperTriangle(a) }, sq)
	for i := range m {
		for j := i + 1; j < m; j++ {
			if vec[rdm.Index(m, i, j)] != ty.At(i, j) {
				t.Fatalf("upper triangle (%d,%d) = %g, want %g", i, j, vec[rdm.Index(m, i, j)], ty.At(i, j))
			}
		}
	}
}

func call32[F graph.ExecGraphFn](t *testing.T, b compute.Backend, fn F, args ...any) float64 {
	t.Helper()
	exec, err := graph.NewExec(b, fn)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call(args...)
	if err != nil {
		t.Fatal(err)
	}
	return float64(tensors.ToScalar[float32](outs[0]))
}

func callVec[F graph.ExecGraphFn](t *testing.T, b compute.Backend, fn F, args ...any) []float64 {
	t.Helper()
	exec, err := graph.NewExec(b, fn)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call(args...)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float64](outs[0])
}

// A small model: activations = relu(inputs W1) W2 with inputs [m, p]; the analytic gradients of
// every loss with respect to W1 (through the RDM, the soft ranks and the encoding head's
// correlation terms) match central finite differences in float64.
func TestLossGradientsMatchFiniteDifferences(t *testing.T) {
	b := newBackend(t)
	r := rand.New(rand.NewPCG(3, 4))
	const m, p, h, k = 8, 5, 6, 4
	in := matrix(randn(r, m*p), m, p)
	w1 := randn(r, p*h)
	w2 := matrix(randn(r, h*k), h, k)
	tgtRDM, err := rsa.RDMFromPatternSlice("t", randn(r, m*3), m, 3, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	tgt := matrix(tgtRDM.Square(), m, m)
	coords := matrix(randn(r, m*k), m, k)
	acts := func(x, w1, w2 *graph.Node) *graph.Node {
		return graph.MatMul(graph.Max(graph.MatMul(x, w1), graph.ZerosLike(graph.MatMul(x, w1))), w2)
	}
	losses := map[string]func(a, tg, c *graph.Node) *graph.Node{
		"rdm-pearson":  func(a, tg, c *graph.Node) *graph.Node { return RDMLoss(a, tg, PearsonKind, 0) },
		"rdm-softrank": func(a, tg, c *graph.Node) *graph.Node { return RDMLoss(a, tg, SoftSpearmanKind, 0.05) },
		"encoding":     func(a, tg, c *graph.Node) *graph.Node { return EncodingLoss(a, c).Loss },
		"correlation-terms": func(a, tg, c *graph.Node) *graph.Node {
			e := EncodingLoss(a, c)
			return graph.Sub(e.Mismatched, e.Matched)
		},
	}
	for name, lf := range losses {
		fn := func(x, w1, w2, tg, c *graph.Node) []*graph.Node {
			l := lf(acts(x, w1, w2), tg, c)
			return []*graph.Node{l, graph.Gradient(l, w1)[0]}
		}
		exec, err := graph.NewExec(b, fn)
		if err != nil {
			t.Fatal(err)
		}
		eval := func(w []float64) (float64, []float64) {
			outs, err := exec.Call(in, matrix(w, p, h), w2, tgt, coords)
			if err != nil {
				t.Fatal(err)
			}
			return tensors.ToScalar[float64](outs[0]), tensors.MustCopyFlatData[float64](outs[1])
		}
		_, grad := eval(w1)
		const eps = 1e-6
		var norm float64
		for i := range w1 {
			wp := append([]float64(nil), w1...)
			wm := append([]float64(nil), w1...)
			wp[i] += eps
			wm[i] -= eps
			lp, _ := eval(wp)
			lm, _ := eval(wm)
			fd := (lp - lm) / (2 * eps)
			norm += grad[i] * grad[i]
			if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: dL/dW1[%d] = %.9f, central difference %.9f", name, i, grad[i], fd)
			}
		}
		if !(norm > 1e-8) {
			t.Errorf("%s: gradient norm^2 %g: the loss does not reach the weights", name, norm)
		}
	}
}

// The correlation terms of the encoding loss carry gradient to the head and the network (the
// public ReAlnet code detaches them): with the MSE removed, the gradient with respect to the
// head's input is non-zero and equals the finite difference (checked above as
// "correlation-terms"); here the same holds for the weights of a linear head.
func TestEncodingCorrelationTermsHaveGradient(t *testing.T) {
	b := newBackend(t)
	r := rand.New(rand.NewPCG(5, 6))
	const m, d, k = 10, 7, 4
	x := matrix(randn(r, m*d), m, d)
	c := matrix(randn(r, m*k), m, k)
	w := matrix(randn(r, d*k), d, k)
	fn := func(x, w, c *graph.Node) []*graph.Node {
		e := EncodingLoss(graph.MatMul(x, w), c) // a linear head with weights w
		corr := graph.Sub(e.Mismatched, e.Matched)
		return []*graph.Node{graph.ReduceAllSum(graph.Square(graph.Gradient(corr, w)[0])), e.Matched, e.Mismatched}
	}
	out := call(t, b, fn, x, w, c)
	if !(out[0] > 1e-6) {
		t.Errorf("squared norm of the correlation terms' gradient %g, want > 0", out[0])
	}
	if out[1] < -1 || out[1] > 1 || out[2] < -1 || out[2] > 1 {
		t.Errorf("matched %g, mismatched %g: correlations outside [-1, 1]", out[1], out[2])
	}
}

// Classical MDS of Euclidean distances recovers them: the coordinates' pairwise distances equal
// the input's up to the unit-RMS scale (Torgerson 1952: exact for a Euclidean configuration in
// as many dimensions as it spans).
func TestClassicalMDSRecoversEuclidean(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const m, dim = 9, 3
	pts := randn(r, m*dim)
	sq := make([]float64, m*m)
	for i := range m {
		for j := range m {
			var s float64
			for c := range dim {
				dd := pts[i*dim+c] - pts[j*dim+c]
				s += dd * dd
			}
			sq[i*m+j] = math.Sqrt(s)
		}
	}
	coords, kept, err := ClassicalMDS(sq, m, dim)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(kept-1) > 1e-9 {
		t.Errorf("kept eigenvalue fraction %g, want 1", kept)
	}
	var a, bb []float64
	for i := range m {
		for j := i + 1; j < m; j++ {
			var s float64
			for c := range dim {
				dd := coords[i*dim+c] - coords[j*dim+c]
				s += dd * dd
			}
			a = append(a, math.Sqrt(s))
			bb = append(bb, sq[i*m+j])
		}
	}
	ratio := a[0] / bb[0]
	for i := range a {
		if math.Abs(a[i]/bb[i]-ratio) > 1e-9 {
			t.Fatalf("pair %d: distance ratio %g, want %g (a similarity transform)", i, a[i]/bb[i], ratio)
		}
	}
	if r := stats.Pearson(a, bb); r < 1-1e-12 {
		t.Errorf("distance correlation %g", r)
	}
	if _, _, err := ClassicalMDS(sq[:10], m, 2); err == nil {
		t.Error("MDS accepted a wrong-size matrix")
	}
	sq[5] = math.NaN()
	if _, _, err := ClassicalMDS(sq, m, 2); err == nil {
		t.Error("MDS accepted NaN")
	}
}
