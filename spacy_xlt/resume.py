"""Resumable outputs: the one mechanism behind ``spacy xlt translate``, ``project`` and
``predict``.

A long command writes its output (``OUT.spacy``) once, atomically, when all the work is done
(``spacy_xlt.io``). Until then each finished chunk of work is kept in a *resume file* beside
it, ``OUT.spacy.partial.jsonl``, one JSON object a line:

* line 1, the **header**: ``{"format": "spacy_xlt.resume", "version": 1, "command": ...,
  "job": {...}}``. The job is what determines the result (the input file's SHA-256 and
  length, the model, the languages, the settings); a rerun continues the file only when its
  own job is the same.
* every other line, a **record**: ``{"start": S, "n": N, ...}``, the results of items
  ``S .. S+N-1`` of the input (the command decides what else the record holds: the
  translations, the projected spans, the predicted Docs). Records are in order with no gap.

Rules:

* The header is written together with the first record, in one atomic write (a temporary
  file renamed into place), so a run that fails before finishing its first chunk (a bad
  language code, a missing model) leaves no resume file, and the corrected command starts
  cleanly. Later records are appended and flushed to disk one by one.
* A broken **last** line (the run was killed while writing it) is dropped and cut off the
  file; its chunk is done again. A broken line anywhere else is an error (XLTE291).
* A resume file of another job (XLTE290), an empty one (XLTE391), one without a header
  (XLTE392) or one of an older format (XLTE393) is an error that says what to do:
  ``--restart`` discards it and starts over.
* The resume file is removed once the output has been written complete.
* While a command runs, it holds the output's **lock** (``.OUT.spacy.lock`` beside it, a
  ``filelock`` lock, released by the system when the process ends, also when it is killed):
  a second run on the same output fails at once (XLTE390) instead of mixing its chunks into
  the first one's. The empty lock file stays; it can be deleted when no run is going.

Commands build their output from the decoded records, also in a run that was never
interrupted, so that a resumed run's output equals an uninterrupted run's byte for byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from .errors import Errors, XLTError

PathLike = Union[str, Path]

#: The name of the resume file is the output's name + this suffix.
SUFFIX = ".partial.jsonl"
FORMAT = "spacy_xlt.resume"
VERSION = 1


def resume_path(output: PathLike) -> Path:
    """The resume file of ``output``: ``OUT.spacy`` -> ``OUT.spacy.partial.jsonl``."""
    return Path(str(output) + SUFFIX)


def lock_path(output: PathLike) -> Path:
    """The lock file of ``output``: ``DIR/OUT.spacy`` -> ``DIR/.OUT.spacy.lock``."""
    output = Path(output)
    return output.parent / f".{output.name}.lock"


def file_sha256(path: PathLike) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_value(value: Any) -> Any:
    """``value`` as JSON reads it back (tuples as lists, numpy scalars as numbers): what a
    job or a record is compared and restored as."""
    return json.loads(dumps(value))


def dumps(value: Any) -> str:
    """One line of JSON (ASCII, so that any string, even a lone surrogate, round-trips)."""
    return json.dumps(value, ensure_ascii=True, default=_json_default)


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# ---------------------------------------------------------------------------------------
# the lock


@contextlib.contextmanager
def output_lock(output: PathLike) -> Iterator[Path]:
    """Hold the lock of ``output`` for the block; another holder (another process, or
    another ``output_lock`` of this one) makes it fail at once with XLTE390. The output's
    folder is created. Yields the lock file's path."""
    from filelock import FileLock, Timeout

    output = Path(output)
    path = lock_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise XLTError(Errors.E390.format(output=output, lock=path)) from None
    try:
        yield path
    finally:
        lock.release()


# ---------------------------------------------------------------------------------------
# the resume file


@dataclass
class Record:
    """One finished chunk: items ``start .. start + n - 1``; ``data`` is the whole record
    (``start`` and ``n`` included); ``line`` its line in the resume file."""

    line: int
    start: int
    n: int
    data: Dict[str, Any]


class ResumeFile:
    """The resume file of one output and one job (see the module's rules).

    Call :meth:`load` while holding the output's lock, then :meth:`append` each finished
    chunk and :meth:`finish` once the output is written. ``enabled=False`` (a job that
    cannot be split into chunks) keeps nothing: :meth:`append` writes nothing, but
    :meth:`load` still refuses another job's file, so that its work is not lost unasked.
    """

    def __init__(
        self, output: PathLike, command: str, job: Dict[str, Any], *, enabled: bool = True
    ) -> None:
        self.output = Path(output)
        self.path = resume_path(self.output)
        self.command = command
        self.job = json_value(job)
        self.enabled = enabled
        self.records: List[Record] = []
        #: items finished (by earlier runs and this one)
        self.done = 0
        #: items loaded from the file (finished by earlier runs)
        self.resumed = 0
        #: broken last lines dropped when loading
        self.dropped = 0
        #: whether ``load(restart=True)`` removed a file
        self.discarded = False
        #: the header of the file read by :meth:`load`
        self.found_header: Optional[Dict[str, Any]] = None
        self._exists = False

    @property
    def header(self) -> Dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "command": self.command, "job": self.job}

    # -- reading

    def load(self, restart: bool = False, *, check_job: bool = True) -> List[Record]:
        """The records finished by earlier runs of this job (none without a resume file).

        ``restart``: remove the resume file first (``--restart``). A broken last line is
        dropped and cut off the file; every other problem is a coded error saying what to
        do. ``check_job=False`` reads another job's file too (to look at it: the header is
        then ``found_header``).
        """
        self.records, self.done, self.resumed, self.dropped = [], 0, 0, 0
        if restart and self.path.exists():
            self.path.unlink()
            self.discarded = True
        if not self.path.exists():
            self._exists = False
            return []
        data = self.path.read_bytes()
        if not data.strip():
            raise XLTError(Errors.E391.format(path=self.path))
        lines = data.split(b"\n")
        # the bytes after the last newline: a line whose writing was cut short (or nothing)
        tail = lines.pop()
        if not lines:  # this module writes the header and a record in one go, with newlines
            why = "it has no complete first line"
            raise XLTError(Errors.E392.format(path=self.path, why=why))
        self.found_header = self._header(lines[0])
        if check_job:
            self._check_job(self.found_header)
        good = len(lines[0]) + 1
        records: List[Record] = []
        dropped = 1 if tail else 0
        for number, raw in enumerate(lines[1:], start=2):
            try:
                record = self._record(raw, self.done)
            except ValueError as err:
                if number == len(lines) and not tail:
                    dropped += 1  # the last line: a crash while writing it
                    break
                raise XLTError(Errors.E291.format(path=self.path, line=number, why=err)) from None
            records.append(Record(number, record["start"], record["n"], record))
            self.done += record["n"]
            good += len(raw) + 1
        if dropped and self.enabled and check_job:
            os.truncate(self.path, good)
        self.records, self.resumed, self.dropped = records, self.done, dropped
        self._exists = True
        return records

    def _header(self, raw: bytes) -> Dict[str, Any]:
        try:
            header = json.loads(raw.decode("utf8"))
        except (UnicodeDecodeError, ValueError) as err:
            why = f"its first line is not JSON: {err}"
            raise XLTError(Errors.E392.format(path=self.path, why=why)) from None
        if not isinstance(header, dict):
            raise XLTError(Errors.E392.format(path=self.path, why="its first line is not a header"))
        if header.get("format") != FORMAT:
            if "job" in header and "format" not in header:
                raise XLTError(Errors.E393.format(path=self.path))
            why = "its first line is not a spacy_xlt resume header"
            raise XLTError(Errors.E392.format(path=self.path, why=why))
        if header.get("version") != VERSION:
            raise XLTError(Errors.E393.format(path=self.path))
        return header

    def _check_job(self, header: Dict[str, Any]) -> None:
        if header.get("command") != self.command:
            why = f"it was written by `spacy xlt {header.get('command')}`, this is `spacy xlt {self.command}`"
            raise XLTError(Errors.E290.format(path=self.path, why=why))
        theirs = header.get("job")
        if theirs != self.job:
            raise XLTError(Errors.E290.format(path=self.path, why=job_difference(theirs, self.job)))

    @staticmethod
    def _record(raw: bytes, done: int) -> Dict[str, Any]:
        try:
            record = json.loads(raw.decode("utf8"))
        except UnicodeDecodeError as err:
            raise ValueError(f"not UTF-8: {err}") from None
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        start, n = record.get("start"), record.get("n")
        if not _is_int(start) or not _is_int(n) or n < 1:
            raise ValueError("no start and n")
        if start != done:
            raise ValueError(f"it starts at item {start}, the records before end at {done}")
        return record

    def bad_record(self, record: Record, why: str) -> XLTError:
        """The coded error for a record whose content the command cannot use."""
        return XLTError(Errors.E291.format(path=self.path, line=record.line, why=why))

    def check_total(self, total: int) -> None:
        """An error if the records hold more items than the job has."""
        if self.done > total:
            raise XLTError(Errors.E395.format(path=self.path, done=self.done, total=total))

    # -- writing

    def append(self, n: int, data: Dict[str, Any]) -> Dict[str, Any]:
        """Keep a finished chunk of ``n`` items (the next ones); returns the record as it
        reads back from the file (what the output must be built from). The first record
        is written together with the header, atomically; later ones are appended and
        flushed to disk."""
        record = {"start": self.done, "n": n, **data}
        line = dumps(record)
        self.done += n
        if not self.enabled:
            return json.loads(line)
        try:
            if not self._exists:
                from .io import write_bytes

                write_bytes(self.path, (dumps(self.header) + "\n" + line + "\n").encode("utf8"))
                self._exists = True
            else:
                with self.path.open("ab") as f:
                    f.write((line + "\n").encode("utf8"))
                    f.flush()
                    os.fsync(f.fileno())
        except OSError as err:
            raise XLTError(Errors.E394.format(path=self.path, why=err)) from err
        return json.loads(line)

    def finish(self) -> None:
        """The output is written complete: the resume file goes."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._exists = False


def read_resume_file(output: PathLike) -> ResumeFile:
    """The resume file of ``output`` as it is, whatever its job (``found_header``,
    ``records``, ``done``): to look at what an interrupted run kept. Nothing is changed."""
    state = ResumeFile(output, "", {}, enabled=False)
    state.load(check_job=False)
    return state


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def job_difference(theirs: Any, ours: Dict[str, Any]) -> str:
    """What differs between the job of a resume file and this run's, in words (dotted keys
    into nested settings: ``component.num_beams: 2 in the file, 3 now``)."""
    if not isinstance(theirs, dict):
        return "its header holds no job"
    parts = []
    for key, a, b in _differences(theirs, ours):
        if key.split(".")[-1].endswith("sha256") or key.split(".")[0].endswith("sha256"):
            parts.append(f"{key}: the file was started with other content")
        else:
            parts.append(f"{key}: {_short(a)} in the file, {_short(b)} now")
    return "; ".join(parts[:5] + ([f"and {len(parts) - 5} more"] if len(parts) > 5 else [])) or "the jobs differ"


_MISSING = "(not set)"


def _differences(a: Any, b: Any, prefix: str = "") -> List[tuple]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: List[tuple] = []
        for key in dict.fromkeys([*b, *a]):
            out.extend(_differences(a.get(key, _MISSING), b.get(key, _MISSING), f"{prefix}{key}."))
        return out
    return [] if a == b else [(prefix[:-1], a, b)]


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def resuming(
    output: PathLike,
    command: str,
    job: Dict[str, Any],
    *,
    restart: bool = False,
    enabled: bool = True,
    inputs: Iterable[Optional[PathLike]] = (),
    lock: bool = True,
) -> Iterator[ResumeFile]:
    """The output checked (not one of ``inputs``: ``spacy_xlt.io.check_output``), its lock
    held (unless ``lock`` is False: the caller holds it) and its resume file loaded for the
    block. The resume file stays when the block fails; call ``finish()`` once the output is
    written."""
    from .io import check_output

    path = check_output(output, inputs)
    with output_lock(path) if lock else contextlib.nullcontext(lock_path(path)):
        state = ResumeFile(path, command, job, enabled=enabled)
        state.load(restart)
        yield state


def model_identity(name: str) -> Dict[str, Any]:
    """A model or pipeline for a job: its name, and for a local folder the SHA-256 of the
    small files that say what it is (``config.json``, ``config.cfg``, ``meta.json``,
    ``tokenizer_config.json``); weights are not hashed (too big): a model retrained in place
    is a new job only if one of those changed."""
    out: Dict[str, Any] = {"name": str(name)}
    path = Path(str(name))
    if path.is_dir():
        hashes = {}
        for small in ("config.cfg", "meta.json", "config.json", "tokenizer_config.json"):
            if (path / small).is_file():
                hashes[small] = file_sha256(path / small)
        out["files_sha256"] = hashes
    return out
