#!/usr/bin/python3
"""PyTorch CPU peer for bench/train: same networks, shapes, batch and optimizer as main.go.

Prints one line per workload:
  workload=cnn3-32 impl=torch batch=64 ms_step=... img_s=...
Run with Debian's torch: /usr/bin/python3 bench/train/torch_peer.py --workload cnn3-32
"""
import argparse
import statistics
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


class AlexNetBN(nn.Module):
    """Same as alexnetBN in main.go: 5 conv 3x3 (64,192,384,256,256) no bias + BN + ReLU,
    max-pool 2x2 after conv1, conv2, conv5, adaptive avg pool 3x3, dropout 0.3 + FC 1024 + ReLU (x2), FC K."""

    def __init__(self, k=16):
        super().__init__()
        chans = [3, 64, 192, 384, 256, 256]
        self.convs = nn.ModuleList([nn.Conv2d(chans[i], chans[i + 1], 3, padding=1, bias=False) for i in range(5)])
        self.bns = nn.ModuleList([nn.BatchNorm2d(chans[i + 1]) for i in range(5)])
        self.pool = nn.AdaptiveAvgPool2d(3)
        self.fc1 = nn.Linear(256 * 9, 1024)
        self.fc2 = nn.Linear(1024, 1024)
        self.out = nn.Linear(1024, k)
        self.drop = nn.Dropout(0.3)

    def features(self, x):
        for i, (c, bn) in enumerate(zip(self.convs, self.bns)):
            x = F.relu(bn(c(x)))
            if i in (0, 1, 4):
                x = F.max_pool2d(x, 2)
        x = torch.flatten(self.pool(x), 1)
        x = F.relu(self.fc1(self.drop(x)))
        return F.relu(self.fc2(self.drop(x)))

    def forward(self, x):
        return self.out(self.features(x))


def bench_train(name, net, size, batch, steps, warmup, classes):
    net = net.to(memory_format=torch.channels_last)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 3, size, size, generator=g).to(memory_format=torch.channels_last)
    y = torch.randint(0, classes, (batch,), generator=g)
    times = []
    for step in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        if step >= warmup:
            times.append(time.perf_counter() - t0)
    m = statistics.median(times)
    print(f"workload={name} impl=torch batch={batch} ms_step={m * 1000:.1f} img_s={batch / m:.1f} loss={loss.item():.4f}", flush=True)


def bench_features(name, n, size, steps, warmup, classes):
    net = AlexNetBN(classes).to(memory_format=torch.channels_last).eval()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(n, 3, size, size, generator=g).to(memory_format=torch.channels_last)
    times = []
    with torch.no_grad():
        for step in range(warmup + steps):
            t0 = time.perf_counter()
            f = net.features(x)
            _ = f.numpy().copy()
            if step >= warmup:
                times.append(time.perf_counter() - t0)
    m = statistics.median(times)
    print(f"workload={name} impl=torch batch={n} ms_step={m * 1000:.1f} img_s={n / m:.1f}", flush=True)


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
            bench_train(w, AlexNetBN(a.classes), 32 if w.endswith("32") else 64, a.batch, a.steps, a.warmup, a.classes)
        elif w == "features-92":
            bench_features(w, 92, 64, a.steps, a.warmup, a.classes)
        else:
            raise SystemExit(f"unknown workload {w}")


if __name__ == "__main__":
    main()
