package fastgo

import (
	"syscall"
	"time"
)

// processCPUTime is the process user+system CPU time (used by FASTCONV_TRACE, robust to other
// processes sharing the cores).
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
