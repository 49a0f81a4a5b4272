package fastgo

import (
	"os"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

var stdoutMu sync.Mutex

// NewGo creates GoMLX's plain pure-Go backend with the given configuration, like gobackend.New,
// but without the line "Go backend: parallelism set to N" that gobackend.New (compute v0.1.2)
// prints on standard output, where it would corrupt machine-readable output such as
// `coarsealign sweep results` or `rsa compare --json`. The line is sent to standard error.
func NewGo(config string) (compute.Backend, error) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	saved := os.Stdout
	os.Stdout = os.Stderr
	defer func() { os.Stdout = saved }()
	return gobackend.New(config)
}
