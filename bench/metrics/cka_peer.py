#!/usr/bin/python3
"""Peer for pkg/cka: a transcription of Kornblith et al.'s public cka.py
(google-research/google-research, representation_similarity; Apache-2.0).

  --reference   prints the reference values used by pkg/cka/cka_test.go
  --bench N P Q  times linear CKA (feature space, biased and debiased) on
                 data read from the .npy files X.npy, Y.npy in --dir
"""
import argparse, math, os, time
import numpy as np


def gram_linear(x):
    return x.dot(x.T)


def gram_rbf(x, threshold=1.0):
    dot_products = x.dot(x.T)
    sq_norms = np.diag(dot_products)
    sq_distances = -2 * dot_products + sq_norms[:, None] + sq_norms[None, :]
    sq_median_distance = np.median(sq_distances)
    return np.exp(-sq_distances / (2 * threshold ** 2 * sq_median_distance))


def center_gram(gram, unbiased=False):
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(gram_x, gram_y, debiased=False):
    gram_x = center_gram(gram_x, unbiased=debiased)
    gram_y = center_gram(gram_y, unbiased=debiased)
    scaled_hsic = gram_x.ravel().dot(gram_y.ravel())
    return scaled_hsic / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def _debiased_helper(xty, ssr_x, ssr_y, sqn_x, sqn_y, n):
    return xty - n / (n - 2.) * ssr_x.dot(ssr_y) + sqn_x * sqn_y / ((n - 1) * (n - 2))


def feature_space_linear_cka(x, y, debiased=False):
    x = x - np.mean(x, 0, keepdims=True)
    y = y - np.mean(y, 0, keepdims=True)
    dot = np.linalg.norm(x.T.dot(y)) ** 2
    nx = np.linalg.norm(x.T.dot(x))
    ny = np.linalg.norm(y.T.dot(y))
    if debiased:
        n = x.shape[0]
        ssr_x = np.einsum('ij,ij->i', x, x)
        ssr_y = np.einsum('ij,ij->i', y, y)
        sx, sy = np.sum(ssr_x), np.sum(ssr_y)
        dot = _debiased_helper(dot, ssr_x, ssr_y, sx, sy, n)
        nx = np.sqrt(_debiased_helper(nx ** 2, ssr_x, ssr_x, sx, sx, n))
        ny = np.sqrt(_debiased_helper(ny ** 2, ssr_y, ssr_y, sy, sy, n))
    return dot / (nx * ny)


def ref_data():
    n = 12
    x = np.array([[math.sin(i * (j + 1) * 0.37) + 0.1 * j for j in range(3)] for i in range(n)])
    y = np.array([[math.cos(i * 0.21 * (j + 2)) + x[i, j % 3] ** 2 for j in range(4)] for i in range(n)])
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reference', action='store_true')
    ap.add_argument('--dir')
    ap.add_argument('--reps', type=int, default=20)
    a = ap.parse_args()
    if a.reference:
        x, y = ref_data()
        print('refLinearBiased   = %.17g' % cka(gram_linear(x), gram_linear(y)))
        print('refLinearUnbiased = %.17g' % cka(gram_linear(x), gram_linear(y), debiased=True))
        print('refRBFBiased      = %.17g' % cka(gram_rbf(x), gram_rbf(y)))
        print('refRBFUnbiased    = %.17g' % cka(gram_rbf(x), gram_rbf(y), debiased=True))
        print('refRBFHalfBiased  = %.17g' % cka(gram_rbf(x, 0.5), gram_rbf(y, 0.5)))
        print('# feature space: %.17g %.17g' % (feature_space_linear_cka(x, y), feature_space_linear_cka(x, y, True)))
        return
    x = np.load(os.path.join(a.dir, 'X.npy'))
    y = np.load(os.path.join(a.dir, 'Y.npy'))
    for deb in (False, True):
        best = float('inf')
        for _ in range(a.reps):
            t0 = time.perf_counter()
            v = cka(gram_linear(x), gram_linear(y), debiased=deb) if x.shape[1] >= x.shape[0] else feature_space_linear_cka(x, y, deb)
            best = min(best, time.perf_counter() - t0)
        print('peer cka debiased=%s value=%.10f seconds=%.4f' % (deb, v, best))


if __name__ == '__main__':
    main()
