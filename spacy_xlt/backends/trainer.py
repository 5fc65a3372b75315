"""The one trainer of every trainable Hugging Face backend (the tagger's text-to-text model,
T-Projection's generator): optimiser, learning-rate schedule, mixed precision, gradient
clipping and gradient checkpointing.

The weights are torch parameters with a torch optimiser (spaCy's ``[training.optimizer]``
does not apply to them), but the steps follow spaCy's training loop: a component's
``update`` computes the loss and calls :meth:`Trainer.backward`, which accumulates
gradients; ``finish_update`` calls :meth:`Trainer.step`. spaCy calls ``finish_update`` once
per batch after ``[training] accumulate_gradient`` sub-batches, so accumulation is spaCy's
setting for these components as for every other one.

Registered as ``spacy_xlt.Trainer.v1``: the ``trainer`` block of a component's config.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator, Optional

from spacy.util import registry

from ..errors import Errors, XLTError

OPTIMIZERS = ("adamw", "adafactor")
MIXED_PRECISION = ("no", "bf16", "fp16")


def _check(name: str, value: Any, ok: bool, options: str) -> None:
    if not ok:
        raise XLTError(Errors.E323.format(name=name, value=value, options=options))


def _is_int(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


class Trainer:
    """Optimiser steps over one backend's torch model (``backend.model``).

    ``optimizer``: ``adamw`` or ``adafactor`` (fixed learning rate, no relative steps, as the
    published T-Projection recipe); ``learning_rate`` with ``warmup_steps`` of linear warm-up,
    then constant or, with ``decay_steps``, a cosine decay to 0 over that many steps;
    ``max_grad_norm`` clips (null: never); ``mixed_precision``: ``bf16`` or ``fp16`` autocast
    (fp16 with a gradient scaler on CUDA); ``gradient_checkpointing`` trades compute for
    memory.
    """

    def __init__(
        self,
        *,
        optimizer: str = "adamw",
        learning_rate: float = 7e-5,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        decay_steps: int = 0,
        max_grad_norm: Optional[float] = 1.0,
        mixed_precision: str = "no",
        gradient_checkpointing: bool = False,
    ) -> None:
        _check("optimizer", optimizer, optimizer in OPTIMIZERS, ", ".join(OPTIMIZERS))
        _check(
            "learning_rate",
            learning_rate,
            isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool) and learning_rate > 0,
            "a number > 0",
        )
        _check(
            "weight_decay",
            weight_decay,
            isinstance(weight_decay, (int, float)) and weight_decay >= 0,
            "a number >= 0",
        )
        _check("warmup_steps", warmup_steps, _is_int(warmup_steps, 0), "an integer >= 0")
        _check("decay_steps", decay_steps, _is_int(decay_steps, 0), "an integer >= 0")
        _check(
            "max_grad_norm",
            max_grad_norm,
            max_grad_norm is None or (isinstance(max_grad_norm, (int, float)) and max_grad_norm > 0),
            "null or a number > 0",
        )
        _check(
            "mixed_precision",
            mixed_precision,
            mixed_precision in MIXED_PRECISION,
            ", ".join(MIXED_PRECISION),
        )
        self.optimizer_name = optimizer
        self.learning_rate = float(learning_rate)
        self.weight_decay = float(weight_decay)
        self.warmup_steps = warmup_steps
        self.decay_steps = decay_steps
        self.max_grad_norm = max_grad_norm
        self.mixed_precision = mixed_precision
        self.gradient_checkpointing = bool(gradient_checkpointing)
        self.backend: Any = None
        self.optimizer: Any = None
        self.scaler: Any = None
        #: optimiser steps taken, and backward passes since the last step
        self.n_steps = 0
        self.pending = 0

    def __repr__(self) -> str:
        return f"Trainer({self.optimizer_name!r}, learning_rate={self.learning_rate}, steps={self.n_steps})"

    def bind(self, backend: Any) -> None:
        """Train ``backend`` (loaded) from now on: a fresh optimiser on its parameters (call
        again after the model changes, e.g. after new token embeddings)."""
        backend.require()
        self.backend = backend
        if self.gradient_checkpointing:
            backend.model.gradient_checkpointing_enable()
        self.optimizer = None
        self.scaler = None
        self.pending = 0

    def _make_optimizer(self) -> None:
        import torch

        params = [p for p in self.backend.model.parameters() if p.requires_grad]
        if self.optimizer_name == "adafactor":
            from transformers.optimization import Adafactor

            self.optimizer = Adafactor(
                params,
                lr=self.learning_rate,
                weight_decay=self.weight_decay,
                scale_parameter=False,
                relative_step=False,
                warmup_init=False,
            )
        else:
            self.optimizer = torch.optim.AdamW(
                params, lr=self.learning_rate, weight_decay=self.weight_decay
            )
        if self.mixed_precision == "fp16" and self.backend.device.type == "cuda":
            self.scaler = torch.amp.GradScaler("cuda")

    def _require(self) -> None:
        if self.backend is None:
            raise XLTError(Errors.E324)
        if self.optimizer is None:
            self._make_optimizer()

    @contextlib.contextmanager
    def training(self) -> Iterator[None]:
        """Train mode and autocast (with ``mixed_precision``) for a forward pass; eval mode after."""
        import torch

        self._require()
        model = self.backend.model
        model.train()
        try:
            if self.mixed_precision == "no":
                yield
            else:
                dtype = torch.bfloat16 if self.mixed_precision == "bf16" else torch.float16
                with torch.autocast(self.backend.device.type, dtype=dtype):
                    yield
        finally:
            model.eval()

    def backward(self, loss: Any) -> None:
        """Accumulate the gradients of ``loss`` (scaled under fp16)."""
        self._require()
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()
        self.pending += 1

    def lr_at(self, step: int) -> float:
        """Learning rate of optimiser step ``step`` (1-based): linear warm-up over
        ``warmup_steps``, then constant, or with ``decay_steps`` a cosine decay to 0 over that
        many steps (the published tagger recipe: 500 warm-up steps, cosine)."""
        if self.warmup_steps and step < self.warmup_steps:
            return self.learning_rate * step / self.warmup_steps
        if not self.decay_steps:
            return self.learning_rate
        done = min(1.0, (step - self.warmup_steps) / self.decay_steps)
        return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * done))

    def step(self) -> bool:
        """Apply the accumulated gradients (clipped), then clear them; False (and nothing
        done) when no backward pass happened since the last step."""
        import torch

        if not self.pending:
            return False
        self._require()
        opt = self.optimizer
        self.n_steps += 1
        for group in opt.param_groups:
            group["lr"] = self.lr_at(self.n_steps)
        if self.scaler is not None:
            self.scaler.unscale_(opt)
        if self.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(self.backend.model.parameters(), self.max_grad_norm)
        if self.scaler is not None:
            self.scaler.step(opt)
            self.scaler.update()
        else:
            opt.step()
        opt.zero_grad(set_to_none=True)
        self.pending = 0
        return True


@registry.misc("spacy_xlt.Trainer.v1")
def make_trainer(
    optimizer: str = "adamw",
    learning_rate: float = 7e-5,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    decay_steps: int = 0,
    max_grad_norm: Optional[float] = 1.0,
    mixed_precision: str = "no",
    gradient_checkpointing: bool = False,
) -> Trainer:
    """Registered constructor of :class:`Trainer` (the ``trainer`` block of a component)."""
    return Trainer(
        optimizer=optimizer,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        warmup_steps=warmup_steps,
        decay_steps=decay_steps,
        max_grad_norm=max_grad_norm,
        mixed_precision=mixed_precision,
        gradient_checkpointing=gradient_checkpointing,
    )
