package fetch_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/data/fetch"
)

func ExampleMissingError() {
	f := fetch.File{Name: "kriegeskorte92/92_brainRDMs.mat", URL: "https://example.org/92_brainRDMs.mat"}
	fmt.Println(&fetch.MissingError{File: f, Dir: "/data"})
	// Output:
	// file kriegeskorte92/92_brainRDMs.mat missing from /data; download https://example.org/92_brainRDMs.mat and put it at /data/kriegeskorte92/92_brainRDMs.mat (or set COARSEALIGN_DATA)
}
