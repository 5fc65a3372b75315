"""Files in and out, decided once for every command: outputs that never destroy a user's data,
and readers whose every failure names the file.

Outputs (:func:`atomic_output`, :func:`write_text`, :func:`write_bytes`, :func:`write_json`):
the content goes to a temporary file in the output's own folder and is renamed over the output
only when complete, so a crash or a kill leaves either the old output intact or the new one
whole, never a truncated file. An output path that is one of the inputs (or the same file under
another name), that is a folder, or that lies under a file is refused with a coded error
before anything is written (:func:`check_output`).

Streams (:func:`open_text_output`, :func:`write_jsonl`) go through the same temporary file,
and so do folder outputs (:func:`check_output_folder`, :func:`check_outputs`: an output folder
is never inside an input folder, and no output file is one of the inputs).

Inputs (:func:`read_text`, :func:`read_lines`, :func:`read_json`, :func:`read_docbin`): a
missing file, a folder, an unreadable file, text that is not UTF-8 (reported by line and
column, with a hint to re-encode), binary data where text is wanted, JSON that does not parse
(by line and column) and a ``.spacy`` file that is empty, truncated or not a DocBin are coded
errors naming the file; a UTF-8 BOM is dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import zlib
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, List, Optional, Sequence, Union

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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: PathLike, inputs: Iterable[Optional[PathLike]] = ()) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends
    without an error, removed otherwise (the old output stays as it was).

    An output that is a symbolic link is written through (the file it points to is replaced,
    the link kept); the new file has the old file's permissions, or the usual ones of a new
    file (``0o666`` less the umask), not the private mode of a temporary file. An ``OSError``
    while writing (a full disk) is a coded error (XLTE343).
    """
    path = check_output(path, inputs)
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as err:
        raise XLTError(Errors.E343.format(path=path, why=err)) from err
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as err:  # disk full, permissions: a coded error, the old output intact
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise XLTError(Errors.E343.format(path=path, why=err)) from err
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def open_text_output(path: PathLike, inputs: Iterable[Optional[PathLike]] = ()) -> Iterator[IO[str]]:
    """A UTF-8 text stream (``\\n`` line ends) to write an output through, atomically: the
    output appears, whole, when the block ends without an error (see :func:`atomic_output`)."""
    with atomic_output(path, inputs) as tmp:
        with tmp.open("w", encoding="utf8", newline="\n") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


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


def write_jsonl(path: PathLike, records: Iterable[Any], inputs: Iterable[Optional[PathLike]] = ()) -> int:
    """Write one JSON value per line to ``path`` atomically; returns the number of lines."""
    n = 0
    with open_text_output(path, inputs) as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def check_output_folder(path: PathLike, inputs: Iterable[Optional[PathLike]] = ()) -> Path:
    """``path`` as an output folder: not a file, not under a file, and neither one of the input
    folders nor inside one (nor an input file). It is not created here: the files written
    into it create it (so a run that fails first leaves no empty folder)."""
    path = Path(path)
    resolved = path.resolve()
    inputs = [Path(item) for item in inputs if item is not None]
    for item in inputs:
        if item.is_dir():
            folder = item.resolve()
            if resolved == folder or _same_file(path, item):
                raise XLTError(Errors.E348.format(path=path, where="the same folder as", input=item))
            if _inside(resolved, folder):
                raise XLTError(Errors.E348.format(path=path, where="inside", input=item))
    return check_output(path, [item for item in inputs if not item.is_dir()], folder=True)


def check_outputs(outputs: Sequence[PathLike], inputs: Sequence[PathLike]) -> List[Path]:
    """Each of ``outputs`` checked as :func:`check_output` does, against every one of
    ``inputs`` (by path and by file identity, so a hard link or a symbolic link to an input is
    refused too): the check of a folder mode, before any file is written."""
    by_path = {Path(p).resolve(): Path(p) for p in inputs}
    by_id = {}
    for p in inputs:
        with contextlib.suppress(OSError):
            st = os.stat(p)
            by_id[(st.st_dev, st.st_ino)] = Path(p)
    outputs = [Path(out) for out in outputs]
    for out in outputs:
        found = by_path.get(out.resolve())
        if found is None:
            with contextlib.suppress(OSError):
                st = os.stat(out)
                found = by_id.get((st.st_dev, st.st_ino))
        if found is not None:
            raise XLTError(Errors.E340.format(path=out, input=found))
    return [check_output(out) for out in outputs]


def check_input(path: PathLike) -> Path:
    """``path`` as a Path: an existing file (a folder or a missing path is a coded error)."""
    path = Path(path)
    if path.is_dir():
        raise XLTError(Errors.E027.format(path=path))
    if not path.exists():
        raise XLTError(Errors.E021.format(path=path))
    return path


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise XLTError(Errors.E345.format(path=path, why=err.strerror or err)) from err


def _is_zlib(data: bytes) -> bool:
    """Whether ``data`` starts a zlib stream (as the bytes of a ``.spacy`` DocBin do)."""
    if len(data) < 2 or data[0] & 0x0F != 8 or (data[0] * 256 + data[1]) % 31:
        return False
    try:
        zlib.decompressobj().decompress(data[:4096])
    except zlib.error:
        return False
    return True


def decode_text(data: bytes, path: PathLike) -> str:
    """``data`` decoded as UTF-8 (a BOM dropped); not UTF-8 is an error naming the line and
    column (in characters, 1-based) of the first bad byte, binary data (a ``.spacy`` DocBin,
    NUL bytes) an error that says so."""
    try:
        text = data.decode("utf8")
    except UnicodeDecodeError as err:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise XLTError(
                Errors.E346.format(
                    path=path,
                    what="UTF-16 text: it starts with a UTF-16 byte order mark",
                    hint="Re-encode it as UTF-8 (e.g. `iconv -f utf-16 -t utf-8 FILE > NEW`).",
                )
            ) from None
        if _is_zlib(data):
            raise XLTError(
                Errors.E346.format(
                    path=path,
                    what="zlib-compressed, as a .spacy DocBin is",
                    hint="Read it as a .spacy file (--format spacy, or a .spacy name), or give the text file.",
                )
            ) from None
        line_start = data.rfind(b"\n", 0, err.start) + 1
        line = data.count(b"\n", 0, err.start) + 1
        # the bytes before the bad one on its line are valid UTF-8: count their characters
        column = len(data[line_start : err.start].decode("utf8", errors="replace")) + 1
        if line == 1 and data.startswith(b"\xef\xbb\xbf"):
            column -= 1  # the BOM is no character of the text
        raise XLTError(
            Errors.E028.format(
                path=path, line=line, column=column, byte=data[err.start : err.start + 1].hex()
            )
        ) from None
    if "\x00" in text[:8192]:
        raise XLTError(
            Errors.E346.format(
                path=path,
                what="it holds NUL bytes",
                hint="Give a text file (UTF-8); UTF-16 text must be re-encoded (e.g. `iconv -f utf-16 -t utf-8 FILE > NEW`).",
            )
        )
    return text[1:] if text.startswith(BOM) else text


def read_bytes(path: PathLike) -> bytes:
    """The bytes of an existing file, with coded errors naming it (missing, a folder, unreadable)."""
    return _read_bytes(check_input(path))


def read_text(path: PathLike) -> str:
    """The text of a UTF-8 file (BOM dropped), with coded errors naming the file."""
    path = check_input(path)
    return decode_text(_read_bytes(path), path)


def read_lines(path: PathLike) -> List[str]:
    """The lines of a UTF-8 text file without their line ends (LF or CRLF; a BOM dropped; a
    final line end ends the last line, it does not start an empty one). Only ``\\n`` ends a
    line: not the other characters ``str.splitlines`` splits on, which words may contain."""
    lines = read_text(path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_json(path: PathLike) -> Any:
    """The JSON value of a UTF-8 file (BOM dropped); JSON that does not parse is an error
    naming the line and column."""
    path = Path(path)
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise XLTError(
            Errors.E347.format(path=path, line=err.lineno, column=err.colno, why=err.msg)
        ) from None


def read_docbin(path: PathLike, *, store_user_data: bool = True):
    """The DocBin of a ``.spacy`` file; an empty, truncated or foreign file is a coded error
    naming it."""
    from spacy.tokens import DocBin

    path = check_input(path)
    data = _read_bytes(path)
    if not data:
        raise XLTError(Errors.E344.format(path=path, why="the file is empty"))
    try:
        return DocBin(store_user_data=store_user_data).from_bytes(data)
    except Exception as err:  # zlib / msgpack / spaCy's own errors for bytes that are no DocBin
        raise XLTError(Errors.E344.format(path=path, why=_docbin_problem(data, err))) from None


def _docbin_problem(data: bytes, err: Exception) -> str:
    """Why ``data`` is no DocBin, in words: truncated, not compressed as a DocBin is, or
    compressed but holding something else."""
    try:
        zlib.decompress(data)
    except zlib.error as zerr:
        if _is_zlib(data):
            return f"it ends early, after {len(data)} bytes: the file is truncated ({zerr})"
        start = data[:24]
        return f"it is not zlib-compressed data, as a DocBin is (it starts with {start!r})"
    return f"its data is not a DocBin ({type(err).__name__}: {str(err).strip()[:160]})"
