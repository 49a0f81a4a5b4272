package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coarsealign/coarsealign/internal/fsutil"
)

// Files of a run directory that record and guard its training.
const (
	// StateFile records whether the run's training is finished (State), written by Fit.
	StateFile = "state.json"
	// LockFile is locked (fsutil.TryLock: PID, host, start time) while Fit trains the run, so
	// that two processes never train one folder.
	LockFile = "lock"
)

// Status is the outcome of a run's last training session.
type Status string

const (
	// StatusNone: nothing was trained (a folder holding only config.json, e.g. the untrained
	// baseline).
	StatusNone Status = ""
	// StatusRunning: Fit is training the run, or its process died (the lock is then free).
	StatusRunning Status = "running"
	// StatusInterrupted: Fit was cancelled (SIGINT, SIGTERM); its checkpoint is saved and
	// training the run again resumes.
	StatusInterrupted Status = "interrupted"
	// StatusStopped: Fit stopped at Trainer.StopAt, before the planned total.
	StatusStopped Status = "stopped"
	// StatusFailed: Fit returned an error (State.Error).
	StatusFailed Status = "failed"
	// StatusComplete: the planned number of steps was trained.
	StatusComplete Status = "complete"
)

// State is the content of StateFile: how far the run's training got.
type State struct {
	Status Status `json:"status"`
	// Step is the global step of the run's latest checkpoint (what OpenRun and a resumed
	// training start from).
	Step int `json:"step"`
	// TotalSteps is the planned number of steps (0 if unknown).
	TotalSteps int    `json:"total_steps"`
	Error      string `json:"error,omitempty"`
	Updated    string `json:"updated,omitempty"` // RFC 3339, UTC.
	// Inferred is true for a run folder written before StateFile existed: the state is read
	// from its checkpoints and metrics.jsonl.
	Inferred bool `json:"-"`
}

// Complete reports whether the run trained its planned number of steps.
func (s State) Complete() bool { return s.Status == StatusComplete }

// String reads, e.g., "interrupted at step 120 of 500".
func (s State) String() string {
	if s.Status == StatusNone {
		return "not trained"
	}
	of := ""
	if s.TotalSteps > 0 {
		of = fmt.Sprintf(" of %d", s.TotalSteps)
	}
	st := fmt.Sprintf("%s at step %d%s", s.Status, s.Step, of)
	if s.Status == StatusComplete {
		st = fmt.Sprintf("complete at step %d", s.Step)
	}
	if s.Error != "" {
		st += ": " + s.Error
	}
	return st
}

func writeState(runDir string, s State) error {
	s.Updated = time.Now().UTC().Format(time.RFC3339)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(runDir, StateFile), append(b, '\n'))
}

// ReadState returns the training state of runDir: its StateFile, or, for a run folder written
// before StateFile existed, the state inferred from its checkpoints and metrics.jsonl (complete
// if the last record is a full epoch at the latest checkpoint that ends the planned training),
// or StatusNone if it has no checkpoint.
func ReadState(runDir string) (State, error) {
	path := filepath.Join(runDir, StateFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var s State
		if err := json.Unmarshal(b, &s); err != nil {
			return s, fmt.Errorf("train: %s: %w", path, err)
		}
		switch s.Status {
		case StatusRunning, StatusInterrupted, StatusStopped, StatusFailed, StatusComplete:
		default:
			return s, fmt.Errorf("train: %s: field status is %q, want running, interrupted, stopped, failed or complete", path, s.Status)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return State{}, fmt.Errorf("train: %w", err)
	}
	ck, err := LatestCheckpoint(runDir)
	if err != nil || ck.Dir == "" {
		return State{}, err
	}
	cfg, err := LoadConfig(filepath.Join(runDir, ConfigFile))
	if err != nil {
		return State{}, err
	}
	s := State{Status: StatusInterrupted, Step: ck.Step, TotalSteps: cfg.Steps, Inferred: true}
	recs, err := ReadMetrics(runDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	if n := len(recs); n > 0 {
		last := recs[n-1]
		if cfg.Steps == 0 && !last.Partial && last.Epoch > 0 && last.Step%last.Epoch == 0 {
			s.TotalSteps = cfg.Epochs * (last.Step / last.Epoch)
		}
		if !last.Partial && last.Step == ck.Step && s.TotalSteps > 0 && last.Step >= s.TotalSteps {
			s.Status = StatusComplete
		}
	}
	return s, nil
}

// IncompleteError reports a run whose training is not finished where a finished one is
// needed (OpenRun of the latest checkpoint, CheckStep).
type IncompleteError struct {
	Dir   string
	State State
	// Step is the step asked for (-1: the latest).
	Step int
	// Steps lists the run's checkpoints.
	Steps []int
	// Holder is the process training the run now, if any.
	Holder *fsutil.Holder
}

func (e *IncompleteError) Error() string {
	how := e.State.String()
	if e.Holder != nil {
		how += ", being trained by " + e.Holder.String()
	} else if e.State.Status == StatusRunning {
		how += ", but no process is training it (killed?)"
	}
	src := filepath.Join(e.Dir, StateFile)
	if e.State.Inferred {
		src = filepath.Join(e.Dir, MetricsJSONL)
	}
	if e.Step >= 0 {
		if e.State.Complete() {
			return fmt.Sprintf("train: step %d of run %s is not a final model: the run finished at step %d (%s)", e.Step, e.Dir, e.State.Step, src)
		}
		return fmt.Sprintf("train: step %d of run %s is not a final model: the run is unfinished (%s; %s)", e.Step, e.Dir, how, src)
	}
	return fmt.Sprintf("train: run %s is unfinished (%s; %s): train it again to resume and finish it, or open one of its checkpoints explicitly (steps %v)",
		e.Dir, how, src, e.Steps)
}

func incomplete(runDir string, s State, step int) *IncompleteError {
	e := &IncompleteError{Dir: runDir, State: s, Step: step}
	if l, err := ListCheckpoints(runDir); err == nil {
		for _, c := range l {
			e.Steps = append(e.Steps, c.Step)
		}
	}
	if h, held := fsutil.Locked(filepath.Join(runDir, LockFile)); held {
		e.Holder = &h
	}
	return e
}

// CheckStep reports whether a model taken at step of runDir (e.g. the step recorded with saved
// features) is one the run meant to produce: the untrained model (0), a chronology step
// (Config.CheckpointSteps) or the final model of a finished run. Otherwise it returns an
// *IncompleteError: the run is unfinished, or finished at a later step.
func CheckStep(runDir string, step int) error {
	cfg, err := LoadConfig(filepath.Join(runDir, ConfigFile))
	if err != nil {
		return err
	}
	if step == 0 || slices.Contains(cfg.CheckpointSteps, step) {
		return nil
	}
	s, err := ReadState(runDir)
	if err != nil {
		return err
	}
	if s.Complete() && s.Step == step {
		return nil
	}
	return incomplete(runDir, s, step)
}

// truncateMetrics drops the records of metrics.jsonl and metrics.csv after step: rows that a
// session wrote before it died without the checkpoint they belong to, and that the resumed
// session writes again. A last line cut short by a crash is dropped too.
func truncateMetrics(runDir string, step int) error {
	keepJSON := func(line string) (bool, bool) {
		var r struct {
			Step *int `json:"step"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Step == nil {
			return false, false
		}
		return *r.Step <= step, true
	}
	keepCSV := func(line string) (bool, bool) {
		f := strings.SplitN(line, ",", 3)
		if len(f) < 3 {
			return false, false
		}
		s, err := strconv.Atoi(f[1])
		if err != nil {
			return false, false
		}
		return s <= step, true
	}
	if err := filterLines(filepath.Join(runDir, MetricsJSONL), false, keepJSON); err != nil {
		return err
	}
	return filterLines(filepath.Join(runDir, MetricsCSV), true, keepCSV)
}

// filterLines rewrites path (atomically, only if a line goes) keeping the lines keep accepts;
// unparsable lines are kept except a last one without its newline (a write cut short).
func filterLines(path string, header bool, keep func(string) (keep, parsed bool)) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	var out bytes.Buffer
	dropped := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	first, pos := true, 0
	for sc.Scan() {
		line := sc.Text()
		pos += len(line) + 1
		if first && header {
			first = false
			out.WriteString(line + "\n")
			continue
		}
		first = false
		k, parsed := keep(line)
		cut := !parsed && pos > len(b) // the last line, with no newline after it
		if k || (!parsed && !cut) {
			out.WriteString(line + "\n")
		} else {
			dropped = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	if !dropped {
		return nil
	}
	return writeFileAtomic(path, out.Bytes())
}
