package main

import (
	"bytes"
	"strings"
	"testing"
)

// Bad training flags are rejected with a one-line error naming the flag, before any data is read.
func TestTrainRejectsBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "-1"}, "--steps -1"},
		{[]string{"--warmup-epochs", "-1"}, "--warmup-epochs -1"},
		{[]string{"--warmup-epochs", "NaN"}, "--warmup-epochs NaN"},
		{[]string{"--k", "4"}, "--k 4 applies to coarse labels"},
		{[]string{"--model", "resnet"}, `unknown architecture "resnet" (registered: alexnet-bn, vgg-bn, vit, vit-cifar)`},
		{[]string{"--input", "48"}, "alexnet-bn input size 48: want one of [32 64 224]"},
		{[]string{"--model", "vit", "--input", "30"}, "vit input size 30"},
		{[]string{"--per-class", "-1"}, "--per-class -1: must be >= 0"},
		{[]string{"--jpeg", "pil"}, `--jpeg "pil": want libjpeg or go`},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"train", "--data", t.TempDir(), "--out", t.TempDir()}, c.args...)
		if code := run(args, &out, &errb); code != 1 {
			t.Errorf("%v: exit %d, want 1 (%s)", c.args, code, errb.String())
			continue
		}
		if msg := errb.String(); !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: error %q, want one line containing %q", c.args, msg, c.want)
		}
	}
}
