// Package progress reports training progress through a small hook interface: a terminal
// progress bar (Terminal) here, a GoNB notebook HTML bar in sub-package gonbprogress (the only
// part importing gonbui), and any caller-supplied Reporter.
package progress

import (
	"fmt"
	"io"
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

// Terminal is a text progress bar on w showing loss, accuracy, images/s and ETA, and one line per
// epoch. Create it with NewTerminal.
type Terminal struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// NewTerminal returns a Terminal writing to w (usually os.Stderr).
func NewTerminal(w io.Writer) *Terminal { return &Terminal{w: w} }

// Step implements Reporter.
func (t *Terminal) Step(u Update) {
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

// EpochEnd implements Reporter.
func (t *Terminal) EpochEnd(e Epoch) {
	if t.bar != nil {
		_ = t.bar.Clear()
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
