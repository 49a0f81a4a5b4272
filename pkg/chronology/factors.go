package chronology

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/coarsealign/coarsealign/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// Obs is the alignment of one trained network with one target: the score of its selected
// layer (the main study's split-half selection) on all stimuli (Value) and on the paired
// stimulus subsamples (Draws, the same subsamples for every network).
type Obs struct {
	Run      string
	Width    float64
	Params   int
	PerClass int
	Epochs   float64
	Domain   string
	Seed     int
	Target   string
	Layer    string
	Value    float64
	Draws    []float64
}

// Factor names of Effects and the model.
const (
	FactorSize   = "size"
	FactorImages = "images"
	FactorEpochs = "epochs"
	FactorDomain = "domain"
)

// level returns o's level of factor f as a sortable number and a label.
func level(o Obs, f string) (float64, string) {
	switch f {
	case FactorSize:
		return float64(o.Params), fmt.Sprintf("%d params (width %g)", o.Params, o.Width)
	case FactorImages:
		return float64(o.PerClass), fmt.Sprintf("%d per class", o.PerClass)
	case FactorEpochs:
		return o.Epochs, fmt.Sprintf("%g epochs", o.Epochs)
	}
	return 0, o.Domain
}

// cellKey identifies o's cell of the factors other than f (and the seed).
func cellKey(o Obs, f string) string {
	k := o.Target
	for _, g := range []string{FactorSize, FactorImages, FactorEpochs, FactorDomain} {
		if g != f {
			_, l := level(o, g)
			k += "|" + l
		}
	}
	return k
}

// Effect is the effect of one factor on alignment with one target: the mean, over the cells
// of the other factors, of the alignment at the factor's highest level minus that at its lowest
// (for the domain: the second domain minus the first, in the order of the observations), with
// a bootstrap interval over stimulus subsamples and, within each cell, seeds.
type Effect struct {
	Target, Factor string
	// From and To are the levels compared (To minus From); Cells is the number of cells.
	From, To string
	Cells    int
	Estimate
}

// Effects returns the effect of every factor with at least two levels, per target (targets
// and factors in first-seen order). seed seeds the seed resampling.
func Effects(obs []Obs, seed uint64) []Effect {
	var out []Effect
	for _, t := range targetsOf(obs) {
		var to []Obs
		for _, o := range obs {
			if o.Target == t {
				to = append(to, o)
			}
		}
		for _, f := range []string{FactorSize, FactorImages, FactorEpochs, FactorDomain} {
			if e, ok := effect(to, f, seed); ok {
				out = append(out, e)
			}
		}
	}
	return out
}

func targetsOf(obs []Obs) []string {
	var ts []string
	for _, o := range obs {
		if !slices.Contains(ts, o.Target) {
			ts = append(ts, o.Target)
		}
	}
	return ts
}

func effect(obs []Obs, f string, seed uint64) (Effect, bool) {
	e := Effect{Target: obs[0].Target, Factor: f}
	var lo, hi float64
	first := true
	domains := []string{}
	for _, o := range obs {
		v, l := level(o, f)
		if f == FactorDomain {
			if !slices.Contains(domains, o.Domain) {
				domains = append(domains, o.Domain)
			}
			continue
		}
		if first || v < lo {
			lo, e.From = v, l
		}
		if first || v > hi {
			hi, e.To = v, l
		}
		first = false
	}
	isLow := func(o Obs) bool { v, _ := level(o, f); return v == lo }
	isHigh := func(o Obs) bool { v, _ := level(o, f); return v == hi }
	if f == FactorDomain {
		if len(domains) < 2 {
			return e, false
		}
		e.From, e.To = domains[0], domains[1]
		isLow = func(o Obs) bool { return o.Domain == domains[0] }
		isHigh = func(o Obs) bool { return o.Domain == domains[1] }
	} else if lo == hi {
		return e, false
	}
	// cells[key] = [low seeds' observations, high seeds' observations]
	cells := map[string]*[2][]Obs{}
	var keys []string
	for _, o := range obs {
		k := cellKey(o, f)
		c := cells[k]
		if c == nil {
			c = &[2][]Obs{}
			cells[k] = c
			keys = append(keys, k)
		}
		switch {
		case isLow(o):
			c[0] = append(c[0], o)
		case isHigh(o):
			c[1] = append(c[1], o)
		}
	}
	var use []string
	for _, k := range keys {
		if len(cells[k][0]) > 0 && len(cells[k][1]) > 0 {
			use = append(use, k)
		}
	}
	if len(use) == 0 {
		return e, false
	}
	e.Cells = len(use)
	diff := func(val func(o Obs) float64, pick func(n int) []int) float64 {
		sum := 0.0
		for _, k := range use {
			var m [2]float64
			for side := range 2 {
				os := cells[k][side]
				idx := pick(len(os))
				for _, i := range idx {
					m[side] += val(os[i])
				}
				m[side] /= float64(len(idx))
			}
			sum += m[1] - m[0]
		}
		return sum / float64(len(use))
	}
	all := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	full := diff(func(o Obs) float64 { return o.Value }, all)
	rng := stats.NewRand(seed)
	nd := len(obs[0].Draws)
	draws := make([]float64, nd)
	for d := range nd {
		draws[d] = diff(func(o Obs) float64 { return o.Draws[d] }, func(n int) []int { return stats.BootstrapIndices(rng, n) })
	}
	e.Estimate = estimate(full, draws)
	return e, true
}

// Coef is one coefficient of the alignment model with its bootstrap interval.
type Coef struct {
	Target, Term string
	Estimate
}

// Model fits, per target, alignment ~ 1 + log2(params) + log2(images per class) [+ log2(epochs)]
// + one indicator per domain after the first (terms whose factor has a single level are left
// out), by least squares (gonum mat.Dense.Solve, QR), on the full-sample values and on every
// subsample draw with the observations resampled with replacement within their seed-free cell;
// it returns the coefficients with percentile intervals and each target's R^2 (term "R2").
func Model(obs []Obs, seed uint64) ([]Coef, error) {
	var out []Coef
	rng := stats.NewRand(seed)
	for _, t := range targetsOf(obs) {
		var to []Obs
		for _, o := range obs {
			if o.Target == t {
				to = append(to, o)
			}
		}
		terms, design := designOf(to)
		n, p := len(to), len(terms)
		if n <= p {
			return nil, fmt.Errorf("chronology: target %s: %d networks for %d model terms", t, n, p)
		}
		fit := func(rows []int, val func(o Obs) float64) ([]float64, float64) {
			x := mat.NewDense(len(rows), p, nil)
			y := mat.NewVecDense(len(rows), nil)
			for i, r := range rows {
				x.SetRow(i, design[r])
				y.SetVec(i, val(to[r]))
			}
			var b mat.VecDense
			if err := b.SolveVec(x, y); err != nil {
				return nil, math.NaN()
			}
			var pred mat.VecDense
			pred.MulVec(x, &b)
			mean := mat.Sum(y) / float64(len(rows))
			ss, sr := 0.0, 0.0
			for i := range rows {
				ss += (y.AtVec(i) - mean) * (y.AtVec(i) - mean)
				sr += (y.AtVec(i) - pred.AtVec(i)) * (y.AtVec(i) - pred.AtVec(i))
			}
			return b.RawVector().Data, 1 - sr/ss
		}
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		full, r2 := fit(all, func(o Obs) float64 { return o.Value })
		if full == nil {
			return nil, fmt.Errorf("chronology: target %s: the model's design is singular", t)
		}
		groups := map[string][]int{}
		var keys []string
		for i, o := range to {
			k := cellKey(o, "")
			if groups[k] == nil {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], i)
		}
		sort.Strings(keys)
		nd := len(to[0].Draws)
		coefDraws := make([][]float64, p)
		r2Draws := make([]float64, nd)
		for d := range nd {
			var rows []int
			for _, k := range keys {
				g := groups[k]
				for _, j := range stats.BootstrapIndices(rng, len(g)) {
					rows = append(rows, g[j])
				}
			}
			b, r := fit(rows, func(o Obs) float64 { return o.Draws[d] })
			for j := range p {
				v := math.NaN()
				if b != nil {
					v = b[j]
				}
				coefDraws[j] = append(coefDraws[j], v)
			}
			r2Draws[d] = r
		}
		for j, term := range terms {
			out = append(out, Coef{Target: t, Term: term, Estimate: estimate(full[j], coefDraws[j])})
		}
		out = append(out, Coef{Target: t, Term: "R2", Estimate: estimate(r2, r2Draws)})
	}
	return out, nil
}

// designOf returns the model's terms and design rows for obs.
func designOf(obs []Obs) ([]string, [][]float64) {
	distinct := func(f func(o Obs) float64) bool {
		for _, o := range obs {
			if f(o) != f(obs[0]) {
				return true
			}
		}
		return false
	}
	var domains []string
	for _, o := range obs {
		if !slices.Contains(domains, o.Domain) {
			domains = append(domains, o.Domain)
		}
	}
	terms := []string{"intercept"}
	useP := distinct(func(o Obs) float64 { return float64(o.Params) })
	useI := distinct(func(o Obs) float64 { return float64(o.PerClass) })
	useE := distinct(func(o Obs) float64 { return o.Epochs })
	if useP {
		terms = append(terms, "log2(params)")
	}
	if useI {
		terms = append(terms, "log2(images per class)")
	}
	if useE {
		terms = append(terms, "log2(epochs)")
	}
	for _, d := range domains[1:] {
		terms = append(terms, "domain="+d)
	}
	rows := make([][]float64, len(obs))
	for i, o := range obs {
		r := []float64{1}
		if useP {
			r = append(r, math.Log2(float64(o.Params)))
		}
		if useI {
			r = append(r, math.Log2(float64(o.PerClass)))
		}
		if useE {
			r = append(r, math.Log2(o.Epochs))
		}
		for _, d := range domains[1:] {
			v := 0.0
			if o.Domain == d {
				v = 1
			}
			r = append(r, v)
		}
		rows[i] = r
	}
	return terms, rows
}

// CellEstimate returns o's value with the percentile 95% interval of its draws.
func CellEstimate(o Obs) Estimate { return estimate(o.Value, o.Draws) }
