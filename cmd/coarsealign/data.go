package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
	"github.com/coarsealign/coarsealign/pkg/data/fetch"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
)

func init() {
	register("data fetch", "download and verify the 92-image data set (and with --cifar10h CIFAR-10H) into the data directory", runDataFetch)
	register("data info", "show the data directory and the state of each data file", runDataInfo)
}

func runDataFetch(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("data fetch", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	c10h := fs.Bool("cifar10h", false, "also download CIFAR-10H (human choices on the CIFAR-10 test images) and the official test labels")
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
	if *c10h {
		if err := fetch.Ensure(context.Background(), dir, cifar10h.Files, &fetch.Options{Progress: stdout}); err != nil {
			return fmt.Errorf("cifar10h: %w", err)
		}
		fmt.Fprintf(stdout, "cifar10h: %d files present and verified in %s (CC BY-NC-SA 4.0; labels Apache-2.0)\n", len(cifar10h.Files), dir)
	}
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
	missing, bad := listFiles(stdout, dir, k92.Files, "MISSING (run 'coarsealign data fetch')")
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
	// CIFAR-10H is optional: only the eval.cifar10h target reads it.
	missing, bad = listFiles(stdout, dir, cifar10h.Files, "MISSING (optional, for eval.cifar10h: 'coarsealign data fetch --cifar10h')")
	if bad > 0 {
		return fmt.Errorf("%d of %d cifar10h files in %s are damaged or unreadable (listed above): delete them and run 'coarsealign data fetch --cifar10h'",
			bad, len(cifar10h.Files), dir)
	}
	if missing == 0 {
		set, err := cifar10h.Load(dir, nil)
		if err != nil {
			return err
		}
		votes := 0
		for _, c := range set.Counts {
			for _, n := range c {
				votes += n
			}
		}
		fmt.Fprintf(stdout, "cifar10h: %d CIFAR-10 test images x %d classes, %d human choices (%.1f per image)\n",
			set.N(), cifar10h.NumClasses, votes, float64(votes)/float64(set.N()))
	}
	return nil
}

// listFiles prints the state of each file under dir (missingState for an absent one) and
// counts the missing and the damaged or unreadable ones.
func listFiles(stdout io.Writer, dir string, files []fetch.File, missingState string) (missing, bad int) {
	for _, f := range files {
		err := fetch.Check(dir, f)
		var me *fetch.MissingError
		var ce *fetch.ChecksumError
		state := "ok (sha256 verified)"
		switch {
		case err == nil:
		case errors.As(err, &me):
			state = missingState
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
	return missing, bad
}
