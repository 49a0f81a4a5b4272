package progress

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

type recorder struct{ steps, epochs, closed int }

func (r *recorder) Step(Update)    { r.steps++ }
func (r *recorder) EpochEnd(Epoch) { r.epochs++ }
func (r *recorder) Close()         { r.closed++ }

func TestTerminalAndMulti(t *testing.T) {
	var buf bytes.Buffer
	rec := &recorder{}
	m := Multi{NewTerminal(&buf), nil, rec}
	for s := 1; s <= 3; s++ {
		m.Step(Update{Step: s, TotalSteps: 3, Loss: 1.5, Accuracy: 0.25, ImagesPerSec: 100, ETA: time.Second})
	}
	m.EpochEnd(Epoch{Epoch: 0, Step: 3, TrainLoss: 1.5, TrainAccuracy: 0.25, TestLoss: math.NaN(), TestAccuracy: math.NaN()})
	m.Close()
	if rec.steps != 3 || rec.epochs != 1 || rec.closed != 1 {
		t.Errorf("fan-out %+v", rec)
	}
	if s := buf.String(); !strings.Contains(s, "epoch 1 (step 3): train loss 1.5000 acc 25.00%") {
		t.Errorf("terminal output %q", s)
	}
	if l := Line(Update{Epoch: 1, Loss: 0.5, Accuracy: 0.5, LearningRate: 1e-3, ImagesPerSec: 10, ETA: 90 * time.Second}); l != "epoch 2 loss 0.5000 acc 50.0% lr 1.00e-03 10 img/s ETA 1m30s" {
		t.Errorf("Line = %q", l)
	}
}

// Not on a terminal, Terminal writes plain lines (no carriage returns): one per LinePercent of
// the steps, or per LineEvery of a slow run, plus the first and the last step.
func TestTerminalPlainLinesOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	term := NewTerminal(&buf)
	clock := time.Unix(0, 0)
	term.now = func() time.Time { return clock }
	for s := 1; s <= 1000; s++ {
		clock = clock.Add(10 * time.Millisecond) // 10 s in all: no LineEvery line
		term.Step(Update{Step: s, TotalSteps: 1000, Loss: 1, Accuracy: 0.5, ImagesPerSec: 100, ETA: time.Second})
	}
	term.EpochEnd(Epoch{Epoch: 0, Step: 1000, TestLoss: math.NaN(), TestAccuracy: math.NaN()})
	term.Close()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Fatalf("carriage return in plain output: %q", out[:min(200, len(out))])
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// step 1, then 50, 100, ..., 1000 (20 lines), then the epoch line.
	if len(lines) != 22 || !strings.HasPrefix(lines[0], "step 1/1000 (0%) epoch 1 loss") ||
		!strings.HasPrefix(lines[1], "step 50/1000 (5%)") || !strings.HasPrefix(lines[20], "step 1000/1000 (100%)") ||
		!strings.HasPrefix(lines[21], "epoch 1 (step 1000)") {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}

	// A slow run: a line every LineEvery even between percent marks.
	buf.Reset()
	term = NewTerminal(&buf)
	term.now = func() time.Time { return clock }
	term.EpochLines = false
	for s := 1; s <= 10; s++ {
		clock = clock.Add(10 * time.Second)
		term.Step(Update{Step: s, TotalSteps: 10000})
	}
	term.EpochEnd(Epoch{})
	if n := strings.Count(buf.String(), "\n"); n != 4 { // steps 1, 4, 7, 10 (30 s apart)
		t.Fatalf("slow run: %d lines:\n%s", n, buf.String())
	}
	if IsTerminal(&buf) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}
