package configs

import (
	"fmt"
	"os"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// Load returns the sweep configuration nameOrPath: the YAML/JSON file at that path if there is
// one, else the embedded configuration of that name (quick, cpu-full, paper, ...; see Names).
// The CLI's sweep commands and the notebooks (pkg/nbkit) resolve their CONFIG argument with it.
func Load(nameOrPath string) (*sweep.Config, error) {
	if st, err := os.Stat(nameOrPath); err == nil && !st.IsDir() {
		return sweep.Load(nameOrPath)
	}
	if !strings.ContainsAny(nameOrPath, `/\`) {
		if b, err := Read(nameOrPath); err == nil {
			c, err := sweep.Parse(b)
			if err != nil {
				return nil, fmt.Errorf("embedded config %s: %w", nameOrPath, err)
			}
			return c, nil
		}
	}
	return nil, fmt.Errorf("config %q: no such file, and not an embedded config (%s)", nameOrPath, strings.Join(Names(), ", "))
}
