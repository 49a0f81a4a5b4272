#!/usr/bin/env bash
# Whole-run throughput (issue 11 item 4): one epoch of CIFAR-10 (all 50,000 training JPEGs,
# AlexNet-BN width 1/4 at 32x32, batch 128, the study's flip + rotation augmentation, AdamW,
# then the 10,000 official test images) through `coarsealign train`, data pipeline included,
# against the same recipe in PyTorch 1.13 (bench/parity/torch_cifar.py: PIL-decoded JPEGs held
# in memory, torchvision's rotate per image). Prints each side's training images/s (the epoch's
# images over its wall time, augmentation included, JPEG loading excluded on both sides) and
# the end-to-end wall clock (loading and the test pass included), with their ratios and the
# load average. Interleaved: torch, go, torch, go (REPEAT=1 for one of each); best of each kept.
# Usage: bash bench/train/epoch.sh   Env: EPOCHS (default 1), PYTHON (default /usr/bin/python3),
# COARSEALIGN_DATA (default ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS="${EPOCHS:-1}"
REPEAT="${REPEAT:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"
DATA="${COARSEALIGN_DATA:-$(cd .. && pwd)/shared/data}"
TMPD="$(mktemp -d)"
trap 'rm -rf "$TMPD"' EXIT
BIN="$TMPD/coarsealign"
GOEXPERIMENT=simd go build -o "$BIN" ./cmd/coarsealign
export GOMLX_BACKEND="${GOMLX_BACKEND:-go}"
# The peer runs at its best: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE slow OpenBLAS here.
peer() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$@"; }
echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg), nproc=$(nproc)"
gi=0; ti=0; gw=0; tw=0
for r in $(seq "$REPEAT"); do
  s=$(date +%s.%N)
  tout=$(peer bench/parity/torch_cifar.py --root "$DATA/cifar10-jpg" --epochs "$EPOCHS" --batch 128 --lr 5e-4 \
    --warmup-epochs 0.05 --width 0.25 --seed 1 --augment --threads 2)
  twall=$(echo "$(date +%s.%N) - $s" | bc)
  echo "$tout" | sed 's/^/torch: /'
  timg=$(echo "$tout" | grep '^epoch' | tail -1 | sed -E 's/.* ([0-9.]+) img\/s.*/\1/')
  s=$(date +%s.%N)
  gout=$("$BIN" train --data "$DATA" --images cifar10 --labels fine --model alexnet-bn --width 0.25 --input 32 \
    --epochs "$EPOCHS" --batch 128 --lr 5e-4 --warmup-epochs 0.05 --seed 1 --quiet --out "$TMPD/go-$r" 2>&1)
  gwall=$(echo "$(date +%s.%N) - $s" | bc)
  echo "$gout" | sed 's/^/go: /'
  gimg=$(echo "$gout" | grep '^done:' | sed -E 's/.* ([0-9.]+) images\/s.*/\1/')
  echo "repeat $r: torch ${timg} img/s, wall ${twall}s; go ${gimg} img/s, wall ${gwall}s"
  gi=$(echo "if ($gimg > $gi) $gimg else $gi" | bc); ti=$(echo "if ($timg > $ti) $timg else $ti" | bc)
  if [[ $gw == 0 ]] || (( $(echo "$gwall < $gw" | bc) )); then gw=$gwall; fi
  if [[ $tw == 0 ]] || (( $(echo "$twall < $tw" | bc) )); then tw=$twall; fi
done
awk -v g="$gi" -v t="$ti" -v gw="$gw" -v tw="$tw" 'BEGIN { printf "epoch-cifar10 gomlx_img_s=%.1f torch_img_s=%.1f ratio=%.2f gomlx_wall_s=%.0f torch_wall_s=%.0f wall_ratio=%.2f\n", g, t, g / t, gw, tw, tw / gw }'
echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
