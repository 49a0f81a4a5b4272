package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register("version", "print the Go version and pinned module versions", func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags("version", stderr)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "go %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, d := range bi.Deps {
				fmt.Fprintf(stdout, "%s %s\n", d.Path, d.Version)
			}
			for _, s := range bi.Settings {
				if s.Key == "GOEXPERIMENT" {
					fmt.Fprintf(stdout, "GOEXPERIMENT=%s\n", s.Value)
				}
			}
		}
		return nil
	})
}
