package sweep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// Runs built in code (not parsed) are validated by the runner too: a negative data.per_class
// (which pkg/sweep/study would read as "all", like the CLI's train --per-class -1) is an error.
func TestCheckRunsValidatesRunSettings(t *testing.T) {
	r := mustParse(t, testConfig).Expand()[0]
	r.Data.PerClass = -1
	r.Train.Steps = -2
	r.Arch.Width = 25
	_, err := CheckRuns([]Run{r}, t.TempDir())
	for _, f := range []string{"data.per_class", "train.steps", "archs[alexnet-bn].width"} {
		if !slices.Contains(fields(t, err), f) {
			t.Errorf("no problem for %s: %v", f, err)
		}
	}
	var calls int
	if _, err := (&Runner{Out: t.TempDir(), Stages: countingStages(&calls), Log: io.Discard}).Execute(context.Background(), []Run{r}); err == nil || calls != 0 {
		t.Errorf("Execute: %v after %d stage calls", err, calls)
	}
}

// imageFolder makes an ImageFolder with the given number of (empty) .png files per class: the
// checks count files and never decode them.
func imageFolder(t *testing.T, sizes map[string]int) string {
	t.Helper()
	root := t.TempDir()
	for class, n := range sizes {
		if err := os.MkdirAll(filepath.Join(root, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := os.WriteFile(filepath.Join(root, class, fmt.Sprintf("%03d.png", i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// folderConfig is a small sweep over the image folder root.
func folderConfig(root, data, extra string) string {
	return fmt.Sprintf(`
name: folder
label_sources: [pixels]
granularity: [2, fine]
seeds: [1]
archs: [{name: alexnet-bn, width: 0.25, input_size: 32}]
labels: {pcs: 2}
train: {epochs: 1, batch: 4, lr: 1.0e-3}
data: {source: images, path: %s%s}
%s`, root, data, extra)
}

// countingStages is a pipeline that counts its stage calls and writes empty scores.
func countingStages(calls *int) []Stage {
	return []Stage{StageFunc{"work", func(ctx context.Context, env *Env) error {
		*calls++
		return env.WriteScores(nil)
	}}}
}

// Item 6: a data.per_class above every class's size is an error before any stage runs (it was
// clamped without a word while the results table recorded the requested number); above some
// classes' sizes the runner logs a warning naming the classes kept whole (per_class is a cap,
// and the cap is what ran and what the table records).
func TestPerClassAboveTheClassSizes(t *testing.T) {
	root := imageFolder(t, map[string]int{"cat": 3, "dog": 5})
	dataDir := t.TempDir()
	for _, tc := range []struct {
		perClass int
		err      string // "" = none
		warn     string // "" = none
	}{
		{0, "", ""}, {3, "", ""},
		{4, "", "field data.per_class: 4 is more than 1 of the 2 classes of " + root + " hold (cat: 3); those classes are kept whole"},
		{5, "", "(cat: 3)"},
		{6, "field data.per_class: 6 is more than any class of " + root + " holds (the largest, dog, has 5 images)", ""},
	} {
		cfg := mustParse(t, folderConfig(root, fmt.Sprintf(", per_class: %d", tc.perClass), ""))
		warnings, err := cfg.Check(dataDir)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("per_class %d: Check error %v, want %q", tc.perClass, err, tc.err)
		}
		if got := strings.Join(warnings, "\n"); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
			t.Errorf("per_class %d: warnings %q, want %q", tc.perClass, got, tc.warn)
		}
		// The runner checks the same before its first stage, and logs the warnings.
		var calls int
		var log bytes.Buffer
		out := t.TempDir()
		rn := &Runner{Out: out, DataDir: dataDir, Stages: countingStages(&calls), Log: &log}
		_, err = rn.Execute(context.Background(), cfg.Expand())
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || calls != 0 {
				t.Errorf("per_class %d: Execute error %v after %d stage calls, want %q before any", tc.perClass, err, calls, tc.err)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("per_class %d: Execute wrote %d entries before failing", tc.perClass, len(ents))
			}
			continue
		}
		if err != nil || calls != 2 {
			t.Errorf("per_class %d: Execute %v, %d stage calls", tc.perClass, err, calls)
		}
		if tc.warn != "" && (!strings.Contains(log.String(), "sweep: warning: field data.per_class") || !strings.Contains(log.String(), tc.warn)) {
			t.Errorf("per_class %d: log %q lacks the warning", tc.perClass, log.String())
		}
	}
}

// Item 6: the sweep's check names an empty class folder (it used to count as a class).
func TestCheckNamesAnEmptyClassFolder(t *testing.T) {
	root := imageFolder(t, map[string]int{"cat": 3, "dog": 0})
	_, err := mustParse(t, folderConfig(root, "", "")).Check(t.TempDir())
	if err == nil || !slices.Contains(fields(t, err), "data.path") || !strings.Contains(err.Error(), "dog") {
		t.Fatalf("empty class folder: %v", err)
	}
}

// Item 7: what the runs need from disk is checked before the first stage runs, and every
// problem is reported together: a missing .npy label source, one with the wrong number of
// rows or of columns, eval targets of the wrong shape or missing, a batch larger than the
// training set.
func TestExecuteChecksInputsBeforeTheFirstStage(t *testing.T) {
	root := imageFolder(t, map[string]int{"cat": 5, "dog": 5}) // 10 images, 8 for training
	dataDir, dir := t.TempDir(), t.TempDir()
	emb := func(name string, rows, cols int) string {
		p := filepath.Join(dir, name)
		if err := npy.WriteMatrix32(p, rows, cols, make([]float32, rows*cols)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, short, narrow := emb("good.npy", 10, 8), emb("short.npy", 9, 8), emb("narrow.npy", 10, 1)
	withIDs, fewIDs := emb("ids.npy", 12, 8), emb("fewids.npy", 12, 8)
	os.WriteFile(strings.TrimSuffix(withIDs, ".npy")+".ids", []byte(idLines(12)), 0o644)
	os.WriteFile(strings.TrimSuffix(fewIDs, ".npy")+".ids", []byte(idLines(11)), 0o644)
	sq := make([]float64, 92*92)
	okRDM := filepath.Join(dir, "rdm.npy")
	npy.WriteMatrix(okRDM, 92, 92, sq)
	asym := filepath.Join(dir, "asym.npy")
	sq[1] = 1
	npy.WriteMatrix(asym, 92, 92, sq)
	vec := filepath.Join(dir, "vec.npy")
	npy.WriteMatrix(vec, 1, 92*91/2, make([]float64, 92*91/2))
	resp, resp90 := emb("resp.npy", 92, 4), emb("resp90.npy", 90, 4)
	missing := filepath.Join(dir, "missing.npy")

	okCfg := folderConfig(root, "", fmt.Sprintf(`eval: {targets: [{name: a, rdm: %s}, {name: b, rdm: %s}, {name: c, responses: %s}]}`, okRDM, vec, resp))
	okCfg = strings.Replace(okCfg, "label_sources: [pixels]", fmt.Sprintf("label_sources: [pixels, %s, %s]", good, withIDs), 1)
	var calls int
	if _, err := (&Runner{Out: t.TempDir(), DataDir: dataDir, Stages: countingStages(&calls), Log: io.Discard}).
		Execute(context.Background(), mustParse(t, okCfg).Expand()); err != nil || calls != 4 {
		t.Fatalf("valid inputs: %v after %d stage calls", err, calls)
	}

	badCfg := folderConfig(root, "", fmt.Sprintf(`eval: {targets: [{name: a, rdm: %s}, {name: b, rdm: %s}, {name: c, responses: %s}, {name: d, rdm: %s}]}`, asym, resp, resp90, missing))
	badCfg = strings.Replace(badCfg, "label_sources: [pixels]", fmt.Sprintf("label_sources: [%s, %s, %s, %s]", missing, short, narrow, fewIDs), 1)
	badCfg = strings.Replace(badCfg, "batch: 4", "batch: 9", 1)
	cfg := mustParse(t, badCfg) // Parse checks no file
	calls = 0
	out := t.TempDir()
	_, err := (&Runner{Out: out, DataDir: dataDir, Stages: countingStages(&calls), Log: io.Discard}).Execute(context.Background(), cfg.Expand())
	if err == nil || calls != 0 {
		t.Fatalf("bad inputs: %v after %d stage calls", err, calls)
	}
	for _, want := range []string{
		"field label_sources: \"" + missing + "\": open " + missing,
		"field label_sources: \"" + short + "\" has 9 rows for the 10 training images of " + root,
		"field label_sources: \"" + narrow + "\" has 1 columns, fewer than the labels.pcs=2",
		"field label_sources: \"" + fewIDs + "\" has 12 rows but",
		"field eval.targets[0].rdm: rdm \"" + asym + "\": asymmetric",
		"field eval.targets[1].rdm: \"" + resp + "\" has shape [92 4]",
		"field eval.targets[2].responses: \"" + resp90 + "\" has shape [90 4]",
		"field eval.targets[3].rdm: \"" + missing + "\"",
		"field train.batch: 9 is more than the 8 training images",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("Execute wrote %d entries before failing", len(ents))
	}
	// Check on the config reports the same problems.
	if _, err2 := cfg.Check(dataDir); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("Check:\n%v\nExecute:\n%v", err2, err)
	}
	// Runs already done are not checked: their inputs may be gone.
	okRuns := mustParse(t, okCfg).Expand()
	okOut := t.TempDir()
	rn := &Runner{Out: okOut, DataDir: dataDir, Stages: countingStages(&calls), Log: io.Discard}
	if _, err := rn.Execute(context.Background(), okRuns); err != nil {
		t.Fatal(err)
	}
	os.Remove(good)
	calls = 0
	if sum, err := rn.Execute(context.Background(), okRuns); err != nil || sum.Skipped != len(okRuns) || calls != 0 {
		t.Errorf("done runs whose label source is gone: %+v, %v", sum, err)
	}
	if _, err := CheckRuns(okRuns, dataDir); err == nil || !strings.Contains(err.Error(), good) {
		t.Errorf("CheckRuns of the same runs: %v", err)
	}
}

// idLines returns n distinct IDs, one per line.
func idLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "img%d.png\n", i)
	}
	return b.String()
}

// Check lists the settings' problems and the inputs' problems together: one pass fixes all.
func TestCheckReportsSettingsAndFilesTogether(t *testing.T) {
	root := imageFolder(t, map[string]int{"cat": 5, "dog": 5})
	missing := filepath.Join(t.TempDir(), "emb.npy")
	cfg := mustParse(t, folderConfig(root, ", per_class: 9", ""))
	cfg.LabelSources = []string{missing}
	cfg.Train.Steps = -1 // after Parse: as a program may change a parsed config
	_, err := cfg.Check(t.TempDir())
	got := fields(t, err)
	for _, f := range []string{"train.steps", "label_sources", "data.per_class"} {
		if !slices.Contains(got, f) {
			t.Errorf("Check: no problem for %s in %v", f, err)
		}
	}
	var calls int
	_, err = (&Runner{Out: t.TempDir(), Stages: countingStages(&calls), Log: io.Discard}).Execute(context.Background(), cfg.Expand())
	for _, f := range []string{"train.steps", "label_sources", "data.per_class"} {
		if !slices.Contains(fields(t, err), f) || calls != 0 {
			t.Errorf("Execute: no problem for %s in %v (%d stage calls)", f, err, calls)
		}
	}
}
