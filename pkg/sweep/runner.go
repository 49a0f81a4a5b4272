package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names inside a run folder <out>/runs/<id>/.
const (
	// DoneFile is written last, atomically: its presence means every artifact is complete.
	DoneFile = "done"
	// RunFile holds the run's canonical config (written first).
	RunFile = "run.json"
	// LockFile is flock(2)ed while a process works on the run.
	LockFile = "lock"
	// ScoresFile holds the run's alignment scores, one JSON Score per line.
	ScoresFile = "scores.jsonl"
	// CurveFile holds the training curve, one JSON EpochStat per line.
	CurveFile = "curve.jsonl"
	// stageMarkerPrefix + stage name + ".done" marks a finished stage, so that a resumed run
	// skips it.
	stageMarkerPrefix = "stage-"
)

// Stage is one step of a run's pipeline (labels -> train -> features -> eval). Run reads
// earlier stages' artifacts from env and writes its own through env's atomic writers,
// so an interrupted stage never leaves an artifact that looks complete. A stage whose
// Run returned nil is not run again when the run is resumed.
type Stage interface {
	// Name identifies the stage in markers and progress (lower case, no spaces).
	Name() string
	// Run does the stage's work for env.Run.
	Run(ctx context.Context, env *Env) error
}

// StageFunc adapts a function to Stage.
type StageFunc struct {
	StageName string
	Fn        func(ctx context.Context, env *Env) error
}

// Name implements Stage.
func (s StageFunc) Name() string { return s.StageName }

// Run implements Stage.
func (s StageFunc) Run(ctx context.Context, env *Env) error { return s.Fn(ctx, env) }

// Progress receives the runner's events. Implementations must be cheap; nil fields of
// Runner mean no reporting. Calls come from the runner's goroutine only.
type Progress interface {
	// StartRun is called before run (pos-th of total in this shard) starts or is skipped.
	StartRun(run Run, pos, total int)
	// Stage reports work inside a stage: done of total units (e.g. optimiser steps).
	Stage(run Run, stage string, done, total int)
	// EndRun is called when the run finished (skipped: it was already done, or another
	// process holds it) or failed (err != nil).
	EndRun(run Run, skipped bool, err error)
}

// Runner executes runs of a sweep under Out.
type Runner struct {
	// Out is the sweep's output folder; runs live in Out/runs/<id>.
	Out string
	// DataDir is passed to stages (see datadir.Resolve).
	DataDir string
	// Stages is the pipeline, in order.
	Stages []Stage
	// Progress, if not nil, receives events.
	Progress Progress
	// Log, if not nil, receives one line per event. Warnings (see Execute) go there, or to
	// os.Stderr when Log is nil: a capped setting is never silent.
	Log io.Writer
}

// Env is what a stage sees of its run.
type Env struct {
	Run Run
	// ID is Run.ID().
	ID string
	// Dir is the run folder; artifacts go there, written with WriteFile/WriteDir.
	Dir string
	// Out is the sweep's output folder (for Shared).
	Out string
	// DataDir is the data directory.
	DataDir string
	// Log receives progress lines (never nil).
	Log io.Writer

	stage    string
	progress Progress
}

// Path returns the path of the run's artifact name.
func (e *Env) Path(name string) string { return filepath.Join(e.Dir, name) }

// Exists reports whether the artifact name exists (complete, since writes are atomic).
func (e *Env) Exists(name string) bool {
	_, err := os.Stat(e.Path(name))
	return err == nil
}

// WriteFile writes the artifact name atomically (see WriteFileAtomic).
func (e *Env) WriteFile(name string, write func(w io.Writer) error) error {
	return WriteFileAtomic(e.Path(name), write)
}

// WriteDir builds the artifact folder name atomically (see WriteDirAtomic).
func (e *Env) WriteDir(name string, build func(tmpDir string) error) error {
	return WriteDirAtomic(e.Path(name), build)
}

// Report forwards stage progress (done of total units) to the runner's Progress.
func (e *Env) Report(done, total int) {
	if e.progress != nil {
		e.progress.Stage(e.Run, e.stage, done, total)
	}
}

// WriteScores writes the run's scores (ScoresFile) atomically. The eval stage must call it.
func (e *Env) WriteScores(scores []Score) error {
	for i, s := range scores {
		if err := s.Check(); err != nil {
			return fmt.Errorf("sweep: run %s score %d: %w", e.ID, i, err)
		}
	}
	return e.WriteFile(ScoresFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, s := range scores {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteCurve writes the training curve (CurveFile) atomically.
func (e *Env) WriteCurve(curve []EpochStat) error {
	return e.WriteFile(CurveFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, s := range curve {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
		return nil
	})
}

// Shared returns the folder <out>/shared/<kind>-<hash(spec)>, building it once with build
// (atomically, under a lock) if it does not exist yet. Runs that need the same expensive
// input (e.g. the coarse labelling computed from one label source) share it this way.
// Concurrent shards wait for each other on the lock.
func (e *Env) Shared(ctx context.Context, kind string, spec any, build func(tmpDir string) error) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("sweep: shared %s: %w", kind, err)
	}
	sum := sha256.Sum256(append([]byte(kind+"\x00"), b...))
	dir := filepath.Join(e.Out, "shared", kind+"-"+hex.EncodeToString(sum[:])[:IDLen])
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	lockPath := dir + ".lock"
	for {
		l, ok, err := tryLock(lockPath)
		if err != nil {
			return "", err
		}
		if ok {
			defer l.unlock()
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	if _, err := os.Stat(dir); err == nil { // built by another process while we waited
		return dir, nil
	}
	// Leftovers of an interrupted build of this artifact only: other artifacts' temporary
	// folders may belong to live processes.
	if old, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), TempPrefix+filepath.Base(dir)+"-*")); len(old) > 0 {
		for _, o := range old {
			os.RemoveAll(o)
		}
	}
	if err := WriteDirAtomic(dir, func(tmp string) error {
		if err := os.WriteFile(filepath.Join(tmp, "spec.json"), b, 0o644); err != nil {
			return err
		}
		return build(tmp)
	}); err != nil {
		return "", err
	}
	return dir, nil
}

// Summary counts what Execute did.
type Summary struct {
	// Ran counts runs completed by this call; Skipped those already done; Busy those held
	// by another process (left to it).
	Ran, Skipped, Busy int
}

// RunDir returns the folder of run id under the sweep output folder out.
func RunDir(out, id string) string { return filepath.Join(out, "runs", id) }

// IsDone reports whether run id under out has its done marker.
func IsDone(out, id string) bool {
	_, err := os.Stat(filepath.Join(RunDir(out, id), DoneFile))
	return err == nil
}

// Execute runs the given runs in order (usually Shard.Select(cfg.Expand())), skipping the
// ones already done and the ones another process is working on. Before any stage runs, it
// checks the runs not done yet with CheckRuns: a problem with their settings or inputs (a
// missing label-source file, a data.per_class above every class, ...) is returned at once, in
// one *ConfigError listing them all, and warnings are logged (Log, else os.Stderr). It stops
// at the first failing run and returns its error; finished runs stay done. Cancelling ctx
// stops after the current stage.
func (rn *Runner) Execute(ctx context.Context, runs []Run) (Summary, error) {
	var sum Summary
	if len(rn.Stages) == 0 {
		return sum, errors.New("sweep: runner has no stages")
	}
	seen := map[string]bool{}
	for _, s := range rn.Stages {
		n := s.Name()
		if n == "" || strings.ContainsAny(n, " /\\") || seen[n] {
			return sum, fmt.Errorf("sweep: bad or duplicate stage name %q", n)
		}
		seen[n] = true
	}
	var pending []Run
	for _, r := range runs {
		if !IsDone(rn.Out, r.ID()) {
			pending = append(pending, r)
		}
	}
	warnings, err := CheckRuns(pending, rn.DataDir)
	for _, w := range warnings {
		rn.warnf("sweep: warning: %s", w)
	}
	if err != nil {
		return sum, err
	}
	for pos, r := range runs {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if rn.Progress != nil {
			rn.Progress.StartRun(r, pos, len(runs))
		}
		skipped, busy, err := rn.executeOne(ctx, r)
		if rn.Progress != nil {
			rn.Progress.EndRun(r, skipped || busy, err)
		}
		switch {
		case err != nil:
			return sum, fmt.Errorf("sweep: run %s (%s): %w", r.ID(), r.Label(), err)
		case busy:
			sum.Busy++
			rn.logf("run %s %s: held by another process, skipped", r.ID(), r.Label())
		case skipped:
			sum.Skipped++
			rn.logf("run %s %s: done already", r.ID(), r.Label())
		default:
			sum.Ran++
		}
	}
	return sum, nil
}

// warnf writes a warning line to Log, or to os.Stderr when Log is nil.
func (rn *Runner) warnf(format string, args ...any) {
	w := rn.Log
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, format+"\n", args...)
}

func (rn *Runner) logf(format string, args ...any) {
	if rn.Log != nil {
		fmt.Fprintf(rn.Log, format+"\n", args...)
	}
}

func (rn *Runner) executeOne(ctx context.Context, r Run) (skipped, busy bool, err error) {
	id := r.ID()
	dir := RunDir(rn.Out, id)
	if IsDone(rn.Out, id) {
		return true, false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, false, err
	}
	l, ok, err := tryLock(filepath.Join(dir, LockFile))
	if err != nil {
		return false, false, err
	}
	if !ok {
		return false, true, nil
	}
	defer l.unlock()
	if IsDone(rn.Out, id) { // finished by another process between the check and the lock
		return true, false, nil
	}
	if err := removeTemps(dir); err != nil {
		return false, false, err
	}
	canon := r.Canonical()
	if err := WriteFileAtomic(filepath.Join(dir, RunFile), func(w io.Writer) error {
		_, err := w.Write(append(canon, '\n'))
		return err
	}); err != nil {
		return false, false, err
	}
	log := rn.Log
	if log == nil {
		log = io.Discard
	}
	start := time.Now()
	for _, st := range rn.Stages {
		marker := filepath.Join(dir, stageMarkerPrefix+st.Name()+".done")
		if _, err := os.Stat(marker); err == nil {
			rn.logf("run %s %s: stage %s done already", id, r.Label(), st.Name())
			continue
		}
		if err := ctx.Err(); err != nil {
			return false, false, err
		}
		env := &Env{Run: r, ID: id, Dir: dir, Out: rn.Out, DataDir: rn.DataDir, Log: log,
			stage: st.Name(), progress: rn.Progress}
		t0 := time.Now()
		if err := st.Run(ctx, env); err != nil {
			return false, false, fmt.Errorf("stage %s: %w", st.Name(), err)
		}
		if err := WriteFileAtomic(marker, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%.3f\n", time.Since(t0).Seconds())
			return err
		}); err != nil {
			return false, false, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ScoresFile)); err != nil {
		return false, false, fmt.Errorf("no stage wrote %s (the eval stage must call Env.WriteScores)", ScoresFile)
	}
	done := map[string]any{"id": id, "seconds": time.Since(start).Seconds(), "finished": time.Now().UTC().Format(time.RFC3339)}
	if err := WriteFileAtomic(filepath.Join(dir, DoneFile), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(done)
	}); err != nil {
		return false, false, err
	}
	rn.logf("run %s %s: done in %.1fs", id, r.Label(), time.Since(start).Seconds())
	return false, false, nil
}

// RunState is a run's state on disk.
type RunState int

const (
	// Pending: not started, or interrupted (its process died; it will be resumed).
	Pending RunState = iota
	// InProgress: a live process holds the run's lock.
	InProgress
	// Done: the done marker exists.
	Done
)

func (s RunState) String() string {
	return [...]string{"pending", "in-progress", "done"}[s]
}

// State returns the state of run id under out.
func State(out, id string) RunState {
	if IsDone(out, id) {
		return Done
	}
	if locked(filepath.Join(RunDir(out, id), LockFile)) {
		return InProgress
	}
	return Pending
}

// Status counts runs by state; States lists each run's state in order.
type Status struct {
	Done, InProgress, Pending int
	States                    []RunState
}

// GetStatus reads the states of runs under out.
func GetStatus(out string, runs []Run) Status {
	var st Status
	for _, r := range runs {
		s := State(out, r.ID())
		st.States = append(st.States, s)
		switch s {
		case Done:
			st.Done++
		case InProgress:
			st.InProgress++
		default:
			st.Pending++
		}
	}
	return st
}
