package oddoneout

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// TransferRow is one model's probe-transfer result (e.g. pkg/sweep/study.TransferRows: a probe
// fitted on the 92-image triplets, tested on the CIFAR-10H class structure), with the run's
// identity as plain fields so that figures and notebooks read it without the sweep.
type TransferRow struct {
	// RunID, LabelSource, K ("2".."1024", "fine", "untrained"), Seed, Arch, Width and
	// InputSize identify the model (as in the sweep's results table).
	RunID       string
	LabelSource string
	K           string
	Seed        int
	Arch        string
	Width       float64
	InputSize   int
	// Layer is the layer whose features both stimulus sets use; PCs the principal components
	// of the source set's features the probe reads.
	Layer string
	PCs   int
	// Source names the triplets the probe was fitted on, Triplets their number and Lambda the
	// penalty chosen by inner CV.
	Source   string
	Triplets int
	Lambda   float64
	// Target names the target RDM, Items the target items (images) averaged into Stimuli
	// target stimuli (classes).
	Target         string
	Items, Stimuli int
	// Raw, Probed and Gain = Probed - Raw are the RSA of the target RDM with the unprobed and
	// the probed embedding (MeansResult). RawLow ... GainHigh are 95% intervals over a
	// stratified bootstrap of the items; GainLowStimuli, GainHighStimuli over subsamples of the
	// target stimuli. Draws is the number of item resamples.
	Raw, Probed, Gain                                         float64
	RawLow, RawHigh, ProbedLow, ProbedHigh, GainLow, GainHigh float64
	GainLowStimuli, GainHighStimuli                           float64
	Draws                                                     int
}

// TransferHeader is the CSV header of TransferRow (WriteTransferCSV).
var TransferHeader = []string{"run", "label_source", "k", "seed", "arch", "width", "input_size", "layer", "pcs",
	"source", "triplets", "lambda", "target", "items", "stimuli", "raw", "probed", "gain",
	"raw_ci_low", "raw_ci_high", "probed_ci_low", "probed_ci_high", "gain_ci_low", "gain_ci_high",
	"gain_ci_low_stimuli", "gain_ci_high_stimuli", "draws"}

func (r TransferRow) fields() []string {
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 8, 64)
	}
	return []string{r.RunID, r.LabelSource, r.K, strconv.Itoa(r.Seed), r.Arch, f(r.Width), strconv.Itoa(r.InputSize),
		r.Layer, strconv.Itoa(r.PCs), r.Source, strconv.Itoa(r.Triplets), f(r.Lambda), r.Target,
		strconv.Itoa(r.Items), strconv.Itoa(r.Stimuli), f(r.Raw), f(r.Probed), f(r.Gain),
		f(r.RawLow), f(r.RawHigh), f(r.ProbedLow), f(r.ProbedHigh), f(r.GainLow), f(r.GainHigh),
		f(r.GainLowStimuli), f(r.GainHighStimuli), strconv.Itoa(r.Draws)}
}

// WriteTransferCSV writes rows as CSV with TransferHeader (NaN as an empty field).
func WriteTransferCSV(w io.Writer, rows []TransferRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(TransferHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.fields()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadTransferCSV reads a file written by WriteTransferCSV; errors name the file, line and column.
func ReadTransferCSV(path string) ([]TransferRow, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 || fmt.Sprint(recs[0]) != fmt.Sprint(TransferHeader) {
		return nil, fmt.Errorf("%s: not a transfer table (want the header %v)", path, TransferHeader)
	}
	var out []TransferRow
	for li, rec := range recs[1:] {
		var perr error
		num := func(col int) float64 {
			if rec[col] == "" {
				return math.NaN()
			}
			v, err := strconv.ParseFloat(rec[col], 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%s line %d: column %s: %q is not a number", path, li+2, TransferHeader[col], rec[col])
			}
			return v
		}
		integer := func(col int) int {
			v, err := strconv.Atoi(rec[col])
			if err != nil && perr == nil {
				perr = fmt.Errorf("%s line %d: column %s: %q is not an integer", path, li+2, TransferHeader[col], rec[col])
			}
			return v
		}
		r := TransferRow{RunID: rec[0], LabelSource: rec[1], K: rec[2], Seed: integer(3), Arch: rec[4], Width: num(5),
			InputSize: integer(6), Layer: rec[7], PCs: integer(8), Source: rec[9], Triplets: integer(10), Lambda: num(11),
			Target: rec[12], Items: integer(13), Stimuli: integer(14), Raw: num(15), Probed: num(16), Gain: num(17),
			RawLow: num(18), RawHigh: num(19), ProbedLow: num(20), ProbedHigh: num(21), GainLow: num(22), GainHigh: num(23),
			GainLowStimuli: num(24), GainHighStimuli: num(25), Draws: integer(26)}
		if perr != nil {
			return nil, perr
		}
		out = append(out, r)
	}
	return out, nil
}
