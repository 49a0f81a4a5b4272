// Package archtest enforces the architecture's import rules: data flows one way, metric
// packages never import GoMLX, and nothing in pkg/ depends on the sweep or the figures
// except the layers above them (the notebook kit pkg/nbkit is the top: nothing imports it).
package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/coarsealign/coarsealign/"

// deps lists the transitive imports of pkg (go list -deps).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", module+pkg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, errb.String())
	}
	var list []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		list = append(list, sc.Text())
	}
	return list
}

func TestMetricPackagesDoNotImportGoMLX(t *testing.T) {
	for _, pkg := range []string{
		"pkg/rdm", "pkg/stats", "pkg/rsa", "pkg/rsa/temporal", "pkg/cka", "pkg/encoding", "pkg/oddoneout", "pkg/cifar10h", "pkg/metric", "pkg/eval",
		"pkg/coarse", "pkg/data/matfile", "pkg/data/npy", "pkg/data/k92", "pkg/data/images", "pkg/sweep",
		"pkg/arch", "internal/gemm", "pkg/fastconv/kernels", "pkg/scenes", "pkg/spatial", "pkg/brainguided/result", "pkg/chronology", "pkg/data/idx",
	} {
		for _, d := range deps(t, pkg) {
			if strings.HasPrefix(d, "github.com/gomlx/") {
				t.Errorf("%s imports %s (metric, data and description packages must not depend on GoMLX)", pkg, d)
				break
			}
		}
	}
}

func TestLowerTiersDoNotImportUpperTiers(t *testing.T) {
	upper := []string{module + "pkg/sweep", module + "pkg/plots", module + "pkg/nbkit"}
	for _, pkg := range []string{
		"pkg/rsa", "pkg/rsa/temporal", "pkg/cka", "pkg/encoding", "pkg/oddoneout", "pkg/cifar10h", "pkg/metric", "pkg/eval", "pkg/coarse",
		"pkg/data/k92", "pkg/data/images", "pkg/models", "pkg/train", "pkg/features", "pkg/fastconv",
		"pkg/arch", "pkg/scenes", "pkg/spatial", "pkg/objectives", "pkg/brainguided/result", "pkg/chronology", "pkg/data/idx",
	} {
		for _, d := range deps(t, pkg) {
			for _, u := range upper {
				if d == u || strings.HasPrefix(d, u+"/") {
					t.Errorf("%s imports %s (data flows one way: sweep and plots sit on top)", pkg, d)
				}
			}
		}
	}
}

func TestOnlyUIPackagesImportGoNB(t *testing.T) {
	for _, pkg := range []string{"pkg/rsa", "pkg/rsa/temporal", "pkg/eval", "pkg/train", "pkg/features", "pkg/sweep", "pkg/progress"} {
		for _, d := range deps(t, pkg) {
			if strings.HasPrefix(d, "github.com/janpfeifer/gonb") {
				t.Errorf("%s imports %s (only the UI packages pkg/plots, pkg/progress/gonbprogress and pkg/nbkit may)", pkg, d)
				break
			}
		}
	}
}

// The metric registry sits below pkg/eval: metrics never depend on the resampling that uses
// them, nor on the data sets (a metric scores any Reps).
func TestMetricRegistryBelowEval(t *testing.T) {
	for _, d := range deps(t, "pkg/metric") {
		for _, above := range []string{"pkg/eval", "pkg/data/k92", "pkg/features", "pkg/sweep"} {
			if d == module+above {
				t.Errorf("pkg/metric imports %s", d)
			}
		}
	}
}
