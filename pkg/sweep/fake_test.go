package sweep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"
)

// The fake pipeline: deterministic artifacts derived from the run ID, written slowly in
// chunks (so that a SIGKILL lands mid-write), each ending with a SHA-256 trailer that every
// reader verifies, so a partial artifact that is read fails the run loudly.

// payload returns n deterministic bytes for (id, what).
func payload(id, what string, n int) []byte {
	var buf bytes.Buffer
	seed := sha256.Sum256([]byte(id + "/" + what))
	for buf.Len() < n {
		buf.Write(seed[:])
		seed = sha256.Sum256(seed[:])
	}
	return buf.Bytes()[:n]
}

// writeVerified writes p in chunks with a delay between them, then the SHA-256 of p.
func writeVerified(w io.Writer, p []byte, chunks int, delay time.Duration) error {
	step := (len(p) + chunks - 1) / chunks
	for i := 0; i < len(p); i += step {
		if _, err := w.Write(p[i:min(i+step, len(p))]); err != nil {
			return err
		}
		// Flush through to the OS so that a kill leaves a visibly partial temporary file.
		if f, ok := w.(interface{ Flush() error }); ok {
			f.Flush()
		}
		time.Sleep(delay)
	}
	s := sha256.Sum256(p)
	_, err := w.Write(s[:])
	return err
}

// readVerified reads a file written by writeVerified and checks its trailer.
func readVerified(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 32 {
		return nil, fmt.Errorf("%s: partial artifact (%d bytes)", path, len(b))
	}
	p, trailer := b[:len(b)-32], b[len(b)-32:]
	if s := sha256.Sum256(p); !bytes.Equal(s[:], trailer) {
		return nil, fmt.Errorf("%s: partial or corrupt artifact", path)
	}
	return p, nil
}

func fakeStages(delay time.Duration) []Stage {
	return []Stage{
		StageFunc{"labels", func(ctx context.Context, env *Env) error {
			return env.WriteFile("labels.bin", func(w io.Writer) error {
				return writeVerified(w, payload(env.ID, "labels", 4096), 4, delay)
			})
		}},
		StageFunc{"train", func(ctx context.Context, env *Env) error {
			if _, err := readVerified(env.Path("labels.bin")); err != nil {
				return err
			}
			if err := env.WriteDir("checkpoint", func(tmp string) error {
				for _, name := range []string{"weights.bin", "optimizer.bin"} {
					f, err := os.Create(filepath.Join(tmp, name))
					if err != nil {
						return err
					}
					if err := writeVerified(f, payload(env.ID, name, 8192), 4, delay); err != nil {
						f.Close()
						return err
					}
					if err := f.Close(); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
			p := payload(env.ID, "curve", 16)
			var curve []EpochStat
			for e := 1; e <= 3; e++ {
				loss := 2/float64(e) + float64(p[e])/1000
				curve = append(curve, EpochStat{Epoch: float64(e), Step: 10 * e, TrainLoss: loss, TrainAcc: 1 - loss/3,
					ValLoss: loss + 0.1, ValAcc: math.NaN()})
				env.Report(e, 3)
			}
			return env.WriteCurve(curve)
		}},
		StageFunc{"features", func(ctx context.Context, env *Env) error {
			for _, name := range []string{"checkpoint/weights.bin", "checkpoint/optimizer.bin"} {
				if _, err := readVerified(env.Path(name)); err != nil {
					return err
				}
			}
			return env.WriteFile("features.bin", func(w io.Writer) error {
				return writeVerified(w, payload(env.ID, "features", 1<<16), 8, delay)
			})
		}},
		StageFunc{"eval", func(ctx context.Context, env *Env) error {
			f, err := readVerified(env.Path("features.bin"))
			if err != nil {
				return err
			}
			var scores []Score
			i := 0
			for _, target := range []string{"mIT", "hIT-mean", "behav-mean"} {
				for _, metric := range []string{"spearman", "tau-a"} {
					best, bestV := -1, math.Inf(-1)
					first := len(scores)
					for l, layer := range []string{"conv1", "conv2", "fc1"} {
						v := float64(binary.LittleEndian.Uint16(f[2*i:]))/65535 - 0.5
						i++
						cl, ch := 0.3, 0.5
						if target == "mIT" {
							cl, ch = math.NaN(), math.NaN()
						}
						scores = append(scores, Score{Layer: layer, Target: target, Metric: metric, Value: v,
							CILow: v - 0.05, CIHigh: v + 0.05, CeilingLow: cl, CeilingHigh: ch, Split: "all", SD: math.NaN(), N: 92})
						if v > bestV {
							best, bestV = l, v
						}
					}
					scores[first+best].Selected = true
				}
			}
			return env.WriteScores(scores)
		}},
	}
}
