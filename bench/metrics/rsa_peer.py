"""Peer side of bench/metrics/rsa.sh: numpy/scipy on the .npy files written by the Go program.

rdm:     scipy.spatial.distance.pdist(X, 'correlation') + scipy.stats.spearmanr against the model RDM
kendall: scipy.stats.kendalltau (tau-b) between two RDM vectors
Prints "key=value" pairs with seconds=... for the timed part (file reading excluded).
"""
import argparse
import os
import time

import numpy as np
import scipy
import scipy.stats
from scipy.spatial.distance import pdist

ap = argparse.ArgumentParser()
ap.add_argument("--dir", required=True)
ap.add_argument("--what", choices=["rdm", "kendall"], required=True)
ap.add_argument("--reps", type=int, default=1, help="timed repetitions; the fastest is reported")
args = ap.parse_args()

if args.what == "rdm":
    x = np.load(os.path.join(args.dir, "patterns.npy"))
    model = np.load(os.path.join(args.dir, "model_rdm.npy")).ravel()
    best = None
    best_cpu = None
    for _ in range(max(args.reps, 1)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        d = pdist(x, "correlation")
        t1 = time.perf_counter()
        v = scipy.stats.spearmanr(d, model).correlation
        t2 = time.perf_counter()
        cpu = time.process_time() - c0
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        if best is None or t2 - t0 < best[2]:
            best = (t1 - t0, t2 - t1, t2 - t0)
    print("peer rdm n=%d d=%d reps=%d scipy=%s value=%.12f rdm_s=%.3f spearman_s=%.3f seconds=%.3f cpu_s=%.3f"
          % (x.shape[0], x.shape[1], args.reps, scipy.__version__, v, best[0], best[1], best[2], best_cpu))
    np.save(os.path.join(args.dir, "rdm_py.npy"), d)
else:
    a = np.load(os.path.join(args.dir, "kendall_a.npy")).ravel()
    b = np.load(os.path.join(args.dir, "kendall_b.npy")).ravel()
    best = None
    best_cpu = None
    for _ in range(max(args.reps, 1)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        v = scipy.stats.kendalltau(a, b).correlation
        t1 = time.perf_counter()
        cpu = time.process_time() - c0
        best = t1 - t0 if best is None else min(best, t1 - t0)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    print("peer kendall pairs=%d reps=%d scipy=%s value=%.12f seconds=%.3f cpu_s=%.3f"
          % (a.size, args.reps, scipy.__version__, v, best, best_cpu))
