package cifar10h_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
)

// Three images with 4 responses each, scored against a model's distributions without
// resampling (cifar10h.Load gives the real 10,000-image set).
func ExampleSet_Score() {
	s := &cifar10h.Set{
		Labels: []int{0, 1, 2},
		Counts: [][cifar10h.NumClasses]int{{2, 2}, {0, 4}, {1, 0, 3}},
		Probs:  [][cifar10h.NumClasses]float64{{0.5, 0.5}, {0, 1}, {0.25, 0, 0.75}},
	}
	model := mat.NewDense(3, cifar10h.NumClasses, nil)
	model.SetRow(0, []float64{0.5, 0.25, 0.25, 0, 0, 0, 0, 0, 0, 0})
	model.SetRow(1, []float64{0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	model.SetRow(2, []float64{0.5, 0, 0.5, 0, 0, 0, 0, 0, 0, 0})
	res, err := s.Score(model, nil, &cifar10h.ScoreOptions{Resamples: -1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("cross-entropy %.4f, KL %.4f, accuracy %.2f (image 0 is a tie: 1/2)\n",
		res.CrossEntropy.Value, res.KL.Value, res.Accuracy.Value)
	// Output: cross-entropy 0.5776, KL 0.1591, accuracy 0.50 (image 0 is a tie: 1/2)
}

// A readout from one feature to two classes, with the penalty chosen by 2-fold CV.
func ExampleFitReadout() {
	x := mat.NewDense(8, 1, []float64{-3, -2, -1.5, -1, 1, 1.5, 2, 3})
	labels := []int{4, 4, 4, 4, 7, 7, 7, 7}
	ro, err := cifar10h.FitReadout(x, labels, &cifar10h.ReadoutOptions{Lambdas: []float64{0.01, 0.1, 1}, Folds: 2})
	if err != nil {
		panic(err)
	}
	p := ro.Predict(mat.NewDense(2, 1, []float64{-2.5, 2.5}))
	fmt.Printf("p(class 4 | -2.5) > 0.5: %v; p(class 7 | 2.5) > 0.5: %v\n", p.At(0, 4) > 0.5, p.At(1, 7) > 0.5)
	// Output: p(class 4 | -2.5) > 0.5: true; p(class 7 | 2.5) > 0.5: true
}
