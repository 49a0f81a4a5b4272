package metric

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

var (
	regMu sync.RWMutex
	byKey = map[string]Metric{} // normalised name or alias -> metric
	names []string              // canonical names
)

// key normalises a name: case and surrounding space ignored, '_' and '-' interchangeable
// ("corr_cov" and "corr-cov" are the same metric).
func key(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
}

// Register adds m to the registry under m.Name() and the aliases. It panics when a name is
// empty or already taken (a programming error, caught by any test that imports the package).
func Register(m Metric, aliases ...string) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, a := range append([]string{m.Name()}, aliases...) {
		k := key(a)
		if k == "" {
			panic("metric: empty metric name")
		}
		if old, ok := byKey[k]; ok {
			panic(fmt.Sprintf("metric: name %q of %s already registered by %s", a, m.Name(), old.Name()))
		}
		byKey[k] = m
	}
	names = append(names, m.Name())
}

// Lookup returns the metric registered under name (or an alias; see key), or an error
// listing the registered names.
func Lookup(name string) (Metric, error) {
	regMu.RLock()
	m, ok := byKey[key(name)]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown metric %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	return m, nil
}

// LookupAll resolves names in order; an error names the entry ("metrics[2]: ...") for an
// unknown name or a metric listed twice.
func LookupAll(names []string) ([]Metric, error) {
	out := make([]Metric, 0, len(names))
	seen := map[string]int{}
	for i, n := range names {
		m, err := Lookup(n)
		if err != nil {
			return nil, fmt.Errorf("metrics[%d]: %w", i, err)
		}
		if j, dup := seen[m.Name()]; dup {
			return nil, fmt.Errorf("metrics[%d]: %q is metrics[%d] again (%s)", i, n, j, m.Name())
		}
		seen[m.Name()] = i
		out = append(out, m)
	}
	return out, nil
}

// Names returns the canonical names of the registered metrics, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := slices.Clone(names)
	slices.Sort(out)
	return out
}

// DefaultNames returns the metrics of an evaluation that names none: the coarse-label
// study's Spearman's rho and Kendall's tau-a.
func DefaultNames() []string { return []string{"spearman", "tau-a"} }

// Default returns the metrics of DefaultNames.
func Default() []Metric {
	ms, err := LookupAll(DefaultNames())
	if err != nil {
		panic(err)
	}
	return ms
}
