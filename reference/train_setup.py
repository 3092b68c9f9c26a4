"""Setting a run up, everything before its first epoch, as one `Setup`.

In order: the process joins the run (torchrun's process group, the seeds, determinism);
the spec becomes a model and the data is fitted to its input (`prepare`); the run gets its
directory (rank 0 chooses it, rundir.py); the data is held on the device or streamed
(train_data.py); the model goes to its device (channels_last, DDP, torch.compile); the
optimizer and schedule are made (train_optim.py), after the checkpoint when resuming
(train_records.py); and torch gets its CPU threads (threads.py). The order is part of the
run: the seeds are set before the weights are drawn, and a resumed run's RNG states are
restored before anything draws from them.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from archcalc.analysis.result import Analysis
from archcalc.graph import Graph
from archcalc.notation import shape_text
from archcalc.spec import Spec

from . import data as D
from . import rundir as R
from . import threads as T
from .build import SpecModel, build_with_analysis, design_of
from .errors import InvalidArchitecture, RunDirError, TrainError
from .train_config import Place, TrainConfig, peak_tflops
from .train_data import Held, hold, make_loader
from .train_optim import make_optimizer, make_schedule
from .train_records import Resumed, RunFiles, resume


@dataclass(frozen=True)
class Setup:
    """A run ready for its first epoch."""

    spec: Spec
    model: SpecModel            # the weights a checkpoint holds
    net: nn.Module              # what trains: the model, under DDP and torch.compile if asked
    analysis: Analysis          # at the run's bindings: the FLOPs that throughput counts
    dataset: D.Dataset
    spec_shape: tuple[int, ...]  # the spec's input, C × spatial
    bindings: dict              # every symbol's value: the spec's defaults, --set, classes
    place: Place
    files: RunFiles
    held: Held | None           # None: the data streams through `loader`
    loader: object | None
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler
    steps: int                  # per epoch
    resumed: Resumed
    flops: int                  # forward, per sample
    peak: float | None          # the device's TFLOP/s, for MFU


def join(place: Place, cfg: TrainConfig) -> None:
    """This process joins the run: the process group under torchrun (NCCL on GPUs, Gloo
    on CPUs), the seeds, and deterministic algorithms or cuDNN's autotuner."""
    if place.world > 1:
        dist.init_process_group("nccl" if place.cuda else "gloo")
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    if cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif place.cuda:
        torch.backends.cudnn.benchmark = True


def leave(place: Place) -> None:
    """The process group is given back, however the run ended."""
    if place.world > 1 and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def set_up(spec_path, cfg: TrainConfig, place: Place, say) -> Setup:
    """Everything before the first epoch (see the module's docstring); `say` reports."""
    spec, model, analysis, dataset, spec_shape, bindings = prepare(spec_path, cfg, say)
    out, out_line = run_directory(cfg, spec, place)
    held = hold(dataset, spec_shape, place)
    net = _placed(model, cfg, place, len(spec_shape))
    steps = _steps_per_epoch(len(dataset.train.y), cfg, place.world)
    opt = make_optimizer(model, cfg)
    say(out_line)
    files = RunFiles(out)
    resumed = _resume_or_start(files, spec, model, opt, cfg, bindings, place, steps, say)
    sched = make_schedule(opt, cfg, steps, resumed.epoch * steps)
    loader = None if held is not None else make_loader(dataset, spec_shape, cfg, place.rank,
                                                       place.world)
    say(f"data: {dataset.name}, {len(dataset.train.y):,} training and "
        f"{len(dataset.test.y):,} held-out samples, "
        f"{'on the device' if held is not None else 'streamed'}; device: {place.device}"
        + (f", {place.world} processes" if place.world > 1 else ""))
    flops = int(analysis.totals.flops)
    if place.device.type == "cpu" or cfg.threads:
        threads = T.choose(3 * flops * cfg.batch_size, cfg.threads)
        torch.set_num_threads(threads.count)
        say(threads.line)
    return Setup(spec, model, net, analysis, dataset, spec_shape, bindings, place, files,
                 held, loader, opt, sched, steps, resumed, flops,
                 peak_tflops(place.device, cfg))


def class_symbol(graph: Graph) -> str | None:
    """The symbol the network's output width is, if it is one (`fc: classes`). The
    design's graph: a repeat count may read a symbol (`repeat: depth`), bound there."""
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
    sym = class_symbol(design.graph)
    # The input shape at the bound values, to fit the data to.
    a = design.analysis
    if a.free_symbols and set(a.free_symbols) - ({sym} if sym else set()):
        raise TrainError(f"unbound symbols: {', '.join(a.free_symbols)} (--set NAME=VALUE)")
    errors = [d for d in a.findings if d.severity == "error"]
    if errors:  # before the data is fitted to it: its shapes mean nothing
        raise InvalidArchitecture(errors)
    last = a.rows[-1]
    if last.out_shape is not None and not last.out_shape.flat:
        # The reference trainer classifies: one score per class per sample. A dense
        # prediction (a segmentation head's C×H×W) needs per-pixel labels it cannot read.
        raise TrainError(f"the trainer trains classifiers, whose last layer gives one score "
                         f"per class; {last.name} gives a {shape_text(last.out_shape)} volume",
                         last.loc, "end the network with `- flatten` and `- fc: classes` "
                         "(or global pooling first) to train it here", layer=last.name)
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
                         " or change it", a.rows[-1].loc, layer=a.rows[-1].name)
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


def run_directory(cfg: TrainConfig, spec: Spec, place: Place) -> tuple[Path, str]:
    """The run's directory and its header line (rundir.py). Under torchrun rank 0 chooses
    — a new numbered directory exists only once it is made, so ranks choosing for
    themselves could pick different ones — and sends its answer, or its refusal, to the
    others over the process group: every rank ends with the same directory or the same
    error."""
    answer: list = [None, None, None]  # path, header line, error
    if place.main:
        try:
            path, line = R.choose(cfg.out, R.run_name(spec.source.name), cfg.resume,
                                  cfg.overwrite)
            path.mkdir(parents=True, exist_ok=True)
            answer = [str(path), line, None]
        except RunDirError as exc:
            answer[2] = str(exc)
        except OSError as exc:
            answer[2] = f"cannot make the run directory {exc.filename}: {exc.strerror}"
    if place.world > 1:
        dist.broadcast_object_list(answer, src=0)
    if answer[2] is not None:
        raise RunDirError(answer[2])
    return Path(answer[0]), answer[1]


def _placed(model: SpecModel, cfg: TrainConfig, place: Place, ndim: int) -> nn.Module:
    """The model on its device (channels_last for images and clips on CUDA), and what
    trains it: itself, or its DistributedDataParallel wrapper, compiled if asked. `ndim`
    counts the input's entries, channels included."""
    model.to(place.device)
    if place.cuda and ndim in (3, 4):
        model.to(memory_format=torch.channels_last if ndim == 3 else torch.channels_last_3d)
    net: nn.Module = model
    if place.world > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[place.device.index] if place.cuda else None)
    if cfg.compile:
        net = torch.compile(net)
    return net


def _steps_per_epoch(n_train: int, cfg: TrainConfig, world: int) -> int:
    steps = max(1, n_train // world // cfg.batch_size)
    return min(steps, cfg.max_steps) if cfg.max_steps else steps


def _resume_or_start(files: RunFiles, spec: Spec, model, opt, cfg: TrainConfig,
                     bindings: dict, place: Place, steps: int, say) -> Resumed:
    """The checkpoint restored (`--resume` where one is), else a new run's empty start;
    rank 0 brings the directory's files to match."""
    if cfg.resume and files.has_checkpoint():
        resumed = resume(files.checkpoint, spec, model, opt, cfg, bindings, place, steps, say)
        if place.main:
            files.keep_to(resumed.epoch, resumed.metrics)
        return resumed
    if cfg.resume:
        say(f"no checkpoint at {files.checkpoint}: starting a new run")
    if place.main:
        files.clear()
    return Resumed()
