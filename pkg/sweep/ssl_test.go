package sweep

import (
	"strings"
	"testing"
)

// TestSSLGranularity: "ssl" is a baseline granularity like fine: one run per architecture and
// seed, without label source or label settings, with the training budget; listed twice or
// misspelled it is an error naming the field.
func TestSSLGranularity(t *testing.T) {
	c := mustParse(t, replaceLine("granularity", "granularity: [2, fine, ssl]"))
	var ssl []Run
	for _, r := range c.Expand() {
		if r.Granularity == SSL {
			ssl = append(ssl, r)
		}
	}
	if len(ssl) != 2 { // seeds 1 and 2
		t.Fatalf("%d ssl runs, want 2", len(ssl))
	}
	for _, r := range ssl {
		if r.LabelSource != "" || r.Labels != (LabelSpec{}) || r.Train != c.Train {
			t.Errorf("ssl run %+v: want no label source or labels, the config's budget", r)
		}
		if _, ok := r.K(); ok {
			t.Error("ssl run has a K")
		}
	}
	if ssl[0].ID() == ssl[1].ID() {
		t.Error("two seeds, one run identity")
	}
	for _, g := range []string{"[ssl, ssl]", "[simclr]"} {
		_, err := Parse([]byte(replaceLine("granularity", "granularity: "+g)))
		if err == nil || !strings.Contains(err.Error(), "granularity[") {
			t.Errorf("granularity %s: error %v, want one naming the field", g, err)
		}
	}
	// Only ssl and fine: the label sources are unused (a warning, not an error).
	c = mustParse(t, replaceLine("granularity", "granularity: [fine, ssl]"))
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "label_sources") {
		t.Errorf("warnings %q, want one about label_sources", w)
	}
}
