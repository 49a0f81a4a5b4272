package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

func init() {
	register("rsa compare", "compare two RDMs (rsatoolbox methods: corr, spearman, kendall, tau-a, ...)", runRSACompare)
	register("rsa noise-ceiling", "lower and upper noise ceiling of a set of subject RDMs", runRSANoiseCeiling)
}

const rsaSourceHelp = `Sources: kriegeskorte92:NAME (mIT, hIT, hIT/S/K, hIT/S, behav/S, behav-mean;
sets hIT-subjects, hIT-sessions, behav-subjects), or a path to a .npy file holding a
square n x n RDM or its upper-triangle vector of length n(n-1)/2. A SET is one or more
sources separated by commas.`

// rdmSources loads RDMs from source names; the 92-image set is read once, on first use.
type rdmSources struct {
	dataDir string
	set     *k92.Set
}

// load returns the RDMs a source names (one for a file, one or more for a k92 name).
func (s *rdmSources) load(src string) ([]*rdm.RDM, error) {
	if src == "" {
		return nil, fmt.Errorf("empty RDM source")
	}
	if strings.HasPrefix(src, k92.Prefix) {
		// Check the name before reading the data set (an empty Set resolves names only).
		if _, err := k92.Resolve(&k92.Set{}, src); err != nil {
			return nil, err
		}
		if s.set == nil {
			if err := ensureK92(s.dataDir, os.Stderr); err != nil {
				return nil, err
			}
			set, err := k92.Load(s.dataDir)
			if err != nil {
				return nil, err
			}
			s.set = set
		}
		return k92.Resolve(s.set, src)
	}
	if !strings.HasSuffix(strings.ToLower(src), ".npy") {
		return nil, fmt.Errorf("unknown RDM source %q: want %sNAME or a .npy file", src, k92.Prefix)
	}
	r, err := npy.ReadRDM(src)
	if err != nil {
		return nil, err
	}
	return []*rdm.RDM{r}, nil
}

// loadOne loads a source that must name exactly one RDM.
func (s *rdmSources) loadOne(src string) (*rdm.RDM, error) {
	rs, err := s.load(src)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("source %q names %d RDMs; compare needs exactly one (use rsa noise-ceiling for sets)", src, len(rs))
	}
	return rs[0], nil
}

// loadSet loads a comma-separated list of sources.
func (s *rdmSources) loadSet(spec string) ([]*rdm.RDM, error) {
	var out []*rdm.RDM
	for _, src := range strings.Split(spec, ",") {
		rs, err := s.load(strings.TrimSpace(src))
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// jsonFloat encodes NaN and Inf as null (JSON has no NaN).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

func rsaFlags(name string, stderr io.Writer, positional string) (fsMethod *string, asJSON *bool, dataFlag *string, parse func([]string) ([]string, error)) {
	fs := newFlags(name, stderr)
	fsMethod = fs.String("method", "spearman", "comparison method: corr, spearman, rho-a, kendall (tau-b), tau-a, cosine, corr_cov, cosine_cov")
	asJSON = fs.Bool("json", false, "print one JSON object")
	dataFlag = fs.String("data", "", "data directory (default $"+datadir.EnvVar+" or the user cache)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: coarsealign %s [flags] %s\n\n%s\n\nFlags:\n", name, positional, rsaSourceHelp)
		fs.PrintDefaults()
	}
	return fsMethod, asJSON, dataFlag, func(args []string) ([]string, error) { return parseInterspersed(fs, args) }
}

func runRSACompare(args []string, stdout, stderr io.Writer) error {
	method, asJSON, dataFlag, parse := rsaFlags("rsa compare", stderr, "SRC_A SRC_B")
	pos, err := parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "coarsealign rsa compare: want 2 RDM sources, got %d\n", len(pos))
		return errUsage
	}
	m, err := rsa.MethodFromString(*method)
	if err != nil {
		return err
	}
	src := &rdmSources{dataDir: datadir.Resolve(*dataFlag)}
	a, err := src.loadOne(pos[0])
	if err != nil {
		return err
	}
	b, err := src.loadOne(pos[1])
	if err != nil {
		return err
	}
	v, err := rsa.Compare(a, b, m)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Method string    `json:"method"`
			Value  jsonFloat `json:"value"`
			A      string    `json:"a"`
			B      string    `json:"b"`
			N      int       `json:"n"`
		}{m.String(), jsonFloat(v), pos[0], pos[1], a.N})
	}
	_, err = fmt.Fprintf(stdout, "%.10f\n", v)
	return err
}

func runRSANoiseCeiling(args []string, stdout, stderr io.Writer) error {
	method, asJSON, dataFlag, parse := rsaFlags("rsa noise-ceiling", stderr, "SET")
	pos, err := parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "coarsealign rsa noise-ceiling: want 1 SET (sources separated by commas), got %d arguments\n", len(pos))
		return errUsage
	}
	m, err := rsa.MethodFromString(*method)
	if err != nil {
		return err
	}
	src := &rdmSources{dataDir: datadir.Resolve(*dataFlag)}
	subjects, err := src.loadSet(pos[0])
	if err != nil {
		return err
	}
	c, err := rsa.NoiseCeilingDetail(subjects, m)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Method   string    `json:"method"`
			Set      string    `json:"set"`
			Subjects int       `json:"subjects"`
			N        int       `json:"n"`
			Lower    jsonFloat `json:"lower"`
			Upper    jsonFloat `json:"upper"`
		}{m.String(), pos[0], len(subjects), subjects[0].N, jsonFloat(c.Lower), jsonFloat(c.Upper)})
	}
	_, err = fmt.Fprintf(stdout, "lower %.10f\nupper %.10f\n", c.Lower, c.Upper)
	return err
}
