package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// exitError makes run exit with code after printing err (if not nil).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// interrupt is a context cancelled by the first SIGINT or SIGTERM; a second one ends the
// process at once (the default action, restored after the first).
type interrupt struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	done   chan struct{}
	mu     sync.Mutex
	sig    os.Signal
}

// newInterrupt starts watching for SIGINT and SIGTERM; the first one cancels Context and says
// so on stderr. Call Stop when done.
func newInterrupt(stderr io.Writer) *interrupt {
	ctx, cancel := context.WithCancel(context.Background())
	i := &interrupt{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(i.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-i.ch:
			i.trigger(s)
			signal.Reset(os.Interrupt, syscall.SIGTERM) // a second signal ends the process at once
			fmt.Fprintf(stderr, "coarsealign: %s: stopping after the current step (send it again to quit at once)\n", signalName(s))
		case <-i.done:
		}
	}()
	return i
}

func (i *interrupt) trigger(s os.Signal) {
	i.mu.Lock()
	if i.sig == nil {
		i.sig = s
	}
	i.mu.Unlock()
	i.cancel()
}

// Context is cancelled by the first signal.
func (i *interrupt) Context() context.Context { return i.ctx }

// Signal returns the signal received, or nil.
func (i *interrupt) Signal() os.Signal {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.sig
}

// Stop stops watching for signals.
func (i *interrupt) Stop() {
	signal.Stop(i.ch)
	close(i.done)
	i.cancel()
}

// Err turns err into the exit of an interrupted command when a signal cancelled the work:
// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a process a
// signal killed. msg, if not empty, says what was kept; other errors pass through.
func (i *interrupt) Err(err error, msg string) error {
	s := i.Signal()
	if s == nil || err == nil || !errors.Is(err, context.Canceled) {
		return err
	}
	text := "interrupted by " + signalName(s)
	if msg != "" {
		text += ": " + msg
	}
	return &exitError{code: signalExitCode(s), err: errors.New(text)}
}

func signalExitCode(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
