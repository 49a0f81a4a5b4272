// Package configs embeds the shipped sweep configurations (quick.yaml, cpu-full.yaml,
// paper.yaml) so that the CLI finds them from any working directory. The schema is
// documented in pkg/sweep and in configs/README.md.
package configs

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names lists the embedded configurations without the .yaml extension.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Read returns the embedded configuration name ("quick" or "quick.yaml").
func Read(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".yaml")
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("configs: no embedded config %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}
