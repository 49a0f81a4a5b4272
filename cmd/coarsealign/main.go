// Command coarsealign runs the coarsealign pipeline headless: RSA checks on the
// 92-image data set, training, feature extraction, granularity sweeps and the demo.
//
// Each subcommand lives in its own file and registers itself in init with
// register. The CLI stays thin: every subcommand parses flags and calls pkg/.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// register adds a subcommand; name may contain a space for two-word commands ("rsa compare").
func register(name, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("coarsealign: duplicate command " + name)
	}
	commands[name] = command{name: name, summary: summary, run: run}
}

// errUsage marks an error already explained by a usage message.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "coarsealign: coarse supervision and brain/behaviour alignment of vision models")
	fmt.Fprintln(w, "\nUsage: coarsealign COMMAND [flags] [args]\n\nCommands:")
	listCommands(w, "")
	fmt.Fprintln(w, "\nRun 'coarsealign COMMAND -h' for a command's flags, 'coarsealign --version' for the versions.")
}

// listCommands lists the commands whose name starts with prefix.
func listCommands(w io.Writer, prefix string) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-24s %s\n", n, commands[n].summary)
	}
}

// isGroup reports whether name is the first word of two-word commands ("sweep", "rsa", "data").
func isGroup(name string) bool {
	for n := range commands {
		if strings.HasPrefix(n, name+" ") {
			return true
		}
	}
	return false
}

func groupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: coarsealign %s SUBCOMMAND [flags] [args]\n\nCommands:\n", group)
	listCommands(w, group+" ")
	fmt.Fprintf(w, "\nRun 'coarsealign %s SUBCOMMAND -h' for its flags.\n", group)
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// lookup finds the longest registered command name that prefixes args.
func lookup(args []string) (command, []string, bool) {
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c, args[2:], true
		}
	}
	if len(args) >= 1 {
		if c, ok := commands[args[0]]; ok {
			return c, args[1:], true
		}
	}
	return command{}, nil, false
}

// run executes the command line args and returns the exit code: 0 on success (and for help
// asked for), 2 for a usage error (no or an unknown command, bad flags), 1 for a failure, and
// 128 + the signal's number for a command interrupted by SIGINT (130) or SIGTERM (143).
func run(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		usage(stderr)
		return 2
	case isHelp(args[0]) && len(args) == 1:
		usage(stdout)
		return 0
	case isHelp(args[0]):
		// "help COMMAND": the command's own help.
		return run(append(append([]string{}, args[1:]...), "-h"), stdout, stderr)
	case args[0] == "--version" || args[0] == "-version":
		args = append([]string{"version"}, args[1:]...)
	}
	c, rest, ok := lookup(args)
	if !ok {
		if isGroup(args[0]) {
			switch {
			case len(args) == 1:
				groupUsage(stderr, args[0])
				return 2
			case isHelp(args[1]):
				groupUsage(stdout, args[0])
				return 0
			}
			fmt.Fprintf(stderr, "coarsealign: unknown command %q\n", args[0]+" "+args[1])
			groupUsage(stderr, args[0])
			return 2
		}
		fmt.Fprintf(stderr, "coarsealign: unknown command %q\n", strings.Join(args[:min(2, len(args))], " "))
		usage(stderr)
		return 2
	}
	if err := c.run(rest, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintf(stderr, "coarsealign %s: %s\n", c.name, strings.ReplaceAll(err.Error(), "\n", "; "))
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}

// newFlags returns a flag set for a subcommand that writes its help to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("coarsealign "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags is fs.Parse with a bad flag as a usage error (exit 2; the flag package has
// printed the message and the flags).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return errUsage
	}
	return err
}

// parseInterspersed parses flags that may appear before or after positional arguments
// and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
