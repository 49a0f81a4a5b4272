#!/usr/bin/python3
"""Peer for pkg/encoding (run by bench/metrics/ridge.sh; Debian python3-numpy, python3-sklearn).

Reads X.npy, Y.npy, folds.npy and inner_<f>.npy written by bench/metrics/ridge (Go), so both
sides use the same data and the same outer and inner splits.

--impl numpy: the same algorithm as pkg/encoding in numpy: outer k-fold; features z-scored with
  outer-training statistics (ddof 0), targets centred; alpha per target by inner k-fold CV (summed
  squared error, ties to the larger alpha); ONE numpy.linalg.svd per inner/outer fit with the
  predictions for all alphas from U^T Y scaled by s/(s^2+alpha); Pearson r per target on the
  concatenated out-of-fold predictions.
--impl sklearn: Pipeline(StandardScaler, RidgeCV(alphas, alpha_per_target=True)) per outer fold.
  RidgeCV picks alpha by efficient leave-one-out (GCV), not by inner k-fold (sklearn supports
  alpha_per_target only with cv=None), so its alphas and scores differ a little.
"""
import argparse, os, time
import numpy as np


def pearson_cols(a, b):
    a = a - a.mean(0)
    b = b - b.mean(0)
    return (a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0))


class Fit:
    def __init__(self, ztr, ytr, zte):
        self.mu = ztr.mean(0)
        a = ztr - self.mu
        self.ym = ytr.mean(0)
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        keep = s ** 2 > a.shape[0] * np.finfo(float).eps * (s[0] ** 2)
        u, s, vt = u[:, keep], s[keep], vt[keep]
        self.s = s
        self.uty = u.T @ (ytr - self.ym)
        self.bv = (zte - self.mu) @ vt.T

    def predict(self, alpha, cols=None):
        d = self.s / (self.s ** 2 + alpha)
        q = self.uty if cols is None else self.uty[:, cols]
        ym = self.ym if cols is None else self.ym[cols]
        return (self.bv * d) @ q + ym


def zscore(x, train):
    mu = x[train].mean(0)
    sd = x[train].std(0)
    sd[sd <= 1e-12 * np.maximum(np.abs(mu), 1)] = 1
    return (x - mu) / sd


def ridge_numpy(x, y, folds, inner, alphas):
    n, t = y.shape
    pred = np.zeros_like(y)
    chosen = []
    for f in range(int(folds.max()) + 1):
        train = np.flatnonzero(folds != f)
        test = np.flatnonzero(folds == f)
        z = zscore(x, train)
        inn = inner[f]
        sse = np.zeros((len(alphas), t))
        for g in range(int(inn.max()) + 1):
            itr, ite = train[inn != g], train[inn == g]
            fit = Fit(z[itr], y[itr], z[ite])
            for a, al in enumerate(alphas):
                sse[a] += ((y[ite] - fit.predict(al)) ** 2).sum(0)
        # argmin with ties to the larger alpha (alphas increase): last minimum
        best = len(alphas) - 1 - np.argmin(sse[::-1], axis=0)
        chosen.append(np.asarray(alphas)[best])
        fit = Fit(z[train], y[train], z[test])
        for b in np.unique(best):
            cols = np.flatnonzero(best == b)
            pred[np.ix_(test, cols)] = fit.predict(alphas[b], cols)
    return pearson_cols(pred, y), np.concatenate(chosen)


def ridge_sklearn(x, y, folds, alphas):
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    pred = np.zeros_like(y)
    chosen = []
    for f in range(int(folds.max()) + 1):
        train = np.flatnonzero(folds != f)
        test = np.flatnonzero(folds == f)
        m = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas, alpha_per_target=True))
        m.fit(x[train], y[train])
        pred[test] = m.predict(x[test])
        chosen.append(np.atleast_1d(m[-1].alpha_))
    return pearson_cols(pred, y), np.concatenate(chosen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--alphas', type=int, default=20)
    ap.add_argument('--impl', choices=['numpy', 'sklearn'], default='numpy')
    a = ap.parse_args()
    x = np.load(os.path.join(a.dir, 'X.npy'))
    y = np.load(os.path.join(a.dir, 'Y.npy'))
    folds = np.load(os.path.join(a.dir, 'folds.npy')).astype(int)
    k = int(folds.max()) + 1
    inner = [np.load(os.path.join(a.dir, 'inner_%d.npy' % f)).astype(int) for f in range(k)]
    alphas = np.logspace(-10, 10, a.alphas)
    t0, c0 = time.perf_counter(), time.process_time()
    if a.impl == 'numpy':
        r, ch = ridge_numpy(x, y, folds, inner, alphas)
    else:
        r, ch = ridge_sklearn(x, y, folds, alphas)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0  # process_time: all threads
    np.save(os.path.join(a.dir, 'r_%s.npy' % a.impl), r)
    print('peer %s ridge seconds=%.3f cpu=%.3f mean_r=%.4f median_alpha=%.3g' % (a.impl, dt, cpu, np.nanmean(r), np.median(ch)))


if __name__ == '__main__':
    main()
