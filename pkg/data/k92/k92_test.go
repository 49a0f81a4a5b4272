package k92

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/fetch"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/rdm"
)

func load(t *testing.T) *Set {
	t.Helper()
	s, err := Load(datadir.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pearson is the plain sample correlation of two equal-length vectors.
func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

func count(b []bool) (n int) {
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

func TestLoadShapesAndIDs(t *testing.T) {
	s := load(t)
	if len(s.IDs) != NumImages || s.IDs[0] != "k92-001" || s.IDs[91] != "k92-092" {
		t.Fatalf("IDs = %q ... %q", s.IDs[0], s.IDs[len(s.IDs)-1])
	}
	if len(s.Pixels) != NumImages {
		t.Fatalf("%d images", len(s.Pixels))
	}
	for i, px := range s.Pixels {
		if len(px) != ImageSize*ImageSize*3 {
			t.Fatalf("image %d has %d bytes", i, len(px))
		}
	}
	if len(s.CategoryVectors) != NumImages || len(s.CategoryVectors[0]) != NumCategories || len(s.CategoryLabels) != NumCategories {
		t.Fatalf("category vectors %dx%d, %d labels", len(s.CategoryVectors), len(s.CategoryVectors[0]), len(s.CategoryLabels))
	}
	// Labels as stored in categoryLabels of the supplemental file.
	want := "animate inanim human nonhumani body face natObj artiObj rand24 rand48 other48 monkeyape"
	if got := strings.Join(s.CategoryLabels, " "); got != want {
		t.Fatalf("labels %q, want %q", got, want)
	}
	// Subject initials as stored in the RDM names of 92_brainRDMs.mat ("hIT | BE | Session: 1").
	if got := fmt.Sprint(s.HITSubjectCodes); got != "[BE KO SN TI]" {
		t.Fatalf("subject codes %s", got)
	}
}

func TestImagesLookRight(t *testing.T) {
	s := load(t)
	// The stimuli are objects on a uniform grey background: the first stored value of
	// image 1 (corner pixel, red channel) is 128 in the file.
	img := s.Image(0)
	if b := img.Bounds(); b.Dx() != ImageSize || b.Dy() != ImageSize {
		t.Fatalf("bounds %v", b)
	}
	r, g, b, a := img.At(0, 0).RGBA()
	if r>>8 != 128 || g>>8 != 128 || b>>8 != 128 || a>>8 != 255 {
		t.Fatalf("corner pixel %d %d %d %d, want grey 128", r>>8, g>>8, b>>8, a>>8)
	}
	// Images differ from each other and are not constant.
	for i := 0; i < NumImages; i++ {
		lo, hi := 255, 0
		for _, v := range s.Pixels[i] {
			lo, hi = min(lo, int(v)), max(hi, int(v))
		}
		if hi-lo < 50 {
			t.Fatalf("image %d has range %d..%d", i+1, lo, hi)
		}
	}
}

// TestFlags checks the per-image flags against the categoryVectors columns
// and the category text: the file carries the same information three ways.
func TestFlags(t *testing.T) {
	s := load(t)
	col := func(label string) []bool {
		c, err := s.CategoryMembers(label)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := s.CategoryMembers("plants"); err == nil {
		t.Error("unknown label gave no error")
	}
	for _, tc := range []struct {
		name  string
		flags []bool
		col   string
		n     int // count from the data, equal to the categoryVectors column sum
	}{
		{"human", s.Human, "human", 24},
		{"face", s.Face, "face", 24},
		{"animal", s.Animal, "animate", 48},
	} {
		c := col(tc.col)
		for i := range c {
			if c[i] != tc.flags[i] {
				t.Errorf("%s flag of image %d is %v but categoryVectors %s is %v", tc.name, i+1, tc.flags[i], tc.col, c[i])
			}
		}
		if got := count(tc.flags); got != tc.n {
			t.Errorf("%d %s images, want %d", got, tc.name, tc.n)
		}
	}
	// natural = animate or natural object: 48 + 23 = 71.
	animate, natObj := col("animate"), col("natObj")
	for i := range s.Natural {
		if s.Natural[i] != (animate[i] || natObj[i]) {
			t.Errorf("image %d: natural=%v, animate=%v natObj=%v", i+1, s.Natural[i], animate[i], natObj[i])
		}
	}
	if got := count(s.Natural); got != 71 {
		t.Errorf("%d natural images, want 71", got)
	}
	// The category text agrees: "human face"/"human bodypart" iff human; "... face" iff face.
	for i, c := range s.Category {
		if strings.HasPrefix(c, "human ") != s.Human[i] || strings.HasSuffix(c, " face") != s.Face[i] {
			t.Errorf("image %d: category %q vs human=%v face=%v", i+1, c, s.Human[i], s.Face[i])
		}
	}
}

func TestRDMs(t *testing.T) {
	s := load(t)
	all := []*rdm.RDM{s.MIT, s.HIT, s.BehavMean}
	for sub := range s.HITSessions {
		all = append(all, s.HITSessions[sub][:]...)
		all = append(all, s.HITSubjects[sub])
	}
	all = append(all, s.Behav[:]...)
	for _, r := range all {
		if r.N != NumImages || len(r.Vec) != 4186 || len(r.IDs) != NumImages || r.HasNaN() {
			t.Fatalf("%s: N=%d len=%d ids=%d nan=%v", r.Name, r.N, len(r.Vec), len(r.IDs), r.HasNaN())
		}
		if err := rdm.Check(r, s.MIT); err != nil {
			t.Fatal(err)
		}
		// Round trip through the square form re-checks symmetry and the zero diagonal.
		if _, err := rdm.FromSquare(r.Name, r.Square(), r.N, r.IDs); err != nil {
			t.Fatal(err)
		}
	}
	// The layout claim of the data README (vector = row-major upper triangle): with
	// this layout the mIT and hIT vectors correlate at 0.4912097961, the value rsatoolbox
	// reports for corr(mIT, hIT) on these files (Pearson of the two vectors).
	if got := pearson(s.MIT.Vec, s.HIT.Vec); math.Abs(got-0.4912097961) > 1e-9 {
		t.Fatalf("corr(mIT, hIT) = %.10f, want 0.4912097961", got)
	}
	// A wrong layout (lower triangle row-major of the same vector) does not give that value,
	// so the check above can fail.
	sq := s.MIT.Square()
	perm := make([]float64, 0, 4186)
	for i := 0; i < NumImages; i++ {
		for j := 0; j < i; j++ {
			perm = append(perm, sq[i*NumImages+j])
		}
	}
	if got := pearson(perm, s.HIT.Vec); math.Abs(got-0.4912097961) < 1e-3 {
		t.Fatalf("permuted layout gives %.10f too: test cannot tell layouts apart", got)
	}
	// Session means: element-wise mean of the two sessions.
	for sub := range s.HITSubjects {
		a, b, m := s.HITSessions[sub][0], s.HITSessions[sub][1], s.HITSubjects[sub]
		for k := range m.Vec {
			if !(math.Abs(m.Vec[k]-(a.Vec[k]+b.Vec[k])/2) <= 1e-12) {
				t.Fatalf("hIT/%d mean wrong at %d", sub+1, k)
			}
		}
	}
}

func TestLoadCaches(t *testing.T) {
	dir := datadir.ForTest(t)
	a, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(dir + "/")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("second Load did not return the cached set")
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "missing from "+dir) || !strings.Contains(err.Error(), "raw.githubusercontent.com/rsagroup/rsatoolbox") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadTampered(t *testing.T) {
	src := filepath.Join(datadir.ForTest(t), Subdir)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, Subdir), 0o755)
	for _, f := range Files {
		b, err := os.ReadFile(filepath.Join(src, filepath.Base(f.Name)))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, BrainFile) {
			b[len(b)/2] ^= 1
		}
		os.WriteFile(f.Path(dir), b, 0o644)
	}
	_, err := Load(dir)
	var ce *fetch.ChecksumError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), BrainFile) {
		t.Fatalf("err = %v", err)
	}
}

func TestResolve(t *testing.T) {
	s := load(t)
	for _, tc := range []struct {
		spec  string
		n     int
		first *rdm.RDM
	}{
		{"kriegeskorte92:mIT", 1, s.MIT},
		{"kriegeskorte92:hIT", 1, s.HIT},
		{"kriegeskorte92:hIT/3/2", 1, s.HITSessions[2][1]},
		{"kriegeskorte92:hIT/4", 1, s.HITSubjects[3]},
		{"kriegeskorte92:behav/16", 1, s.Behav[15]},
		{"kriegeskorte92:behav-mean", 1, s.BehavMean},
		{"kriegeskorte92:hIT-subjects", 4, s.HITSubjects[0]},
		{"kriegeskorte92:hIT-sessions", 8, s.HITSessions[0][0]},
		{"kriegeskorte92:behav-subjects", 16, s.Behav[0]},
	} {
		got, err := Resolve(s, tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if len(got) != tc.n || got[0] != tc.first {
			t.Fatalf("%s: %d RDMs, first %q", tc.spec, len(got), got[0].Name)
		}
		if err := CheckName(tc.spec); err != nil {
			t.Errorf("CheckName(%q) = %v", tc.spec, err)
		}
		if tc.n == 1 && got[0].Name != tc.spec {
			t.Errorf("%s resolves to an RDM named %q", tc.spec, got[0].Name)
		}
	}
	if got, _ := Resolve(s, "kriegeskorte92:hIT-sessions"); got[1] != s.HITSessions[0][1] || got[7] != s.HITSessions[3][1] {
		t.Fatal("hIT-sessions order is not subject-major")
	}
	for _, bad := range []string{"kriegeskorte92:hIT/5", "kriegeskorte92:hIT/1/3", "kriegeskorte92:behav/0",
		"kriegeskorte92:behav/17", "kriegeskorte92:hit", "kriegeskorte92:hIT/01", "kriegeskorte92:", "mIT", "kriegeskorte92:behav/1/1"} {
		_, err := Resolve(s, bad)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "kriegeskorte92:behav-subjects") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func BenchmarkLoadUncached(b *testing.B) {
	dir := datadir.ForTest(b)
	for b.Loop() {
		if _, err := parse(dir); err != nil {
			b.Fatal(err)
		}
	}
}
