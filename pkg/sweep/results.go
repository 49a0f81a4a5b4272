package sweep

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Score is one alignment number of a run: a layer scored against a target with a metric.
// NaN means "not available" (e.g. no noise ceiling for a single-subject target) and is
// written as an empty CSV cell / JSON null.
type Score struct {
	// Layer is the model layer's name (e.g. "conv3.post").
	Layer string `json:"layer"`
	// Target is the brain or behaviour target: "mIT", "hIT-mean", "hIT/S", "behav-mean", "behav/S", ...
	Target string `json:"target"`
	// Metric is the comparison: "spearman", "tau-a", "odd-one-out", ...
	Metric string `json:"metric"`
	// Value is the score; CILow/CIHigh its bootstrap confidence interval.
	Value  float64 `json:"value"`
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	// CeilingLow/CeilingHigh are the target's noise ceiling bounds for this metric.
	CeilingLow  float64 `json:"ceiling_low"`
	CeilingHigh float64 `json:"ceiling_high"`
	// Selected marks the layer chosen for this target and metric by split-half selection.
	Selected bool `json:"selected"`
	// Split is "all" (a layer's profile score on all stimuli) or "half" (the selected layer
	// scored on held-out halves); with Layer, Target and Metric it identifies the row.
	Split string `json:"split"`
	// SD is the standard deviation over subsamples or splits (NaN: none).
	SD float64 `json:"sd"`
	// N is the number of stimuli (or triplets) behind Value.
	N int `json:"n"`
	// Note is free text from the evaluator (e.g. how often the selected layer was chosen).
	Note string `json:"note,omitempty"`
}

// Check returns an error if the score is malformed: empty names, a NaN or infinite value, an
// inverted CI, or ceilings outside [-1, 1]. It does not require the CI to contain Value: a
// full-sample value may fall outside a subsample percentile interval (see CheckCI).
func (s Score) Check() error {
	if s.Layer == "" || s.Target == "" || s.Metric == "" {
		return fmt.Errorf("empty layer/target/metric in %+v", s)
	}
	if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
		return fmt.Errorf("%s/%s/%s: value %v", s.Layer, s.Target, s.Metric, s.Value)
	}
	if !math.IsNaN(s.CILow) && !math.IsNaN(s.CIHigh) && s.CILow > s.CIHigh {
		return fmt.Errorf("%s/%s/%s: CI [%v, %v] inverted", s.Layer, s.Target, s.Metric, s.CILow, s.CIHigh)
	}
	for _, c := range []float64{s.CeilingLow, s.CeilingHigh} {
		if !math.IsNaN(c) && (c < -1-1e-12 || c > 1+1e-12) {
			return fmt.Errorf("%s/%s/%s: ceiling %v outside [-1, 1]", s.Layer, s.Target, s.Metric, c)
		}
	}
	return nil
}

// CheckCI returns an error if the CI (when present) does not contain Value.
func (s Score) CheckCI() error {
	if !math.IsNaN(s.CILow) && !math.IsNaN(s.CIHigh) && !(s.CILow <= s.Value+1e-12 && s.Value <= s.CIHigh+1e-12) {
		return fmt.Errorf("%s/%s/%s/%s: value %v outside CI [%v, %v]", s.Layer, s.Target, s.Metric, s.Split, s.Value, s.CILow, s.CIHigh)
	}
	return nil
}

type scoreJSON struct {
	Layer       string   `json:"layer"`
	Target      string   `json:"target"`
	Metric      string   `json:"metric"`
	Value       *float64 `json:"value"`
	CILow       *float64 `json:"ci_low"`
	CIHigh      *float64 `json:"ci_high"`
	CeilingLow  *float64 `json:"ceiling_low"`
	CeilingHigh *float64 `json:"ceiling_high"`
	Selected    bool     `json:"selected"`
	Split       string   `json:"split"`
	SD          *float64 `json:"sd"`
	N           int      `json:"n"`
	Note        string   `json:"note,omitempty"`
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes NaN as null.
func (s Score) MarshalJSON() ([]byte, error) {
	return json.Marshal(scoreJSON{s.Layer, s.Target, s.Metric, ptr(s.Value), ptr(s.CILow), ptr(s.CIHigh),
		ptr(s.CeilingLow), ptr(s.CeilingHigh), s.Selected, s.Split, ptr(s.SD), s.N, s.Note})
}

// UnmarshalJSON reads null as NaN.
func (s *Score) UnmarshalJSON(b []byte) error {
	var j scoreJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Score{j.Layer, j.Target, j.Metric, val(j.Value), val(j.CILow), val(j.CIHigh),
		val(j.CeilingLow), val(j.CeilingHigh), j.Selected, j.Split, val(j.SD), j.N, j.Note}
	return nil
}

// EpochStat is one point of a training curve.
type EpochStat struct {
	// Epoch may be fractional (evaluations inside an epoch).
	Epoch float64 `json:"epoch"`
	Step  int     `json:"step"`
	// TrainLoss/TrainAcc are running means over the epoch; ValLoss/ValAcc on the held-out split
	// (NaN when not measured). Accuracies are fractions in [0, 1].
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
}

type epochJSON struct {
	Epoch     float64  `json:"epoch"`
	Step      int      `json:"step"`
	TrainLoss *float64 `json:"train_loss"`
	TrainAcc  *float64 `json:"train_acc"`
	ValLoss   *float64 `json:"val_loss"`
	ValAcc    *float64 `json:"val_acc"`
}

// MarshalJSON writes NaN as null.
func (e EpochStat) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochJSON{e.Epoch, e.Step, ptr(e.TrainLoss), ptr(e.TrainAcc), ptr(e.ValLoss), ptr(e.ValAcc)})
}

// UnmarshalJSON reads null as NaN.
func (e *EpochStat) UnmarshalJSON(b []byte) error {
	var j epochJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = EpochStat{j.Epoch, j.Step, val(j.TrainLoss), val(j.TrainAcc), val(j.ValLoss), val(j.ValAcc)}
	return nil
}

// Row is one row of the tidy results table: a run's identifying columns plus one Score.
type Row struct {
	RunID       string
	Index       int
	LabelSource string
	// K is the granularity column: "2".."64", "fine", "untrained" or "ssl".
	K         string
	Seed      int
	Arch      string
	Width     float64
	InputSize int
	Epochs    float64
	Steps     int
	Batch     int
	Data      string
	PerClass  int
	Score
	// Step is the training step of the checkpoint scored (chronology runs; 0 = initialisation),
	// -1 for the run's final model (written as an empty cell / null).
	Step int
	// Params is the number of trainable parameters of the network (0: not recorded).
	Params int
}

// Columns are the table's column names, in order.
var Columns = []string{"run_id", "run_index", "label_source", "k", "seed", "arch", "width", "input_size",
	"epochs", "steps", "batch", "data", "per_class",
	"layer", "target", "metric", "split", "value", "ci_low", "ci_high", "sd", "ceiling_low", "ceiling_high",
	"selected", "n", "note", "step", "params"}

func fmtFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// record returns the row's cells in Columns order.
func (r Row) record() []string {
	return []string{r.RunID, strconv.Itoa(r.Index), r.LabelSource, r.K, strconv.Itoa(r.Seed), r.Arch,
		fmtFloat(r.Width), strconv.Itoa(r.InputSize), fmtFloat(r.Epochs), strconv.Itoa(r.Steps),
		strconv.Itoa(r.Batch), r.Data, strconv.Itoa(r.PerClass),
		r.Layer, r.Target, r.Metric, r.Split, fmtFloat(r.Value), fmtFloat(r.CILow), fmtFloat(r.CIHigh), fmtFloat(r.SD),
		fmtFloat(r.CeilingLow), fmtFloat(r.CeilingHigh), strconv.FormatBool(r.Selected), strconv.Itoa(r.N), r.Note,
		fmtStep(r.Step), strconv.Itoa(r.Params)}
}

// fmtStep writes a step, "" for -1 (the final model of a run).
func fmtStep(s int) string {
	if s < 0 {
		return ""
	}
	return strconv.Itoa(s)
}

// MarshalJSON writes the row as one flat object with the Columns as keys (NaN as null).
func (r Row) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"run_id": r.RunID, "run_index": r.Index, "label_source": r.LabelSource, "k": r.K, "seed": r.Seed,
		"arch": r.Arch, "width": r.Width, "input_size": r.InputSize, "epochs": r.Epochs, "steps": r.Steps,
		"batch": r.Batch, "data": r.Data, "per_class": r.PerClass,
		"layer": r.Layer, "target": r.Target, "metric": r.Metric, "split": r.Split, "value": ptr(r.Value),
		"ci_low": ptr(r.CILow), "ci_high": ptr(r.CIHigh), "sd": ptr(r.SD), "ceiling_low": ptr(r.CeilingLow),
		"ceiling_high": ptr(r.CeilingHigh), "selected": r.Selected, "n": r.N, "note": r.Note,
		"params": r.Params,
	}
	if r.Step >= 0 {
		m["step"] = r.Step
	} else {
		m["step"] = nil
	}
	return json.Marshal(m)
}

func rowFor(r Run, s Score) Row {
	data := r.Data.Source
	if r.Data.Path != "" {
		data += ":" + r.Data.Path
	}
	return Row{RunID: r.ID(), Index: r.Index, LabelSource: r.LabelSource, K: r.Granularity, Seed: r.Seed,
		Arch: r.Arch.Name, Width: r.Arch.Width, InputSize: r.Arch.InputSize, Epochs: r.Train.Epochs,
		Steps: r.Train.Steps, Batch: r.Train.Batch, Data: data, PerClass: r.Data.PerClass, Score: s, Step: -1}
}

// ReadScores reads a run's scores file.
func ReadScores(path string) ([]Score, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer f.Close()
	return decodeJSONL[Score](f, path, nil)
}

// decodeJSONL decodes one JSON value of type T per non-blank line of r (read from path, named in
// errors); check, if not nil, vets each value. Lines may be up to 64 MiB.
func decodeJSONL[T any](r io.Reader, path string, check func(T) error) ([]T, error) {
	var out []T
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("sweep: %s line %d: %w", path, line, err)
		}
		if check != nil {
			if err := check(v); err != nil {
				return nil, fmt.Errorf("sweep: %s line %d: %w", path, line, err)
			}
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", path, err)
	}
	return out, nil
}

// ReadCurve reads the training curve of run id under out (nil, nil if the run wrote none).
func ReadCurve(out, id string) ([]EpochStat, error) {
	path := filepath.Join(RunDir(out, id), CurveFile)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer f.Close()
	var curve []EpochStat
	dec := json.NewDecoder(f)
	for {
		var e EpochStat
		if err := dec.Decode(&e); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("sweep: %s: %w", path, err)
		}
		curve = append(curve, e)
	}
	return curve, nil
}

// Collect builds the results table of runs from the folders outs (one shared sweep folder,
// or one per shard when shards did not share a file system). Only runs with a done marker
// contribute; missing lists the IDs of the others. Rows come in run order, then in each
// run's score order (its scores file, then its add-on scores: RunAddOns), so the table does not depend on how the runs were sharded.
func Collect(runs []Run, outs ...string) (rows []Row, missing []string, err error) {
	for _, r := range runs {
		id := r.ID()
		found := false
		for _, out := range outs {
			if !IsDone(out, id) {
				continue
			}
			scores, err := ReadScores(filepath.Join(RunDir(out, id), ScoresFile))
			if err != nil {
				return nil, nil, err
			}
			extra, err := addOnScores(RunDir(out, id))
			if err != nil {
				return nil, nil, err
			}
			params, err := readParams(RunDir(out, id))
			if err != nil {
				return nil, nil, err
			}
			for _, s := range append(scores, extra...) {
				row := rowFor(r, s)
				row.Params = params
				rows = append(rows, row)
			}
			steps, err := stepRows(r, RunDir(out, id), params)
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, steps...)
			found = true
			break
		}
		if !found {
			missing = append(missing, id)
		}
	}
	return rows, missing, nil
}

// WriteCSV writes rows with a header line of Columns.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.record()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONL writes one JSON object per row (keys = Columns, NaN as null).
func WriteJSONL(w io.Writer, rows []Row) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// WriteTables writes out/results.csv and out/results.jsonl atomically.
func WriteTables(out string, rows []Row) error {
	if err := WriteFileAtomic(filepath.Join(out, "results.csv"), func(w io.Writer) error { return WriteCSV(w, rows) }); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(out, "results.jsonl"), func(w io.Writer) error { return WriteJSONL(w, rows) })
}
