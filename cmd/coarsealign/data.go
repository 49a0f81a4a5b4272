package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/coarsealign/coarsealign/pkg/data/fetch"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
)

func init() {
	register("data fetch", "download and verify the 92-image data set (SHA-256) into the data directory", runDataFetch)
	register("data info", "show the data directory and the state of each data file", runDataInfo)
}

func runDataFetch(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("data fetch", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "coarsealign data fetch: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	dir := datadir.Resolve(*dataFlag)
	if err := k92.Ensure(context.Background(), dir, &fetch.Options{Progress: stdout}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kriegeskorte92: %d files present and verified in %s\n", len(k92.Files), dir)
	return nil
}

func runDataInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("data info", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "coarsealign data info: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	dir := datadir.Resolve(*dataFlag)
	src := "user cache folder"
	switch {
	case *dataFlag != "":
		src = "--data"
	case os.Getenv(datadir.EnvVar) != "":
		src = "$" + datadir.EnvVar
	}
	fmt.Fprintf(stdout, "data directory: %s (from %s)\n", dir, src)
	missing, bad := 0, 0
	for _, f := range k92.Files {
		err := fetch.Check(dir, f)
		var me *fetch.MissingError
		var ce *fetch.ChecksumError
		state := "ok (sha256 verified)"
		switch {
		case err == nil:
		case errors.As(err, &me):
			state = "MISSING (run 'coarsealign data fetch')"
			missing++
		case errors.As(err, &ce):
			state = "BAD CHECKSUM " + ce.Got
			bad++
		default:
			state = "ERROR " + err.Error()
			bad++
		}
		fmt.Fprintf(stdout, "  %-58s %s\n", f.Name, state)
	}
	if bad > 0 {
		// Missing files are a state (fetch downloads them); damaged ones are a failure.
		return fmt.Errorf("%d of %d kriegeskorte92 files in %s are damaged or unreadable (listed above): delete them and run 'coarsealign data fetch'",
			bad, len(k92.Files), dir)
	}
	if missing == 0 {
		set, err := k92.Load(dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "kriegeskorte92: %d images %dx%d, %d category labels, RDMs: mIT, hIT, %d hIT subjects x %d sessions, %d behavioural subjects\n",
			len(set.IDs), k92.ImageSize, k92.ImageSize, len(set.CategoryLabels), k92.NumHITSubjects, k92.NumHITSessions, k92.NumBehavSubjects)
	}
	return nil
}
