"""Files in and out, decided once for every command: outputs that never destroy a user's data,
and readers whose every failure names the file.

Outputs (:func:`atomic_output`, :func:`write_text`, :func:`write_bytes`, :func:`write_json`):
the content goes to a temporary file in the output's own folder and is renamed over the output
only when complete, so a crash or a kill leaves either the old output intact or the new one
whole, never a truncated file. An output path that is one of the inputs (or the same file under
another name), that is a folder, or that lies under a file is refused with a coded error
before anything is written (:func:`check_output`).

Inputs (:func:`read_text`, :func:`read_docbin`): a missing file, a folder, text that is not
UTF-8 (reported by line and column, with a hint to re-encode) and a ``.spacy`` file that is
empty, truncated or not a DocBin are coded errors naming the file; a UTF-8 BOM is dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from .errors import Errors, XLTError

PathLike = Union[str, Path]
BOM = "\ufeff"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: PathLike, inputs: Iterable[Optional[PathLike]] = (), *, folder: bool = False) -> Path:
    """``path`` as a Path, checked before anything is written: not one of ``inputs`` (nor the
    same file under another name), not a folder (unless ``folder``: then not a file), and not
    under a file. Its parent folders are created."""
    path = Path(path)
    for item in inputs:
        if item is None:
            continue
        item = Path(item)
        if path.resolve() == item.resolve() or _same_file(path, item):
            raise XLTError(Errors.E340.format(path=path, input=item))
    if folder:
        if path.exists() and not path.is_dir():
            raise XLTError(Errors.E342.format(path=path, what="a file", wanted="a folder"))
    elif path.is_dir():
        raise XLTError(Errors.E342.format(path=path, what="a folder", wanted="a file"))
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise XLTError(Errors.E341.format(path=path, parent=parent))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise XLTError(Errors.E343.format(path=path, why=err)) from err
    return path


@contextlib.contextmanager
def atomic_output(path: PathLike, inputs: Iterable[Optional[PathLike]] = ()) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends
    without an error, removed otherwise (the old output stays as it was)."""
    path = check_output(path, inputs)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes(path: PathLike, data: bytes, inputs: Iterable[Optional[PathLike]] = ()) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, inputs) as tmp:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def write_text(path: PathLike, text: str, inputs: Iterable[Optional[PathLike]] = ()) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf8"), inputs)


def write_json(path: PathLike, data: Any, inputs: Iterable[Optional[PathLike]] = ()) -> Path:
    """Write ``data`` as indented JSON (and a final newline) to ``path`` atomically."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", inputs)


def check_input(path: PathLike) -> Path:
    """``path`` as a Path: an existing file (a folder or a missing path is a coded error)."""
    path = Path(path)
    if path.is_dir():
        raise XLTError(Errors.E027.format(path=path))
    if not path.exists():
        raise XLTError(Errors.E021.format(path=path))
    return path


def decode_text(data: bytes, path: PathLike) -> str:
    """``data`` decoded as UTF-8 (a BOM dropped); not UTF-8 is an error naming the line and
    column of the first bad byte."""
    try:
        text = data.decode("utf8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise XLTError(
            Errors.E028.format(
                path=path, line=line, column=column, byte=data[err.start : err.start + 1].hex()
            )
        ) from None
    return text[1:] if text.startswith(BOM) else text


def read_text(path: PathLike) -> str:
    """The text of a UTF-8 file (BOM dropped), with coded errors naming the file."""
    path = check_input(path)
    return decode_text(path.read_bytes(), path)


def read_docbin(path: PathLike, *, store_user_data: bool = True):
    """The DocBin of a ``.spacy`` file; an empty, truncated or foreign file is a coded error
    naming it."""
    from spacy.tokens import DocBin

    path = check_input(path)
    data = path.read_bytes()
    if not data:
        raise XLTError(Errors.E344.format(path=path, why="the file is empty"))
    try:
        return DocBin(store_user_data=store_user_data).from_bytes(data)
    except Exception as err:  # zlib / msgpack / spaCy's own errors for bytes that are no DocBin
        why = f"{type(err).__name__}: {str(err).strip()[:200]}"
        raise XLTError(Errors.E344.format(path=path, why=why)) from None
