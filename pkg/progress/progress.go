// Package progress reports training progress through a small hook interface: a terminal
// progress bar (Terminal) here, a GoNB notebook HTML bar in sub-package gonbprogress (the only
// part importing gonbui), and any caller-supplied Reporter.
package progress

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Update is the state after one training step.
type Update struct {
	Step, TotalSteps int     // global step (1-based after the step) and the planned total.
	Epoch            int     // 0-based epoch of the step.
	Loss, Accuracy   float64 // the step's batch loss and accuracy (fraction).
	LearningRate     float64
	ImagesPerSec     float64       // over the steps of this session.
	Elapsed, ETA     time.Duration // wall time of this session; estimated time to TotalSteps.
}

// Epoch summarises a finished epoch (or the last, partial one).
type Epoch struct {
	Epoch, Step                  int
	TrainLoss, TrainAccuracy     float64 // means over the epoch's steps.
	TestLoss, TestAccuracy       float64 // NaN when there is no test set.
	DataWait, StepTime, WallTime time.Duration
	ImagesPerSec                 float64
}

// Reporter receives progress. Implementations must be cheap: Step is called every step.
type Reporter interface {
	Step(u Update)
	EpochEnd(e Epoch)
	Close()
}

// Multi fans out to several reporters (nil entries are skipped).
type Multi []Reporter

func (m Multi) Step(u Update) {
	for _, r := range m {
		if r != nil {
			r.Step(u)
		}
	}
}
func (m Multi) EpochEnd(e Epoch) {
	for _, r := range m {
		if r != nil {
			r.EpochEnd(e)
		}
	}
}
func (m Multi) Close() {
	for _, r := range m {
		if r != nil {
			r.Close()
		}
	}
}

// Terminal shows training progress on w: on a terminal, a progress bar (redrawn in place)
// with loss, accuracy, images/s and ETA; on anything else (a file, a pipe, a buffer), plain
// lines, one every LinePercent of the steps or LineEvery, whichever comes first, so that logs
// hold no carriage returns. EpochEnd writes one line per epoch. Create it with NewTerminal.
type Terminal struct {
	// LinePercent and LineEvery space the plain lines (not on a terminal): a line when the
	// steps done pass a multiple of LinePercent percent of the total, or when LineEvery has
	// passed since the last line; the first and the last step always get one.
	LinePercent float64
	LineEvery   time.Duration
	// EpochLines, true by default, writes EpochEnd's summary line; false leaves epoch lines
	// to another reporter (the bar is still cleared).
	EpochLines bool

	w        io.Writer
	bar      *progressbar.ProgressBar
	lines    bool
	now      func() time.Time
	started  bool
	lastStep int
	lastTime time.Time
}

// Defaults of Terminal's plain-line mode.
const (
	DefaultLinePercent = 5
	DefaultLineEvery   = 30 * time.Second
)

// NewTerminal returns a Terminal writing to w (usually os.Stderr): a progress bar if w is a
// terminal (IsTerminal), plain lines otherwise.
func NewTerminal(w io.Writer) *Terminal {
	return &Terminal{w: w, lines: !IsTerminal(w), LinePercent: DefaultLinePercent, LineEvery: DefaultLineEvery,
		EpochLines: true, now: time.Now}
}

// IsTerminal reports whether w is a terminal (an *os.File on a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Step implements Reporter.
func (t *Terminal) Step(u Update) {
	if t.lines {
		t.line(u)
		return
	}
	if t.bar == nil {
		t.bar = progressbar.NewOptions(u.TotalSteps,
			progressbar.OptionSetWriter(t.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetDescription("train"),
		)
		_ = t.bar.Set(u.Step - 1)
	}
	t.bar.Describe(Line(u))
	_ = t.bar.Set(u.Step)
}

// line writes u as a plain line when it is due.
func (t *Terminal) line(u Update) {
	now := t.now()
	due := !t.started || u.Step >= u.TotalSteps || (t.LineEvery > 0 && now.Sub(t.lastTime) >= t.LineEvery)
	if !due && t.LinePercent > 0 && u.TotalSteps > 0 {
		bucket := func(step int) int { return int(100 * float64(step) / float64(u.TotalSteps) / t.LinePercent) }
		due = bucket(u.Step) > bucket(t.lastStep)
	}
	if !due {
		return
	}
	pct := 0.0
	if u.TotalSteps > 0 {
		pct = 100 * float64(u.Step) / float64(u.TotalSteps)
	}
	fmt.Fprintf(t.w, "step %d/%d (%.0f%%) %s\n", u.Step, u.TotalSteps, pct, Line(u))
	t.started, t.lastStep, t.lastTime = true, u.Step, now
}

// EpochEnd implements Reporter.
func (t *Terminal) EpochEnd(e Epoch) {
	if t.bar != nil {
		_ = t.bar.Clear()
	}
	if !t.EpochLines {
		return
	}
	if t.lines {
		fmt.Fprintln(t.w, EpochLine(e))
		return
	}
	fmt.Fprintf(t.w, "\r%s\n", EpochLine(e))
}

// Close implements Reporter. It leaves the bar where it is (an interrupted run is not shown as
// complete) and ends the line.
func (t *Terminal) Close() {
	if t.bar != nil {
		fmt.Fprintln(t.w)
	}
}

// Line formats an Update as "epoch 2 loss 1.234 acc 45.6% 123 img/s ETA 3m2s".
func Line(u Update) string {
	return fmt.Sprintf("epoch %d loss %.4f acc %.1f%% lr %.2e %.0f img/s ETA %s",
		u.Epoch+1, u.Loss, 100*u.Accuracy, u.LearningRate, u.ImagesPerSec, u.ETA.Round(time.Second))
}

// EpochLine formats an Epoch summary.
func EpochLine(e Epoch) string {
	return fmt.Sprintf("epoch %d (step %d): train loss %.4f acc %.2f%%, test loss %.4f acc %.2f%%, %.0f img/s, data wait %s of %s",
		e.Epoch+1, e.Step, e.TrainLoss, 100*e.TrainAccuracy, e.TestLoss, 100*e.TestAccuracy, e.ImagesPerSec,
		e.DataWait.Round(time.Millisecond), e.WallTime.Round(time.Millisecond))
}
