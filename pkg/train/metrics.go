package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/progress"
)

// EpochRecord is one line of metrics.jsonl / metrics.csv: the training curve of a run.
// Times are in seconds; losses are the objective's (for the default, cross-entropies with the
// run's label smoothing); accuracies are fractions. TestLoss/TestAccuracy are null in JSON (NaN
// in CSV) when not evaluated, TrainAccuracy too when the objective reports no accuracy.
// Partial is true for a record written when a session stopped mid-epoch.
type EpochRecord struct {
	Epoch         int      `json:"epoch"` // 1-based.
	Step          int      `json:"step"`
	TrainLoss     float64  `json:"train_loss"`
	TrainAccuracy float64  `json:"train_accuracy"`
	TestLoss      *float64 `json:"test_loss"`
	TestAccuracy  *float64 `json:"test_accuracy"`
	DataWait      float64  `json:"data_wait_s"`
	StepTime      float64  `json:"step_time_s"`
	WallTime      float64  `json:"wall_s"`
	ImagesPerSec  float64  `json:"images_per_s"`
	Partial       bool     `json:"partial"`
	// Metrics holds the objective's other metrics (all but "accuracy"), as "train_<name>" (the
	// epoch's mean) and "test_<name>" (when evaluated); JSON only.
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// epochJSON is EpochRecord with the training accuracy as a pointer (null for NaN).
type epochJSON struct {
	epochAlias
	TrainAccuracy *float64 `json:"train_accuracy"`
}

type epochAlias EpochRecord

// MarshalJSON writes a NaN training accuracy (an objective without accuracy) as null.
func (r EpochRecord) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochJSON{epochAlias(r), ptr(r.TrainAccuracy)})
}

// UnmarshalJSON reads a null training accuracy as NaN.
func (r *EpochRecord) UnmarshalJSON(b []byte) error {
	var j epochJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = EpochRecord(j.epochAlias)
	r.TrainAccuracy = math.NaN()
	if j.TrainAccuracy != nil {
		r.TrainAccuracy = *j.TrainAccuracy
	}
	return nil
}

func ptr(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}

func (t *Trainer) writeMetrics(e progress.Epoch, complete bool, train, test map[string]float64) error {
	if t.RunDir == "" {
		return nil
	}
	r := EpochRecord{Epoch: e.Epoch + 1, Step: e.Step, TrainLoss: e.TrainLoss, TrainAccuracy: e.TrainAccuracy,
		TestLoss: ptr(e.TestLoss), TestAccuracy: ptr(e.TestAccuracy), DataWait: e.DataWait.Seconds(),
		StepTime: e.StepTime.Seconds(), WallTime: e.WallTime.Seconds(), ImagesPerSec: e.ImagesPerSec, Partial: !complete}
	for prefix, m := range map[string]map[string]float64{"train_": train, "test_": test} {
		for name, v := range m {
			if name == AccuracyMetric || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if r.Metrics == nil {
				r.Metrics = map[string]float64{}
			}
			r.Metrics[prefix+name] = v
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := appendLine(filepath.Join(t.RunDir, MetricsJSONL), string(b), ""); err != nil {
		return err
	}
	line := fmt.Sprintf("%d,%d,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f,%.4f,%.2f,%t", r.Epoch, r.Step, r.TrainLoss, r.TrainAccuracy,
		e.TestLoss, e.TestAccuracy, r.DataWait, r.StepTime, r.WallTime, r.ImagesPerSec, r.Partial)
	return appendLine(filepath.Join(t.RunDir, MetricsCSV), line,
		"epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,data_wait_s,step_time_s,wall_s,images_per_s,partial")
}

func appendLine(path, line, header string) error {
	_, err := os.Stat(path)
	isNew := errors.Is(err, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if isNew && header != "" {
		fmt.Fprintln(f, header)
	}
	fmt.Fprintln(f, line)
	return f.Close()
}

// ReadMetrics reads metrics.jsonl of a run.
func ReadMetrics(runDir string) ([]EpochRecord, error) {
	path := filepath.Join(runDir, MetricsJSONL)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var out []EpochRecord
	for dec.More() {
		var r EpochRecord
		if err := dec.Decode(&r); err != nil {
			return out, fmt.Errorf("train: %s record %d: %w", path, len(out)+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}
