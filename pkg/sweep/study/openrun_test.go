package study

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// The features stage (and the label-source embedding) open a run's latest checkpoint only if
// its training finished: an interrupted run folder is refused, not used half-trained.
func TestOpenRunRefusesUnfinishedRun(t *testing.T) {
	dir := t.TempDir()
	cfg := train.Config{Model: models.DefaultAlexNetBN(2, 32, 0.0625), Recipe: train.DefaultRecipe(), Seed: 1, BatchSize: 4, Epochs: 1,
		Norm: train.Normalization{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.2, 0.2, 0.2}}}
	if err := train.SaveConfig(cfg, filepath.Join(dir, train.ConfigFile)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, train.StateFile), []byte(`{"status":"interrupted","step":2,"total_steps":5}`), 0o644)
	_, err := openRun(dir, false)
	var ie *train.IncompleteError
	if !errors.As(err, &ie) || ie.State.Step != 2 {
		t.Fatalf("openRun of an interrupted run: %v", err)
	}
	if r, err := openRun(dir, true); err != nil || r.Step != 0 { // the untrained baseline is step 0
		t.Fatalf("openRun(untrained): %v", err)
	}
}
