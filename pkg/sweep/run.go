package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/data/images"
)

// IDLen is the number of hex digits of a run ID (48 bits of the SHA-256).
const IDLen = 12

// Run is one point of the grid: everything that determines its artifacts.
type Run struct {
	// Index is the position in Config.Expand's order (not part of the identity).
	Index int `json:"-"`
	// Granularity is "2".."1024", Fine or Untrained.
	Granularity string `json:"granularity"`
	// LabelSource is the coarse labels' embedding source; empty for the fine/untrained baselines.
	LabelSource string `json:"label_source,omitempty"`
	// Labels is the PCA setting; zero for the baselines.
	Labels LabelSpec `json:"labels"`
	Seed   int       `json:"seed"`
	Arch   Arch      `json:"arch"`
	// Train is zero for the untrained baseline.
	Train Train `json:"train"`
	Data  Data  `json:"data"`
	Eval  Eval  `json:"eval"`
	// Chronology, if set, keeps and scores checkpoints along training; nil for the untrained
	// baseline and for sweeps without chronology (so their identities are unchanged).
	Chronology *Chronology `json:"chronology,omitempty"`
}

// K returns the number of classes of a coarse run, or 0 and false for the baselines.
func (r Run) K() (int, bool) {
	k, err := strconv.Atoi(r.Granularity)
	if err != nil {
		return 0, false
	}
	return k, true
}

// Canonical returns the run's canonical JSON: all identity fields, object keys sorted,
// no insignificant white space. Two runs with equal Canonical bytes are the same run.
func (r Run) Canonical() []byte {
	if r.Data.JPEG == string(images.JPEGGo) {
		r.Data.JPEG = "" // the conversion of every run made before data.jpeg existed
	}
	r.Eval.CIFAR10H = nil // an add-on target (RunAddOns), recorded in its own key file
	b, err := json.Marshal(r)
	if err != nil {
		panic("sweep: marshal run: " + err.Error()) // only plain fields: cannot happen
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep numbers' exact text
	if err := dec.Decode(&v); err != nil {
		panic("sweep: canonical run: " + err.Error())
	}
	out, err := json.Marshal(v) // maps marshal with sorted keys, recursively
	if err != nil {
		panic("sweep: canonical run: " + err.Error())
	}
	return out
}

// ID returns the first IDLen hex digits of the SHA-256 of Canonical.
func (r Run) ID() string {
	s := sha256.Sum256(r.Canonical())
	return hex.EncodeToString(s[:])[:IDLen]
}

// Label is a short human-readable description, e.g. "K=8 fine-net seed=1 alexnet-bn".
func (r Run) Label() string {
	var b strings.Builder
	if _, ok := r.K(); ok {
		fmt.Fprintf(&b, "K=%s %s", r.Granularity, r.LabelSource)
	} else {
		b.WriteString(r.Granularity)
	}
	fmt.Fprintf(&b, " seed=%d %s", r.Seed, r.Arch.Name)
	return b.String()
}

// Shard selects a slice of a sweep's runs: run i belongs to shard i mod N (round-robin, so
// every shard gets a mix of cheap and expensive granularities). The zero value (N=0) and
// N=1 select everything.
type Shard struct {
	I, N int
}

// ParseShard parses "i/n" with 0 <= i < n. The empty string is the whole sweep.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("sweep: shard %q is not i/n with 0 <= i < n", s)
	}
	return Shard{I: i, N: n}, nil
}

// String formats the shard as "i/n".
func (s Shard) String() string {
	if s.N <= 1 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Select returns the runs of this shard, in order.
func (s Shard) Select(runs []Run) []Run {
	if s.N <= 1 {
		return runs
	}
	var out []Run
	for _, r := range runs {
		if r.Index%s.N == s.I {
			out = append(out, r)
		}
	}
	return out
}
