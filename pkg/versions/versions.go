// Package versions reads the pinned versions of the repository (versions.env and go.mod) and
// reports drift between them and the files that repeat them: the notebooks' first code cell,
// kernels/install.sh and the Docker files.
//
// versions.env is the single place where tool versions are written (KEY=VALUE lines, e.g.
// GOMLX_VERSION=v0.28.2); go.mod must require the same module versions, and the other files
// must either read versions.env or repeat exactly the same values. The package's test runs
// Check on the repository, so `go test ./pkg/versions` fails on drift.
package versions

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// EnvFile is the name of the versions file at the repository root.
const EnvFile = "versions.env"

// ModuleKeys maps versions.env keys to the Go module whose version they pin in go.mod.
// GO_VERSION pins go.mod's go directive; keys not listed here (GOPLS_VERSION,
// JUPYTERLAB_VERSION) pin tools outside the module graph.
var ModuleKeys = map[string]string{
	"GOMLX_VERSION":   "github.com/gomlx/gomlx",
	"COMPUTE_VERSION": "github.com/gomlx/compute",
	"GOXLA_VERSION":   "github.com/gomlx/go-xla",
	"GONB_VERSION":    "github.com/janpfeifer/gonb",
	"GONUM_VERSION":   "gonum.org/v1/gonum",
	"PLOT_VERSION":    "gonum.org/v1/plot",
	"NPYIO_VERSION":   "github.com/sbinet/npyio",
}

// Env holds the KEY=VALUE pairs of versions.env.
type Env map[string]string

var envLine = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=(\S+)$`)

// ReadEnv parses a versions.env file: KEY=VALUE lines, '#' comments and blank lines. Values
// are not quoted and hold no spaces. A malformed line or a repeated key is an error naming the
// file and line.
func ReadEnv(path string) (Env, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("versions: %w", err)
	}
	env := Env{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := envLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("versions: %s:%d: want KEY=VALUE, got %q", path, n, line)
		}
		if _, dup := env[m[1]]; dup {
			return nil, fmt.Errorf("versions: %s:%d: key %s set twice", path, n, m[1])
		}
		env[m[1]] = m[2]
	}
	return env, nil
}

// GoMod is what Check needs of a go.mod file.
type GoMod struct {
	// Module is the module path.
	Module string
	// Go is the version of the go directive (e.g. "1.26.8"); Toolchain the toolchain directive
	// without its "go" prefix, "" if absent.
	Go, Toolchain string
	// Require maps module paths to their required versions (direct and indirect).
	Require map[string]string
	// Replace lists the module paths that go.mod replaces.
	Replace map[string]bool
}

// ReadGoMod parses the module, go, toolchain, require and replace directives of a go.mod file
// (single-line and block forms).
func ReadGoMod(path string) (*GoMod, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("versions: %w", err)
	}
	m := &GoMod{Require: map[string]string{}, Replace: map[string]bool{}}
	block := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if block != "" {
			if f[0] == ")" {
				block = ""
				continue
			}
			f = append([]string{block}, f...)
		} else if len(f) == 2 && f[1] == "(" {
			block = f[0]
			continue
		}
		switch f[0] {
		case "module":
			if len(f) == 2 {
				m.Module = strings.Trim(f[1], `"`)
			}
		case "go":
			if len(f) == 2 {
				m.Go = f[1]
			}
		case "toolchain":
			if len(f) == 2 {
				m.Toolchain = strings.TrimPrefix(f[1], "go")
			}
		case "require":
			if len(f) != 3 {
				return nil, fmt.Errorf("versions: %s:%d: malformed require %q", path, n, strings.TrimSpace(line))
			}
			m.Require[f[1]] = f[2]
		case "replace":
			if len(f) >= 2 {
				m.Replace[f[1]] = true
			}
		}
	}
	if m.Module == "" {
		return nil, fmt.Errorf("versions: %s: no module directive", path)
	}
	return m, nil
}

// Pins are the repository's pinned versions: versions.env and go.mod.
type Pins struct {
	Env   Env
	GoMod *GoMod
}

// Load reads versions.env and go.mod under the repository root.
func Load(root string) (*Pins, error) {
	env, err := ReadEnv(filepath.Join(root, EnvFile))
	if err != nil {
		return nil, err
	}
	gm, err := ReadGoMod(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	return &Pins{Env: env, GoMod: gm}, nil
}

// CheckEnv reports every disagreement between versions.env and go.mod: a ModuleKeys key that
// is missing or differs from go.mod's requirement, and GO_VERSION against the go directive.
func (p *Pins) CheckEnv() []error {
	var errs []error
	keys := sortedKeys(ModuleKeys)
	for _, k := range keys {
		mod := ModuleKeys[k]
		v, ok := p.Env[k]
		req, inMod := p.GoMod.Require[mod]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: key %s (module %s) missing", EnvFile, k, mod))
		case !inMod:
			errs = append(errs, fmt.Errorf("%s: %s=%s but go.mod does not require %s", EnvFile, k, v, mod))
		case v != req:
			errs = append(errs, fmt.Errorf("%s: %s=%s but go.mod requires %s %s", EnvFile, k, v, mod, req))
		}
	}
	if gv, ok := p.Env["GO_VERSION"]; !ok {
		errs = append(errs, fmt.Errorf("%s: key GO_VERSION missing", EnvFile))
	} else if gv != p.GoMod.Go && gv != p.GoMod.Toolchain {
		errs = append(errs, fmt.Errorf("%s: GO_VERSION=%s but go.mod says go %s", EnvFile, gv, p.GoMod.Go))
	}
	return errs
}

// modVersion matches "module/path@version" as written in go get / go install commands.
var modVersion = regexp.MustCompile(`([a-z0-9][a-zA-Z0-9._~-]*\.[a-z]{2,}(?:/[a-zA-Z0-9._~-]+)+)@(v[0-9][0-9A-Za-z.+-]*)`)

// CheckModuleRefs reports every "module@version" in text (named name) whose module go.mod
// requires at another version. Modules outside go.mod (e.g. golang.org/x/tools/gopls) are
// compared with versions.env's GOPLS_VERSION when they are gopls, else ignored.
func (p *Pins) CheckModuleRefs(name, text string) []error {
	var errs []error
	for _, m := range modVersion.FindAllStringSubmatch(text, -1) {
		mod, v := m[1], m[2]
		want, ok := p.GoMod.Require[mod]
		if !ok {
			// A package path inside a required module (github.com/gomlx/go-xla/installer).
			for req, rv := range p.GoMod.Require {
				if strings.HasPrefix(mod, req+"/") {
					want, ok = rv, true
				}
			}
		}
		if !ok && mod == "golang.org/x/tools/gopls" {
			want, ok = p.Env["GOPLS_VERSION"], true
		}
		if ok && v != want {
			errs = append(errs, fmt.Errorf("%s: %s@%s but the pinned version is %s", name, mod, v, want))
		}
	}
	return errs
}

// envRef matches shell/Docker references to a versions.env key: $KEY or ${KEY...}.
var envRef = regexp.MustCompile(`\$\{?([A-Z_][A-Z0-9_]*_VERSION[A-Z0-9_]*)`)

// CheckScript checks a shell script or Docker file that must take its versions from
// versions.env: it must mention versions.env (or, for a Dockerfile, be given the values as
// build args that default to empty or to versions.env's values), every *_VERSION variable it
// references must be a versions.env key, and every module@version it spells out must match.
func (p *Pins) CheckScript(name, text string) []error {
	errs := p.CheckModuleRefs(name, text)
	if !strings.Contains(text, EnvFile) {
		errs = append(errs, fmt.Errorf("%s: does not read %s", name, EnvFile))
	}
	seen := map[string]bool{}
	for _, m := range envRef.FindAllStringSubmatch(text, -1) {
		k := m[1]
		if _, ok := p.Env[k]; !ok && !seen[k] {
			errs = append(errs, fmt.Errorf("%s: uses $%s, which %s does not define", name, k, EnvFile))
		}
		seen[k] = true
	}
	// Dockerfile ARG defaults and compose build args must be empty or equal versions.env.
	argDefault := regexp.MustCompile(`(?m)^\s*(?:ARG\s+|)([A-Z_][A-Z0-9_]*_VERSION)\s*[=:]\s*"?([^"\s$]*)"?\s*$`)
	for _, m := range argDefault.FindAllStringSubmatch(text, -1) {
		k, v := m[1], m[2]
		want, ok := p.Env[k]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: sets %s, which %s does not define", name, k, EnvFile))
			continue
		}
		if ok && v != "" && v != want {
			errs = append(errs, fmt.Errorf("%s: %s defaults to %s but %s has %s", name, k, v, EnvFile, want))
		}
	}
	return errs
}

// CheckUses reports each of keys that text (named name) never references as $KEY or ${KEY...}:
// a file that should take a version from versions.env but spells it out instead.
func CheckUses(name, text string, keys ...string) []error {
	used := map[string]bool{}
	for _, m := range envRef.FindAllStringSubmatch(text, -1) {
		used[m[1]] = true
	}
	var errs []error
	for _, k := range keys {
		if !used[k] {
			errs = append(errs, fmt.Errorf("%s: does not use $%s from %s", name, k, EnvFile))
		}
	}
	return errs
}

// ScriptKeys lists, per file checked by Check, the versions.env keys it must use.
var ScriptKeys = map[string][]string{
	"kernels/install.sh":     {"GONB_VERSION", "GOPLS_VERSION", "GO_VERSION"},
	"docker/Dockerfile":      {"GO_VERSION", "GOXLA_VERSION", "JUPYTERLAB_VERSION"},
	"docker/Dockerfile.cuda": {"GO_VERSION", "GOXLA_VERSION", "JUPYTERLAB_VERSION"},
}

// Notebook is the part of an .ipynb file Check reads.
type Notebook struct {
	Cells []struct {
		CellType string          `json:"cell_type"`
		Source   json.RawMessage `json:"source"`
		Outputs  json.RawMessage `json:"outputs,omitempty"`
	} `json:"cells"`
	Metadata struct {
		Kernelspec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
	NBFormat int `json:"nbformat"`
}

// cellText joins a cell's source, which nbformat stores as a string or a list of strings.
func cellText(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []string
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	return strings.Join(parts, ""), nil
}

// ForbiddenPaths are substrings that reveal a build machine's absolute paths; committed
// notebooks (sources and outputs) must not contain them.
var ForbiddenPaths = []string{"/work/", "/root/", "/home/", "/Users/", "/tmp/gonb_", `C:\\Users`}

// RequiredPins are the modules the first code cell of every notebook must pin with go get.
var RequiredPins = []string{"github.com/janpfeifer/gonb", "github.com/gomlx/gomlx", "gonum.org/v1/gonum", "gonum.org/v1/plot"}

// KernelName is the kernelspec the notebooks run on (kernels/install.sh registers it).
const KernelName = "coarsealign"

// CheckNotebook checks one committed notebook: valid nbformat-4 JSON, the coarsealign
// kernelspec, a first markdown cell, a first code cell that wires the local module (a replace
// of the repository's module) and pins RequiredPins at go.mod's versions with go get, no
// module@version anywhere that disagrees with go.mod, and no absolute build-machine path.
func (p *Pins) CheckNotebook(path string) []error {
	name := filepath.Base(path)
	b, err := os.ReadFile(path)
	if err != nil {
		return []error{err}
	}
	var nb Notebook
	if err := json.Unmarshal(b, &nb); err != nil {
		return []error{fmt.Errorf("%s: invalid JSON: %v", name, err)}
	}
	var errs []error
	if nb.NBFormat != 4 {
		errs = append(errs, fmt.Errorf("%s: nbformat %d, want 4", name, nb.NBFormat))
	}
	if nb.Metadata.Kernelspec.Name != KernelName {
		errs = append(errs, fmt.Errorf("%s: kernelspec %q, want %q", name, nb.Metadata.Kernelspec.Name, KernelName))
	}
	for _, bad := range ForbiddenPaths {
		if i := bytes.Index(b, []byte(bad)); i >= 0 {
			lo, hi := max(0, i-40), min(len(b), i+60)
			errs = append(errs, fmt.Errorf("%s: holds the absolute path %q (...%s...)", name, bad, b[lo:hi]))
		}
	}
	if len(nb.Cells) == 0 || nb.Cells[0].CellType != "markdown" {
		errs = append(errs, fmt.Errorf("%s: the first cell must be markdown stating the claim, inputs and outputs", name))
	}
	first := -1
	for i, c := range nb.Cells {
		text, err := cellText(c.Source)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: cell %d: source: %v", name, i, err))
			continue
		}
		errs = append(errs, p.CheckModuleRefs(fmt.Sprintf("%s cell %d", name, i), text)...)
		if c.CellType == "code" && first < 0 {
			first = i
			errs = append(errs, p.checkFirstCell(name, text)...)
		}
	}
	if first < 0 {
		errs = append(errs, fmt.Errorf("%s: no code cell", name))
	}
	return errs
}

func (p *Pins) checkFirstCell(name, text string) []error {
	var errs []error
	if !strings.Contains(text, "go get") {
		errs = append(errs, fmt.Errorf("%s: first code cell does not pin versions with go get", name))
	}
	pinned := map[string]bool{}
	for _, m := range modVersion.FindAllStringSubmatch(text, -1) {
		pinned[m[1]] = true
	}
	for _, mod := range RequiredPins {
		if !pinned[mod] {
			errs = append(errs, fmt.Errorf("%s: first code cell does not pin %s", name, mod))
		}
	}
	if !strings.Contains(text, "-replace="+p.GoMod.Module+"=") {
		errs = append(errs, fmt.Errorf("%s: first code cell does not wire the local module (-replace=%s=...)", name, p.GoMod.Module))
	}
	return errs
}

// Check runs every check on the repository at root: versions.env against go.mod,
// kernels/install.sh, the docker/ files (Dockerfile*, compose.yaml) and notebooks/*.ipynb.
// Files that do not exist are skipped, except versions.env and go.mod.
func Check(root string) ([]error, error) {
	p, err := Load(root)
	if err != nil {
		return nil, err
	}
	errs := p.CheckEnv()
	scripts := []string{filepath.Join("kernels", "install.sh")}
	dockerFiles, _ := filepath.Glob(filepath.Join(root, "docker", "Dockerfile*"))
	for _, f := range dockerFiles {
		if !strings.HasSuffix(f, ".dockerignore") {
			rel, _ := filepath.Rel(root, f)
			scripts = append(scripts, rel)
		}
	}
	scripts = append(scripts, filepath.Join("docker", "compose.yaml"))
	for _, rel := range scripts {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err
		}
		errs = append(errs, p.CheckScript(rel, string(b))...)
		errs = append(errs, CheckUses(rel, string(b), ScriptKeys[filepath.ToSlash(rel)]...)...)
	}
	nbs, _ := filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
	for _, nb := range nbs {
		errs = append(errs, p.CheckNotebook(nb)...)
	}
	return errs, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
