"""One convention for the components whose weights are Hugging Face backends
(``xlt_text2text_tagger``, ``xlt_tprojection``): how they present themselves to
``spacy train`` and how they are saved.

Training: ``update`` computes the component's loss (``get_loss``) in the trainer's train mode
and autocast, and accumulates its gradients (``Trainer.backward``); ``finish_update`` steps the
trainer's torch optimiser. spaCy calls ``finish_update`` once per batch, after ``[training]
accumulate_gradient`` sub-batches, exactly as for its own components; ``sgd`` (spaCy's
optimiser) is not used. ``self.model`` is a thinc placeholder with no weights, there so that
spaCy's loop treats the component as trainable.

Saving: ``to_disk`` writes ``cfg`` (JSON: the component's learned state, e.g. labels) and one
folder per loaded backend (``HFBackend.to_disk``: weights, tokenizer files, added tokens,
tokenizer settings); ``from_disk`` loads them offline. ``to_bytes``/``from_bytes`` hold the
same in one msgpack dict. A saved pipeline therefore needs no model folder and no hub.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional

import srsly
from spacy.pipeline import TrainablePipe
from spacy.training import Example
from spacy.util import ensure_path
from thinc.api import Model

from ..backends.hf import HFBackend
from ..errors import Errors, XLTError

#: Version of the saved ``cfg`` of these components.
CFG_VERSION = 2


def _weightless(model: Model, X: Any, is_train: bool):
    return X, lambda dY: dY


class BackendStore:
    """Saving and loading of a component's ``cfg`` and of its Hugging Face ``backends``
    (folder name -> backend): the one serialiser of every spacy_xlt component that holds
    models. ``_on_load`` runs after backends were loaded."""

    name: str
    cfg: Dict[str, Any]
    backends: Dict[str, HFBackend]
    trainable: Optional[str] = None

    def _on_load(self) -> None:
        """Called after backends were loaded (initialize, from_disk, from_bytes)."""

    def load_backends(self) -> None:
        """Load every backend not loaded yet from its configured name (hub or folder): a
        component's ``initialize``, the only step that may reach the hub."""
        for backend in self.backends.values():
            if not backend.loaded:
                backend.load()
        self._on_load()

    def _check_cfg(self, cfg: Any, where: Any) -> Dict[str, Any]:
        if not isinstance(cfg, dict) or cfg.get("version") != CFG_VERSION:
            raise XLTError(Errors.E325.format(path=where, name=self.name, why=f"unknown cfg {cfg!r}"))
        return cfg

    def _set_cfg(self, cfg: Dict[str, Any]) -> None:
        self.cfg.update({k: v for k, v in cfg.items() if k != "version"})

    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", {"version": CFG_VERSION, **self.cfg})
        for folder, backend in self.backends.items():
            if backend.loaded and folder not in exclude:
                # a backend that does not train is rewritten only if it changed (spacy train
                # saves model-best again and again)
                backend.to_disk(path / folder, reuse=folder != self.trainable)

    def from_disk(self, path, *, exclude=tuple()):
        """Load what ``to_disk`` wrote; never reaches the hub."""
        path = ensure_path(path)
        if not (path / "cfg").exists():
            raise XLTError(Errors.E325.format(path=path, name=self.name, why="no cfg file"))
        self._set_cfg(self._check_cfg(srsly.read_json(path / "cfg"), path))
        loaded = False
        for folder, backend in self.backends.items():
            if (path / folder).exists() and folder not in exclude:
                backend.from_disk(path / folder)
                loaded = True
        if loaded:
            self._on_load()
        return self

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        data: Dict[str, Any] = {"cfg": {"version": CFG_VERSION, **self.cfg}}
        for folder, backend in self.backends.items():
            if backend.loaded and folder not in exclude:
                data[folder] = backend.to_bytes()
        return srsly.msgpack_dumps(data)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()):
        data = srsly.msgpack_loads(bytes_data)
        if not isinstance(data, dict) or "cfg" not in data:
            raise XLTError(Errors.E325.format(path="the given bytes", name=self.name, why="no cfg"))
        self._set_cfg(self._check_cfg(data["cfg"], "the given bytes"))
        loaded = False
        for folder, backend in self.backends.items():
            if folder in data and folder not in exclude:
                backend.from_bytes(data[folder])
                loaded = True
        if loaded:
            self._on_load()
        return self


class HFPipe(BackendStore, TrainablePipe):
    """Base of the components that run (and may train) Hugging Face backends.

    Subclasses set ``self.backends`` (folder name -> backend, in load order),
    ``self.trainable`` (the name of the backend the trainer trains, or None), ``self.trainer``
    and ``self.cfg`` (JSON-serialisable state, saved as ``cfg``), and implement
    ``get_loss(examples)``: the torch loss of a batch, or None when there is nothing to learn.
    ``_on_load`` runs after backends were loaded (initialize, from_disk, from_bytes).
    """

    backends: Dict[str, HFBackend]
    trainable: Optional[str] = None
    trainer: Any = None

    def _init_base(self, vocab, name: str, scorer: Optional[Callable]) -> None:
        self.vocab = vocab
        self.name = name
        self.scorer = scorer
        self.model = Model(f"{name}_weights", _weightless)
        self.cfg: Dict[str, Any] = {}

    # --- loading -----------------------------------------------------------------------------

    def _on_load(self) -> None:
        backend = self.backends.get(self.trainable) if self.trainable is not None else None
        if backend is not None and self.trainer is not None and getattr(backend, "trainable", True):
            # a backend that cannot train (CTranslate2) projects or tags, and update() says so
            self.trainer.bind(backend)

    def require(self) -> None:
        for backend in self.backends.values():
            backend.require()

    # --- training ---------------------------------------------------------------------------

    @property
    def is_trainable(self) -> bool:
        return self.trainable is not None

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Any = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Accumulate the gradients of one batch; the trainer steps in ``finish_update``
        (here too when ``sgd`` is given, as spaCy's components do). ``drop`` is not used: the
        model's own dropout applies while training."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        self.require()
        backend = self.backends[self.trainable]
        if not getattr(backend, "trainable", True):
            raise XLTError(Errors.E327.format(component=self.name, role=backend.role, name=backend.name))
        examples = list(examples)
        with self.trainer.training():
            loss = self.get_loss(examples)
            if loss is None:
                return losses
            self.trainer.backward(loss)
        losses[self.name] += float(loss.detach())
        if sgd not in (None, False):
            self.finish_update(sgd)
        return losses

    def finish_update(self, sgd: Any = None) -> None:
        """Step the trainer's optimiser over the accumulated gradients."""
        self.trainer.step()
