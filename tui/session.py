"""The file being edited: its path, the last saved text, atomic saves and a recovery copy.

Saving writes exactly the editor's text (comments and layout are the user's) to a
temporary file in the same folder, fsyncs it and renames it over the spec, so a crash
mid-save leaves the old file or the new one; the spec keeps its permission bits (a new
one gets what the umask allows, as `open()` would give it). While there are unsaved
changes a recovery copy is kept (in $ARCHCALC_RECOVERY_DIR, else
~/.cache/archcalc/recovery), readable by its owner only, so a killed terminal loses at
most the last few seconds of typing; the next start offers it.

A file is read only if it is a regular file of at most MAX_BYTES of UTF-8 text: a folder,
a FIFO (which would wait for a writer for ever), a device or a huge file is refused with
a `FileProblem` that says why in words, never an exception's traceback.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from pathlib import Path

MAX_BYTES = 4 * 2**20  # a spec is a few kilobytes; thousands of layers stay far below this


class FileProblem(Exception):
    """A file that cannot be read; `str()` says why in words. From read_spec it is the
    reason alone (`it is a folder, not a spec file`), for the caller to put after the
    file's name."""


def read_spec(path: Path) -> str:
    """The text of `path`, or FileProblem. Never blocks: a FIFO is opened without waiting
    for a writer and refused, as is anything but a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:  # (Linux opens folders read-only; other systems may not)
        raise FileProblem("it is a folder, not a spec file") from None
    except OSError as exc:
        raise FileProblem(reason(exc)) from None
    try:
        info = os.fstat(fd)  # of what was opened: no race with a rename in between
        if stat.S_ISDIR(info.st_mode):
            raise FileProblem("it is a folder, not a spec file")
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("it is not a regular file")
        chunks, size = [], 0
        while size <= MAX_BYTES:  # one byte past the limit is enough to know
            chunk = os.read(fd, min(2**20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise FileProblem(reason(exc)) from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise FileProblem(f"it is larger than {MAX_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(f"it is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                          f"{exc.start})") from None


def reason(exc: OSError) -> str:
    """An OSError in words: `Permission denied`, not `[Errno 13] Permission denied: '…'`."""
    return exc.strerror or str(exc) or type(exc).__name__


def recovery_dir() -> Path:
    base = os.environ.get("ARCHCALC_RECOVERY_DIR")
    if base:
        return Path(base)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "archcalc" / "recovery"


def atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    """Write `text` to `path` all or nothing. `mode` None keeps an existing file's
    permission bits (and, where allowed, its owner); a new file gets 0o666 less the umask,
    exactly as `open()` creates one. A symlink stays a symlink: its target is written."""
    path = Path(os.path.realpath(path))
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    fd, tmp = _create_temp(path, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            if mode is None and old is not None:
                _copy_owner_and_mode(f.fileno(), old)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new(path: Path, text: str) -> Path:
    """Write `text` to a new file: `path`, or PATH-2, PATH-3 … (before the suffix) when a
    file of that name exists — never over anything. Returns the name written; OSError
    when the folder refuses."""
    for n in range(1, 1000):
        target = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target
    raise FileExistsError(errno.EEXIST, "no free name", str(path.parent))


def _create_temp(path: Path, mode: int) -> tuple[int, str]:
    # A temporary name of its own per write: two writers (an analysis thread that was
    # superseded but still finishing, and its successor) never rename each other's file.
    # os.open with O_EXCL rather than tempfile.mkstemp: mkstemp always creates 0o600,
    # while here the kernel applies the umask to `mode`, as open() does.
    for _ in range(100):
        tmp = str(path.with_name(f".{path.name[:100]}.{secrets.token_hex(4)}.tmp"))
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def _copy_owner_and_mode(fd: int, old: os.stat_result) -> None:
    if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)  # only root (or the group's member) may
        except OSError:
            pass
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after chown, which may clear set-id bits


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
        """Raises OSError when the file cannot be written; the session is then unchanged
        (still dirty) and the recovery copy stays."""
        target = path or self.path
        if target is None:
            raise ValueError("no file name yet: use save as")
        atomic_write(target, text)
        self.discard_recovery()
        self.path, self.saved_text = target, text
        return target

    # -- recovery -----------------------------------------------------------------------
    def recovery_file(self) -> Path:
        key = "untitled"
        if self.path:
            try:
                key = str(self.path.resolve())
            except (OSError, RuntimeError):  # a symlink loop (RuntimeError before 3.13)
                key = str(self.path.absolute())
        return recovery_dir() / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".yaml")

    def keep_recovery(self, text: str) -> None:
        """Best effort: a recovery copy that cannot be written must not stop the editor."""
        try:
            if not self.dirty(text):
                self.discard_recovery()
                return
            target = self.recovery_file()
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, text, mode=0o600)  # unsaved work is its owner's only
        except OSError:
            pass

    def recovered_text(self) -> str | None:
        """The recovery copy's text when it differs from the saved text, else None.

        A copy that cannot be read (not UTF-8, a folder in its place, …) is the user's
        data all the same: it is moved aside, never deleted, and FileProblem says where."""
        f = self.recovery_file()
        if not os.path.lexists(f):
            return None
        try:
            text = read_spec(f)
        except FileProblem as problem:
            aside = _free_name(f, ".unreadable")
            try:
                os.rename(f, aside)
                where = f"it was moved to {aside}"
            except OSError:
                where = "it was left where it is"
            raise FileProblem(f"could not read the recovery copy {f}: {problem}; "
                              f"{where}") from None
        return text if text != self.saved_text else None

    def discard_recovery(self) -> None:
        """Best effort, like keeping it: never fails a save or a quit."""
        try:
            self.recovery_file().unlink(missing_ok=True)
        except OSError:
            pass  # e.g. a folder in its place: left alone, reported when next started


def _free_name(path: Path, suffix: str) -> Path:
    """`path` + suffix, or + suffix-2, -3, … : a name nothing has yet."""
    candidate = path.with_name(path.name + suffix)
    n = 2
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{path.name}{suffix}-{n}")
        n += 1
    return candidate
