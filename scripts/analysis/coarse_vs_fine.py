#!/usr/bin/env python3
"""Coarse-vs-fine differences of a sweep's results table (issue 8's before/after report).

For each target and each K, the mean over seeds of score(K) - score(fine), with a normal 95%
interval from the runs' bootstrap standard deviations (sd columns; 90% subsamples of the stimuli):
half-width 1.96 * sqrt(sum over seeds of (sd_K^2 + sd_fine^2)) / n_seeds. The runs are scored on
the same stimuli but not on the same subsamples, so this treats them as independent (a
conservative interval; paired draws would be narrower). Also prints each run's score.

  /usr/bin/python3 scripts/analysis/coarse_vs_fine.py RESULTS.csv [--metric spearman] [--split half]
      [--targets mIT,hIT-mean,behav-mean]
"""
import argparse
import csv
import math
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--metric", default="spearman")
    ap.add_argument("--split", default="")
    ap.add_argument("--targets", default="", help="comma-separated targets to report (default: all)")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.csv)))
    sel = [r for r in rows if r["metric"] == a.metric and r["selected"] == "true" and (not a.split or r["split"] == a.split)]
    if not sel:
        splits = sorted({r["split"] for r in rows})
        raise SystemExit(f"no selected rows for metric {a.metric} split {a.split!r} (splits: {splits})")
    score = defaultdict(dict)  # (target, k) -> seed -> (value, sd, layer)
    for r in sel:
        score[(r["target"], r["k"])][int(r["seed"])] = (float(r["value"]), float(r["sd"] or "nan"), r["layer"])
    targets = sorted({t for t, _ in score})
    if a.targets:
        want = a.targets.split(",")
        targets = [t for t in want if t in targets]
    ks = sorted({k for _, k in score}, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    print(f"metric {a.metric}, split {a.split or 'any'}; value [layer] per seed; diff = mean over seeds of K - fine, 95% interval")
    for t in targets:
        fine = score.get((t, "fine"), {})
        print(f"\n{t}")
        for k in ks:
            runs = score.get((t, k), {})
            cells = "  ".join(f"s{s}: {v:.4f} [{l}]" for s, (v, sd, l) in sorted(runs.items()))
            line = f"  {k:>9}: {cells}"
            seeds = sorted(set(runs) & set(fine))
            if k != "fine" and seeds:
                d = sum(runs[s][0] - fine[s][0] for s in seeds) / len(seeds)
                hw = 1.96 * math.sqrt(sum(runs[s][1] ** 2 + fine[s][1] ** 2 for s in seeds)) / len(seeds)
                line += f"   diff {d:+.4f} [{d - hw:+.4f}, {d + hw:+.4f}]"
            print(line)


if __name__ == "__main__":
    main()
