package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// replaceLine returns testConfig with the line starting with key+":" replaced by line (or
// line appended when there is none).
func replaceLine(key, line string) string {
	var out []string
	done, skipping := false, false
	for _, l := range strings.Split(testConfig, "\n") {
		if skipping && strings.HasPrefix(l, " ") { // the replaced key's block continues
			continue
		}
		skipping = false
		if strings.HasPrefix(l, key+":") {
			if !done {
				out = append(out, line)
				done = true
			}
			skipping = true
			continue
		}
		out = append(out, l)
	}
	if !done {
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// fields returns the fields of err's problems (a *ConfigError), failing the test otherwise.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
	}
	var out []string
	for _, p := range ce.Problems {
		out = append(out, p.Field)
	}
	return out
}

// The run identities of the shipped configs and of testConfig are those of the code before
// issue 10 (hash of the comma-joined IDs in Expand order, measured at commit 8c72775): the
// stricter validation changes no identity of a valid config. without names a granularity added
// to a config since (its runs are left out of the hash: the others keep their identities).
func TestCanonicalIdentityOfValidConfigsUnchanged(t *testing.T) {
	for _, c := range []struct {
		path    string
		n       int
		hash    string
		without string
	}{
		{"../../configs/quick.yaml", 8, "a484e2b8b09c6b5b", ""}, // redesigned for issue 12 (CIFAR scale, 1 epoch) at abc65c1; pinned since
		{"../../configs/cpu-full.yaml", 24, "cf55e4857149fb04", ""},
		{"../../configs/paper.yaml", 24, "eac8de2f9951f0a7", ""},
		{"../../configs/cifar-3ep.yaml", 16, "eda66fe258342390", ""},
		{"../../notebooks/ci-sweep.yaml", 5, "6b9f8a20f54de832", SSL}, // ssl added for issue 17
		{"", 12, "d3d426e8d4e88dd1", ""},                              // testConfig
	} {
		b := []byte(testConfig)
		if c.path != "" {
			var err error
			if b, err = os.ReadFile(c.path); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		var ids []string
		for _, r := range cfg.Expand() {
			if r.Granularity != c.without {
				ids = append(ids, r.ID())
			}
		}
		s := sha256.Sum256([]byte(strings.Join(ids, ",")))
		if got := hex.EncodeToString(s[:8]); len(ids) != c.n || got != c.hash {
			t.Errorf("%s: %d runs with ID hash %s, want %d and %s", c.path, len(ids), got, c.n, c.hash)
		}
	}
}

// Item 6: an explicit zero is never replaced by a default without a word. width: 0 used to run
// at width 1 (16 times the compute of width 0.25); val_fraction: 0 ran with 0.2; pcs: 0 with 6
// components; splits: 0 with 100 splits. An omitted field still takes its default, with the
// same identity as the default written out.
func TestExplicitZeroIsNotReplacedByTheDefault(t *testing.T) {
	for _, tc := range []struct{ key, line, field string }{
		{"archs", "archs: [{name: alexnet-bn, width: 0, input_size: 32}]", "archs[0].width"},
		{"archs", "archs: [{name: alexnet-bn, width: 0.25, input_size: 32}, {name: vit, width: 0, input_size: 32}]", "archs[1].width"},
		{"data", "data: {source: cifar10, per_class: 100, val_fraction: 0}", "data.val_fraction"},
		{"labels", "labels: {pcs: 0}", "labels.pcs"},
		{"eval", "eval: {bootstrap: 50, splits: 0}", "eval.splits"},
		{"data", "data: {source: cifar10, jpeg: ''}", "data.jpeg"},
	} {
		_, err := Parse([]byte(replaceLine(tc.key, tc.line)))
		if err == nil {
			t.Errorf("%s: accepted", tc.line)
			continue
		}
		if fs := fields(t, err); !slices.Contains(fs, tc.field) {
			t.Errorf("%s: problems in %v, want %s (%v)", tc.line, fs, tc.field, err)
		}
	}
	if _, err := Parse([]byte(replaceLine("archs", "archs: [{name: alexnet-bn, width: 0, input_size: 32}]"))); err == nil ||
		!strings.Contains(err.Error(), "omit the field for width 1") {
		t.Errorf("width 0: error %v does not say how to get width 1", err)
	}
	omitted := mustParse(t, replaceLine("archs", "archs: [{name: alexnet-bn, input_size: 32}]"))
	explicit := mustParse(t, replaceLine("archs", "archs: [{name: alexnet-bn, width: 1, input_size: 32, init: torch}]"))
	if omitted.Archs[0].Width != 1 || omitted.Expand()[0].ID() != explicit.Expand()[0].ID() {
		t.Errorf("omitted width: %v, identity differs from width: 1", omitted.Archs[0].Width)
	}
	def := mustParse(t, replaceLine("data", "data: {source: cifar10, per_class: 100}"))
	if def.Data.ValFraction != 0.2 || def.Labels.PCs != 6 || def.Eval.Splits != 2 {
		t.Errorf("defaults: val_fraction %v, pcs %d, splits %d", def.Data.ValFraction, def.Labels.PCs, def.Eval.Splits)
	}
}

// Item 6: a negative data.per_class is an error that says what 0 means (the CLI's train
// --per-class -1 keeps every image; a sweep never guesses).
func TestNegativePerClassIsAnError(t *testing.T) {
	_, err := Parse([]byte(replaceLine("data", "data: {source: cifar10, per_class: -1}")))
	if err == nil || !strings.Contains(err.Error(), "field data.per_class: -1 must be >= 0 (0 keeps every image") {
		t.Fatalf("per_class -1: %v", err)
	}
}

// Item 7: every problem of a config is reported at once, each naming its field, including
// negative steps (accepted before when epochs > 0), absurd widths, bad input sizes, components
// beyond what pkg/coarse fits and repeated seeds (the same runs twice).
func TestValidateReportsEveryProblem(t *testing.T) {
	bad := `
name: ../escape
label_sources: [pixels, pixels, clip]
granularity: [2, 3, 512]
seeds: [1, 1]
archs:
  - {name: alexnet-bn, width: 25, input_size: 48}
  - {name: vit, width: 1, input_size: 30, init: xavier}
labels: {pcs: 9, source_epochs: -1}
train: {epochs: 1, steps: -5, batch: 0, lr: .inf, clip_norm: -1}
data: {source: cifar10, per_class: -3, val_fraction: 1.5}
eval: {bootstrap: -1, max_triplets: -2, metrics: [spearman, nope]}
`
	_, err := Parse([]byte(bad))
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{"name", "labels.pcs", "labels.source_epochs", "granularity[1]", "granularity[2]",
		"label_sources[1]", "label_sources[2]", "seeds[1]",
		"archs[0].width", "archs[0].input_size", "archs[1].init", "archs[1].input_size",
		"train.steps", "train.batch", "train.lr", "train.clip_norm",
		"data.per_class", "data.val_fraction", "eval.bootstrap", "eval.max_triplets", "eval.metrics[1]"}
	got := fields(t, err)
	for _, f := range want {
		if !slices.Contains(got, f) {
			t.Errorf("no problem for %s in %v", f, got)
		}
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("%d problems:", len(got))) {
		t.Errorf("error does not count its problems: %v", err)
	}
	// Load names the file.
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte(bad), 0o644)
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), "sweep: "+path+": ") {
		t.Errorf("Load: %v", err)
	}
	// Unknown fields and type errors are listed with the validation problems.
	typo := strings.Replace(replaceLine("data", "data: {source: cifar10, per_klass: 1}\ncolour: blue"), "seeds: [1, 2]", "seeds: [1, x]", 1)
	_, err = Parse([]byte(typo))
	if err == nil || !strings.Contains(err.Error(), "per_klass") || !strings.Contains(err.Error(), "colour") || !strings.Contains(err.Error(), "`x` into int") {
		t.Errorf("unknown fields: %v", err)
	}
	// A second YAML document is not silently ignored.
	if _, err := Parse([]byte(testConfig + "\n---\nname: other\n")); err == nil || !strings.Contains(err.Error(), "more than one document") {
		t.Errorf("second document: %v", err)
	}
	if _, err := Parse([]byte("---\n" + testConfig + "\n...\n")); err != nil {
		t.Errorf("one document with markers: %v", err)
	}
}

// Item 9: the sweep's name is the folder runs/<name>, so it must be one path element.
func TestNameMustBeOneFolder(t *testing.T) {
	for _, bad := range []string{"../x", "a/b", "..", ".", `a\b`, "/abs", " padded", "tab\tname"} {
		_, err := Parse([]byte(replaceLine("name", fmt.Sprintf("name: %q", bad))))
		if err == nil || !slices.Contains(fields(t, err), "name") {
			t.Errorf("name %q: %v", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), "field name: ") || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("name %q: error %q does not name the field and value", bad, err)
		}
	}
	for _, ok := range []string{"quick", "cpu-full", "my sweep 2", "v1.2_ok", "Ünïcode"} {
		if _, err := Parse([]byte(replaceLine("name", fmt.Sprintf("name: %q", ok)))); err != nil {
			t.Errorf("name %q: %v", ok, err)
		}
	}
}

// Settings without effect are stated: a width on an architecture without one, data.path with
// cifar10, label sources without K runs.
func TestWarnings(t *testing.T) {
	c := mustParse(t, replaceLine("archs", "archs: [{name: vit, width: 0.25, input_size: 32}]"))
	c.Data.Path = "elsewhere"
	c.Granularity = []string{Fine}
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{"field archs[0].width: vit has no width setting; width 0.25 is ignored", `field data.path: "elsewhere" is ignored`, "field label_sources"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
	if w := mustParse(t, testConfig).Warnings(); len(w) != 0 {
		t.Errorf("testConfig warnings %v", w)
	}
}

// Data.Validate lets a program that builds its own Data (not a sweep config) refuse what a
// sweep refuses: a negative PerClass, which the loader would read as "all".
func TestDataValidate(t *testing.T) {
	ok := Data{Source: "cifar10", PerClass: 30, JPEG: "libjpeg"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.PerClass = -1
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "field data.per_class: -1 must be >= 0 (0 keeps every image") {
		t.Errorf("per_class -1: %v", err)
	}
	if err := (Data{Source: "images", PerClass: -2, ValFraction: 1, JPEG: "pil"}).Validate(); err == nil ||
		len(fields(t, err)) != 4 {
		t.Errorf("four problems: %v", err)
	}
}
