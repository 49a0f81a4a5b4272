package train

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
)

// Run is a trained (or untrained) model read back from a run directory.
type Run struct {
	Dir    string
	Config Config
	Store  *model.Store // variables of the checkpoint (nil values are initialised from Config.Seed).
	Step   int          // global step of the checkpoint; 0 for the untrained model.
	// State is the run's training state (ReadState) when it was opened.
	State State
}

// OpenOptions configure OpenRunWith.
type OpenOptions struct {
	// AllowIncomplete lets the latest checkpoint of an unfinished run be opened.
	AllowIncomplete bool
}

// OpenRun reads runDir/config.json and the checkpoint at step: step < 0 means the latest of a
// finished run (an *IncompleteError if the run's training is unfinished: interrupted, stopped,
// failed or in progress; the untrained model if nothing was trained), step == 0 the untrained
// model (weights initialised from the run's seed exactly as at the start of training: the
// study's random-init baseline), step > 0 that checkpoint (an error if it was not kept; an
// unfinished run's checkpoints can be opened this way).
func OpenRun(runDir string, step int) (*Run, error) { return OpenRunWith(runDir, step, OpenOptions{}) }

// OpenRunWith is OpenRun with options.
func OpenRunWith(runDir string, step int, o OpenOptions) (*Run, error) {
	cfg, err := LoadConfig(filepath.Join(runDir, ConfigFile))
	if err != nil {
		return nil, err
	}
	st, err := ReadState(runDir)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: runDir, Config: cfg, Store: model.NewStore(), State: st}
	var ck Checkpoint
	switch {
	case step < 0:
		if st.Status != StatusNone && !st.Complete() && !o.AllowIncomplete {
			return nil, incomplete(runDir, st, -1)
		}
		if ck, err = LatestCheckpoint(runDir); err != nil {
			return nil, err
		}
	case step > 0:
		l, err := ListCheckpoints(runDir)
		if err != nil {
			return nil, err
		}
		for _, c := range l {
			if c.Step == step {
				ck = c
			}
		}
		if ck.Dir == "" {
			return nil, fmt.Errorf("train: run %s has no checkpoint at step %d (have %v)", runDir, step, l)
		}
	}
	if ck.Dir != "" {
		if err := LoadCheckpoint(r.Store, ck.Dir); err != nil {
			return nil, err
		}
		r.Step = ck.Step
		return r, nil
	}
	if err := r.Store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, err
	}
	return r, nil
}
