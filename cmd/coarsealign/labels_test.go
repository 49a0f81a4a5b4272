package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"gonum.org/v1/gonum/mat"
)

func TestLabelsPixelsCIFAR(t *testing.T) {
	data := datadir.ForTest(t)
	out := t.TempDir()
	var so, se bytes.Buffer
	code := run([]string{"labels", "--data", data, "--images", "cifar10", "--split", "test", "--per-class", "20",
		"--cache", "none", "--source", "pixels", "--out", out, "--k", "8"}, &so, &se)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, so.String(), se.String())
	}
	for _, want := range []string{"images: 200 (32x32, 10 classes)", "embedding: 200 x 3072", "K=2 counts: [100 100]", "K=8 counts:"} {
		if !strings.Contains(so.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, so.String())
		}
	}
	l, err := coarse.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if l.N != 200 || l.Bits != 3 || l.Provenance.Source != "pixels" || !strings.HasPrefix(l.IDs[0], "airplane/") {
		t.Fatalf("saved labeling: n=%d bits=%d prov=%+v id0=%q", l.N, l.Bits, l.Provenance, l.IDs[0])
	}

	// A .npy embedding whose rows are stored in reverse image order, matched by ID.
	ids := make([]string, 0, l.N)
	for i := l.N - 1; i >= 0; i-- {
		ids = append(ids, l.IDs[i])
	}
	dir := t.TempDir()
	emb := make([]float64, 200*4)
	for i := range 200 {
		for j := range 4 {
			emb[i*4+j] = float64((i*7+j*13)%17) + float64(j)
		}
	}
	if err := npy.WriteMatrix(filepath.Join(dir, "emb.npy"), 200, 4, emb); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ids.txt"), []byte(strings.Join(ids, "\n")+"\n"), 0o644)
	so.Reset()
	se.Reset()
	code = run([]string{"labels", "--data", data, "--images", "cifar10", "--split", "test", "--per-class", "20", "--cache", "none",
		"--source", filepath.Join(dir, "emb.npy"), "--ids", filepath.Join(dir, "ids.txt"), "--out", filepath.Join(dir, "out"), "--k", "4"}, &so, &se)
	if code != 0 {
		t.Fatalf("npy with ids: exit %d: %s", code, se.String())
	}
	m, err := coarse.Load(filepath.Join(dir, "out"))
	if err != nil || m.IDs[0] != l.IDs[0] || m.Provenance.Source != "npy" {
		t.Fatalf("npy labeling: %v %+v", err, m)
	}
	direct, err := coarse.Fit(mat.NewDense(200, 4, emb), &coarse.Options{Bits: 2})
	if err != nil {
		t.Fatal(err)
	}
	dl, ml := direct.Labels(4), m.Labels(4)
	for i := range 200 {
		if ml[i] != dl[199-i] {
			t.Fatalf("image %d: label %d, want the label %d of .npy row %d", i, ml[i], dl[199-i], 199-i)
		}
	}
	// Wrong row count without IDs is an error naming the file.
	so.Reset()
	se.Reset()
	code = run([]string{"labels", "--data", data, "--images", "cifar10", "--split", "test", "--per-class", "10", "--cache", "none",
		"--source", filepath.Join(dir, "emb.npy"), "--out", filepath.Join(dir, "out2")}, &so, &se)
	if code != 1 || !strings.Contains(se.String(), "emb.npy has 200 rows") {
		t.Fatalf("row mismatch: exit %d: %s", code, se.String())
	}
}
