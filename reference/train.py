"""`archcalc train`: the reference trainer — one readable module, not a framework.

A spec becomes a model (`build`), the data (`data.py`) is fitted to its input, and the
model trains with SGD (momentum, Nesterov), Adam or AdamW, a cosine, one-cycle or step
schedule after a linear warm-up, weight decay and label smoothing; it is evaluated on the
held-out split every epoch. On CUDA: bf16 autocast, channels_last, cudnn.benchmark and
optional torch.compile (its warm-up not counted in throughput). Datasets that fit are
held on the device and batched there, as the fastest CIFAR-10 trainers do; others stream
through a DataLoader with pinned memory. Under `torchrun --nproc_per_node N` it trains
with DistributedDataParallel (NCCL on GPUs, Gloo on CPUs), each rank on its shard,
metrics and checkpoints from rank 0 only. On the CPU torch gets threads in proportion to
the model's work per step (threads.py: a small model gets one, which is what keeps it fast
beside other work). Each run writes to a new runs/NAME-N unless told where (rundir.py).

Runs are never lost: a checkpoint — model, optimizer, scheduler, RNG states, epoch, the
spec's text and hash, the bindings, the settings and the metrics so far — is written
atomically (temporary file, fsync, rename) after every epoch, and the epoch's metrics row
is appended after it; `--resume` continues from it exactly (data order is a function of
the seed and the epoch) and rewrites metrics.jsonl to the checkpoint's rows, so a kill at
any moment leaves each epoch in it once. `checkpoint` reads it as a stranger's file and
names what differs from this run, which then refuses unless `force`.

Speed is reported against the limit: images/s with and without data time, achieved
FLOP/s from the calculator's FLOPs (training ≈ 3 × forward: the backward pass costs about
twice the forward), and MFU against the device's peak when known.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from archcalc.graph import build_graph
from archcalc.spec import Spec

from . import checkpoint as C
from . import data as D
from . import rundir as R
from . import threads as T
from .build import build_with_analysis, design_of
from .modules import CompileError

STEP_POINTS = 100  # steps.jsonl rows per epoch at most: each the mean of its share of steps

# Dense peak rates in TFLOP/s (bf16, fp32) from the vendors' data sheets; --peak-tflops
# overrides. Matched against torch.cuda.get_device_name().
PEAK_TFLOPS = {"H200": (989.0, 67.0), "H100": (989.0, 67.0), "A100": (312.0, 19.5),
               "L40S": (362.0, 91.6), "L4": (121.0, 30.3), "A10": (125.0, 31.2),
               "RTX 4090": (165.2, 82.6), "V100": (125.0, 15.7), "T4": (65.0, 8.1)}


@dataclass
class TrainConfig:
    data: str = "digits"
    epochs: int = 30
    batch_size: int = 64
    lr: float = 0.05
    optimizer: str = "sgd"          # sgd | adam | adamw
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    schedule: str = "cosine"        # cosine | onecycle | step | none
    warmup_epochs: float = 1.0
    step_size: int = 10             # step schedule: epochs between ×0.1
    label_smoothing: float = 0.0
    seed: int = 0
    deterministic: bool = False
    device: str = "auto"
    compile: bool = False
    amp: bool = True                # bf16 autocast on CUDA
    out: str | None = None          # None: a new runs/NAME-N (see rundir.py)
    resume: bool = False
    overwrite: bool = False         # replace the run an explicit `out` holds
    threads: int | None = None      # CPU threads; None: chosen from the work (threads.py)
    force: bool = False             # resume although the settings differ from the checkpoint's
    plot: bool = False
    peak_tflops: float | None = None
    max_steps: int | None = None    # stop an epoch after this many steps (tests, smoke runs)
    bindings: dict = field(default_factory=dict)


class TrainError(Exception):
    """A run that cannot go on; `code` is the CLI's exit status (1: the architecture is
    invalid, as for `compile`; 2: anything else)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


# -- set-up -------------------------------------------------------------------------------

def pick_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def class_symbol(spec: Spec) -> str | None:
    """The symbol the network's output width is, if it is one (`fc: classes`)."""
    graph = build_graph(spec)
    node = graph.node(graph.output)
    while node.kind not in ("linear", "conv") and node.inputs and node.inputs[0] != "input":
        node = graph.node(node.inputs[0])
    out = dict(node.args).get("out")
    if out is not None and getattr(out, "is_Symbol", False):
        return str(out)
    return None


def prepare(spec_path, cfg: TrainConfig, log):
    design = design_of(spec_path, cfg.bindings)  # a Design (the CLI's), a Spec or a file
    spec = design.spec
    bindings = dict(cfg.bindings)
    defaults = dict(spec.defaults)
    sym = class_symbol(spec)
    # The input shape at the bound values, to fit the data to.
    a = design.analysis
    if a.free_symbols and set(a.free_symbols) - ({sym} if sym else set()):
        raise TrainError(f"unbound symbols: {', '.join(a.free_symbols)} (--set NAME=VALUE)")
    errors = [d for d in a.findings if d.severity == "error"]
    if errors:  # before the data is fitted to it: its shapes mean nothing
        raise TrainError(f"the architecture is invalid: {errors[0].headline()}", code=1)
    spec_shape = tuple(int(d) for d in (a.input_shape.c, *a.input_shape.dims))
    dataset = D.load(cfg.data, spec_shape, None)
    width = int(a.rows[-1].out_shape.c) if a.rows[-1].out_shape is not None else None
    if sym is not None and sym not in cfg.bindings:
        bindings[sym] = dataset.classes
        if defaults.get(sym) != dataset.classes:
            log(f"classes: {sym} = {dataset.classes} from the data "
                f"(the spec's default is {defaults.get(sym)})")
    elif width != dataset.classes:
        raise TrainError(f"the network outputs {width} values but {dataset.name} has "
                         f"{dataset.classes} classes; write the width as a symbol (fc: classes)"
                         " or change it")
    # The same design unless the data set the class count: then it is analysed at that.
    model, analysis = build_with_analysis(design, bindings)
    last = analysis.rows[-1]
    if last.kind in ("softmax", "log_softmax"):
        model.set_module(last.name, nn.Identity())
        log(f"training with cross-entropy on the logits before {last.name} ({last.kind}); "
            "the softmax is left out of training and evaluation")
    how, line = D.plan(dataset.shape, spec_shape)
    log(line)
    return spec, model, analysis, dataset, spec_shape, {**defaults, **bindings}


def tensors(dataset: D.Dataset, spec_shape, device, limit_bytes: float):
    """Train and test tensors on the device, when they fit; else None (stream them)."""
    if not dataset.in_memory:
        return None
    n = len(dataset.train.y) + len(dataset.test.y)
    if n * math.prod(spec_shape) * 4 > limit_bytes:
        return None
    xs = [D.adapt(s.x, spec_shape) for s in (dataset.train, dataset.test)]
    xtr, xte = D.standardise(*xs)
    return (xtr.to(device), dataset.train.y.to(device), xte.to(device),
            dataset.test.y.to(device))


def make_optimizer(model: nn.Module, cfg: TrainConfig):
    decay = [p for p in model.parameters() if p.ndim > 1]   # no decay on biases and BN
    rest = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": rest, "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum,
                               nesterov=cfg.nesterov and cfg.momentum > 0)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    raise TrainError(f"unknown optimizer {cfg.optimizer}: sgd, adam or adamw")


def lr_factor(step: int, cfg: TrainConfig, steps_per_epoch: int) -> float:
    """The learning rate at `step`, as a fraction of cfg.lr."""
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = int(cfg.warmup_epochs * steps_per_epoch)
    if step < warm:
        return (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    if cfg.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if cfg.schedule == "onecycle":  # linear up to the peak at 30 %, cosine down
        return t / 0.3 if t < 0.3 else 0.5 * (1 + math.cos(math.pi * (t - 0.3) / 0.7))
    if cfg.schedule == "step":
        return 0.1 ** ((step // steps_per_epoch) // cfg.step_size)
    return 1.0


def make_schedule(opt, cfg: TrainConfig, steps_per_epoch: int, start_step: int = 0):
    """The schedule, at `start_step` (a resumed run's steps so far): the same learning rate
    as the checkpoint's scheduler held, and this run's plan when it trains longer."""
    if start_step:
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]  # LambdaLR's base when it starts mid-way
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: lr_factor(step, cfg, steps_per_epoch), last_epoch=start_step - 1)


# -- resuming ----------------------------------------------------------------------------

def resume(path: Path, spec, model, opt, cfg: TrainConfig, bindings: dict, world: int,
           device, steps: int, say) -> tuple[int, list[dict]]:
    """Restore the checkpoint at `path` into `model`, `opt` and the RNGs, after checking
    it (see `checkpoint`); its epoch and metrics rows."""
    settings = {**{k: getattr(cfg, k) for k in C.RESUME_KEYS}, "epochs": cfg.epochs,
                "bindings": bindings, "world": world}
    try:
        state = C.read(path, model, cfg.epochs)
        start, planned = state["epoch"], state["config"]["epochs"]
        if start > cfg.epochs:
            raise C.CheckpointError(f"{path}: the checkpoint is at epoch {start}, past --epochs "
                                    f"{cfg.epochs}; give --epochs {start + 1} or more to "
                                    "train longer")
        differ = C.differences(state, spec, settings)
        if differ and not cfg.force:
            raise C.CheckpointError(f"{path}: the checkpoint's run differs from this one: "
                                    f"{'; '.join(differ)}; give the same settings to resume, "
                                    "or --force to resume anyway")
        same_optimizer = C.fit(path, state, model, opt, cfg.optimizer)
        C.restore(path, state, model, opt if same_optimizer else None, device)
    except C.CheckpointError as exc:
        raise TrainError(str(exc)) from None
    if differ:
        say(f"resuming although the run differs (--force): {'; '.join(differ)}"
            + ("" if same_optimizer else "; the optimizer's state starts afresh"))
    if cfg.epochs > planned and start < cfg.epochs:
        say(_longer(cfg, planned, start * steps, steps))
    say(f"resumed from {path} at epoch {start}" + (
        "" if start < cfg.epochs else f": all {start} epochs are done (--epochs N to train "
        "longer)"))
    return start, list(state["metrics"])


def _longer(cfg: TrainConfig, planned: int, step: int, steps: int) -> str:
    """How the schedule goes on when a run trains longer than it was planned."""
    head = f"training longer: {planned} → {cfg.epochs} epochs"
    if cfg.schedule in ("step", "none"):
        return f"{head}; the {cfg.schedule} schedule does not depend on the run's length"
    was = cfg.lr * lr_factor(step, replace(cfg, epochs=planned), steps)
    now = cfg.lr * lr_factor(step, cfg, steps)
    return (f"{head}; the {cfg.schedule} schedule is re-planned over {cfg.epochs} epochs: "
            f"the learning rate goes on at {now:.4g} (the {planned}-epoch plan is at "
            f"{was:.4g} here)")


def write_metrics(path: Path, rows: list[dict]) -> None:
    """metrics.jsonl holding exactly `rows`, replaced atomically."""
    text = "".join(json.dumps(row) + "\n" for row in rows)
    C.write_atomic(path, lambda f: f.write(text.encode()))


def append_metrics(path: Path, row: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def append_steps(path: Path, rows: list[dict]) -> None:
    """An epoch's rows of steps.jsonl (the per-step curve --plot draws), after its metrics
    row: a kill before them loses only the curve of that epoch, never a metrics row."""
    with open(path, "a") as f:
        f.write("".join(json.dumps(row) + "\n" for row in rows))


def read_steps(path: Path) -> list[dict]:
    """steps.jsonl's rows, skipping any that are not one (half a line after a kill)."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return rows
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and all(isinstance(row.get(k), (int, float)) for k in
                                         ("epoch", "step", "steps", "loss", "train_acc")) \
                and row["steps"] > 0:
            rows.append(row)
    return rows


# -- the loop ----------------------------------------------------------------------------

def train(spec_path, cfg: TrainConfig, log=print, on_step=None) -> dict:
    """Train; `log(message)` gets the one-line reports, `on_step(epoch, step, steps,
    loss, accuracy, images_per_s)` every step (the CLI's progress bar). torch's thread
    count is chosen for the run (threads.py) and given back after it."""
    previous = torch.get_num_threads()
    try:
        return _train(spec_path, cfg, log, on_step)
    finally:
        torch.set_num_threads(previous)


def _train(spec_path, cfg: TrainConfig, log, on_step) -> dict:
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    device = pick_device(cfg.device)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    main = rank == 0
    say = log if main else (lambda *a, **k: None)
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    if cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    try:
        spec, model, analysis, dataset, spec_shape, bindings = prepare(spec_path, cfg, say)
    except (D.DataError, CompileError) as exc:
        # As `compile` exits: 2 for what the command line must supply, 1 for the network.
        text = str(exc)
        code = 2 if isinstance(exc, D.DataError) or "needs" in text or "unbound" in text else 1
        raise TrainError(text, code) from None
    out, out_line = run_directory(cfg, spec, main, world)
    cuda = device.type == "cuda"
    memory = (torch.cuda.get_device_properties(device).total_memory * 0.25 if cuda else 4e9)
    held = tensors(dataset, spec_shape, device, memory)
    model.to(device)
    if cuda and len(spec_shape) == 3:
        model = model.to(memory_format=torch.channels_last)
    net = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda
                                                  else None)
    if cfg.compile:
        net = torch.compile(net)
    n_train = len(dataset.train.y)
    per_rank = n_train // world
    steps = max(1, per_rank // cfg.batch_size)
    if cfg.max_steps:
        steps = min(steps, cfg.max_steps)
    opt = make_optimizer(model, cfg)
    ckpt, metrics_path = out / "checkpoint.pt", out / "metrics.jsonl"
    steps_path = out / "steps.jsonl"
    say(out_line)
    start, metrics = 0, []   # metrics: every epoch's row, this run's and the checkpoint's
    if cfg.resume and (ckpt.exists() or ckpt.is_symlink()):
        start, metrics = resume(ckpt, spec, model, opt, cfg, bindings, world, device, steps,
                                say)
        if main:  # drop rows of epochs the checkpoint does not have (a kill after them)
            write_metrics(metrics_path, metrics)
            write_metrics(steps_path, [r for r in read_steps(steps_path) if r["epoch"] <= start])
    else:
        if cfg.resume:
            say(f"no checkpoint at {ckpt}: starting a new run")
        if main:  # an --overwrite: nothing of the run it replaces is left to be mistaken
            for name in R.WRITTEN:
                (out / name).unlink(missing_ok=True)
    sched = make_schedule(opt, cfg, steps, start * steps)
    loader = None if held is not None else _loader(dataset, spec_shape, cfg, rank, world)
    say(f"data: {dataset.name}, {n_train:,} training and {len(dataset.test.y):,} held-out "
        f"samples, {'on the device' if held is not None else 'streamed'}; device: {device}"
        + (f", {world} processes" if world > 1 else ""))
    flops = int(analysis.totals.flops)  # forward, per sample
    if device.type == "cpu" or cfg.threads:
        threads = T.choose(3 * flops * cfg.batch_size, cfg.threads)
        torch.set_num_threads(threads.count)
        say(threads.line)
    peak = _peak(device, cfg)
    history, compiled_warm = [], not cfg.compile
    chunk = max(1, math.ceil(steps / STEP_POINTS))  # steps.jsonl: one row per `chunk` steps
    for epoch in range(start, cfg.epochs):
        model.train()
        g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)  # order = f(seed, epoch)
        order = torch.randperm(n_train, generator=g)[rank::world][: steps * cfg.batch_size]
        t0, data_time, seen, loss_sum, correct = time.perf_counter(), 0.0, 0, 0.0, 0
        step_rows, part = [], [0.0, 0, 0]  # this chunk's loss sum, correct, seen
        batches = loader if loader is not None else range(steps)
        for i, batch in enumerate(batches):
            if i >= steps:
                break
            d0 = time.perf_counter()
            if held is not None:
                idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size].to(device)
                x, y = held[0][idx], held[1][idx]
            else:
                x, y = (t.to(device, non_blocking=True) for t in batch)
            if cuda and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            data_time += time.perf_counter() - d0
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda and cfg.amp):
                logits = net(x)
                logits = logits[0] if isinstance(logits, tuple) else logits
                loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step_loss, step_correct = loss.item() * len(y), (logits.argmax(1) == y).sum().item()
            loss_sum += step_loss
            correct += step_correct
            seen += len(y)
            part = [part[0] + step_loss, part[1] + step_correct, part[2] + len(y)]
            if (i + 1) % chunk == 0 or i + 1 == steps:
                step_rows.append({"epoch": epoch + 1, "step": i + 1, "steps": steps,
                                  "loss": part[0] / part[2], "train_acc": part[1] / part[2]})
                part = [0.0, 0, 0]
            if on_step is not None and main:
                rate = seen * world / max(time.perf_counter() - t0, 1e-9)
                on_step(epoch + 1, i + 1, steps, loss_sum / seen, correct / seen, rate)
            if not compiled_warm and i == 0:  # torch.compile's first step: not throughput
                t0, data_time, compiled_warm = time.perf_counter(), 0.0, True
        if cuda:
            torch.cuda.synchronize(device)
        elapsed = max(time.perf_counter() - t0, 1e-9)
        acc = evaluate(model, held, dataset, spec_shape, device, cfg) if main else float("nan")
        row = {"epoch": epoch + 1, "loss": loss_sum / max(seen, 1),
               "train_acc": correct / max(seen, 1), "test_acc": acc,
               "images_per_s": seen * world / elapsed,
               "images_per_s_compute": seen * world / max(elapsed - data_time, 1e-9),
               "lr": sched.get_last_lr()[0], "seconds": elapsed}
        row["achieved_tflops"] = 3 * flops * row["images_per_s"] / 1e12
        row["mfu"] = row["achieved_tflops"] / peak if peak else None
        history.append(row)
        metrics.append(row)
        if main:  # the checkpoint first: a kill between the two loses no row (see resume)
            C.save(ckpt, {
                "format": C.FORMAT, "model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(), "epoch": epoch + 1,
                "rng": C.rng_state(device), "spec_text": spec.source.text,
                "spec_sha256": C.spec_hash(spec), "config": _plain(asdict(cfg)),
                "bindings": bindings, "world": world, "metrics": metrics})
            append_metrics(metrics_path, row)
            append_steps(steps_path, step_rows)
            log(f"epoch {epoch + 1}/{cfg.epochs}: loss {row['loss']:.4f}, train "
                f"{row['train_acc']:.2%}, held-out {acc:.2%}, {row['images_per_s']:,.0f} img/s")
    if cfg.plot and main and metrics:
        plot(metrics, read_steps(steps_path), out / "curves.png",
             f"{spec.name} on {dataset.name}")
    digest = hashlib.sha256(b"".join(t.detach().cpu().numpy().tobytes()
                                     for t in model.state_dict().values())).hexdigest()
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return {"history": history, "flops_per_sample": flops, "peak_tflops": peak,
            "weights_sha256": digest, "rank": rank, "world": world, "out": str(out),
            "device": str(device), "data": dataset.name}


def run_directory(cfg: TrainConfig, spec: Spec, main: bool, world: int) -> tuple[Path, str]:
    """The run's directory and its header line (rundir.py). Under torchrun rank 0 chooses
    — a new numbered directory exists only once it is made, so ranks choosing for
    themselves could pick different ones — and sends its answer, or its refusal, to the
    others over the process group: every rank ends with the same directory or the same
    error."""
    answer: list = [None, None, None]  # path, header line, error
    if main:
        try:
            path, line = R.choose(cfg.out, R.run_name(spec.source.name), cfg.resume,
                                  cfg.overwrite)
            path.mkdir(parents=True, exist_ok=True)
            answer = [str(path), line, None]
        except R.RunDirError as exc:
            answer[2] = str(exc)
        except OSError as exc:
            answer[2] = f"cannot make the run directory {exc.filename}: {exc.strerror}"
    if world > 1:
        dist.broadcast_object_list(answer, src=0)
    if answer[2] is not None:
        raise TrainError(answer[2])
    return Path(answer[0]), answer[1]


def evaluate(model, held, dataset, spec_shape, device, cfg) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        if held is not None:
            xs, ys = held[2], held[3]
            for i in range(0, len(ys), 512):
                out = model(xs[i:i + 512])
                out = out[0] if isinstance(out, tuple) else out
                correct += (out.argmax(1) == ys[i:i + 512]).sum().item()
                total += len(ys[i:i + 512])
        else:
            for x, y in _loader(dataset, spec_shape, cfg, 0, 1, test=True):
                out = model(x.to(device))
                out = out[0] if isinstance(out, tuple) else out
                correct += (out.argmax(1).cpu() == y).sum().item()
                total += len(y)
    return correct / max(total, 1)


def _loader(dataset, spec_shape, cfg, rank, world, test=False):
    split = dataset.test if test else dataset.train
    if split.files is not None:
        items = D.FolderImages(split, dataset.shape[0], spec_shape)
    else:
        items = torch.utils.data.TensorDataset(D.adapt(split.x, spec_shape), split.y)
    sampler = None if test else torch.utils.data.DistributedSampler(
        items, world, rank, shuffle=True, seed=cfg.seed) if world > 1 else None
    return _Guarded(torch.utils.data.DataLoader(
        items, batch_size=cfg.batch_size, shuffle=not test and sampler is None,
        sampler=sampler, num_workers=min(4, os.cpu_count() or 1),
        pin_memory=torch.cuda.is_available(), drop_last=not test))


class _Guarded:
    """A DataLoader whose unreadable file (a DataError, in this process or a worker) ends
    the run with the error's one line rather than a worker's traceback."""

    def __init__(self, loader):
        self.loader = loader

    def __iter__(self):
        try:
            yield from self.loader
        except D.DataError as exc:
            raise TrainError(D.one_line(exc)) from None


def _peak(device: torch.device, cfg: TrainConfig) -> float | None:
    if cfg.peak_tflops:
        return cfg.peak_tflops
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, (bf16, fp32) in PEAK_TFLOPS.items():
        if key in name:
            return bf16 if cfg.amp else fp32
    return None


def _plain(d: dict) -> dict:
    return {k: v for k, v in d.items() if isinstance(v, (int, float, str, bool, type(None)))}


def plot_series(history: list[dict], steps: list[dict]) -> dict[str, list[float]]:
    """What `plot` draws: per step (steps.jsonl: x in epochs, so 1.5 is half-way through
    the second) the training loss and accuracy, and per epoch the loss and the held-out
    accuracy."""
    xs = [r["epoch"] - 1 + r["step"] / r["steps"] for r in steps]
    return {"step_x": xs, "step_loss": [r["loss"] for r in steps],
            "step_acc": [r["train_acc"] for r in steps],
            "epoch_x": [h["epoch"] for h in history], "epoch_loss": [h["loss"] for h in history],
            "test_acc": [h["test_acc"] for h in history]}


def plot_title(what: str, history: list[dict]) -> str:
    """The figure's title: the spec and data, the epochs and the last held-out accuracy.
    A '$' is escaped: matplotlib would read the text between two as mathtext (and a spec's
    name or a data path is a stranger's text)."""
    n, last = len(history), history[-1]
    text = f"{what}: {n} epoch{'s' if n != 1 else ''}, held-out {last['test_acc']:.2%}"
    return text.replace("$", r"\$")


def plot(history: list[dict], steps: list[dict], path: Path, what: str) -> str:
    """Draw curves.png: the training loss, and the training and held-out accuracy, per
    step and per epoch (one epoch is a curve, not a dot); its title names `what` (the spec
    and data). Returns the title."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise TrainError("--plot needs matplotlib: pip install matplotlib") from None
    s = plot_series(history, steps)
    title = plot_title(what, history)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.8))
    a1.plot(s["step_x"], s["step_loss"], lw=1, alpha=0.7, label="per step")
    a1.plot(s["epoch_x"], s["epoch_loss"], "o", label="epoch mean")
    a1.set(xlabel="epoch", ylabel="training loss")
    a1.legend()
    a2.plot(s["step_x"], s["step_acc"], lw=1, alpha=0.7, label="train (per step)")
    a2.plot(s["epoch_x"], s["test_acc"], "o-", label="held-out (per epoch)")
    a2.set(xlabel="epoch", ylabel="accuracy")
    a2.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return title
