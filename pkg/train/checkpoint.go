package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// Checkpoint is one saved state of a run: RunDir/checkpoints/step-NNNNNNNN, a GoMLX checkpoint
// directory (checkpoint.Handler format: JSON metadata + binary variables) holding every variable
// of the store: model weights, batch-norm statistics, optimizer moments, the global step and the
// random-number state, so training resumes exactly.
type Checkpoint struct {
	Step int
	Dir  string
}

const stepPrefix = "step-"

// CheckpointDir is the directory of the checkpoint at step in runDir.
func CheckpointDir(runDir string, step int) string {
	return filepath.Join(runDir, CheckpointsDir, fmt.Sprintf("%s%08d", stepPrefix, step))
}

// ListCheckpoints returns the complete checkpoints of runDir, by increasing step. Temporary
// directories of interrupted saves are ignored.
func ListCheckpoints(runDir string) ([]Checkpoint, error) {
	entries, err := os.ReadDir(filepath.Join(runDir, CheckpointsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Checkpoint
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, stepPrefix) {
			continue
		}
		s, err := strconv.Atoi(strings.TrimPrefix(name, stepPrefix))
		if err != nil {
			continue
		}
		out = append(out, Checkpoint{Step: s, Dir: filepath.Join(runDir, CheckpointsDir, name)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out, nil
}

// LatestCheckpoint returns the checkpoint with the highest step, or a zero Checkpoint if none.
func LatestCheckpoint(runDir string) (Checkpoint, error) {
	l, err := ListCheckpoints(runDir)
	if err != nil || len(l) == 0 {
		return Checkpoint{}, err
	}
	return l[len(l)-1], nil
}

// LoadCheckpoint loads every variable of the checkpoint directory dir into store (creating or
// overwriting variables).
func LoadCheckpoint(store *model.Store, dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", dir, err)
	}
	if _, err := checkpoint.Load(store).Dir(dir).Immediate().Done(); err != nil {
		return fmt.Errorf("train: loading checkpoint %s: %w", dir, err)
	}
	// Variables created by the loader are marked trainable; the graph code re-marks its own
	// state variables, but not the random-number state: only floating-point values can train.
	for v := range store.IterVariables() {
		if !v.Shape().DType.IsFloat() {
			v.SetTrainable(false)
		}
	}
	return nil
}

// Save writes a checkpoint of the current state at the current global step, atomically: the
// GoMLX checkpoint is written into a temporary directory that is then renamed, so an
// interruption never leaves a partial checkpoint that resume would pick. It then deletes old
// resume checkpoints (keeping the latest KeepLatest and every step in CheckpointSteps).
// Without a run directory it does nothing.
func (t *Trainer) Save() error {
	if t.RunDir == "" {
		return nil
	}
	step := t.GlobalStep()
	final := CheckpointDir(t.RunDir, step)
	if _, err := os.Stat(final); err == nil {
		return nil // the state at a given step of a run is unique: already saved.
	}
	tmp := filepath.Join(t.RunDir, CheckpointsDir, fmt.Sprintf(".tmp-%s%08d", stepPrefix, step))
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	h, err := checkpoint.Build(t.Store).Dir(tmp).Keep(-1).Done()
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", tmp, err)
	}
	if err := h.Save(); err != nil {
		return fmt.Errorf("train: saving checkpoint %s: %w", tmp, err)
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := fsutil.ChmodTempDir(tmp); err != nil { // GoMLX makes checkpoint folders 0770
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("train: publishing checkpoint: %w", err)
	}
	return t.prune()
}

func syncDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *Trainer) prune() error {
	l, err := ListCheckpoints(t.RunDir)
	if err != nil {
		return err
	}
	keepN := t.Config.KeepLatest
	if keepN <= 0 {
		keepN = 2
	}
	keep := map[int]bool{}
	for _, s := range t.Config.CheckpointSteps {
		keep[s] = true
	}
	var resume []Checkpoint
	for _, c := range l {
		if !keep[c.Step] {
			resume = append(resume, c)
		}
	}
	for i := 0; i < len(resume)-keepN; i++ {
		if err := os.RemoveAll(resume[i].Dir); err != nil {
			return err
		}
	}
	return nil
}
