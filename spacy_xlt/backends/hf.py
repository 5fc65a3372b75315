"""The one base of every Hugging Face backend: loading, device, dtype, padding, batching and
serialisation, each decided here once.

A backend is built by a registered function without loading anything (so building a
pipeline from its config never reaches the hub). ``load()`` runs in the component's
``initialize`` (the only step that may download) with the configured ``name`` and
``revision``, or, from a saved pipeline's own folder, in ``from_disk`` / ``from_bytes``
(offline, ``local_files_only``). Every use of a backend that is not loaded yet raises the same
coded error.

Serialisation is ``to_disk``/``from_disk`` (a folder: ``save_pretrained`` weights as
safetensors, the tokenizer files with its added tokens, and ``xlt_backend.json`` with the
tokenizer settings ``save_pretrained`` does not keep: fast or slow, padding side) and
``to_bytes``/``from_bytes`` (the same files in one msgpack dict). Pipes store their backends
with these and nothing else.

Subclasses (``Text2TextModel``, ``Seq2SeqGenerator``, ``Translator``, ``HFEncoder``) say which
``AutoModel`` class they load (``_model_class``) and may prepare the loaded tokenizer and model
(``_setup``); they use ``sorted_batches`` and ``pad`` so that every backend batches by length
the same way.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import srsly

from ..errors import Errors, XLTError
from .util import check_min_ints, resolve_device, resolve_dtype

#: Written into every saved backend folder, beside the Hugging Face files.
SETTINGS_FILE = "xlt_backend.json"
#: Version of ``SETTINGS_FILE``.
FORMAT_VERSION = 1
PADDING_SIDES = ("right", "left")


class HFBackend:
    """A Hugging Face model and its tokenizer, loaded by name or folder in ``initialize`` only.

    ``name``: hub name or local folder; ``revision``: a hub revision (branch, tag, commit);
    ``device``: "cpu", "cuda", "cuda:N", "mps", an int GPU index or -1; ``dtype``: float32,
    float16 or bfloat16 for the weights; ``batch_size``: sequences per forward pass;
    ``max_length``: the longest input in tokens (what a backend does with a longer one is
    its own, and it counts it in ``counts``).
    """

    #: How error messages name this kind of backend.
    role = "Hugging Face model"
    #: Which side inputs are padded on (decoder-only prompts: left).
    padding_side = "right"
    #: Whether the weights are torch parameters a trainer can step (not for CTranslate2).
    trainable = True

    def __init__(
        self,
        name: str,
        *,
        revision: Optional[str] = None,
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        batch_size: int = 8,
        max_length: int = 512,
    ) -> None:
        check_min_ints((("batch_size", batch_size, 1), ("max_length", max_length, 2)))
        if not isinstance(name, (str, Path)) or not str(name):
            raise XLTError(Errors.E283.format(name="name", value=name, options="a model name or folder"))
        self.name = str(name)
        self.revision = revision
        self.dtype = dtype
        self.torch_dtype = resolve_dtype(dtype)  # checked before anything is downloaded
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.max_length = max_length
        self.tokenizer: Any = None
        self.model: Any = None
        #: work done (sequences, batches, truncations …), as each backend defines it
        self.counts: Counter = Counter()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, device={str(self.device)!r}, dtype={self.dtype!r})"

    # --- loading ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.model is not None

    def require(self) -> None:
        """The one error for a backend used before it is loaded."""
        if not self.loaded:
            raise XLTError(Errors.E321.format(role=self.role, name=self.name))

    def _model_class(self, config: Any) -> Any:
        """The ``transformers`` Auto class that loads this backend's model."""
        from transformers import AutoModel

        return AutoModel

    def _tokenizer_kwargs(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        kwargs: Dict[str, Any] = {}
        if "use_fast" in saved:
            kwargs["use_fast"] = bool(saved["use_fast"])
        return kwargs

    def load(self, path: Union[str, Path, None] = None) -> None:
        """Load from ``path`` (a folder written by ``to_disk``: offline) or else from ``name``
        at ``revision`` (hub or local folder)."""
        from transformers import AutoConfig, AutoTokenizer

        local = path is not None
        source = str(path) if local else self.name
        revision = None if local else self.revision
        saved = self._read_settings(Path(path)) if local else {}
        try:
            config = AutoConfig.from_pretrained(source, revision=revision, local_files_only=local)
            tokenizer = AutoTokenizer.from_pretrained(
                source, revision=revision, local_files_only=local, **self._tokenizer_kwargs(saved)
            )
            model = self._model_class(config).from_pretrained(
                source,
                config=config,
                revision=revision,
                local_files_only=local,
                torch_dtype=self.torch_dtype,
            )
        except (OSError, ValueError, KeyError) as err:
            raise XLTError(Errors.E320.format(role=self.role, name=source, why=err)) from err
        tokenizer.padding_side = saved.get("padding_side", self.padding_side)
        model.eval()
        self.tokenizer = tokenizer
        self.model = model.to(self.device)
        self._setup(config, saved)

    def _setup(self, config: Any, saved: Dict[str, Any]) -> None:
        """Called after every load (tokenizer and model set, on the device, in eval mode);
        ``saved``: the settings file of a saved folder (empty when loaded by name)."""

    # --- serialisation ---------------------------------------------------------------------

    def settings(self) -> Dict[str, Any]:
        """What ``SETTINGS_FILE`` holds: where the weights came from, and the tokenizer
        settings that ``save_pretrained`` does not keep."""
        return {
            "version": FORMAT_VERSION,
            "backend": type(self).__name__,
            "name": self.name,
            "revision": self.revision,
            "dtype": self.dtype,
            "use_fast": bool(getattr(self.tokenizer, "is_fast", False)),
            "padding_side": getattr(self.tokenizer, "padding_side", self.padding_side),
        }

    def to_disk(self, path: Union[str, Path], *, reuse: bool = False) -> Path:
        """Write weights (safetensors), config, tokenizer files and ``SETTINGS_FILE``.

        ``reuse``: leave ``path`` as it is when it already holds this backend as loaded (same
        settings, weights present): for backends whose weights never change after loading.
        """
        self.require()
        path = Path(path)
        if reuse and self._holds_me(path):
            return path
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        srsly.write_json(path / SETTINGS_FILE, self.settings())
        return path

    def _holds_me(self, path: Path) -> bool:
        file = path / SETTINGS_FILE
        weights = ("model.safetensors", "model.safetensors.index.json")
        if not file.exists() or not any((path / w).exists() for w in weights):
            return False
        try:
            return srsly.read_json(file) == self.settings()
        except ValueError:
            return False

    def from_disk(self, path: Union[str, Path]) -> HFBackend:
        """Load a folder written by ``to_disk`` (never reaches the hub)."""
        self.load(Path(path))
        return self

    def to_bytes(self) -> bytes:
        """The files of ``to_disk`` in one msgpack dict (relative path -> bytes)."""
        with tempfile.TemporaryDirectory() as tmp:
            root = self.to_disk(Path(tmp) / "backend")
            files = {
                p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*"))
                if p.is_file()
            }
        return srsly.msgpack_dumps(files)

    def from_bytes(self, data: bytes) -> HFBackend:
        files = srsly.msgpack_loads(data)
        if not isinstance(files, dict) or SETTINGS_FILE not in files:
            raise XLTError(Errors.E322.format(path="the given bytes", why=f"no {SETTINGS_FILE}"))
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for rel, content in files.items():
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            self.from_disk(root)
        return self

    @staticmethod
    def _read_settings(path: Path) -> Dict[str, Any]:
        file = path / SETTINGS_FILE
        if not file.exists():
            raise XLTError(Errors.E322.format(path=path, why=f"no {SETTINGS_FILE}"))
        saved = srsly.read_json(file)
        if not isinstance(saved, dict) or saved.get("version") != FORMAT_VERSION:
            raise XLTError(Errors.E322.format(path=path, why=f"unknown settings {saved!r}"))
        return saved

    # --- batching --------------------------------------------------------------------------

    def sorted_batches(self, lengths: Sequence[int], batch_size: Optional[int] = None) -> Iterator[List[int]]:
        """Indices in batches of ``batch_size`` (default the backend's), longest first, so
        that a batch pads little; ties keep the input order. Results go back by index."""
        size = batch_size or self.batch_size
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        for start in range(0, len(order), size):
            yield order[start : start + size]

    def pad(self, rows: Sequence[Sequence[int]], value: int, left: Optional[bool] = None) -> Tuple[Any, Any]:
        """(ids, attention mask) tensors on the device; ``left`` defaults to the tokenizer's
        padding side."""
        import numpy as np
        import torch

        if left is None:
            left = getattr(self.tokenizer, "padding_side", self.padding_side) == "left"
        width = max((len(r) for r in rows), default=0)
        ids = np.full((len(rows), width), value, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            if not len(row):
                continue
            cols = slice(width - len(row), width) if left else slice(0, len(row))
            ids[i, cols] = row
            mask[i, cols] = 1
        return torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device)

    # --- special tokens in text ---------------------------------------------------------

    @property
    def special_ids(self) -> frozenset:
        """The ids of the tokenizer's special tokens (</s>, <pad>, <unk>, language codes …)."""
        self.require()
        cached = getattr(self, "_special_ids", None)
        if cached is None or cached[0] is not self.tokenizer:
            cached = (self.tokenizer, frozenset(int(i) for i in self.tokenizer.all_special_ids))
            self._special_ids = cached
        return cached[1]

    def plain_ids(self, ids: Sequence[int]) -> List[int]:
        """``ids`` of text with every special id but the unknown one replaced by the ids of
        its characters, so that a word such as ``</s>`` or ``<pad>`` is text, never an end of
        sequence (some tokenizers read such strings as the special token even with
        ``split_special_tokens``). The unknown id stays: it stands for text the vocabulary
        lacks, and copying it ends nothing. A character with no id of its own gets its
        ordinary encoding; counted in ``counts["special_strings"]``."""
        tok = self.tokenizer
        unk = tok.unk_token_id
        specials = self.special_ids - {unk}
        if not specials.intersection(ids):
            return list(ids)
        out: List[int] = []
        for i in ids:
            if i not in specials:
                out.append(int(i))
                continue
            self.counts["special_strings"] += 1
            for char in tok.convert_ids_to_tokens(int(i)):
                cid = tok.convert_tokens_to_ids(char)
                if cid is None or cid == unk or cid in specials:
                    sub = tok(char, add_special_tokens=False, split_special_tokens=True)["input_ids"]
                    out.extend(int(x) for x in sub if x not in specials)
                else:
                    out.append(int(cid))
        return out

    def splice_plain(self, full: Sequence[int], content: Sequence[int]) -> List[int]:
        """``full`` (text with the tokenizer's special tokens) with its ``content`` part (the
        same text encoded without them) made :meth:`plain_ids`."""
        plain = self.plain_ids(content)
        if len(plain) == len(content) and list(plain) == list(content):
            return list(full)
        n = len(content)
        for start in range(len(full) - n + 1):
            if list(full[start : start + n]) == list(content):
                return list(full[:start]) + plain + list(full[start + n :])
        return list(full)  # pragma: no cover - the tokenizer added nothing inside the text

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return 0 if pad is None else int(pad)

    @property
    def eos_id(self) -> int:
        return int(self.tokenizer.eos_token_id)


def check_texts(texts: Sequence[Any]) -> List[str]:
    """The texts as a list; an error naming the first that is not a string."""
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise XLTError(Errors.E284.format(index=i, text=repr(text)))
    return texts
