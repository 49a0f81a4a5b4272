package fastgo

import (
	"io"
	"os"
	"testing"
)

// capture returns what f writes to standard output and standard error.
func capture(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	so, se := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	func() {
		defer func() { os.Stdout, os.Stderr = so, se }()
		f()
	}()
	w.Close()
	b, _ := io.ReadAll(r)
	return string(b)
}

// NewGo applies the parallelism option without gobackend.New's "Go backend: parallelism set
// to N" line, on standard output or standard error.
func TestNewGoIsSilent(t *testing.T) {
	for config, want := range map[string]int{"parallelism=-1": -1, "parallelism=2,ops_sequential": 2} {
		var got int
		var ok bool
		out := capture(t, func() {
			b, err := NewGo(config)
			if err != nil {
				t.Error(err)
				return
			}
			defer b.Finalize()
			got, ok = Parallelism(b)
		})
		if out != "" {
			t.Errorf("NewGo(%q) wrote %q", config, out)
		}
		if !ok || got != want {
			t.Errorf("NewGo(%q): parallelism %d (%v), want %d", config, got, ok, want)
		}
	}
	if _, err := NewGo("parallelism=x"); err == nil {
		t.Error("NewGo(parallelism=x): no error")
	}
	out := capture(t, func() {
		b, err := New("")
		if err != nil {
			t.Error(err)
			return
		}
		b.Finalize()
	})
	if out != "" {
		t.Errorf("New (the wrapper) wrote %q", out)
	}
}
