package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// An add-on target is scored on runs that are already done, without changing their identity
// or their other artifacts: e.g. the CIFAR-10H human-uncertainty target (eval.cifar10h), which
// reads the trained network but not the 92-image features. Its rows live in the run folder's
// AddOnScoresFile(name), which Collect adds after the run's own scores, and its settings in
// AddOnKeyFile(name): the add-on runs again when its key changes.

// AddOn is one add-on target.
type AddOn interface {
	// Name identifies the add-on in its file names (lower case, no spaces or slashes).
	Name() string
	// Key returns the add-on's settings for run r as a canonical string (ok false: the add-on
	// is off for r). A run whose key file holds the same string is not scored again.
	Key(r Run) (key string, ok bool)
	// Score computes the add-on's rows for env.Run; it may write its own artifacts with
	// env.WriteFile / WriteDir.
	Score(ctx context.Context, env *Env) ([]Score, error)
}

// AddOnScoresFile is the scores file of add-on name inside a run folder.
func AddOnScoresFile(name string) string { return "scores-" + name + ".jsonl" }

// AddOnKeyFile holds the key (settings) that produced AddOnScoresFile(name).
func AddOnKeyFile(name string) string { return "addon-" + name + ".key" }

// AddOnCurrent reports whether run id under out has add-on a's scores for key.
func AddOnCurrent(out, id, name, key string) bool {
	b, err := os.ReadFile(filepath.Join(RunDir(out, id), AddOnKeyFile(name)))
	return err == nil && string(b) == key
}

// RunAddOns scores the add-ons on every done run of runs whose scores are missing or were
// made with other settings, holding the run's lock (a run held by another process is left
// to it). It returns the number of (run, add-on) pairs scored and stops at the first error.
// The key file is removed before and written after the scores, so Collect never mixes a
// new key with old rows.
func (rn *Runner) RunAddOns(ctx context.Context, runs []Run, addons []AddOn) (int, error) {
	n := 0
	for _, a := range addons {
		if name := a.Name(); name == "" || strings.ContainsAny(name, " /\\") {
			return 0, fmt.Errorf("sweep: bad add-on name %q", name)
		}
	}
	log := rn.Log
	if log == nil {
		log = io.Discard
	}
	for _, r := range runs {
		id := r.ID()
		if !IsDone(rn.Out, id) {
			continue
		}
		var todo []AddOn
		keys := map[string]string{}
		for _, a := range addons {
			key, ok := a.Key(r)
			if ok && !AddOnCurrent(rn.Out, id, a.Name(), key) {
				todo = append(todo, a)
				keys[a.Name()] = key
			}
		}
		if len(todo) == 0 {
			continue
		}
		dir := RunDir(rn.Out, id)
		l, ok, err := tryLock(filepath.Join(dir, LockFile))
		if err != nil {
			return n, err
		}
		if !ok {
			rn.logf("run %s %s: held by another process; add-ons left to it", id, r.Label())
			continue
		}
		err = func() error {
			defer l.unlock()
			for _, a := range todo {
				if err := ctx.Err(); err != nil {
					return err
				}
				name := a.Name()
				if err := os.Remove(filepath.Join(dir, AddOnKeyFile(name))); err != nil && !os.IsNotExist(err) {
					return err
				}
				env := &Env{Run: r, ID: id, Dir: dir, Out: rn.Out, DataDir: rn.DataDir, Log: log,
					stage: name, progress: rn.Progress}
				scores, err := a.Score(ctx, env)
				if err != nil {
					return fmt.Errorf("sweep: run %s (%s): add-on %s: %w", id, r.Label(), name, err)
				}
				for i, s := range scores {
					if err := s.Check(); err != nil {
						return fmt.Errorf("sweep: run %s add-on %s score %d: %w", id, name, i, err)
					}
				}
				if err := env.WriteFile(AddOnScoresFile(name), func(w io.Writer) error { return encodeScores(w, scores) }); err != nil {
					return err
				}
				if err := env.WriteFile(AddOnKeyFile(name), func(w io.Writer) error {
					_, err := io.WriteString(w, keys[name])
					return err
				}); err != nil {
					return err
				}
				rn.logf("run %s %s: add-on %s: %d rows", id, r.Label(), name, len(scores))
				n++
			}
			return nil
		}()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// addOnScores reads the add-on scores of the run folder dir whose key file exists, in the
// order of their names.
func addOnScores(dir string) ([]Score, error) {
	files, err := filepath.Glob(filepath.Join(dir, "scores-*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Score
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "scores-"), ".jsonl")
		if _, err := os.Stat(filepath.Join(dir, AddOnKeyFile(name))); err != nil {
			continue // being rewritten, or left by an interrupted add-on
		}
		s, err := ReadScores(f)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

func encodeScores(w io.Writer, scores []Score) error {
	enc := json.NewEncoder(w)
	for _, s := range scores {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return nil
}
