package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestUnknownCommandFails(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"no-such"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "no-such"`) {
		t.Fatalf("stderr: %s", errb.String())
	}
}

func TestHelpListsCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-h"}, &out, &errb); code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	if !strings.Contains(out.String(), "version") || !strings.Contains(out.String(), "sweep run") {
		t.Fatalf("help lacks commands: %s", out.String())
	}
	// A bare coarsealign is a usage error: the list goes to stderr, the exit code is 2.
	out.Reset()
	if code := run(nil, &out, &errb); code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), "sweep run") {
		t.Fatalf("bare: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run([]string{"help", "version"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "Usage of coarsealign version") {
		t.Fatalf("help version: exit %d, stderr %q", code, errb.String())
	}
}

// "coarsealign sweep -h" (and rsa, data) lists the group's commands; a bare group or an unknown
// subcommand is a usage error.
func TestGroupHelp(t *testing.T) {
	for group, want := range map[string][]string{
		"sweep": {"sweep run", "sweep status", "sweep results"},
		"rsa":   {"rsa compare", "rsa noise-ceiling"},
		"data":  {"data fetch", "data info"},
	} {
		for _, h := range []string{"-h", "--help", "help"} {
			var out, errb bytes.Buffer
			code := run([]string{group, h}, &out, &errb)
			if code != 0 || strings.Contains(errb.String(), "unknown command") {
				t.Errorf("%s %s: exit %d, stderr %q", group, h, code, errb.String())
			}
			for _, w := range want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s %s: %q missing from\n%s", group, h, w, out.String())
				}
			}
			if strings.Contains(out.String(), "  train ") {
				t.Errorf("%s %s lists other groups' commands:\n%s", group, h, out.String())
			}
		}
		var out, errb bytes.Buffer
		if code := run([]string{group}, &out, &errb); code != 2 || !strings.Contains(errb.String(), want[0]) {
			t.Errorf("bare %s: exit %d, stderr %q", group, code, errb.String())
		}
		errb.Reset()
		if code := run([]string{group, "nope"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "`+group+` nope"`) {
			t.Errorf("%s nope: exit %d, stderr %q", group, code, errb.String())
		}
	}
}

// A flag a command does not know is a usage error: exit 2, the message printed once.
func TestBadFlagIsUsageError(t *testing.T) {
	for _, cmd := range [][]string{{"train", "--nope"}, {"data", "info", "--nope"}, {"version", "--nope"}, {"sweep", "status", "--nope", "quick"}} {
		var out, errb bytes.Buffer
		if code := run(cmd, &out, &errb); code != 2 || strings.Count(errb.String(), "flag provided but not defined: -nope") != 1 {
			t.Errorf("%v: exit %d, stderr %q", cmd, code, errb.String())
		}
	}
}

func TestVersionFlag(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		var out, errb bytes.Buffer
		if code := run([]string{arg}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "go go1.") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", arg, code, out.String(), errb.String())
		}
	}
}

func TestSweepStatusMissingFolderFails(t *testing.T) {
	var out, errb bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nope")
	if code := run([]string{"sweep", "status", "quick", "--out", missing}, &out, &errb); code != 1 || !strings.Contains(errb.String(), missing+" does not exist") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

// An interrupted command exits with 128 + the signal's number, as a shell reports a process
// killed by it: 130 for SIGINT, 143 for SIGTERM.
func TestInterruptExitCodes(t *testing.T) {
	if _, ok := commands["test-interrupted"]; !ok {
		register("test-interrupted", "test only", func(args []string, stdout, stderr io.Writer) error {
			i := newInterrupt(io.Discard)
			defer i.Stop()
			i.trigger(map[string]os.Signal{"int": syscall.SIGINT, "term": syscall.SIGTERM}[args[0]])
			<-i.Context().Done()
			return i.Err(context.Cause(i.Context()), "state kept")
		})
	}
	for arg, want := range map[string]int{"int": 130, "term": 143} {
		var out, errb bytes.Buffer
		if code := run([]string{"test-interrupted", arg}, &out, &errb); code != want {
			t.Errorf("%s: exit %d, want %d", arg, code, want)
		}
		if !strings.Contains(errb.String(), "interrupted by SIG") || !strings.Contains(errb.String(), "state kept") {
			t.Errorf("%s: stderr %q", arg, errb.String())
		}
	}
	i := newInterrupt(io.Discard)
	defer i.Stop()
	if err := i.Err(errors.New("boom"), ""); err.Error() != "boom" {
		t.Errorf("without a signal: %v", err)
	}
}
