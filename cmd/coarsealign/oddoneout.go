package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/oddoneout"
)

func init() {
	register("oddoneout", "zero-shot odd-one-out accuracy of features on THINGS-format triplets with bootstrap CIs, and the study's linear probe (--probe)", runOddOneOut)
}

func runOddOneOut(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("oddoneout", stderr)
	featFlag := fs.String("features", "", "folder written by 'coarsealign features' (or its index.json), or an embedding file (.txt whitespace rows or .npy, one row per triplet index) (required)")
	tripFlag := fs.String("triplets", "", "triplets: .npy or whitespace .txt, n x 3 indices, the odd one last (required)")
	conceptsFlag := fs.String("concepts", "", "concept list (unique_id.txt or things_concepts.tsv): triplet index i is concept i, and feature rows are averaged per concept (the folder of their stimulus ID); default: triplet indices are feature rows")
	layerFlag := fs.String("layer", "", "comma-separated layers to score (default: all)")
	simFlag := fs.String("similarity", "cosine", "zero-shot similarity: cosine, dot or euclidean")
	probe := fs.Bool("probe", false, "also run the study's linear probe (object-disjoint 3-fold CV, lambda by inner CV) and print its held-out accuracy")
	boot := fs.Int("boot", 1000, "bootstrap resamples for the 95% intervals (0: none)")
	seed := fs.Uint64("seed", 0, "seed of the bootstrap, the folds and the probe's initialisation")
	folds := fs.Int("folds", 3, "probe: outer folds over objects")
	steps := fs.Int("steps", 500, "probe: full-batch Adam steps")
	lr := fs.Float64("lr", 0.01, "probe: Adam learning rate")
	lambdas := fs.String("lambdas", "1,0.1,0.01,0.001,0.0001,0.00001", "probe: penalty grid (lambda * ||W||_F), chosen by inner CV")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "coarsealign oddoneout: unexpected argument %q\n", pos[0])
		return errUsage
	}
	if *featFlag == "" || *tripFlag == "" {
		fmt.Fprintln(stderr, "coarsealign oddoneout: --features and --triplets are required")
		return errUsage
	}
	sim, err := oddoneout.ParseSimilarity(*simFlag)
	if err != nil {
		return fmt.Errorf("--similarity: %w", err)
	}
	var grid []float64
	for _, s := range strings.Split(*lambdas, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v < 0 {
			return fmt.Errorf("--lambdas: %q is not a non-negative number", s)
		}
		grid = append(grid, v)
	}
	b := *boot
	if b <= 0 {
		b = -1
	}
	names, mats, ids, err := loadOddFeatures(*featFlag, *layerFlag)
	if err != nil {
		return err
	}
	trip, err := oddoneout.ReadTriplets(*tripFlag)
	if err != nil {
		return err
	}
	var concepts []string
	if *conceptsFlag != "" {
		if concepts, err = oddoneout.ReadConcepts(*conceptsFlag); err != nil {
			return err
		}
		if ids == nil {
			return fmt.Errorf("--concepts needs a feature folder with stimulus IDs (%s), not an embedding file", features.IndexFile)
		}
	}
	fmt.Fprintf(stdout, "# %d triplets from %s; similarity %v, ties wrong; 95%% bootstrap intervals (%d resamples) over triplets and over stimuli\n", len(trip), *tripFlag, sim, max(b, 0))
	if *probe {
		fmt.Fprintf(stdout, "# probe: held-out accuracy on object-disjoint %d-fold CV (test triplets have all three objects in the held-out fold); zs_test: zero-shot on the same test triplets\n", *folds)
	}
	fmt.Fprintf(stdout, "%-20s %8s %20s %20s", "layer", "zeroshot", "ci_triplets", "ci_stimuli")
	if *probe {
		fmt.Fprintf(stdout, " %8s %20s %20s %8s %s", "probe", "ci_triplets", "ci_stimuli", "zs_test", "lambda_per_fold")
	}
	fmt.Fprintln(stdout)
	for l, x := range mats {
		if concepts != nil {
			if x, err = oddoneout.ConceptMeans(x, ids, concepts); err != nil {
				return fmt.Errorf("layer %s: %w", names[l], err)
			}
		}
		res, err := oddoneout.Evaluate(x, trip, oddoneout.Options{Similarity: sim, Boot: b, Seed: *seed})
		if err != nil {
			return fmt.Errorf("layer %s: %w", names[l], err)
		}
		fmt.Fprintf(stdout, "%-20s %8.4f %20v %20v", names[l], res.Accuracy, res.ByTriplets, res.ByStimuli)
		if *probe {
			pr, err := oddoneout.Probe(x, trip, oddoneout.ProbeOptions{Folds: *folds, Steps: *steps, LR: *lr, Lambdas: grid, Seed: *seed, Boot: b, ZeroShot: sim})
			if err != nil {
				return fmt.Errorf("layer %s: probe: %w", names[l], err)
			}
			fmt.Fprintf(stdout, " %8.4f %20v %20v %8.4f %v", pr.Held.Accuracy, pr.Held.ByTriplets, pr.Held.ByStimuli, pr.HeldZeroShot.Accuracy, pr.Lambda)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// loadOddFeatures reads a feature folder (layers, with stimulus IDs) or a single embedding file.
func loadOddFeatures(path, layers string) (names []string, mats []*mat.Dense, ids []string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--features: %w", err)
	}
	if !st.IsDir() && filepath.Base(path) != features.IndexFile {
		x, err := oddoneout.ReadEmbedding(path)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--features: %w", err)
		}
		return []string{"embedding"}, []*mat.Dense{x}, nil, nil
	}
	dir := path
	if !st.IsDir() {
		dir = filepath.Dir(path)
	}
	idx, saved, err := features.Load(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--features: %w", err)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(layers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	for _, L := range saved {
		if len(want) > 0 && !want[L.Name] {
			continue
		}
		delete(want, L.Name)
		names = append(names, L.Name)
		mats = append(mats, mat.NewDense(L.Rows, L.Cols, L.Float64()))
	}
	for s := range want {
		return nil, nil, nil, fmt.Errorf("--layer: no layer %q in %s (have %s)", s, dir, strings.Join(features.LayerNames(saved), ", "))
	}
	if len(mats) == 0 {
		return nil, nil, nil, fmt.Errorf("--features %s: no layers", dir)
	}
	return names, mats, idx.IDs, nil
}
