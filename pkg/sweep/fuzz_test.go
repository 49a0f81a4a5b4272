package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// configKeys are the top-level keys of a sweep config: every problem's field starts with one.
var configKeys = func() []string {
	var keys []string
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		keys = append(keys, strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0])
	}
	return keys
}()

// FuzzParse checks sweep.Parse on any input: it never panics; an accepted config validates
// again, warns only about real fields, and survives a YAML round trip with the same runs and
// identities; a rejected one gets a *ConfigError whose every problem names a config field (or
// is a decoder problem, "yaml: ...").
func FuzzParse(f *testing.F) {
	f.Add([]byte(testConfig))
	shipped, _ := filepath.Glob("../../configs/*.yaml")
	for _, p := range append(shipped, "../../notebooks/ci-sweep.yaml") {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "---\n", "name: x\n---\nname: y\n", "[1, 2]", "name: [a]", "name: ../x\n",
		replaceLine("archs", "archs: [{name: alexnet-bn, width: 0, input_size: 32}]"),
		replaceLine("archs", "archs: [{name: vit, width: 25, input_size: 30}]"),
		replaceLine("data", "data: {source: images, path: imgs, per_class: -1, val_fraction: 0}"),
		replaceLine("train", "train: {epochs: .nan, steps: -1, batch: 1, lr: 1e-3}"),
		replaceLine("eval", "eval: {metrics: [cka-linear], targets: [{name: V4, responses: v4.npy}, {name: mIT, rdm: x.npy}]}"),
		`{"name": "j", "granularity": ["fine"], "seeds": [1], "archs": [{"name": "alexnet-bn", "input_size": 32}], "train": {"epochs": 1, "batch": 2, "lr": 0.1}, "data": {"source": "cifar10"}}`,
		"base: &b {name: alexnet-bn, width: 0.5}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("error %v (%T) is not a *ConfigError with problems", err, err)
			}
			for _, p := range ce.Problems {
				if p.Msg == "" {
					t.Fatalf("problem without a message: %+v", p)
				}
				if p.Field == "" {
					if !strings.HasPrefix(p.Msg, "yaml: ") {
						t.Fatalf("problem names no field: %q", p.Msg)
					}
					continue
				}
				if key := strings.FieldsFunc(p.Field, func(r rune) bool { return r == '.' || r == '[' })[0]; !slices.Contains(configKeys, key) {
					t.Fatalf("problem field %q is not a config field (%v): %s", p.Field, configKeys, p.Msg)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		for _, w := range c.Warnings() {
			if !strings.HasPrefix(w, "field ") {
				t.Fatalf("warning names no field: %q", w)
			}
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded config rejected: %v\n%s", err, out)
		}
		r1, r2 := c.Expand(), c2.Expand()
		if len(r1) != len(r2) {
			t.Fatalf("%d runs, %d after a round trip", len(r1), len(r2))
		}
		for i := range r1 {
			if r1[i].ID() != r2[i].ID() {
				t.Fatalf("run %d: canonical %s, after a round trip %s", i, r1[i].Canonical(), r2[i].Canonical())
			}
		}
		if out2, err := yaml.Marshal(c2); err != nil || string(out2) != string(out) {
			t.Fatalf("round trip changed the config (%v):\n%s\n%s", err, out, out2)
		}
	})
}
