package stats_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

func ExampleKendall() {
	x := []float64{1, 2, 2, 3, 5}
	y := []float64{1, 3, 2, 2, 4}
	c := stats.Kendall(x, y)
	fmt.Printf("%+v\ntau-a %.4f tau-b %.4f\n", c, c.TauA(), c.TauB())
	// Output:
	// {Total:10 Discordant:1 TiesX:1 TiesY:1 TiesXY:0}
	// tau-a 0.6000 tau-b 0.6667
}

func ExampleSubsampleIndices() {
	r := stats.NewRand(42)
	idx := stats.SubsampleIndices(r, 10, stats.SubsampleSize(10, 0.9))
	fmt.Println(len(idx))
	// Output: 9
}
