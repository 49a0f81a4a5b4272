package plots

import (
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// TestSSLAtFineEnd: the ssl granularity is drawn after fine, labelled "instance (SSL)", and
// AlignmentVsKByArch keeps the architectures' seeds apart.
func TestSSLAtFineEnd(t *testing.T) {
	var rows []sweep.Row
	for _, a := range []string{"alexnet-bn", "vit-cifar"} {
		for _, r := range fakeRows() {
			r.Arch = a
			if a == "vit-cifar" {
				r.Value += 1 // a separate level per architecture
			}
			rows = append(rows, r)
			if r.K == sweep.Fine {
				r.K = sweep.SSL
				r.Value += 0.5
				rows = append(rows, r)
			}
		}
	}
	pn, err := GranularityFromRows(rows[:len(rows)/2], "mIT", "spearman", "", "mIT", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range pn.Bars {
		got = append(got, b.Label)
	}
	if strings.Join(got, ",") != "untr.,2,4,8,fine,instance (SSL)" || pn.Bars[5].Kind != SSL {
		t.Fatalf("bars %v", got)
	}
	f, err := AlignmentVsKByArch(rows, "spearman", "", "RSA", []string{"mIT", "behav-mean"}, []string{"mIT", "behaviour"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 4 || len(f.Rows) != 24 {
		t.Fatalf("%d panels, %d CSV rows; want 4 and 24", len(f.Panels), len(f.Rows))
	}
	// Bar "2" of fakeRows is 0.105 (TestAlignmentVsKFromRows); the ViT's is 1 higher.
	found := 0
	for _, row := range f.Rows {
		if row[0] == "vit-cifar: mIT" && row[1] == "2" {
			found++
			if row[4] != "1.105" {
				t.Errorf("vit-cifar bar 2: %v", row)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d CSV rows for vit-cifar bar 2, want 1", found)
	}
	checkSaved(t, f, "alignment_vs_k_by_arch", 24)
}
