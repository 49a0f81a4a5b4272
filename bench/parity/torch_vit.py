#!/usr/bin/env python3
"""PyTorch 1.13 twin of coarsealign's CIFAR-scale ViT (pkg/models/vit_cifar.go, issue 17).

The network: NHWC images cut into 4x4 patches (row-major patches, each flattened in (py, px, c)
order, as pkg/models' patchify), nn.Linear patch embedding, class token prepended, learned
position embedding added; 6 pre-norm blocks (LayerNorm eps 1e-5, separate q/k/v linears, softmax
attention with 3 heads, output projection; LayerNorm, Linear 4x, exact GELU, Linear); final
LayerNorm; linear head on the class token. Linear layers keep PyTorch's default initialisation
(kaiming_uniform_(a=sqrt(5)) weights, uniform biases: the study's convention for its own
networks); the class token and position embedding are drawn from N(0, 0.02^2) as coarsealign's
(timm truncates that normal at 2 std; the truncation is not reproduced on either side).

Two modes:

  ref   writes what pkg/train's TestViTCIFARTorchParity* compare against:
          DIR/init/<key>.npy           initial state_dict (keys: models.TorchLayout of vit-cifar)
          DIR/batches/images_0.npy     a fixed batch, NHWC float32; labels_0.npy (int64)
          DIR/forward/<tap>.npy        logits and the 13 taps (blockN.cls, blockN.mean, head.pre)
          DIR/grad/<key>.npy, loss.npy gradients of the smoothed cross-entropy on that batch
  cifar trains on the CIFAR-10 JPEG folders with `coarsealign train`'s recipe (AdamW with decay
        on linear weights only, LinearLR warm-up from 0.25*lr then cosine stepped per batch,
        clip_grad_norm_ 1, label smoothing 0.1, training-set mean/std normalisation, optionally
        the study's flip + rotation augmentation of torch_cifar.py) and prints the test accuracy.

  /usr/bin/python3 bench/parity/torch_vit.py ref --out DIR [--width 1 --batch 8]
  /usr/bin/python3 bench/parity/torch_vit.py cifar --root ../shared/data/cifar10-jpg --epochs 1 \
      --batch 128 --lr 1e-3 --wd 0.05 --warmup-epochs 0.2 --width 0.5 --augment
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_ref import go_round, save_dict  # noqa: E402

DEPTH, PATCH, HEADS = 6, 4, 3


class Block(nn.Module):
    def __init__(self, dim, mlp):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=1e-5)
        self.q, self.k, self.v, self.proj = (nn.Linear(dim, dim) for _ in range(4))
        self.ln2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp1 = nn.Linear(dim, mlp)
        self.mlp2 = nn.Linear(mlp, dim)

    def forward(self, h):
        b, s, d = h.shape
        hd = d // HEADS
        a = self.ln1(h)
        q, k, v = (f(a).reshape(b, s, HEADS, hd).transpose(1, 2) for f in (self.q, self.k, self.v))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)
        h = h + self.proj((att @ v).transpose(1, 2).reshape(b, s, d))
        return h + self.mlp2(F.gelu(self.mlp1(self.ln2(h))))


class ViTCIFAR(nn.Module):
    """pkg/models ViTCIFAR: width 3*max(1, round(64*width)), 6 blocks, 3 heads, MLP 4x, patch 4."""

    def __init__(self, k, width=1.0, size=32):
        super().__init__()
        dim = HEADS * max(1, go_round(64 * width))
        seq = (size // PATCH) ** 2 + 1
        self.patch_embed = nn.Linear(PATCH * PATCH * 3, dim)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, seq, dim) * 0.02)
        for i in range(1, DEPTH + 1):
            setattr(self, f"block{i}", Block(dim, 4 * dim))
        self.ln_final = nn.LayerNorm(dim, eps=1e-5)
        self.head = nn.Linear(dim, k)

    def forward(self, x):
        """x: [B, 3, H, W] (NCHW, as torchvision gives). Returns logits and the taps."""
        b, c, hh, ww = x.shape
        p = PATCH
        t = x.permute(0, 2, 3, 1).reshape(b, hh // p, p, ww // p, p, c).permute(0, 1, 3, 2, 4, 5)
        t = self.patch_embed(t.reshape(b, (hh // p) * (ww // p), p * p * c))
        h = torch.cat([self.cls.expand(b, -1, -1), t], 1) + self.pos
        taps = {}
        for i in range(1, DEPTH + 1):
            h = getattr(self, f"block{i}")(h)
            taps[f"block{i}.cls"] = h[:, 0]
            taps[f"block{i}.mean"] = h[:, 1:].mean(1)
        h = self.ln_final(h)
        taps["head.pre"] = h[:, 0]
        return self.head(h[:, 0]), taps


def decayed(name, param):
    """coarsealign decays the variables named "weights": linear kernels, not biases, layer-norm
    parameters, the class token or the position embedding."""
    return name.endswith(".weight") and param.ndim == 2


def make_optimizer(model, lr, wd, warm, total, start):
    groups = [{"params": [p for n, p in model.named_parameters() if decayed(n, p)], "weight_decay": wd},
              {"params": [p for n, p in model.named_parameters() if not decayed(n, p)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    if warm > 0:
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=start, end_factor=1.0, total_iters=warm),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warm, eta_min=0.0)], milestones=[warm])
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=0.0)
    return opt, sched


def export(model):
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}


def ref(a):
    torch.manual_seed(a.seed)
    model = ViTCIFAR(a.k, a.width)
    save_dict(export(model), os.path.join(a.out, "init"))
    gen = torch.Generator().manual_seed(a.seed + 1)
    x = torch.randn(a.batch, 3, 32, 32, generator=gen)
    y = torch.randint(0, a.k, (a.batch,), generator=gen)
    os.makedirs(os.path.join(a.out, "batches"), exist_ok=True)
    np.save(os.path.join(a.out, "batches", "images_0.npy"), x.permute(0, 2, 3, 1).numpy().astype(np.float32))
    np.save(os.path.join(a.out, "batches", "labels_0.npy"), y.numpy().astype(np.int64))
    with torch.no_grad():
        logits, taps = model(x)
    d = {"logits": logits.numpy()}
    d.update({k: v.numpy() for k, v in taps.items()})
    save_dict(d, os.path.join(a.out, "forward"))
    m = copy.deepcopy(model)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(m(x)[0], y)
    loss.backward()
    save_dict({n: p.grad.numpy().astype(np.float32) for n, p in m.named_parameters()}, os.path.join(a.out, "grad"))
    np.save(os.path.join(a.out, "grad", "loss.npy"), np.array([loss.item()], dtype=np.float64))


def cifar(a):
    from torch_cifar import augment, load  # noqa: E402 (PIL and torchvision only here)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    t0 = time.time()
    xtr, ytr = load(a.root, "train")
    xte, yte = load(a.root, "test")
    xtr = torch.from_numpy(xtr).permute(0, 3, 1, 2).float() / 255
    xte = torch.from_numpy(xte).permute(0, 3, 1, 2).float() / 255
    mean = xtr.mean(dim=(0, 2, 3), keepdim=True)
    std = xtr.std(dim=(0, 2, 3), keepdim=True)
    ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
    print(f"loaded {len(ytr)} train / {len(yte)} test images in {time.time() - t0:.0f}s", flush=True)
    model = ViTCIFAR(10, a.width)
    steps_per_epoch = len(ytr) // a.batch
    total = a.steps or a.epochs * steps_per_epoch
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

    step, ep, acc = 0, 0, 0.0
    while step < total:
        t1 = time.time()
        perm = torch.randperm(len(ytr), generator=gen)
        tl, tc, n = 0.0, 0, 0
        for s in range(steps_per_epoch):
            if step >= total:
                break
            idx = perm[s * a.batch:(s + 1) * a.batch]
            x = xtr[idx]
            if a.augment:
                x = augment(x, gen)
            x, y = (x - mean) / std, ytr[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(x)[0]
            loss = crit(logits, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            tl += loss.item() * len(y)
            tc += (logits.argmax(1) == y).sum().item()
            n += len(y)
        acc = evaluate()
        ep += 1
        print(f"epoch {ep}: train loss {tl / n:.4f} acc {tc / n:.4f}, test acc {acc:.4f}, {n / (time.time() - t1):.1f} img/s", flush=True)
    print(json.dumps({"test_accuracy": acc, "seed": a.seed, "augment": a.augment, "steps": total, "batch": a.batch,
                      "width": a.width, "lr": a.lr, "wd": a.wd, "torch": torch.__version__, "wall_s": round(time.time() - t0)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["ref", "cifar"])
    ap.add_argument("--out", default="")
    ap.add_argument("--root", default="")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0, help="total steps instead of --epochs")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--warmup-epochs", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--augment", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.mode == "ref":
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        ref(a)
    else:
        cifar(a)


if __name__ == "__main__":
    main()
