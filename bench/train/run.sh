#!/usr/bin/env bash
# Training / feature-extraction throughput: GoMLX pure Go (fastconv backend) vs PyTorch CPU.
# Prints, per workload, the measurement lines and a summary line:
#   cnn3-32 gomlx_img_s=... torch_img_s=... ratio=X.XX cpu_ratio=Y.YY
# ratio = GoMLX img/s / PyTorch img/s (wall clock, best of two interleaved runs each);
# cpu_ratio = PyTorch CPU-ms per step / GoMLX CPU-ms per step (images per CPU-second), printed
# because the 2 cores are shared: under load PyTorch's wall time degrades much more than Go's,
# so compare wall ratios only from runs on an otherwise idle machine (the load average is printed).
# Usage: bash bench/train/run.sh [workloads] (default: cnn3-32,alexnet-w25-32,alexnet-bn-32,alexnet-bn-64,vit-cifar-32,features-92)
# Env: STEPS (default 10), WARMUP (default 2), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKLOADS="${1:-cnn3-32,alexnet-w25-32,alexnet-bn-32,alexnet-bn-64,vit-cifar-32,features-92}"
STEPS="${STEPS:-10}"
WARMUP="${WARMUP:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"
TMPD="$(mktemp -d)"
trap 'rm -rf "$TMPD"' EXIT
BIN="$TMPD/train-bench"
GOEXPERIMENT=simd go build -o "$BIN" ./bench/train
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "PyTorch not importable by $PYTHON: apt-get install -y python3-torch" >&2
  exit 1
fi
# The peer runs at its best: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, set on these machines, slow
# OpenBLAS 1.6-1.8x, so they are unset for the peer's command alone.
peer() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$@"; }
export GOMLX_BACKEND="${GOMLX_BACKEND:-fastgo}"
export GOMAXPROCS="${GOMAXPROCS:-2}"
echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg), nproc=$(nproc)"
peer bench/peer_blas.py
# GEMM rate against the FMA peak measured in the same binary (bench/gemm).
GOEXPERIMENT=simd go run ./bench/gemm
for w in ${WORKLOADS//,/ }; do
  # Interleave: torch, go, torch, go; keep the best of each (others share the 2 cores).
  t1=$(peer bench/train/torch_peer.py --workload "$w" --steps "$STEPS" --warmup "$WARMUP" --threads 2)
  g1=$("$BIN" -workload "$w" -steps "$STEPS" -warmup "$WARMUP" 2>/dev/null | grep '^workload=')
  t2=$(peer bench/train/torch_peer.py --workload "$w" --steps "$STEPS" --warmup "$WARMUP" --threads 2)
  g2=$("$BIN" -workload "$w" -steps "$STEPS" -warmup "$WARMUP" 2>/dev/null | grep '^workload=')
  echo "$t1"; echo "$g1"; echo "$t2"; echo "$g2"
  imgs() { sed -E 's/.*img_s=([0-9.]+).*/\1/'; }
  tb=$(printf '%s\n%s\n' "$(echo "$t1" | imgs)" "$(echo "$t2" | imgs)" | sort -g | tail -1)
  gb=$(printf '%s\n%s\n' "$(echo "$g1" | imgs)" "$(echo "$g2" | imgs)" | sort -g | tail -1)
  cpu() { sed -E 's/.*cpu_ms_step=([0-9.]+).*/\1/'; }
  tc=$(printf '%s\n%s\n' "$(echo "$t1" | cpu)" "$(echo "$t2" | cpu)" | sort -g | head -1)
  gc=$(printf '%s\n%s\n' "$(echo "$g1" | cpu)" "$(echo "$g2" | cpu)" | sort -g | head -1)
  awk -v w="$w" -v g="$gb" -v t="$tb" -v gc="$gc" -v tc="$tc" \
    'BEGIN { printf "%s gomlx_img_s=%.1f torch_img_s=%.1f ratio=%.2f cpu_ratio=%.2f\n", w, g, t, g / t, tc / gc }'
done
echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
