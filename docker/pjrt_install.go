//go:build ignore

// Command pjrt_install installs a PJRT plugin for GoMLX's XLA backend with the installer of
// github.com/gomlx/go-xla (the version pinned as GOXLA_VERSION in versions.env). The Docker
// images run it at build time from a scratch module:
//
//	go mod init pjrtinstall && go get github.com/gomlx/go-xla@$GOXLA_VERSION
//	go run /opt/coarsealign/docker/pjrt_install.go -platform cpu -lib /usr/local/lib
//
// The CPU plugin is the version go-xla was tested against (its DefaultCPUVersion); the CUDA
// plugin comes from the JAX PJRT wheels on PyPI (-version, default "latest", as go-xla's own
// auto-installer does). Plugins land in <lib>/go-xla (CUDA under <lib>/go-xla/nvidia), one of
// the places go-xla and pkg/backend search. The build tag keeps this file out of ./... builds.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/go-xla/installer"
)

func main() {
	platform := flag.String("platform", "cpu", `plugin to install: "cpu", "cuda13" or "cuda12"`)
	lib := flag.String("lib", "/usr/local/lib", `library folder; the plugin goes to <lib>/go-xla`)
	version := flag.String("version", "latest", "CUDA plugin version (JAX PJRT wheel); ignored for cpu")
	flag.Parse()
	dir := filepath.Join(*lib, "go-xla")
	var err error
	switch *platform {
	case "cpu":
		err = installer.CPUAutoInstall(dir, false, installer.Verbose)
	case "cuda12", "cuda13":
		err = installer.CudaInstall(*platform, *version, dir, false, installer.Verbose)
	default:
		err = fmt.Errorf("unknown -platform %q (want cpu, cuda13 or cuda12)", *platform)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pjrt_install: %s: %v\n", *platform, err)
		os.Exit(1)
	}
	fmt.Printf("pjrt_install: %s plugin installed under %s\n", *platform, dir)
}
