package versions

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
)

// TestRepository is the drift test: versions.env, go.mod, kernels/install.sh, docker/ and the
// committed notebooks must agree.
func TestRepository(t *testing.T) {
	root, err := datadir.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	errs, err := Check(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Error(e)
	}
	// The repository's files exist, so the checks above really ran on them.
	for _, f := range []string{"kernels/install.sh", "docker/Dockerfile", "docker/Dockerfile.cuda", "docker/compose.yaml"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

const goModText = `module example.com/m

go 1.26.8

require (
	github.com/gomlx/gomlx v0.28.2
	github.com/janpfeifer/gonb v0.11.4 // a comment
	gonum.org/v1/gonum v0.17.0
	gonum.org/v1/plot v0.17.0
)

require github.com/gomlx/go-xla v0.4.1 // indirect
`

const envText = `# pins
JUPYTERLAB_VERSION=4.2.5
GO_VERSION=1.26.8
GOMLX_VERSION=v0.28.2
COMPUTE_VERSION=v0.1.2
GOXLA_VERSION=v0.4.1
GONB_VERSION=v0.11.4
GONUM_VERSION=v0.17.0
PLOT_VERSION=v0.17.0
NPYIO_VERSION=v0.6.0
GOPLS_VERSION=v0.23.0
`

// fixture writes a repository with the given files and returns its root.
func fixture(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// fullGoMod adds the modules envText pins but goModText leaves out.
const fullGoMod = goModText + "require github.com/gomlx/compute v0.1.2\nrequire github.com/sbinet/npyio v0.6.0\n"

func notebook(firstCell string, extra string) string {
	return fmt.Sprintf(`{"nbformat": 4, "nbformat_minor": 5,
 "metadata": {"kernelspec": {"name": "coarsealign", "display_name": "Go (coarsealign)", "language": "go"}},
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": ["# Claim\n"]},
  {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [], "source": %q},
  {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [%s], "source": ["%%%%\n", "fmt.Println(1)"]}
 ]}`, firstCell, extra)
}

const goodFirstCell = `!*go mod edit -require=example.com/m@v0.0.0 -replace=example.com/m=$(cd "${GONB_DIR}/.." && pwd) && go get github.com/janpfeifer/gonb@v0.11.4 github.com/gomlx/gomlx@v0.28.2 gonum.org/v1/gonum@v0.17.0 gonum.org/v1/plot@v0.17.0`

func TestCheck(t *testing.T) {
	base := map[string]string{"go.mod": fullGoMod, EnvFile: envText}
	cases := []struct {
		name  string
		files map[string]string
		want  []string // substrings of expected errors; empty = no error
	}{
		{"clean", map[string]string{
			"kernels/install.sh":  "source versions.env\ngo get github.com/janpfeifer/gonb@$GONB_VERSION\ngo install golang.org/x/tools/gopls@${GOPLS_VERSION}\necho $GO_VERSION\n",
			"docker/Dockerfile":   "ARG GO_VERSION=\"\"\nARG GONB_VERSION=v0.11.4\nRUN . /x/versions.env; get ${GO_VERSION} $GOXLA_VERSION ${JUPYTERLAB_VERSION}\n",
			"notebooks/a.ipynb":   notebook(goodFirstCell, ""),
			"docker/compose.yaml": "# --env-file versions.env\nargs:\n  GO_VERSION: ${GO_VERSION:-}\n",
		}, nil},
		{"env drift", map[string]string{EnvFile: strings.Replace(envText, "GOMLX_VERSION=v0.28.2", "GOMLX_VERSION=v0.27.0", 1)},
			[]string{"GOMLX_VERSION=v0.27.0 but go.mod requires github.com/gomlx/gomlx v0.28.2"}},
		{"go version drift", map[string]string{EnvFile: strings.Replace(envText, "GO_VERSION=1.26.8", "GO_VERSION=1.25.0", 1)},
			[]string{"GO_VERSION=1.25.0 but go.mod says go 1.26.8"}},
		{"missing key", map[string]string{EnvFile: strings.Replace(envText, "NPYIO_VERSION=v0.6.0\n", "", 1)},
			[]string{"key NPYIO_VERSION (module github.com/sbinet/npyio) missing"}},
		{"script hard-codes a version", map[string]string{
			"kernels/install.sh": "go get github.com/janpfeifer/gonb@v0.11.1\n"},
			[]string{"github.com/janpfeifer/gonb@v0.11.1 but the pinned version is v0.11.4", "does not read versions.env"}},
		{"script spells out a version instead of using its key", map[string]string{
			"docker/Dockerfile": "# versions.env\nRUN curl https://go.dev/dl/go1.26.8.linux-amd64.tar.gz; pip install jupyterlab==4.2.5 $GOXLA_VERSION\n"},
			[]string{"docker/Dockerfile: does not use $GO_VERSION", "does not use $JUPYTERLAB_VERSION"}},
		{"script uses an unknown key", map[string]string{
			"kernels/install.sh": "source versions.env\necho ${GONB_VERSIONS}\n"},
			[]string{"uses $GONB_VERSIONS"}},
		{"gopls drift", map[string]string{
			"kernels/install.sh": "source versions.env\ngo install golang.org/x/tools/gopls@v0.20.0\n"},
			[]string{"golang.org/x/tools/gopls@v0.20.0 but the pinned version is v0.23.0"}},
		{"dockerfile default drift", map[string]string{
			"docker/Dockerfile.cuda": "# versions.env\nARG GO_VERSION=1.25.1\n"},
			[]string{"GO_VERSION defaults to 1.25.1"}},
		{"notebook pins another gomlx", map[string]string{
			"notebooks/a.ipynb": notebook(strings.Replace(goodFirstCell, "gomlx@v0.28.2", "gomlx@v0.26.0", 1), "")},
			[]string{"github.com/gomlx/gomlx@v0.26.0 but the pinned version is v0.28.2"}},
		{"notebook misses a pin and the replace", map[string]string{
			"notebooks/a.ipynb": notebook("!*go get gonum.org/v1/gonum@v0.17.0", "")},
			[]string{"does not pin github.com/gomlx/gomlx", "does not wire the local module"}},
		{"notebook output leaks a path", map[string]string{
			"notebooks/a.ipynb": notebook(goodFirstCell, `{"output_type": "stream", "name": "stdout", "text": ["saved /home/alice/figures/x.svg"]}`)},
			[]string{`absolute path "/home/"`}},
		{"notebook is not JSON", map[string]string{"notebooks/a.ipynb": `{"cells": [`},
			[]string{"a.ipynb: invalid JSON"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range c.files {
				files[k] = v
			}
			errs, err := Check(fixture(t, files))
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			all := strings.Join(msgs, "\n")
			if len(c.want) == 0 && len(errs) > 0 {
				t.Fatalf("unexpected errors:\n%s", all)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing error %q in:\n%s", w, all)
				}
			}
		})
	}
}

func TestReadEnvErrors(t *testing.T) {
	root := fixture(t, map[string]string{"bad.env": "A=1\nnot a pair\n", "dup.env": "A=1\nA=2\n"})
	if _, err := ReadEnv(filepath.Join(root, "bad.env")); err == nil || !strings.Contains(err.Error(), "bad.env:2") {
		t.Errorf("bad line: err = %v, want one naming bad.env:2", err)
	}
	if _, err := ReadEnv(filepath.Join(root, "dup.env")); err == nil || !strings.Contains(err.Error(), "key A set twice") {
		t.Errorf("duplicate: err = %v", err)
	}
}

func TestReadGoMod(t *testing.T) {
	root := fixture(t, map[string]string{"go.mod": goModText + "replace example.com/x => ../x\ntoolchain go1.26.9\n"})
	m, err := ReadGoMod(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Module != "example.com/m" || m.Go != "1.26.8" || m.Toolchain != "1.26.9" {
		t.Errorf("module %q go %q toolchain %q", m.Module, m.Go, m.Toolchain)
	}
	// Values from goModText above.
	for mod, v := range map[string]string{"github.com/janpfeifer/gonb": "v0.11.4", "github.com/gomlx/go-xla": "v0.4.1", "gonum.org/v1/plot": "v0.17.0"} {
		if m.Require[mod] != v {
			t.Errorf("require %s = %q, want %s", mod, m.Require[mod], v)
		}
	}
	if !m.Replace["example.com/x"] {
		t.Error("replace of example.com/x not seen")
	}
}

func ExampleCheck() {
	root, _ := datadir.RepoRoot()
	errs, err := Check(root)
	fmt.Println(len(errs), err)
	// Output: 0 <nil>
}
