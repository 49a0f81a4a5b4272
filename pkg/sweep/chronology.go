package sweep

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/data/idx"
)

// Chronology keeps checkpoints along training and scores every one of them (issue 13;
// docs/chronology.md): step 0 (the initialisation), the log-spaced steps 1, b, b^2, ... below
// the final step, the end of every epoch if EpochEnds, the Steps listed, and the final step.
type Chronology struct {
	// Base of the log-spaced schedule, > 1 (default 2: steps 1, 2, 4, 8, ...).
	Base float64 `yaml:"base" json:"base"`
	// EpochEnds also keeps the last step of every epoch (default true).
	EpochEnds bool `yaml:"epoch_ends" json:"epoch_ends"`
	// Steps are extra steps to keep (those at or past the final step are ignored).
	Steps []int `yaml:"steps,omitempty" json:"steps,omitempty"`
}

// Schedule returns the steps kept for a run of total optimiser steps with stepsPerEpoch steps
// per epoch, increasing, 0 and total included.
func (c Chronology) Schedule(stepsPerEpoch, total int) []int {
	s := []int{0, total}
	if c.Base > 1 {
		for x := 1.0; x < float64(total); x *= c.Base {
			s = append(s, int(math.Round(x)))
		}
	}
	if c.EpochEnds && stepsPerEpoch > 0 {
		for e := stepsPerEpoch; e < total; e += stepsPerEpoch {
			s = append(s, e)
		}
	}
	for _, v := range c.Steps {
		if v > 0 && v < total {
			s = append(s, v)
		}
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// defaultsChronology fills the chronology fields the document raw omits.
func (c *Config) defaultsChronology(raw any) {
	if c.Chronology == nil {
		return
	}
	if c.Chronology.Base == 0 && !has(raw, "chronology", "base") {
		c.Chronology.Base = 2
	}
	if !has(raw, "chronology", "epoch_ends") {
		c.Chronology.EpochEnds = true
	}
}

// validateChronology adds the problems of the chronology settings to p.
func (c *Config) validateChronology(p *problems) {
	if c.Chronology == nil {
		return
	}
	if b := c.Chronology.Base; !(b > 1) || !finite(b) {
		p.add("chronology.base", "%v must be finite and > 1 (2: steps 1, 2, 4, 8, ...)", b)
	}
	for i, s := range c.Chronology.Steps {
		if s < 0 {
			p.add(fmt.Sprintf("chronology.steps[%d]", i), "%d must be >= 0", s)
		}
	}
}

// Factors are the extra axes of a convergence-factors sweep (issue 13): each run of the grid is
// repeated for every image domain, images per class and epoch count listed (an empty list
// keeps data.source, data.per_class or train.epochs). The untrained baseline, whose weights do
// not depend on the training amount, is repeated for the domains only (with the first
// per_class, whose normalisation statistics it uses).
type Factors struct {
	// Domains are data sources: "cifar10", "fashion-mnist" or "images:PATH" (an ImageNet-layout
	// folder, relative to the data directory unless absolute).
	Domains []string `yaml:"domains,omitempty" json:"domains,omitempty"`
	// PerClass are numbers of training images per class (data.per_class values).
	PerClass []int `yaml:"per_class,omitempty" json:"per_class,omitempty"`
	// Epochs are training budgets (train.epochs values).
	Epochs []float64 `yaml:"epochs,omitempty" json:"epochs,omitempty"`
}

// domainData returns d with the source of domain ("cifar10", "fashion-mnist", "images:PATH").
func domainData(d Data, domain string) Data {
	if p, ok := strings.CutPrefix(domain, "images:"); ok {
		d.Source, d.Path = "images", p
		return d
	}
	d.Source, d.Path = domain, ""
	return d
}

// validateFactors adds the problems of the factor axes to p.
func (c *Config) validateFactors(p *problems) {
	f := c.Factors
	seen := map[string]bool{}
	for i, d := range f.Domains {
		field := fmt.Sprintf("factors.domains[%d]", i)
		if seen[d] {
			p.add(field, "%q listed twice", d)
		}
		seen[d] = true
		var sub problems
		validateData(&sub, domainData(c.Data, d))
		for _, q := range sub.list {
			if strings.HasPrefix(q.Field, "data.source") || strings.HasPrefix(q.Field, "data.path") {
				p.add(field, "%s", q.Msg)
			}
		}
	}
	for i, n := range f.PerClass {
		if n <= 0 {
			p.add(fmt.Sprintf("factors.per_class[%d]", i), "%d must be > 0", n)
		}
		if slices.Index(f.PerClass, n) != i {
			p.add(fmt.Sprintf("factors.per_class[%d]", i), "%d listed twice", n)
		}
	}
	for i, e := range f.Epochs {
		if !(e > 0) || !finite(e) {
			p.add(fmt.Sprintf("factors.epochs[%d]", i), "%v must be finite and > 0", e)
		}
		if slices.Index(f.Epochs, e) != i {
			p.add(fmt.Sprintf("factors.epochs[%d]", i), "%v listed twice", e)
		}
	}
}

// extend applies the factor axes and the chronology to the base grid runs, renumbering them:
// for each domain, for each per_class, for each epochs value, the base grid in its order.
func (c *Config) extend(base []Run) []Run {
	f := c.Factors
	if len(f.Domains) == 0 && len(f.PerClass) == 0 && len(f.Epochs) == 0 && c.Chronology == nil {
		return base
	}
	domains := f.Domains
	if len(domains) == 0 {
		domains = []string{""}
	}
	perClass := f.PerClass
	if len(perClass) == 0 {
		perClass = []int{c.Data.PerClass}
	}
	epochs := f.Epochs
	if len(epochs) == 0 {
		epochs = []float64{c.Train.Epochs}
	}
	var runs []Run
	for _, d := range domains {
		for pi, pc := range perClass {
			for ei, ep := range epochs {
				for _, r := range base {
					if r.Granularity == Untrained && (pi > 0 || ei > 0) {
						continue
					}
					if d != "" {
						r.Data = domainData(r.Data, d)
					}
					r.Data.PerClass = pc
					if r.Granularity != Untrained {
						r.Train.Epochs = ep
						if c.Chronology != nil {
							ch := *c.Chronology
							r.Chronology = &ch
						}
					}
					r.Index = len(runs)
					runs = append(runs, r)
				}
			}
		}
	}
	return runs
}

// FashionTrainPerClass is the number of Fashion-MNIST training images per class (60,000 in
// 10 balanced classes; the Fashion-MNIST README).
const FashionTrainPerClass = 6000

// fashionClasses lists Fashion-MNIST's classes for CheckRuns (no image is read).
func fashionClasses() []string { return idx.FashionMNISTClasses }
