package sweep

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Files of a chronology run (Run.Chronology set).
const (
	// StepScoresFile holds the scores of every kept checkpoint, one JSON StepScore per line.
	StepScoresFile = "scores-steps.jsonl"
	// ParamsFile holds the network's number of trainable parameters (a decimal integer), written
	// by the features stage of every run; the results table's params column.
	ParamsFile = "params.txt"
)

// StepScore is a score of the checkpoint at training step Step (0: the initialisation).
type StepScore struct {
	Step int
	Score
}

type stepScoreJSON struct {
	Step  int   `json:"step"`
	Score Score `json:"score"`
}

// MarshalJSON writes {"step": N, "score": {...}} (NaN as null).
func (s StepScore) MarshalJSON() ([]byte, error) { return json.Marshal(stepScoreJSON{s.Step, s.Score}) }

// UnmarshalJSON reads what MarshalJSON writes.
func (s *StepScore) UnmarshalJSON(b []byte) error {
	var j stepScoreJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = StepScore{j.Step, j.Score}
	return nil
}

// WriteStepScores writes the scores of a chronology run's checkpoints (StepScoresFile)
// atomically, after checking each as WriteScores does.
func (e *Env) WriteStepScores(scores []StepScore) error {
	for i, s := range scores {
		if s.Step < 0 {
			return fmt.Errorf("sweep: run %s step score %d: step %d < 0", e.ID, i, s.Step)
		}
		if err := s.Check(); err != nil {
			return fmt.Errorf("sweep: run %s step score %d: %w", e.ID, i, err)
		}
	}
	return e.WriteFile(StepScoresFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, s := range scores {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReadStepScores reads a run's StepScoresFile.
func ReadStepScores(path string) ([]StepScore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer f.Close()
	return decodeJSONL[StepScore](f, path, nil)
}

// readParams returns the parameter count in dir's ParamsFile, or 0 if the run wrote none.
func readParams(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, ParamsFile))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sweep: %s: %q is not a parameter count", filepath.Join(dir, ParamsFile), strings.TrimSpace(string(b)))
	}
	return n, nil
}

// stepRows returns the table rows of a chronology run's checkpoints (none for other runs).
func stepRows(r Run, dir string, params int) ([]Row, error) {
	if r.Chronology == nil {
		return nil, nil
	}
	ss, err := ReadStepScores(filepath.Join(dir, StepScoresFile))
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(ss))
	for _, s := range ss {
		row := rowFor(r, s.Score)
		row.Step, row.Params = s.Step, params
		rows = append(rows, row)
	}
	return rows, nil
}
