package gonbprogress

import (
	"testing"

	"github.com/coarsealign/coarsealign/pkg/progress"
)

// Outside a notebook the reporter only records epoch lines and writes nothing.
func TestOutsideNotebook(t *testing.T) {
	h := New()
	h.Step(progress.Update{Step: 1, TotalSteps: 2})
	h.EpochEnd(progress.Epoch{Epoch: 0, Step: 2})
	h.Close()
	if len(h.epochs) != 1 {
		t.Fatalf("epochs %v", h.epochs)
	}
}
