"""curves.png (`archcalc train --plot`): the training loss and accuracy per step and per
epoch, from metrics.jsonl's and steps.jsonl's rows (needs matplotlib)."""

from __future__ import annotations

from pathlib import Path

from .errors import TrainError


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
