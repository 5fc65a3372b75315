"""A build-once cache of tiny models, safe when several processes build at once.

A model is built into a hidden temporary folder beside its final place and renamed into
place in one step, so a reader never sees a half-written folder; when two processes race,
the second rename fails, the loser deletes its copy and uses the winner's (the builds are
deterministic, so both are identical).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, Optional, Union

from ..about import __version__
from ..errors import Errors, XLTError
from .models import BUILDER_VERSION, BUILDERS, MARKER, read_marker, resolve_shape

#: Environment variable naming the default cache folder's parent.
CACHE_ENV = "SPACY_XLT_TINY_MODELS"

_LOCKS: Dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def default_cache_dir() -> Path:
    """``$SPACY_XLT_TINY_MODELS`` or ``<system temp>/spacy_xlt_tiny_models``, then a
    folder per package and builder version (``v0.1.0-b1``)."""
    root = os.environ.get(CACHE_ENV) or os.path.join(tempfile.gettempdir(), "spacy_xlt_tiny_models")
    return Path(root) / f"v{__version__}-b{BUILDER_VERSION}"


def model_dirname(
    kind: str, *, seed: int = 0, size: str = "tiny", **overrides: Optional[int]
) -> str:
    """The cache folder name of a model: the kind alone for the defaults (``mt5``), else
    with what differs (``mt5-medium``, ``xlmr-seed1``, ``bert-d_model64-layers1``)."""
    parts = [kind]
    if size != "tiny":
        parts.append(size)
    if seed != 0:
        parts.append(f"seed{seed}")
    parts += [f"{k}{v}" for k, v in sorted(overrides.items()) if v is not None]
    return "-".join(parts)


def _lock_for(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(path), threading.Lock())


def _is_build(path: Path, expected: Dict[str, Any]) -> bool:
    marker = read_marker(path)
    return marker is not None and all(marker.get(k) == v for k, v in expected.items())


def _install(tmp: Path, final: Path, expected: Dict[str, Any], replace: bool = False) -> Path:
    """Rename the finished build ``tmp`` to ``final``; if another process got there first
    with the same build, drop ``tmp`` and use theirs. ``replace`` first moves an existing
    ``final`` (an outdated build) aside."""
    if replace and final.exists():
        trash = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(final, trash)
        except FileNotFoundError:
            pass  # another process moved it already
        else:
            shutil.rmtree(trash, ignore_errors=True)
    try:
        os.rename(tmp, final)
    except OSError:
        if not _is_build(final, expected):
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def get_tiny_model(
    kind: str,
    cache_dir: Optional[Union[str, Path]] = None,
    *,
    seed: int = 0,
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
    model_vocab_size: Optional[int] = None,
    rebuild: bool = False,
) -> Path:
    """The folder of the tiny model ``kind`` (one of ``KINDS``) in ``cache_dir`` (default
    ``default_cache_dir()``), built there on first use and reused afterwards.

    A folder built by an older builder version is rebuilt; a folder of that name that is
    not a tiny model at all raises an error rather than being deleted. ``rebuild=True``
    rebuilds in any case.
    """
    if kind not in BUILDERS:
        raise XLTError(Errors.E120.format(kind=kind, options=", ".join(BUILDERS)))
    shape = resolve_shape(size, d_model, layers, heads, ffn)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    overrides = dict(
        d_model=d_model, layers=layers, heads=heads, ffn=ffn, model_vocab_size=model_vocab_size
    )
    final = cache / model_dirname(kind, seed=seed, size=size, **overrides)
    expected: Dict[str, Any] = dict(
        kind=kind, builder_version=BUILDER_VERSION, seed=seed, shape=asdict(shape)
    )
    if model_vocab_size is not None:
        expected["vocab_size"] = model_vocab_size
    with _lock_for(final):
        if not rebuild and _is_build(final, expected):
            return final
        replace = rebuild
        if final.exists():
            marker = read_marker(final)
            if marker is None or marker.get("kind") != kind:
                raise XLTError(
                    Errors.E123.format(
                        path=final, version=f"builder {BUILDER_VERSION}", marker=MARKER
                    )
                )
            replace = True  # our own build, but outdated or with other settings
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=cache))
        try:
            BUILDERS[kind](
                tmp,
                seed=seed,
                size=size,
                d_model=d_model,
                layers=layers,
                heads=heads,
                ffn=ffn,
                model_vocab_size=model_vocab_size,
            )
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # mkdtemp makes the folder private (0700) and safetensors writes 0600 files; a shared
        # cache should be readable by all.
        os.chmod(tmp, 0o755)
        for file in tmp.iterdir():
            os.chmod(file, 0o644)
        if replace and not rebuild and _is_build(final, expected):
            shutil.rmtree(tmp, ignore_errors=True)  # another process replaced it meanwhile
            return final
        return _install(tmp, final, expected, replace=replace)
