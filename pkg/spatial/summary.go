package spatial

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Summary prints the study's headline numbers: each model's Spearman alignment on AlignTargets at
// its selected layer with the CI over splits; the CKA (every CKASets entry) of every other study
// model with the reference model (the category-trained one) per layer; and, for each "-fixed"
// model, its CKA with reference beside that of its varying-latent twin. It returns the first
// write error.
func (r *Results) Summary(w io.Writer, reference string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Alignment (spearman, selected layer, CI over splits):\n%-16s", "model")
	for _, t := range AlignTargets {
		fmt.Fprintf(&b, " %-30s", t)
	}
	b.WriteString("\n")
	models := firstSeen(r.Align, func(a AlignRow) string { return a.Model })
	for _, m := range models {
		fmt.Fprintf(&b, "%-16s", m)
		for _, t := range AlignTargets {
			cell := "-"
			for _, a := range r.Align {
				if a.Model == m && a.Target == t && a.Metric == "spearman" {
					cell = fmt.Sprintf("%.3f [%.3f, %.3f] %s", a.Value, a.CILow, a.CIHigh, a.Layer)
				}
			}
			fmt.Fprintf(&b, " %-30s", cell)
		}
		b.WriteString("\n")
	}
	for _, s := range CKASets {
		rows := r.CKA[s]
		layers := firstSeen(rows, func(c CKARow) string { return c.Layer })
		fmt.Fprintf(&b, "\nCKA %s with %s, per layer:\n%-16s", s, reference, "model")
		for _, l := range layers {
			fmt.Fprintf(&b, " %10s", strings.TrimSuffix(l, ".post"))
		}
		b.WriteString("\n")
		var others []string
		for _, c := range rows {
			for _, m := range []string{c.ModelA, c.ModelB} {
				if m != reference && !slices.Contains(others, m) && (c.ModelA == reference || c.ModelB == reference) {
					others = append(others, m)
				}
			}
		}
		for _, m := range others {
			fmt.Fprintf(&b, "%-16s", m)
			for _, l := range layers {
				v := math.NaN()
				for _, c := range rows {
					if c.Layer == l && ((c.ModelA == reference && c.ModelB == m) || (c.ModelB == reference && c.ModelA == m)) {
						v = c.CKA
					}
				}
				fmt.Fprintf(&b, " %10.3f", v)
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// firstSeen returns the distinct values of key over rows in order of first appearance.
func firstSeen[T any](rows []T, key func(T) string) []string {
	var out []string
	for _, r := range rows {
		if k := key(r); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
