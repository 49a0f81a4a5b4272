#!/usr/bin/env python3
"""PyTorch peer of `coarsealign train` on CIFAR-10 (issue 8, end-to-end equivalence).

Trains torch_ref.AlexNetBN32 (the study's AlexNet-BN at 32x32, PyTorch default init) on the
CIFAR-10 JPEG folders (ImageFolder layout: ROOT/{train,test}/<class>/*.jpg) with the recipe of
`coarsealign train`: AdamW (decay on conv/linear weights only), LinearLR warm-up from 0.25*lr then
cosine to 0 stepped per batch, clip_grad_norm_ 1, label smoothing 0.1, dropout 0.3, inputs
normalised by the training set's per-channel mean and std, and optionally the study's
augmentation (horizontal flip p=0.5, rotation in +-10 degrees, bilinear, black fill; as
pkg/data/images.StudyAugment). Prints one line per epoch and a final JSON line with the test
accuracy on the 10,000 test images. With --pixels PREFIX it trains on the pixels coarsealign
decodes (PREFIX-{train,test}-{pix,labels}.npy from bench/parity/godecode) instead of PIL's, to
isolate the JPEG decoder.

  /usr/bin/python3 bench/parity/torch_cifar.py --root ../shared/data/cifar10-jpg --epochs 3 \
      --batch 128 --lr 5e-4 --warmup-epochs 0.15 --width 0.25 --seed 1 [--augment]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision.transforms.functional as TF
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_ref import AlexNetBN32, make_optimizer, train_step  # noqa: E402


def load(root, split):
    classes = sorted(os.listdir(os.path.join(root, split)))
    xs, ys = [], []
    for ci, c in enumerate(classes):
        d = os.path.join(root, split, c)
        for f in sorted(os.listdir(d)):
            with Image.open(os.path.join(d, f)) as im:
                xs.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
            ys.append(ci)
    return np.stack(xs), np.array(ys, dtype=np.int64)


def augment(x, gen):
    """x: [B, 3, 32, 32] float in [0, 1]; flip with p = 0.5, rotate uniformly in +-10 degrees."""
    out = torch.empty_like(x)
    flips = torch.rand(x.shape[0], generator=gen) < 0.5
    angles = (torch.rand(x.shape[0], generator=gen) * 20 - 10).tolist()
    for i in range(x.shape[0]):
        im = x[i].flip(-1) if flips[i] else x[i]
        out[i] = TF.rotate(im, angles[i], interpolation=TF.InterpolationMode.BILINEAR, fill=0.0)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--wd", type=float, default=1e-3)
    ap.add_argument("--warmup-epochs", type=float, default=0.15)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--augment", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pixels", default="", help="PREFIX of godecode's .npy files (Go-decoded pixels)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    t0 = time.time()
    if a.pixels:
        xtr, ytr = np.load(a.pixels + "-train-pix.npy"), np.load(a.pixels + "-train-labels.npy")
        xte, yte = np.load(a.pixels + "-test-pix.npy"), np.load(a.pixels + "-test-labels.npy")
    else:
        xtr, ytr = load(a.root, "train")
        xte, yte = load(a.root, "test")
    xtr = torch.from_numpy(xtr).permute(0, 3, 1, 2).float() / 255
    xte = torch.from_numpy(xte).permute(0, 3, 1, 2).float() / 255
    mean = xtr.mean(dim=(0, 2, 3), keepdim=True)
    std = xtr.std(dim=(0, 2, 3), keepdim=True)
    ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
    print(f"loaded {len(ytr)} train / {len(yte)} test images in {time.time() - t0:.0f}s", flush=True)
    model = AlexNetBN32(10, a.width, a.dropout)
    steps_per_epoch = len(ytr) // a.batch
    total = a.epochs * steps_per_epoch
    warm = int(round(a.warmup_epochs * steps_per_epoch))
    opt, sched = make_optimizer(model, a.lr, a.wd, warm, total, 0.25)
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    gen = torch.Generator().manual_seed(a.seed)
    xte_n = (xte - mean) / std

    def evaluate():
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(yte), 500):
                correct += (model(xte_n[i:i + 500])[0].argmax(1) == yte[i:i + 500]).sum().item()
        model.train()
        return correct / len(yte)

    for ep in range(a.epochs):
        t1 = time.time()
        perm = torch.randperm(len(ytr), generator=gen)
        tl, tc, n = 0.0, 0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            x = xtr[idx]
            if a.augment:
                x = augment(x, gen)
            x, y = (x - mean) / std, ytr[idx]
            logits, loss, _ = train_step(model, opt, sched, crit, x, y, 1.0)
            tl += loss.item() * len(y)
            tc += (logits.argmax(1) == y).sum().item()
            n += len(y)
        acc = evaluate()
        print(f"epoch {ep + 1}: train loss {tl / n:.4f} acc {tc / n:.4f}, test acc {acc:.4f}, {n / (time.time() - t1):.0f} img/s", flush=True)
    print(json.dumps({"test_accuracy": acc, "seed": a.seed, "augment": a.augment, "epochs": a.epochs,
                      "batch": a.batch, "pixels": "go" if a.pixels else "pil", "torch": torch.__version__, "wall_s": round(time.time() - t0)}))


if __name__ == "__main__":
    main()
