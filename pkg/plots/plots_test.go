package plots

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/vg"
)

// checkSaved saves f and checks: the three files exist, the PNG decodes with the figure's size at
// DPI, the SVG is an svg document, and the CSV holds wantRows data rows plus the header.
func checkSaved(t *testing.T, f *Figure, name string, wantRows int) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("PLOTS_KEEP") != "" { // PLOTS_KEEP=dir keeps the figures for a look
		dir = os.Getenv("PLOTS_KEEP")
	}
	paths, err := f.Save(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("%d files", len(paths))
	}
	b, err := os.ReadFile(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	wantW := int(math.Round(float64(f.Width/vg.Inch) * DPI))
	if w := img.Bounds().Dx(); math.Abs(float64(w-wantW)) > 1 {
		t.Fatalf("png width %d, want %d", w, wantW)
	}
	// The image is not blank: it has at least a handful of distinct colours.
	seen := map[[3]uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 3 {
		for x := 0; x < img.Bounds().Dx(); x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r, g, bl}] = true
		}
	}
	if len(seen) < 4 {
		t.Fatalf("png looks blank (%d colours)", len(seen))
	}
	svg, err := os.ReadFile(filepath.Join(dir, name+".svg"))
	if err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Fatalf("svg: %v", err)
	}
	cf, err := os.Open(filepath.Join(dir, name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	recs, err := csv.NewReader(cf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != wantRows {
		t.Fatalf("csv has %d data rows, want %d", len(recs)-1, wantRows)
	}
	if strings.Join(recs[0], ",") != strings.Join(f.Header, ",") {
		t.Fatalf("csv header %v", recs[0])
	}
}

// fakeRows builds a results table like a sweep's: granularities x seeds x layers x targets.
func fakeRows() []sweep.Row {
	var rows []sweep.Row
	ks := []string{"2", "4", "8", "fine", "untrained"}
	layers := []string{"conv1", "conv2", "fc1"}
	for ki, k := range ks {
		for seed := 1; seed <= 2; seed++ {
			for _, target := range []string{"mIT", "behav-mean"} {
				for li, l := range layers {
					v := 0.05*float64(ki+1) + 0.02*float64(li) + 0.01*float64(seed)
					src := "fine-net"
					if k == "fine" || k == "untrained" {
						src = ""
					}
					rows = append(rows, sweep.Row{K: k, Seed: seed, LabelSource: src, Score: sweep.Score{
						Layer: l, Target: target, Metric: "spearman", Value: v, CILow: v - 0.02, CIHigh: v + 0.03,
						CeilingLow: 0.4, CeilingHigh: 0.55, Split: "all"}})
					if li == 2 { // the selected layer's held-out row, as pkg/eval writes it
						rows = append(rows, sweep.Row{K: k, Seed: seed, LabelSource: src, Score: sweep.Score{
							Layer: l, Target: target, Metric: "spearman", Value: v, CILow: v - 0.02, CIHigh: v + 0.03,
							CeilingLow: 0.38, CeilingHigh: 0.52, Split: "half", Selected: true}})
					}
				}
			}
		}
	}
	return rows
}

func TestAlignmentVsKFromRows(t *testing.T) {
	rows := fakeRows()
	var panels []GranularityPanel
	for _, target := range []string{"mIT", "behav-mean"} {
		pn, err := GranularityFromRows(rows, target, "spearman", "", target, "RSA (Spearman)")
		if err != nil {
			t.Fatal(err)
		}
		panels = append(panels, pn)
	}
	panels[1].Ramp = Greens
	got := []string{}
	for _, b := range panels[0].Bars {
		got = append(got, b.Label)
	}
	if strings.Join(got, " ") != "untr. 2 4 8 fine" {
		t.Fatalf("bar order %v", got)
	}
	// Bar "2" (ki=0): selected layer fc1 (li=2), seeds 1,2: mean of 0.05+0.04+0.01 and +0.02 = 0.105.
	if b := panels[0].Bars[1]; math.Abs(b.Value-0.105) > 1e-12 || b.N != 2 || math.Abs(b.Low-0.085) > 1e-12 {
		t.Fatalf("bar 2: %+v", b)
	}
	// The ceiling of the selected (held-out) rows, not of the all-stimuli rows.
	if panels[0].CeilingLow != 0.38 || panels[0].CeilingHigh != 0.52 {
		t.Fatalf("ceiling %v %v", panels[0].CeilingLow, panels[0].CeilingHigh)
	}
	f, err := AlignmentVsK(panels...)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, f, "alignment_vs_k", 10)
	if _, err := GranularityFromRows(rows, "hIT", "spearman", "", "", ""); err == nil {
		t.Fatal("missing target accepted")
	}
}

func TestLayerProfilesFromRows(t *testing.T) {
	prs, err := ProfilesFromRows(fakeRows(), "mIT", "spearman", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(prs) != 5 || prs[0].Kind != Untrained || prs[4].Kind != Fine || prs[1].K != 2 {
		t.Fatalf("profiles %+v", prs)
	}
	f, err := LayerProfiles("mIT", "RSA (Spearman)", prs...)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, f, "layer_profiles", 15)
	bad := prs[0]
	bad.Layers = []string{"a", "b", "c"}
	if _, err := LayerProfiles("x", "y", prs[1], bad); err == nil {
		t.Fatal("mismatched layers accepted")
	}
}

func TestTrainingCurves(t *testing.T) {
	var curves []Curve
	for i, k := range []int{2, 8, 64} {
		var pts []sweep.EpochStat
		for e := 1; e <= 4; e++ {
			pts = append(pts, sweep.EpochStat{Epoch: float64(e), Step: e * 10, TrainLoss: 2 / float64(e+i),
				TrainAcc: 1 - 1/float64(e+1), ValLoss: 2.1 / float64(e+i), ValAcc: math.NaN()})
		}
		curves = append(curves, Curve{Label: "K", Kind: Coarse, K: k, Points: pts})
	}
	f, err := TrainingCurves(curves...)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, f, "training_curves", 12)
}

// square4 is the RDM of the corners of a unit square: sides 1, diagonals sqrt(2).
func square4() *rdm.RDM {
	s := math.Sqrt2
	r, _ := rdm.FromVector("square", []float64{1, s, 1, 1, s, 1}, nil)
	return r
}

func TestClassicalMDSRecoversEuclideanDistances(t *testing.T) {
	// Analytic fact: classical MDS recovers a Euclidean configuration exactly (up to rotation),
	// so the embedded points' distances equal the RDM's.
	rng := rand.New(rand.NewPCG(1, 2))
	n := 7
	pts := make([][2]float64, n)
	for i := range pts {
		pts[i] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	vec := make([]float64, rdm.NumPairs(n))
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			vec[rdm.Index(n, i, j)] = math.Hypot(pts[i][0]-pts[j][0], pts[i][1]-pts[j][1])
		}
	}
	for _, r := range []*rdm.RDM{square4(), mustRDM(t, vec)} {
		xy, err := ClassicalMDS(r, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < r.N; i++ {
			for j := i + 1; j < r.N; j++ {
				d := math.Hypot(xy.At(i, 0)-xy.At(j, 0), xy.At(i, 1)-xy.At(j, 1))
				if !(math.Abs(d-r.At(i, j)) <= 1e-9) {
					t.Fatalf("%s: distance %d-%d %v, want %v", r.Name, i, j, d, r.At(i, j))
				}
			}
		}
	}
	withNaN := mustRDM(t, []float64{1, math.NaN(), 1})
	if _, err := ClassicalMDS(withNaN, 2); err == nil {
		t.Fatal("NaN accepted")
	}
}

func mustRDM(t *testing.T, vec []float64) *rdm.RDM {
	t.Helper()
	r, err := rdm.FromVector("r", vec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPercentilesAndOrder(t *testing.T) {
	r := mustRDM(t, []float64{0.3, 0.1, 0.3, math.NaN(), 0.9, 0.2})
	got := Percentiles(r)
	// Sorted valid values 0.1, 0.2, 0.3, 0.3, 0.9: ranks 0, 1, 2.5, 2.5, 4 of 4.
	want := []float64{62.5, 0, 62.5, math.NaN(), 100, 25}
	for i := range want {
		if !(got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("percentiles %v, want %v", got, want)
		}
	}
	if o := CategoryOrder([]string{"b", "a", "b", "c", "a"}); strings.Trim(strings.Join(strings.Fields(fmtInts(o)), " "), " ") != "0 2 1 4 3" {
		t.Fatalf("order %v", o)
	}
}

func fmtInts(xs []int) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString(" ")
		b.WriteString(string(rune('0' + x)))
	}
	return b.String()
}

func randomRDM(t *testing.T, name string, n int, seed uint64) *rdm.RDM {
	rng := rand.New(rand.NewPCG(seed, 7))
	vec := make([]float64, rdm.NumPairs(n))
	for i := range vec {
		vec[i] = rng.Float64()
	}
	r, err := rdm.FromVector(name, vec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRDMHeatmapsAndMDS(t *testing.T) {
	n := 12
	groups := []string{"face", "body", "face", "object", "body", "face", "object", "object", "body", "face", "object", "body"}
	a, b := randomRDM(t, "model conv3", n, 1), randomRDM(t, "hIT", n, 2)
	f, err := RDMHeatmaps(groups, a, b)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, f, "rdms", rdm.NumPairs(n))
	m, err := MDSScatter(groups, a, b)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, m, "mds", 2*n)
	if _, err := RDMHeatmaps(nil, a, randomRDM(t, "x", n+1, 3)); err == nil {
		t.Fatal("size mismatch accepted")
	}
}

func TestPCASplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 400
	pc1, pc2 := make([]float64, n), make([]float64, n)
	fine := make([]int, n)
	for i := range pc1 {
		fine[i] = i % 10
		pc1[i] = 3*math.Cos(float64(fine[i])) + rng.NormFloat64()
		pc2[i] = 2*math.Sin(float64(fine[i])) + rng.NormFloat64()
	}
	f, err := PCASplit(pc1, pc2, fine)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, f, "pca_split", n)
	// Median splits: half the images on each side of PC1's median; the 4 classes are balanced.
	count := map[string]int{}
	for _, row := range f.Rows {
		count["2:"+row[4]]++
		count["4:"+row[5]]++
	}
	if count["2:1"] != n/2 || count["4:0"]+count["4:1"] != n/2 {
		t.Fatalf("split counts %v", count)
	}
	// From a pkg/coarse labeling fitted on the same points (as a 2-column embedding): the split
	// counts are the labeling's own class counts.
	x := mat.NewDense(n, 3, nil)
	for i := range pc1 {
		x.Set(i, 0, pc1[i])
		x.Set(i, 1, pc2[i])
		x.Set(i, 2, 5) // constant offset so that L2 normalisation keeps the two axes informative
	}
	lab, err := coarse.Fit(x, &coarse.Options{Bits: 2})
	if err != nil {
		t.Fatal(err)
	}
	g, err := PCASplitFromLabeling(lab, x, fine)
	if err != nil {
		t.Fatal(err)
	}
	want2, want4 := lab.Labels(2), lab.Labels(4)
	for i, row := range g.Rows {
		if row[4] != fmt.Sprint(want2[i]) || row[5] != fmt.Sprint(want4[i]) {
			t.Fatalf("image %d drawn with labels %s/%s, pkg/coarse gives %d/%d", i, row[4], row[5], want2[i], want4[i])
		}
	}
	if _, err := PCASplit(pc1, pc2[:10], nil); err == nil {
		t.Fatal("length mismatch accepted")
	}
}

func TestReconstructionControl(t *testing.T) {
	var panels []ReconPanel
	for _, title := range []string{"V1", "V4", "IT"} {
		pn := ReconPanel{Title: title, YLabel: "RSA (Spearman)", Full: 0.16, FullLow: 0.155, FullHigh: 0.165,
			BestCoarse: 0.18, BestLow: 0.175, BestHigh: 0.185}
		for m := 1; m <= 15; m++ {
			v := 0.15 * (1 - math.Exp(-float64(m)/3))
			pn.M = append(pn.M, m)
			pn.Value = append(pn.Value, v)
			pn.Low = append(pn.Low, v-0.01)
			pn.High = append(pn.High, v+0.01)
		}
		panels = append(panels, pn)
	}
	f, err := ReconstructionControl(panels...)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, f, "recon_control", 3*(15+2))
}

func TestShowOutsideNotebookIsNoOp(t *testing.T) {
	f, err := TrainingCurves(Curve{Label: "fine", Kind: Fine, Points: []sweep.EpochStat{{Epoch: 1, TrainLoss: 1}, {Epoch: 2, TrainLoss: 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Show(); err != nil {
		t.Fatal(err)
	}
}
