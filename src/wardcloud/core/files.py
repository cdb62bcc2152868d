"""Every file wardcloud reads or writes goes through here: only regular files, whole writes, located errors.

What is promised:

- An output (`--out`, the audit log, state files) is written only where nothing exists yet or a regular
  file stands; a symlink, device node, FIFO, socket or directory at that path is refused with a
  `FILE: FILE0xx` problem, never replaced and never followed.
- An input is opened without blocking and checked with `fstat` before a byte is read, so a FIFO, a
  device (`/dev/zero`) or a directory is refused instead of hanging or eating memory.
- Atomic writes: a reader sees the old file or the new one, never half of either.
- Every OSError (read-only file system, full disk, no permission, a file where a directory belongs)
  becomes a `FileError` naming the path, not a traceback or an "internal error".
- Inside `staged_outputs()` (an audited command), atomic writes are held back: the complete temporary
  file is written beside its target, and renamed into place only when the stage is committed (after the
  audit record is durable); a stage that is not committed leaves no output at all.
"""

from __future__ import annotations

import contextvars
import errno
import hashlib
import mmap
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from wardcloud.core.errors import Problem, WardcloudError


class Code(StrEnum):
    """Stable problem codes of file handling (docs/errors.md), never renumbered."""

    NOT_REGULAR = "FILE001"  # exists and is a device, FIFO, socket or directory where a file belongs
    SYMLINK = "FILE002"  # an output path is a symbolic link: never followed, never replaced
    NOT_DIRECTORY = "FILE003"  # a file (or something else) where a directory belongs
    READ_ONLY = "FILE004"  # read-only file system or no permission
    NO_SPACE = "FILE005"  # disk full or quota exceeded
    OS_ERROR = "FILE006"  # any other operating-system refusal
    NOT_FOUND = "FILE007"  # an input that does not exist
    TOO_LARGE = "FILE008"  # an input above the size limit of its kind


class FileError(WardcloudError):
    """A path that cannot be read or written as asked; one problem per path."""


def file_problem(path: Path | str, code: str, message: str) -> Problem:
    """A `PATH: CODE message` problem."""
    return Problem(str(path), 0, 0, code, message)


_ERRNO_CODES = {
    errno.EROFS: Code.READ_ONLY, errno.EACCES: Code.READ_ONLY, errno.EPERM: Code.READ_ONLY,
    errno.ENOSPC: Code.NO_SPACE, errno.EDQUOT: Code.NO_SPACE, errno.EFBIG: Code.NO_SPACE,
    errno.ENOTDIR: Code.NOT_DIRECTORY, errno.EISDIR: Code.NOT_REGULAR, errno.ENOENT: Code.NOT_FOUND,
    errno.ELOOP: Code.SYMLINK, errno.ENXIO: Code.NOT_REGULAR,
}


def os_error(path: Path | str, exc: OSError, doing: str) -> FileError:
    """The FileError for an OSError met while `doing` (e.g. "cannot write") at `path`."""
    code = _ERRNO_CODES.get(exc.errno or 0, Code.OS_ERROR)
    reason = exc.strerror or type(exc).__name__
    hint = ""
    if "write" in doing:
        hint = {Code.NO_SPACE: " (disk full: nothing was written)",
                Code.READ_ONLY: " (read-only or not permitted: nothing was written)"}.get(code, "")
    return FileError([file_problem(path, code, f"{doing}: {reason}{hint}")])


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def check_output(path: Path) -> None:
    """Refuse an output path that is not absent or a regular file (symlinks are never followed).

    Its folder must be a directory (or absent, to be created); FileError otherwise.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise os_error(path, exc, "cannot write") from None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise FileError([file_problem(path, Code.SYMLINK, "is a symbolic link; outputs never follow or "
                                          "replace links: name the file itself")])
        if not stat.S_ISREG(info.st_mode):
            raise FileError([file_problem(path, Code.NOT_REGULAR, f"is {_kind(info.st_mode)}, not a regular "
                                          "file; refusing to replace it")])
    check_directory(path.parent, create=True)


def check_directory(path: Path, *, create: bool = False) -> None:
    """Refuse `path` when it exists and is not a directory (a symlink to one is fine: it is a location)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not create:
            raise FileError([file_problem(path, Code.NOT_FOUND, "no such directory")]) from None
        parent = path.parent
        if parent != path:
            check_directory(parent, create=True)
        return
    except OSError as exc:
        raise os_error(path, exc, "cannot use as a directory") from None
    if not stat.S_ISDIR(info.st_mode):
        raise FileError([file_problem(path, Code.NOT_DIRECTORY, f"is {_kind(info.st_mode)}, not a directory")])


def make_directory(path: Path) -> None:
    """`mkdir -p path`, with what stands in the way reported as a FileError."""
    check_directory(path, create=True)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(path, exc, "cannot create directory") from None


def _open_regular(path: Path, flags: int) -> int:
    """An fd on `path` opened without blocking (a FIFO would wait for a writer) and checked to be a file."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise os_error(path, exc, "cannot read") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileError([file_problem(path, Code.NOT_REGULAR,
                                          f"is {_kind(info.st_mode)}, not a regular file; refusing to read it")])
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_input(path: Path, *, limit: int | None = None) -> int:
    """Refuse an input that is missing, unreadable, not a regular file or above `limit` bytes; its size."""
    fd = _open_regular(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    _check_size(path, size, limit)
    return size


def _check_size(path: Path, size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise FileError([file_problem(path, Code.TOO_LARGE, f"is {size:,} bytes; the limit for this kind of "
                                      f"file is {limit:,}")])


@contextmanager
def open_input(path: Path) -> Iterator[BinaryIO]:
    """`path` opened for binary reading, after checking it is a regular file (FileError otherwise)."""
    fd = _open_regular(path, os.O_RDONLY)
    handle = os.fdopen(fd, "rb")
    with handle:
        yield handle


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a regular file's bytes (FileError for anything else: a FIFO is never read forever).

    A non-empty file is mapped and hashed in one call: hashlib then releases the GIL once for the whole
    file, so hashing a 100 MB bill in a thread does not stall the command's own thread (read in 1 MB
    blocks, every block waits for the GIL, and the hash takes twice as long).
    """
    with open_input(path) as handle:
        try:
            if os.fstat(handle.fileno()).st_size > 0:
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                    return hashlib.sha256(view).hexdigest()
            return hashlib.file_digest(handle, "sha256").hexdigest()  # type: ignore[arg-type]  # a real binary file: readinto exists
        except OSError as exc:
            raise os_error(path, exc, "cannot read") from None


def read_input(path: Path, *, limit: int | None = None) -> bytes:
    """A regular file's bytes (at most `limit`: FileError above it); FileError for anything else."""
    with open_input(path) as handle:
        _check_size(path, os.fstat(handle.fileno()).st_size, limit)
        try:
            data = handle.read() if limit is None else handle.read(limit + 1)
        except OSError as exc:
            raise os_error(path, exc, "cannot read") from None
    _check_size(path, len(data), limit)  # a file that grew while we read it
    return data


def open_log_fd(path: Path, flags: int, mode: int = 0o640) -> int:
    """An fd on an append-only log (the audit log): a regular file or absent, never through a symlink."""
    check_output(path)
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as exc:
        raise os_error(path, exc, "cannot open") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # swapped in between the check and the open
        os.close(fd)
        raise FileError([file_problem(path, Code.NOT_REGULAR, f"is {_kind(info.st_mode)}, not a regular file")])
    os.set_blocking(fd, True)
    return fd


@dataclass
class Stage:
    """Outputs written completely to temporaries, renamed into place together by `commit`."""

    pending: list[tuple[Path, Path]] = field(default_factory=list)

    def add(self, temporary: Path, target: Path) -> None:
        self.pending.append((temporary, target))

    def commit(self) -> None:
        """Rename every staged output over its target (each rename atomic), in the order written."""
        while self.pending:
            temporary, target = self.pending.pop(0)
            _publish(temporary, target)

    def discard(self) -> None:
        """Remove every staged temporary: no output appears."""
        while self.pending:
            temporary, _ = self.pending.pop()
            temporary.unlink(missing_ok=True)


_STAGE: contextvars.ContextVar[Stage | None] = contextvars.ContextVar("wardcloud_stage", default=None)


@contextmanager
def staged_outputs() -> Iterator[Stage]:
    """Hold back every atomic write made inside the block until the caller commits the stage.

    Leaving the block without `commit()` (an error, or a commit never reached) discards the outputs.
    """
    stage = Stage()
    token = _STAGE.set(stage)
    try:
        yield stage
    finally:
        _STAGE.reset(token)
        stage.discard()


def temporary_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new empty temporary file in `path`'s folder (checked first), for writers that need a file name."""
    import tempfile  # late: most commands write nothing, and startup time counts

    check_output(path)
    make_directory(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise os_error(path, exc, "cannot write") from None
    os.close(fd)
    return Path(tmp)


def publish(temporary: Path, target: Path, mode: int | None = None) -> None:
    """Move a completely written temporary over `target`: now, or when the current stage commits.

    The temporary is fsynced and given `mode` (default: the replaced file's mode, else 0666 less umask).
    """
    with _discarded_on_failure(temporary, target):
        check_output(target)
        if mode is None:
            try:
                mode = stat.S_IMODE(os.lstat(target).st_mode)
            except FileNotFoundError:
                mode = 0o666 & ~current_umask()
        fd = os.open(temporary, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
    stage = _STAGE.get()
    if stage is not None:
        stage.add(temporary, target)
    else:
        _publish(temporary, target)


@contextmanager
def _discarded_on_failure(temporary: Path, target: Path) -> Iterator[None]:
    """Remove `temporary` when the block fails; an OSError becomes the FileError that names `target`."""
    try:
        yield
    except FileError:
        temporary.unlink(missing_ok=True)
        raise
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise os_error(target, exc, "cannot write") from None


def _publish(temporary: Path, target: Path) -> None:
    with _discarded_on_failure(temporary, target):
        check_output(target)  # again: something may have been put there since
        os.replace(temporary, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_atomic(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Write to a temporary file beside `path`, fsync it, then rename it over `path`.

    `path` must be absent or a regular file (FileError otherwise: a symlink or device is never replaced).
    The file gets `mode`; by default the mode of the file it replaces, or for a new file what `open()`
    would give (0666 less the umask): a report lands readable like any other file its user writes, where
    the temporary file alone would leave it 0600. Inside `staged_outputs()` the rename waits for commit.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp = temporary_beside(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(path, exc, "cannot write") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    publish(tmp, path, mode)


def current_umask() -> int:
    """The process umask, read without changing it where Linux shows it (os.umask can only swap it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: swap and restore at once
    os.umask(mask)
    return mask
