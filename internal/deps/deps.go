//go:build tools

// Package deps pins modules that the project uses from notebooks, kernels and
// tools but that no package imports yet, so that go.mod keeps them at the
// versions the notebooks and Docker images pin (see versions.env).
package deps

import (
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "github.com/schollz/progressbar/v3"
	_ "gopkg.in/yaml.v3"
)
