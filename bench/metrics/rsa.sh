#!/usr/bin/env bash
# RSA kernels (pkg/rsa) against numpy/scipy on the same data, in one run. Prints one line per
# workload ending in ratio=X.XX, where ratio = peer seconds / Go seconds (> 1 means Go is faster), wall
# clock. cpu_ratio is the same with process CPU time (user+system, all threads): Go may use both cores
# where the peer uses one, so ratio is what a user waits for and cpu_ratio the work done, which is
# also steadier on a loaded machine.
#   rdm:     correlation-distance RDM of N x D patterns + Spearman against a model RDM
#            (peer: scipy.spatial.distance.pdist 'correlation' + scipy.stats.spearmanr)
#   kendall: Kendall tau-b between two RDMs of K stimuli, K(K-1)/2 pairs, the second with ties
#            (peer: scipy.stats.kendalltau)
# Needs Debian python3-numpy and python3-scipy under /usr/bin/python3 (not the pyenv python3).
# Go is built with GOEXPERIMENT=simd: on AVX-512 CPUs the pattern Gram matrix uses pkg/rsa's FMA
# kernel, elsewhere gonum BLAS. bench/metrics/rsa -cpuprofile FILE profiles one Go workload.
# Both sides report the fastest of REPS timed runs (default 3 for rdm, 1 for kendall); file I/O is
# not timed.
# Usage: bench/metrics/rsa.sh [N D K]   (default 2000 4096 10000; K=10000 needs ~6 GB of RAM)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-2000}; D=${2:-4096}; K=${3:-10000}
# The peer runs at its best: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, set on these machines, slow
# OpenBLAS 1.6-1.8x, so they are unset for the peer's commands alone (never in tests or CI).
PY="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3"
$PY bench/peer_blas.py
export GOEXPERIMENT=simd
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
go build -o "$dir/rsabench" ./bench/metrics/rsa
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

echo "# ratio = peer seconds / Go seconds (wall); > 1 means Go is faster. cpu_ratio: the same with process CPU time. GOMAXPROCS=${GOMAXPROCS:-all} cores, $(nproc) available, load average $(cut -d' ' -f1 /proc/loadavg)"
"$dir/rsabench" -what gen-rdm -n "$N" -d "$D" -dir "$dir"
g=$("$dir/rsabench" -what rdm -reps "${REPS:-3}" -dir "$dir"); echo "$g"
p=$($PY bench/metrics/rsa_peer.py --what rdm --reps "${REPS:-3}" --dir "$dir"); echo "$p"
maxdiff=$($PY -c "
import numpy as np
print('%.2g' % np.max(np.abs(np.load('$dir/rdm_go.npy').ravel() - np.load('$dir/rdm_py.npy'))))")
echo "rsa rdm+spearman n=$N d=$D go_value=$(field value "$g") peer_value=$(field value "$p") rdm_max_abs_diff=$maxdiff go_s=$(field seconds "$g") peer_s=$(field seconds "$p") go_cpu_s=$(field cpu_s "$g") peer_cpu_s=$(field cpu_s "$p") cpu_ratio=$(ratio "$(field cpu_s "$p")" "$(field cpu_s "$g")") ratio=$(ratio "$(field seconds "$p")" "$(field seconds "$g")")"
rm -f "$dir"/patterns.npy "$dir"/rdm_*.npy

"$dir/rsabench" -what gen-kendall -n "$K" -dir "$dir"
g=$("$dir/rsabench" -what kendall -reps "${KREPS:-1}" -dir "$dir"); echo "$g"
p=$($PY bench/metrics/rsa_peer.py --what kendall --reps "${KREPS:-1}" --dir "$dir"); echo "$p"
echo "rsa kendall-tau-b stimuli=$K pairs=$(field pairs "$g") go_value=$(field value "$g") peer_value=$(field value "$p") go_s=$(field seconds "$g") peer_s=$(field seconds "$p") go_cpu_s=$(field cpu_s "$g") peer_cpu_s=$(field cpu_s "$p") cpu_ratio=$(ratio "$(field cpu_s "$p")" "$(field cpu_s "$g")") ratio=$(ratio "$(field seconds "$p")" "$(field seconds "$g")")"
