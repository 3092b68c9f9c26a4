"""Training-step time of archcalc's compiled models beside hand-written PyTorch.

Issue 5: the model `archcalc.reference.build` makes must not be slower than the same
network written by hand. LeNet-5 and ResNet-18 (torchvision's layout; torchvision itself
cannot be imported on these machines, so the references are written out below) run the
same training steps — same data, same SGD settings, same initial weights (the
hand-written model loads the compiled one's state_dict by position) — interleaved in
repeats; the script prints each median and the median ratio hand-written/compiled, which
must be ≥ 0.98.

    python bench/train_speed.py [--repeats 7] [--steps 10] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archcalc.reference import build  # noqa: E402


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c3, self.c5 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5), nn.Conv2d(16, 120, 5)
        self.f6, self.out = nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.flatten(torch.tanh(self.c5(x)), 1)
        return self.out(torch.tanh(self.f6(x)))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for i, cout in enumerate((64, 128, 256, 512)):
            stride = 1 if i == 0 else 2
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def copy_weights(src: nn.Module, dst: nn.Module) -> None:
    """Same initial weights: the state_dicts hold the same tensors in the same order."""
    a, b = list(src.state_dict().values()), dst.state_dict()
    assert len(a) == len(b), (len(a), len(b))
    dst.load_state_dict({k: v.clone() for k, v in zip(b, a)})


def steps(model, x, y, n) -> float:
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    for _ in range(n):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    if x.is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def compare(name, compiled, hand, shape, batch, n, repeats, device) -> float:
    torch.manual_seed(0)
    copy_weights(compiled, hand)
    compiled.to(device).train(), hand.to(device).train()
    x = torch.randn(batch, *shape, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    steps(compiled, x, y, 2), steps(hand, x, y, 2)  # warm-up
    tc, th = [], []
    for _ in range(repeats):
        tc.append(steps(compiled, x, y, n))
        th.append(steps(hand, x, y, n))
    ratios = [h / c for h, c in zip(th, tc)]
    print(f"{name:9} compiled median {statistics.median(tc) / n * 1000:7.2f} ms/step · "
          f"hand-written {statistics.median(th) / n * 1000:7.2f} ms/step · median ratio "
          f"hand/compiled {statistics.median(ratios):.3f}")
    return statistics.median(ratios)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.manual_seed(0)
    r1 = compare("LeNet-5", build(ROOT / "specs" / "lenet5.yaml"), LeNet5(), (1, 32, 32), 64,
                 args.steps, args.repeats, args.device)
    size = 224 if args.device.startswith("cuda") else 64
    r2 = compare("ResNet-18", build(ROOT / "specs" / "resnet18.yaml", H=size, W=size,
                                    classes=10), ResNet18(10), (3, size, size), 16,
                 args.steps, args.repeats, args.device)
    ok = min(r1, r2) >= 0.98
    print(f"compiled models {'not slower' if ok else 'SLOWER'} than hand-written "
          f"(limit: median ratio ≥ 0.98) on {args.device}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
