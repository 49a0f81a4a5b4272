package main

import (
	"context"
	"io"

	"github.com/coarsealign/coarsealign/pkg/data/fetch"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
)

// ensureK92 makes the 92-image files present under dataDir, downloading missing ones from the
// rsatoolbox repository with SHA-256 checks (progress lines go to log). Offline, the error says
// which file to download and where to put it. Files already present are only verified.
func ensureK92(dataDir string, log io.Writer) error {
	return k92.Ensure(context.Background(), dataDir, &fetch.Options{Progress: log})
}
