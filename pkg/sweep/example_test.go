package sweep_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

func ExampleConfig_Expand() {
	cfg, err := sweep.Parse([]byte(`
name: demo
label_sources: [pixels]
granularity: [2, 4, fine, untrained]
seeds: [1, 2]
archs: [{name: alexnet-bn, width: 0.25, input_size: 32}]
train: {epochs: 2, batch: 64, lr: 1.0e-3}
data: {source: cifar10, per_class: 100}
eval: {bootstrap: 100}
`))
	if err != nil {
		panic(err)
	}
	runs := cfg.Expand()
	shard := sweep.Shard{I: 1, N: 3} // --shard 1/3: runs 1, 4, 7
	for _, r := range shard.Select(runs) {
		fmt.Println(r.Index, r.Label())
	}
	// Output:
	// 1 K=2 pixels seed=2 alexnet-bn
	// 4 fine seed=1 alexnet-bn
	// 7 untrained seed=2 alexnet-bn
}
