package brainguided

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// SweepFineRun returns the training folder of the first fine-label run of sweep c in out (the
// natural starting model of a brain-guided study), checking that it holds a run.
func SweepFineRun(c *sweep.Config, out string) (string, error) {
	for _, r := range c.Expand() {
		if r.Granularity != sweep.Fine {
			continue
		}
		dir := filepath.Join(sweep.RunDir(out, r.ID()), study.TrainDir)
		if _, err := os.Stat(filepath.Join(dir, train.ConfigFile)); err != nil {
			return "", fmt.Errorf("brainguided: the fine-label run of sweep %s is not trained in %s (coarsealign sweep run): %w", c.Name, dir, err)
		}
		return dir, nil
	}
	return "", fmt.Errorf("brainguided: sweep %s has no fine-label run", c.Name)
}
