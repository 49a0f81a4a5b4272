#!/usr/bin/env python3
"""PyTorch reference for coarsealign's training-equivalence checks (issue 8).

Builds the study's AlexNet-BN (32x32 geometry) exactly as pkg/models does, with PyTorch's
default initialisation, and writes what the Go tests compare against:

  DIR/init/<key>.npy          initial state_dict (float32; keys below)
  DIR/batches/images_<i>.npy  fixed input batches, NHWC float32 (coarsealign's layout)
  DIR/batches/labels_<i>.npy  int64 labels
  DIR/forward_train/<tap>.npy logits and the 14 taps on batch 0, training mode (batch statistics), NHWC
  DIR/forward_eval/<tap>.npy  the same in evaluation mode (running statistics)
  DIR/grad/<key>.npy          gradients of the smoothed cross-entropy on batch 0 (dropout off)
  DIR/grad/loss.npy           that loss
  DIR/adamw/trace.npy         [steps, 3]: loss, learning rate, gradient norm before clipping, per step
  DIR/adamw/final/<key>.npy   state_dict after the AdamW steps
  DIR/adamw/eval_logits.npy   evaluation-mode logits on batch 0 after the steps
  DIR/adamw/step1/<key>.npy   state_dict after the first step
  DIR/adamw64/...             the same AdamW run in float64

State-dict keys (what models.ImportTorch reads): conv1..conv5.weight [out, in, kh, kw];
convN_bn.{weight,bias,running_mean,running_var}; fc6.weight, fc7.weight [out, in];
fc6_bn.*, fc7_bn.*; fc8.weight [K, in], fc8.bias [K].

The recipe is the study's (methods.md section 1) in PyTorch's own terms: AdamW (decay only on
conv/linear weights), clip_grad_norm_, CrossEntropyLoss(label_smoothing), LinearLR warm-up from
start_factor followed by CosineAnnealingLR through SequentialLR, stepped once per batch.
Run with Debian's python3-torch: /usr/bin/python3 bench/parity/torch_ref.py --out DIR
"""
import argparse
import copy
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn


def go_round(x):
    """math.Round of Go (half away from zero), as pkg/models scales channel counts."""
    return int(math.floor(x + 0.5))


class AlexNetBN32(nn.Module):
    """pkg/models AlexNetBN at input 32: 3x3 convs (pad 1, no bias) + BN + ReLU, 2x2 max pools
    after conv1, conv2, conv5, adaptive average pool to 3x3, (dropout, linear without bias, BN,
    ReLU) x 2, linear head with bias."""

    def __init__(self, k, width, dropout, fc_width=0):
        super().__init__()
        ch = [max(1, go_round(c * width)) for c in (64, 192, 384, 256, 256)]
        fc = fc_width or max(1, go_round(4096 * width))
        cin = 3
        for i, c in enumerate(ch, 1):
            setattr(self, f"conv{i}", nn.Conv2d(cin, c, 3, padding=1, bias=False))
            setattr(self, f"conv{i}_bn", nn.BatchNorm2d(c))
            cin = c
        self.pool = nn.MaxPool2d(2, 2)
        self.avg = nn.AdaptiveAvgPool2d(3)
        self.drop = nn.Dropout(dropout)
        self.fc6 = nn.Linear(cin * 9, fc, bias=False)
        self.fc6_bn = nn.BatchNorm1d(fc)
        self.fc7 = nn.Linear(fc, fc, bias=False)
        self.fc7_bn = nn.BatchNorm1d(fc)
        self.fc8 = nn.Linear(fc, k)

    def forward(self, x):
        taps = {}
        for i in range(1, 6):
            x = getattr(self, f"conv{i}_bn")(getattr(self, f"conv{i}")(x))
            taps[f"conv{i}.pre"] = x
            x = torch.relu(x)
            taps[f"conv{i}.post"] = x
            if i in (1, 2, 5):
                x = self.pool(x)
        x = self.avg(x)
        # coarsealign flattens NHWC; PyTorch flattens NCHW. Flatten NHWC here so that fc6 sees
        # the same vector; models.ImportTorch permutes fc6.weight from PyTorch's usual NCHW
        # order, so the exported weight is stored in NCHW order (see export()).
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        for name in ("fc6", "fc7"):
            x = getattr(self, name + "_bn")(getattr(self, name)(self.drop(x)))
            taps[name + ".pre"] = x
            x = torch.relu(x)
            taps[name + ".post"] = x
        return self.fc8(x), taps


def export(model, nhwc_fc6=True):
    """state_dict as float32 arrays; fc6.weight re-ordered to PyTorch's NCHW flatten order
    (what a torchvision-style model with torch.flatten(x, 1) would hold)."""
    out = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        a = v.detach().cpu().numpy().astype(np.float32)
        if k == "fc6.weight" and nhwc_fc6:
            c = a.shape[1] // 9
            # column index in NHWC flatten = (h*3+w)*c + ch; NCHW = ch*9 + h*3 + w
            a = a.reshape(a.shape[0], 3, 3, c).transpose(0, 3, 1, 2).reshape(a.shape[0], -1)
        out[k] = a
    return out


def save_dict(d, folder):
    os.makedirs(folder, exist_ok=True)
    for k, a in d.items():
        np.save(os.path.join(folder, k + ".npy"), np.ascontiguousarray(a))


def nhwc(t):
    a = t.detach().cpu().numpy().astype(np.float32)
    return a.transpose(0, 2, 3, 1) if a.ndim == 4 else a


def make_optimizer(model, lr, wd, warm, total, start):
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and "_bn" not in n]
    rest = [p for n, p in model.named_parameters() if not (n.endswith("weight") and "_bn" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.999), eps=1e-8)
    if warm > 0:
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=start, end_factor=1.0, total_iters=warm),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warm, eta_min=0.0)], milestones=[warm])
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=0.0)
    return opt, sched


def train_step(model, opt, sched, crit, x, y, clip):
    """One optimisation step of the study's recipe: loss, backward, clip_grad_norm_ (if clip > 0),
    AdamW step, schedule step. Returns the logits, the loss and the gradient norm before clipping."""
    opt.zero_grad(set_to_none=True)
    logits = model(x)[0]
    loss = crit(logits, y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip) if clip > 0 else torch.tensor(0.0)
    opt.step()
    sched.step()
    return logits, loss, norm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--wd", type=float, default=1e-3)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--smoothing", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = AlexNetBN32(a.k, a.width, dropout=0.0)
    init = copy.deepcopy(model.state_dict())
    save_dict(export(model), os.path.join(a.out, "init"))

    gen = torch.Generator().manual_seed(a.seed + 1)
    batches = []
    for i in range(a.batches):
        x = torch.randn(a.batch, 3, 32, 32, generator=gen)
        y = torch.randint(0, a.k, (a.batch,), generator=gen)
        batches.append((x, y))
        os.makedirs(os.path.join(a.out, "batches"), exist_ok=True)
        np.save(os.path.join(a.out, "batches", f"images_{i}.npy"), nhwc(x))
        np.save(os.path.join(a.out, "batches", f"labels_{i}.npy"), y.numpy().astype(np.int64))
    crit = nn.CrossEntropyLoss(label_smoothing=a.smoothing)

    # Forward, training and evaluation mode, on copies (training mode moves the running stats).
    for mode in ("train", "eval"):
        m = copy.deepcopy(model)
        m.train(mode == "train")
        with torch.no_grad():
            logits, taps = m(batches[0][0])
        d = {"logits": nhwc(logits)}
        d.update({k: nhwc(v) for k, v in taps.items()})
        save_dict(d, os.path.join(a.out, "forward_" + mode))

    # Gradients on batch 0.
    m = copy.deepcopy(model)
    m.train()
    loss = crit(m(batches[0][0])[0], batches[0][1])
    loss.backward()
    grads = {n + "": p.grad for n, p in m.named_parameters()}
    gm = copy.deepcopy(m)
    with torch.no_grad():
        for n, p in gm.named_parameters():
            p.copy_(grads[n])
    save_dict({k: v for k, v in export(gm).items() if not (k.endswith("running_mean") or k.endswith("running_var"))},
              os.path.join(a.out, "grad"))
    np.save(os.path.join(a.out, "grad", "loss.npy"), np.array([loss.item()], dtype=np.float64))

    # AdamW steps, in float32 (the reference) and float64 (how far float32 rounding alone moves
    # the trajectory: the yardstick for the Go-vs-PyTorch differences).
    for dtype, sub in ((torch.float32, "adamw"), (torch.float64, "adamw64")):
        m = AlexNetBN32(a.k, a.width, dropout=0.0)
        m.load_state_dict(init)
        m = m.to(dtype)
        m.train()
        opt, sched = make_optimizer(m, a.lr, a.wd, a.warmup, a.steps, 0.25)
        trace = np.zeros((a.steps, 3))
        for t in range(a.steps):
            x, y = batches[t % len(batches)]
            lr = opt.param_groups[0]["lr"]
            _, loss, norm = train_step(m, opt, sched, crit, x.to(dtype), y, a.clip)
            trace[t] = (loss.item(), lr, float(norm))
            if t == 0:
                save_dict(export(m), os.path.join(a.out, sub, "step1"))
        np.save(os.path.join(a.out, sub, "trace.npy"), trace)
        save_dict(export(m), os.path.join(a.out, sub, "final"))
        m.eval()
        with torch.no_grad():
            np.save(os.path.join(a.out, sub, "eval_logits.npy"), nhwc(m(batches[0][0].to(dtype))[0]))
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump({"torch": torch.__version__, "args": vars(a)}, f)


if __name__ == "__main__":
    main()
