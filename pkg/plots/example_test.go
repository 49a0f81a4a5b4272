package plots_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/plots"
)

func ExampleAlignmentVsK() {
	nan := math.NaN() // no noise ceiling for a single-RDM target
	panel := plots.GranularityPanel{
		Title: "mIT", YLabel: "RSA (Spearman)", CeilingLow: nan, CeilingHigh: nan,
		Bars: []plots.Bar{
			{Label: "untr.", Kind: plots.Untrained, Value: 0.10, Low: 0.08, High: 0.12},
			{Label: "2", Kind: plots.Coarse, K: 2, Value: 0.15, Low: 0.12, High: 0.18},
			{Label: "8", Kind: plots.Coarse, K: 8, Value: 0.21, Low: 0.18, High: 0.24},
			{Label: "fine", Kind: plots.Fine, Value: 0.20, Low: 0.17, High: 0.23},
		},
	}
	fig, err := plots.AlignmentVsK(panel)
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "plots")
	defer os.RemoveAll(dir)
	paths, err := fig.Save(dir, "alignment_vs_k")
	if err != nil {
		panic(err)
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	fmt.Println(len(fig.Rows), "bars in the CSV")
	fig.Show() // displays inline in GoNB; does nothing here
	// Output:
	// alignment_vs_k.svg
	// alignment_vs_k.png
	// alignment_vs_k.csv
	// 4 bars in the CSV
}
