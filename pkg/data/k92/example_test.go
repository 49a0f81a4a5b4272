package k92_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
)

func ExampleLoad() {
	set, err := k92.Load(datadir.Resolve("")) // --data flag, else $COARSEALIGN_DATA, else the user cache
	if err != nil {
		fmt.Println(err) // names the missing file and where to download it
		return
	}
	subjects, _ := k92.Resolve(set, "kriegeskorte92:hIT-subjects")
	fmt.Println(len(set.IDs), set.IDs[0], set.MIT.N, len(subjects))
}

func ExampleCheckName() {
	fmt.Println(k92.CheckName("kriegeskorte92:hIT/2/1"))
	fmt.Println(k92.CheckName("kriegeskorte92:behav/17") != nil)
	// Output:
	// <nil>
	// true
}
