#!/usr/bin/python3
"""PyTorch CPU peer for bench/train: same networks, shapes, batch and optimizer as main.go.

Prints one line per workload:
  workload=cnn3-32 impl=torch batch=64 ms_step=... img_s=...
Run with Debian's torch: /usr/bin/python3 bench/train/torch_peer.py --workload cnn3-32
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CNN3(nn.Module):
    """3x3 convs 32/64/128 + ReLU + 2x2 max-pool, global average pool, dense 10."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1),
                                    nn.Conv2d(64, 128, 3, padding=1)])
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        for c in self.convs:
            x = F.max_pool2d(F.relu(c(x)), 2)
        return self.fc(x.mean(dim=(2, 3)))


# Conv geometry per input size, as pkg/models.AlexNetGeometryFor: (kernel, stride, pool window, pool stride).
ALEXNET_GEOMETRY = {
    32: [(3, 1, 2, 2), (3, 1, 2, 2), (3, 1, 0, 0), (3, 1, 0, 0), (3, 1, 2, 2)],
    64: [(5, 2, 2, 2), (3, 1, 2, 2), (3, 1, 0, 0), (3, 1, 0, 0), (3, 1, 2, 2)],
}


class AlexNetBN(nn.Module):
    """Same as pkg/models AlexNetBN (width 1): five convs (64,192,384,256,256), "same" padding,
    no bias, each + BatchNorm + ReLU, max-pool after conv1, conv2, conv5; adaptive avg pool 3x3;
    dropout 0.3 + FC 4096 (no bias) + BN + ReLU, twice; FC K with bias."""

    def __init__(self, k=16, size=32, width=1.0):
        super().__init__()
        chans = [3] + [round(c * width) for c in (64, 192, 384, 256, 256)]
        hidden = round(4096 * width)
        self.geo = ALEXNET_GEOMETRY[size]
        self.convs = nn.ModuleList([
            nn.Conv2d(chans[i], chans[i + 1], g[0], stride=g[1], padding=(g[0] - 1) // 2, bias=False)
            for i, g in enumerate(self.geo)])
        self.bns = nn.ModuleList([nn.BatchNorm2d(chans[i + 1]) for i in range(5)])
        self.pool = nn.AdaptiveAvgPool2d(3)
        self.fc6 = nn.Linear(chans[5] * 9, hidden, bias=False)
        self.bn6 = nn.BatchNorm1d(hidden)
        self.fc7 = nn.Linear(hidden, hidden, bias=False)
        self.bn7 = nn.BatchNorm1d(hidden)
        self.fc8 = nn.Linear(hidden, k)
        self.drop = nn.Dropout(0.3)

    def features(self, x):
        for c, bn, g in zip(self.convs, self.bns, self.geo):
            x = F.relu(bn(c(x)))
            if g[2]:
                x = F.max_pool2d(x, g[2], g[3])
        x = torch.flatten(self.pool(x), 1)
        x = F.relu(self.bn6(self.fc6(self.drop(x))))
        return F.relu(self.bn7(self.fc7(self.drop(x))))

    def forward(self, x):
        return self.fc8(self.features(x))


class ViTVanilla(nn.Module):
    """The twin returns (logits, taps); bench_train wants logits."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[0]


def bench_train(name, net, size, batch, steps, warmup, classes):
    net = net.to(memory_format=torch.channels_last)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 3, size, size, generator=g).to(memory_format=torch.channels_last)
    y = torch.randint(0, classes, (batch,), generator=g)
    times, cpus = [], []
    for step in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        if step >= warmup:
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    m = statistics.median(times)
    print(f"workload={name} impl=torch batch={batch} ms_step={m * 1000:.1f} img_s={batch / m:.1f} "
          f"cpu_ms_step={statistics.median(cpus) * 1000:.1f} loss={loss.item():.4f}", flush=True)


def bench_features(name, n, size, steps, warmup, classes):
    net = AlexNetBN(classes, size).to(memory_format=torch.channels_last).eval()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(n, 3, size, size, generator=g).to(memory_format=torch.channels_last)
    times, cpus = [], []
    with torch.no_grad():
        for step in range(warmup + steps):
            t0, c0 = time.perf_counter(), time.process_time()
            f = net.features(x)
            _ = f.numpy().copy()
            if step >= warmup:
                times.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
    m = statistics.median(times)
    print(f"workload={name} impl=torch batch={n} ms_step={m * 1000:.1f} img_s={n / m:.1f} "
          f"cpu_ms_step={statistics.median(cpus) * 1000:.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="cnn3-32")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--classes", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    for w in a.workload.split(","):
        if w == "cnn3-32":
            bench_train(w, CNN3(), 32, a.batch, a.steps, a.warmup, 10)
        elif w in ("alexnet-bn-32", "alexnet-bn-64"):
            size = 32 if w.endswith("32") else 64
            bench_train(w, AlexNetBN(a.classes, size), size, a.batch, a.steps, a.warmup, a.classes)
        elif w == "alexnet-w25-32":
            bench_train(w, AlexNetBN(a.classes, 32, 0.25), 32, 128, a.steps, a.warmup, a.classes)
        elif w == "vit-cifar-32":
            # The CIFAR-scale ViT twin of bench/parity/torch_vit.py (width 192, 6 blocks, 3 heads).
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
            from torch_vit import ViTCIFAR
            bench_train(w, ViTVanilla(ViTCIFAR(a.classes, 1.0)), 32, 128, a.steps, a.warmup, a.classes)
        elif w == "vit-cifar-w25-32":
            # The same twin at width 1/4 (D = 48), the size the granularity study trains.
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
            from torch_vit import ViTCIFAR
            bench_train(w, ViTVanilla(ViTCIFAR(a.classes, 0.25)), 32, 128, a.steps, a.warmup, a.classes)
        elif w == "features-92":
            bench_features(w, 92, 64, a.steps, a.warmup, a.classes)
        else:
            raise SystemExit(f"unknown workload {w}")


if __name__ == "__main__":
    main()
