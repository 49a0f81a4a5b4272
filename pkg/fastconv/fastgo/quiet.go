package fastgo

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

var stdoutMu sync.Mutex

// NewGo creates GoMLX's plain pure-Go backend with the given configuration, like gobackend.New,
// but silently: gobackend.New (compute v0.1.2) prints "Go backend: parallelism set to N" on
// standard output for a parallelism option, which would corrupt machine-readable output (e.g.
// `coarsealign sweep results`) and, with the fastconv wrapper and its self-check creating two
// backends, appeared twice per training in the logs. NewGo creates the backend without that
// option and sets the parallelism of its worker pool directly. Should a later GoMLX hide the
// pool, it falls back to gobackend.New with the line sent to standard error.
func NewGo(config string) (compute.Backend, error) {
	rest, par, ok := splitParallelism(config)
	if ok {
		b, err := gobackend.New(rest)
		if err != nil {
			return nil, err
		}
		if setParallelism(b, par) {
			return b, nil
		}
		b.Finalize()
	}
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	saved := os.Stdout
	os.Stdout = os.Stderr
	defer func() { os.Stdout = saved }()
	return gobackend.New(config)
}

// splitParallelism removes a valid "parallelism=N" from a go-backend config; ok is false if
// there is none or it is not an integer (left to gobackend.New, which reports it).
func splitParallelism(config string) (rest string, n int, ok bool) {
	var keep []string
	for _, part := range strings.Split(config, ",") {
		if v, found := strings.CutPrefix(part, "parallelism="); found {
			p, err := strconv.Atoi(v)
			if err != nil {
				return config, 0, false
			}
			n, ok = p, true
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, ","), n, ok
}

// setParallelism calls b.Workers.SetMaxParallelism(n) on the go backend (the option's effect)
// and reports whether it could.
func setParallelism(b compute.Backend, n int) bool {
	set := workersMethod(b, "SetMaxParallelism")
	if !set.IsValid() || set.Type().NumIn() != 1 || set.Type().In(0).Kind() != reflect.Int {
		return false
	}
	set.Call([]reflect.Value{reflect.ValueOf(n)})
	got, ok := Parallelism(b)
	return ok && got == n
}

// Parallelism returns the worker-pool parallelism of a plain go backend (-1: unlimited).
func Parallelism(b compute.Backend) (int, bool) {
	get := workersMethod(b, "MaxParallelism")
	if !get.IsValid() || get.Type().NumIn() != 0 || get.Type().NumOut() != 1 || get.Type().Out(0).Kind() != reflect.Int {
		return 0, false
	}
	return int(get.Call(nil)[0].Int()), true
}

func workersMethod(b compute.Backend, name string) reflect.Value {
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	w := v.Elem().FieldByName("Workers")
	if !w.IsValid() || !w.CanInterface() {
		return reflect.Value{}
	}
	return w.MethodByName(name)
}
