package archtest

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// pkg/nbkit is the notebooks' kit, the top of the package tiers: no package of the module
// imports it (the CLI and pkg/ stay usable without the notebook helpers), and it does not pull
// in GoMLX, so notebooks that only read a sweep's results compile quickly.
func TestNotebookKitIsTheTop(t *testing.T) {
	for _, d := range deps(t, "pkg/nbkit") {
		if strings.HasPrefix(d, "github.com/gomlx/") {
			t.Errorf("pkg/nbkit imports %s (the notebook kit must not depend on GoMLX)", d)
			break
		}
	}
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"...")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == module+"pkg/nbkit" {
			continue
		}
		for _, d := range f[1:] {
			if d == module+"pkg/nbkit" {
				t.Errorf("%s imports pkg/nbkit (only notebooks may)", f[0])
			}
		}
	}
}
