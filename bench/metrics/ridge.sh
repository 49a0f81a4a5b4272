#!/usr/bin/env bash
# Cross-validated ridge (pkg/encoding) and linear CKA (pkg/cka) against numpy/sklearn peers on the
# same data. Prints lines "ridge ... ratio=X.XX" where ratio = peer seconds / Go seconds (> 1: Go faster).
# Needs Debian python3-numpy and python3-sklearn under /usr/bin/python3.
# Usage: bench/metrics/ridge.sh [n p t]   (default 1000 4096 500; 5 outer x 5 inner folds, 20 alphas)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000}; P=${2:-4096}; T=${3:-500}
# The peer runs at its best: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, set on these machines, slow
# OpenBLAS 1.6-1.8x, so they are unset for the peer's commands alone (never in tests or CI).
PY="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3"
$PY bench/peer_blas.py
export GOEXPERIMENT=simd
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
go build -o "$dir/ridgebench" ./bench/metrics/ridge
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
secs() { sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$1" | head -1; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

gor=$("$dir/ridgebench" -what ridge -n "$N" -p "$P" -t "$T" -dir "$dir"); echo "$gor"
npr=$($PY bench/metrics/ridge_peer.py --dir "$dir" --impl numpy); echo "$npr"
maxdiff=$($PY -c "
import numpy as np, sys
print('%.2g' % np.nanmax(np.abs(np.load('$dir/r_numpy.npy') - np.load('$dir/r_go.npy'))))" 2>/dev/null || echo NA)
echo "ridge n=$N p=$P t=$T folds=5x5 alphas=20 peer=numpy-svd go_s=$(secs "$gor") peer_s=$(secs "$npr") max_abs_r_diff=$maxdiff ratio=$(ratio "$(secs "$npr")" "$(secs "$gor")") cpu_ratio=$(ratio "$(field cpu "$npr")" "$(field cpu "$gor")")"
# Inner leave-one-out (one decomposition per outer fold) against sklearn RidgeCV (GCV/LOO) on the same outer folds.
gol=$("$dir/ridgebench" -what ridge -loo -n "$N" -p "$P" -t "$T" -dir "$dir"); echo "$gol"
skr=$($PY bench/metrics/ridge_peer.py --dir "$dir" --impl sklearn); echo "$skr"
maxdiff=$($PY -c "
import numpy as np
print('%.2g' % np.nanmax(np.abs(np.load('$dir/r_sklearn.npy') - np.load('$dir/r_go_loo.npy'))))" 2>/dev/null || echo NA)
echo "ridge n=$N p=$P t=$T folds=5 inner=loo alphas=20 peer=sklearn-RidgeCV(alpha_per_target) go_s=$(secs "$gol") peer_s=$(secs "$skr") max_abs_r_diff=$maxdiff ratio=$(ratio "$(secs "$skr")" "$(secs "$gol")") cpu_ratio=$(ratio "$(field cpu "$skr")" "$(field cpu "$gol")")"

# Linear CKA (feature-space form, n > p) on n x 256 vs n x 256.
"$dir/ridgebench" -what cka -n "$N" -p 256 -t 256 -dir "$dir" > "$dir/cka_go.txt"
$PY bench/metrics/cka_peer.py --dir "$dir" > "$dir/cka_py.txt"
for deb in false true; do
  g=$(grep -i "debiased=$deb" "$dir/cka_go.txt"); p=$(grep -i "debiased=$deb" "$dir/cka_py.txt")
  echo "cka linear n=$N p=256 q=256 debiased=$deb go_value=$(field value "$g") peer_value=$(field value "$p") go_s=$(secs "$g") peer_s=$(secs "$p") ratio=$(ratio "$(secs "$p")" "$(secs "$g")")"
done
