"""`archcalc train`: train a spec with the reference trainer, a progress bar on a terminal
and a summary table at the end (rich). Needs torch."""

from __future__ import annotations

import click

from ..errors import DiagnosticError
from .common import fail, load
from .publish import need_torch


@click.command()
@click.argument("spec")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Bind a symbol.")
@click.option("--data", default="digits", show_default=True,
              help="digits | mnist[:DIR] | fashion-mnist:DIR | cifar10:DIR | folder:DIR | "
                   "synthetic[:N]")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--batch-size", "--batch", "batch_size", type=click.IntRange(min=1), default=64,
              show_default=True, help="Samples per step (--batch, as `check` spells it, too).")
@click.option("--lr", type=float, default=0.05, show_default=True, help="Peak learning rate.")
@click.option("--optimizer", type=click.Choice(["sgd", "adam", "adamw"]), default="sgd",
              show_default=True)
@click.option("--momentum", type=float, default=0.9, show_default=True)
@click.option("--nesterov/--no-nesterov", default=True, show_default=True)
@click.option("--weight-decay", type=float, default=5e-4, show_default=True)
@click.option("--schedule", type=click.Choice(["cosine", "onecycle", "step", "none"]),
              default="cosine", show_default=True)
@click.option("--warmup-epochs", type=float, default=1.0, show_default=True)
@click.option("--label-smoothing", type=float, default=0.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--deterministic", is_flag=True, help="Deterministic algorithms (slower).")
@click.option("--device", default="auto", show_default=True,
              help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the model.")
@click.option("--amp/--no-amp", default=True, show_default=True,
              help="bf16 autocast on CUDA.")
@click.option("--out", help="Directory for checkpoint.pt, metrics.jsonl, steps.jsonl and "
              "curves.png. Default: a new runs/NAME-N per run (NAME: the spec's); one that "
              "holds a run is refused unless --resume or --overwrite.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt (without --out: "
              "the latest run of the spec, the one whose checkpoint was written last).")
@click.option("--overwrite", is_flag=True, help="Replace the run that --out holds.")
@click.option("--threads", type=click.IntRange(min=1),
              help="CPU threads (default: OMP_NUM_THREADS if set, else one per GFLOP of "
                   "training work a step, at most the usable cores).")
@click.option("--force", is_flag=True,
              help="With --resume: go on although the settings differ from the checkpoint's.")
@click.option("--plot", is_flag=True, help="Write OUT/curves.png: loss and accuracy per step "
              "and per epoch (needs matplotlib).")
@click.option("--peak-tflops", type=float, help="The device's peak, for MFU.")
@click.option("--max-steps", type=click.IntRange(min=1), help="Steps per epoch at most.")
@click.option("--rank-digests", is_flag=True, hidden=True,
              help="Every rank prints a digest of its final weights and its run directory "
                   "(tests).")
def train(spec: str, assignments, sets, rank_digests: bool, compile_: bool, **options) -> None:
    """Train SPEC on real data with the reference trainer (see README).

    Checkpoints every epoch (atomic), metrics per epoch in JSONL, throughput and MFU from
    archcalc's own FLOP count. Runs under `torchrun --nproc_per_node N` with DDP.
    """
    need_torch("train")
    from ..reference.train import TrainConfig
    from ..reference.train import train as run

    design = load(spec, tuple(sets) + tuple(assignments))
    cfg = TrainConfig(**options, compile=compile_, bindings=dict(design.bindings))
    from rich.console import Console

    # soft_wrap: a message is one line in a log file too, not broken at 80 columns
    console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    progress, task = None, None
    if console.is_terminal:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("epoch {task.fields[epoch]}/" + str(cfg.epochs)),
                            BarColumn(), TextColumn("{task.completed}/{task.total}"),
                            TextColumn("loss {task.fields[loss]:.4f}"),
                            TextColumn("acc {task.fields[acc]:.2%}"),
                            TextColumn("{task.fields[rate]:,.0f} img/s"), TimeElapsedColumn(),
                            console=console, transient=True)
        task = progress.add_task("train", total=1, epoch=0, loss=0.0, acc=0.0, rate=0.0)

    def log(message: str, progress_line: bool = False, **_) -> None:
        console.print(message)

    def step(epoch, i, steps, loss, acc, rate) -> None:
        if i == 1:
            progress.reset(task, total=steps)
        progress.update(task, completed=i, epoch=epoch, loss=loss, acc=acc, rate=rate)
    try:
        if progress is not None:
            with progress:
                result = run(design, cfg, log, step)
        else:
            result = run(design, cfg, log)
    except DiagnosticError as exc:  # the spec's, the data's, the run directory's, …
        fail(exc, design.source)
    if rank_digests:
        click.echo(f"rank {result.rank} weights sha256 {result.weights_sha256}", err=True)
        click.echo(f"rank {result.rank} run directory {result.out}", err=True)
    if result.rank != 0 or not result.history:
        return
    _train_summary(result, cfg)


def _train_summary(result, cfg) -> None:
    """The summary table of a run (`result`: a reference.train.TrainResult) on stdout: box
    drawing on a terminal, plain ASCII when piped (as `check` does), so that a log file or
    another program reads it as text."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    last = result.history[-1]
    best = max(epoch.test_acc for epoch in result.history)
    console = Console(highlight=False, markup=False)
    tty = console.is_terminal
    if not tty:
        console = Console(width=200, no_color=True, highlight=False, markup=False)
    table = Table(title=f"Training summary: {result.data} on {result.device}",
                  box=box.HEAVY_HEAD if tty else box.ASCII2)
    table.add_column("")
    table.add_column("value", justify="right")
    rows = [("epochs", f"{last.epoch}"), ("final held-out accuracy", f"{last.test_acc:.2%}"),
            ("best held-out accuracy", f"{best:.2%}"), ("final training loss", f"{last.loss:.4f}"),
            ("images/s (with data time)", f"{last.images_per_s:,.0f}"),
            ("images/s (compute only)", f"{last.images_per_s_compute:,.0f}"),
            ("achieved TFLOP/s (3 x forward)", f"{last.achieved_tflops:.4f}"),
            ("MFU", f"{last.mfu:.1%}" if last.mfu is not None else
             "unknown peak (--peak-tflops)"),
            ("checkpoint", f"{result.out}/checkpoint.pt"),
            ("metrics", f"{result.out}/metrics.jsonl")]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
