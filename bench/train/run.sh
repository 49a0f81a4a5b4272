#!/usr/bin/env bash
# Training / feature-extraction throughput: GoMLX pure Go (fastconv backend) vs PyTorch CPU.
# Prints, per workload, the two measurement lines and a summary line:
#   cnn3-32 gomlx_img_s=... torch_img_s=... ratio=X.XX   (ratio = GoMLX img/s / PyTorch img/s)
# Usage: bash bench/train/run.sh [workloads] (default: cnn3-32,alexnet-bn-32,alexnet-bn-64,features-92)
# Env: STEPS (default 10), WARMUP (default 2), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKLOADS="${1:-cnn3-32,alexnet-bn-32,alexnet-bn-64,features-92}"
STEPS="${STEPS:-10}"
WARMUP="${WARMUP:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"
BIN="$(mktemp -d)/train-bench"
GOEXPERIMENT=simd go build -o "$BIN" ./bench/train
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "PyTorch not importable by $PYTHON: apt-get install -y python3-torch" >&2
  exit 1
fi
export GOMLX_BACKEND="${GOMLX_BACKEND:-fastgo}"
export GOMAXPROCS="${GOMAXPROCS:-2}"
for w in ${WORKLOADS//,/ }; do
  # Interleave: torch, go, torch, go; keep the best of each (others share the 2 cores).
  t1=$("$PYTHON" bench/train/torch_peer.py --workload "$w" --steps "$STEPS" --warmup "$WARMUP" --threads 2)
  g1=$("$BIN" -workload "$w" -steps "$STEPS" -warmup "$WARMUP" 2>/dev/null | grep '^workload=')
  t2=$("$PYTHON" bench/train/torch_peer.py --workload "$w" --steps "$STEPS" --warmup "$WARMUP" --threads 2)
  g2=$("$BIN" -workload "$w" -steps "$STEPS" -warmup "$WARMUP" 2>/dev/null | grep '^workload=')
  echo "$t1"; echo "$g1"; echo "$t2"; echo "$g2"
  imgs() { sed -E 's/.*img_s=([0-9.]+).*/\1/'; }
  tb=$(printf '%s\n%s\n' "$(echo "$t1" | imgs)" "$(echo "$t2" | imgs)" | sort -g | tail -1)
  gb=$(printf '%s\n%s\n' "$(echo "$g1" | imgs)" "$(echo "$g2" | imgs)" | sort -g | tail -1)
  awk -v w="$w" -v g="$gb" -v t="$tb" 'BEGIN { printf "%s gomlx_img_s=%.1f torch_img_s=%.1f ratio=%.2f\n", w, g, t, g / t }'
done
rm -rf "$(dirname "$BIN")"
