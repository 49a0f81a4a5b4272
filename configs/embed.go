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

// Study configurations (configs/studies/*.yaml) belong to commands other than `sweep`
// (brain-guided, spatial run); they have their own schemas and are read with ReadStudy, so
// `sweep run NAME` never sees them.
//
//go:embed studies/*.yaml
var studies embed.FS

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

// StudyNames lists the embedded study configurations (configs/studies/*.yaml) without the
// .yaml extension.
func StudyNames() []string {
	ents, _ := fs.ReadDir(studies, "studies")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// ReadStudy returns the embedded study configuration name ("brain-guided" or
// "brain-guided.yaml", from configs/studies).
func ReadStudy(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".yaml")
	b, err := studies.ReadFile("studies/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("configs: no embedded study config %q (have %s)", name, strings.Join(StudyNames(), ", "))
	}
	return b, nil
}
