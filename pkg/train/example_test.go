package train_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/train"
)

// The study's schedule: linear warm-up from 0.25*lr over 2 epochs, then cosine decay to 0.
func ExampleRecipe_LearningRateAt() {
	r := train.DefaultRecipe()
	const stepsPerEpoch, epochs = 100, 20
	warm, total := 2*stepsPerEpoch, epochs*stepsPerEpoch
	for _, step := range []int{0, 100, 200, 1100, 2000} {
		fmt.Printf("step %4d: lr %.4g\n", step, r.LearningRateAt(step, warm, total))
	}
	// Output:
	// step    0: lr 0.000125
	// step  100: lr 0.0003125
	// step  200: lr 0.0005
	// step 1100: lr 0.00025
	// step 2000: lr 0
}
