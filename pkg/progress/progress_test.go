package progress

import (
	"bytes"
	"math"
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
