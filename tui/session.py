"""The file being edited: its path, the last saved text, atomic saves and a recovery copy.

Saving writes exactly the editor's text (comments and layout are the user's) to a
temporary file in the same folder, fsyncs it and renames it over the spec, so a crash
mid-save leaves the old file or the new one. While there are unsaved changes a recovery
copy is kept (in $ARCHCALC_RECOVERY_DIR, else ~/.cache/archcalc/recovery), so a killed
terminal loses at most the last few seconds of typing; the next start offers it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def recovery_dir() -> Path:
    base = os.environ.get("ARCHCALC_RECOVERY_DIR")
    if base:
        return Path(base)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "archcalc" / "recovery"


def atomic_write(path: Path, text: str) -> None:
    # A temporary name of its own per write: two writers (an analysis thread that was
    # superseded but still finishing, and its successor) never rename each other's file.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Session:
    def __init__(self, path: Path | None, text: str):
        self.path = path
        self.saved_text = text

    @property
    def name(self) -> str:
        return str(self.path) if self.path else "untitled.yaml"

    def dirty(self, text: str) -> bool:
        return text != self.saved_text

    def save(self, text: str, path: Path | None = None) -> Path:
        target = path or self.path
        if target is None:
            raise ValueError("no file name yet: use save as")
        atomic_write(target, text)
        self.discard_recovery()
        self.path, self.saved_text = target, text
        return target

    # -- recovery -----------------------------------------------------------------------
    def recovery_file(self) -> Path:
        key = str(self.path.resolve()) if self.path else "untitled"
        return recovery_dir() / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".yaml")

    def keep_recovery(self, text: str) -> None:
        """Best effort: a recovery copy that cannot be written must not stop the editor."""
        try:
            if not self.dirty(text):
                self.discard_recovery()
                return
            target = self.recovery_file()
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, text)
        except OSError:
            pass

    def recovered_text(self) -> str | None:
        f = self.recovery_file()
        if f.exists():
            text = f.read_text(encoding="utf-8")
            if text != self.saved_text:
                return text
        return None

    def discard_recovery(self) -> None:
        self.recovery_file().unlink(missing_ok=True)
