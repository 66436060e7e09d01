"""Writing output files so that a reader never sees a partial one.

Every file oerlog writes (results, rejects, dossiers, memos, graphs, witnesses, generated cohorts) is written to a
temporary file beside its target and renamed into place when complete (``os.replace`` is atomic on one file
system). An interrupted run leaves the old file, or nothing; never a truncated file that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from oerlog.errors import Location, UsageError, signals_held

_EXAMPLE = "-o results/out.csv (a file in a folder you can write to)"


def prepare_target(path: Path) -> None:
    """Create the folder of ``path`` and check that the file can be written there; a located error otherwise."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(
            "the output path is a folder, not a file",
            Location(str(path)),
            value=str(path),
            example=_EXAMPLE,
            nl="het uitvoerpad is een map, geen bestand",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the output folder: {exc.strerror or exc}",
            Location(str(folder)),
            value=str(path),
            example=_EXAMPLE,
            nl=f"de uitvoermap kan niet worden aangemaakt: {exc.strerror or exc}",
        ) from None
    if not os.access(folder, os.W_OK):
        raise UsageError(
            "the output folder is not writable",
            Location(str(folder)),
            value=str(path),
            example=_EXAMPLE,
            nl="in de uitvoermap kan niet worden geschreven",
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(
            "the output file is not writable",
            Location(str(path)),
            value=str(path),
            example=_EXAMPLE,
            nl="het uitvoerbestand kan niet worden overschreven",
        )


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on normal exit it replaces ``path``, otherwise it is removed.

    For writers that take a path (DuckDB ``COPY``, GraphML): write to the yielded path."""
    path = Path(path)
    prepare_target(path)
    tmp_path: Path | None = None
    try:
        with signals_held():  # an interruption lands after tmp_path is set, so that the file is removed
            fd, tmp = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".part", dir=path.parent if str(path.parent) else "."
            )
            tmp_path = Path(tmp)
        os.close(fd)
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode a plain open() would
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def atomic_folder(path: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield a new temporary folder beside the folder ``path``; on normal exit it becomes ``path``, otherwise it
    is removed with everything in it. An empty folder at ``path`` is replaced; a non-empty one only when
    ``replace`` (it is then renamed away first and removed once the new folder is in place)."""
    path = Path(path).resolve()  # "-o ." names the folder by its name, beside which the new one is made
    parent = path.parent
    if path.exists() and not path.is_dir():
        raise UsageError(
            "the output is a file, not a folder",
            Location(str(path)),
            value=str(path),
            example="-o cohort/",
            nl="de uitvoer is een bestand, geen map",
        )
    prepare_target(parent / f".{path.name}.probe")  # the parent folder exists (is created) and is writable
    tmp: Path | None = None
    old: Path | None = None
    try:
        with signals_held():  # an interruption lands after tmp is set, so that the folder is removed
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=parent))
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; give the folder the mode a plain mkdir() would
        yield tmp
        if path.is_dir() and any(path.iterdir()):
            if not replace:
                raise UsageError(
                    "the output folder is not empty",
                    Location(str(path)),
                    value=str(path),
                    nl="de uitvoermap is niet leeg",
                )
            with signals_held():
                old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=parent))
            os.replace(path, old / path.name)
        elif path.is_dir():
            path.rmdir()
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists():  # put the old folder back
            os.replace(old / path.name, path)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
