package kernels

import (
	"os/exec"
	"strings"
	"testing"
)

// The kernels (and internal/gemm below them) work on plain slices: no GoMLX import.
func TestNoGoMLXImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		if strings.HasPrefix(d, "github.com/gomlx/") {
			t.Errorf("kernels imports %s", d)
		}
	}
}
