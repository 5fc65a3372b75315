"""Generator backend: a Hugging Face seq2seq model (mT5 …) that writes text for text inputs.

T-Projection's candidate generator: ``generate`` runs beam search returning N sequences per
input (length-sorted batches, results in input order); ``loss``/``step`` fine-tune it on
(input, target) strings with its own torch optimizer (Adafactor, as the paper, or AdamW).

Built by the registered ``spacy_xlt.Seq2SeqGenerator.v1`` without loading anything: ``load()``
runs in the component's ``initialize`` (the only step that may reach the hub) or, from a
saved pipeline's own folder, in ``from_disk``; ``save()`` writes weights, config and tokenizer
files so that ``spacy.load`` works offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from spacy.util import registry

from ..errors import Errors, XLTError
from .util import check_min_ints, resolve_device, resolve_dtype

OPTIMIZERS = ("adafactor", "adamw")


class Seq2SeqGenerator:
    """Beam-search generation and teacher-forced training of a seq2seq model over strings."""

    def __init__(
        self,
        name_or_path: str,
        *,
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        batch_size: int = 8,
        max_length: int = 256,
        max_new_tokens: int = 64,
        optimizer: str = "adafactor",
        learn_rate: float = 1e-4,
        revision: Optional[str] = None,
    ) -> None:
        check_min_ints((
            ("batch_size", batch_size, 1),
            ("max_length", max_length, 2),
            ("max_new_tokens", max_new_tokens, 1),
        ))
        if optimizer not in OPTIMIZERS:
            raise XLTError(
                Errors.E283.format(name="optimizer", value=optimizer, options=", ".join(OPTIMIZERS))
            )
        if not isinstance(learn_rate, (int, float)) or learn_rate <= 0:
            raise XLTError(
                Errors.E283.format(name="learn_rate", value=learn_rate, options="a number > 0")
            )
        self.name = str(name_or_path)
        self.dtype = dtype
        self.torch_dtype = resolve_dtype(dtype)
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.max_length = max_length
        self.max_new_tokens = max_new_tokens
        self.optimizer_name = optimizer
        self.learn_rate = float(learn_rate)
        self.revision = revision
        self.tokenizer: Any = None
        self.model: Any = None
        self._optimizer: Any = None
        #: work done: inputs generated for, sequences returned, generate() batches, train steps
        self.counts = {"inputs": 0, "sequences": 0, "batches": 0, "steps": 0}

    def __repr__(self) -> str:
        return f"Seq2SeqGenerator({self.name!r}, device={str(self.device)!r}, dtype={self.dtype!r})"

    # --- loading and saving ------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.model is not None

    def load(self, path: Union[str, Path, None] = None) -> None:
        """Load from ``path`` (a saved folder, offline) or from ``name_or_path``."""
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        source = str(path) if path is not None else self.name
        revision = None if path is not None else self.revision
        local = path is not None
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                source, revision=revision, local_files_only=local
            )
            model = AutoModelForSeq2SeqLM.from_pretrained(
                source, revision=revision, torch_dtype=self.torch_dtype, local_files_only=local
            )
        except (OSError, ValueError, KeyError) as err:
            raise XLTError(Errors.E288.format(name=source, why=err)) from err
        self.tokenizer = tokenizer
        self.model = model.to(self.device)
        self.model.eval()
        self._optimizer = None

    def save(self, path: Union[str, Path]) -> None:
        """Write weights (safetensors), config and tokenizer files."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)

    def _require(self, who: str) -> None:
        if not self.loaded:
            raise XLTError(Errors.E289.format(name=who))

    # --- batching ------------------------------------------------------------------------

    def _encode(self, texts: Sequence[str], target: bool = False) -> List[List[int]]:
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise XLTError(Errors.E284.format(index=i, text=repr(text)))
        if not texts:
            return []
        kwargs = {"text_target": list(texts)} if target else {"text": list(texts)}
        enc = self.tokenizer(**kwargs, truncation=True, max_length=self.max_length)
        return [list(x) for x in enc["input_ids"]]

    def _pad(self, rows: Sequence[Sequence[int]], value: int):
        import torch

        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), value, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(list(r), dtype=torch.long)
            mask[i, : len(r)] = 1
        return ids.to(self.device), mask.to(self.device)

    # --- generation ------------------------------------------------------------------------

    def generate(
        self, inputs: Sequence[str], num_beams: int = 16, num_return_sequences: Optional[int] = None
    ) -> List[List[str]]:
        """``num_return_sequences`` (default ``num_beams``) beam sequences per input, best first."""
        import torch

        self._require("the T-Projection generator")
        n_return = num_return_sequences or num_beams
        ids = self._encode(list(inputs))
        pad = self.tokenizer.pad_token_id
        pad = 0 if pad is None else int(pad)
        out: List[List[str]] = [[] for _ in ids]
        order = sorted(range(len(ids)), key=lambda i: (-len(ids[i]), i))
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                input_ids, mask = self._pad([ids[i] for i in batch], pad)
                seqs = self.model.generate(
                    input_ids=input_ids,
                    attention_mask=mask,
                    num_beams=num_beams,
                    num_return_sequences=n_return,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    early_stopping=True,
                )
                texts = self.tokenizer.batch_decode(seqs, skip_special_tokens=True)
                for row, i in enumerate(batch):
                    out[i] = [t.strip() for t in texts[row * n_return : (row + 1) * n_return]]
                self.counts["batches"] += 1
        self.counts["inputs"] += len(ids)
        self.counts["sequences"] += len(ids) * n_return
        return out

    # --- training --------------------------------------------------------------------------

    def loss(self, inputs: Sequence[str], targets: Sequence[str]):
        """Mean token cross-entropy of ``targets`` given ``inputs`` (a tensor with grad)."""
        self._require("the T-Projection generator")
        if len(inputs) != len(targets):
            raise XLTError(Errors.E285.format(n_src=len(inputs), n_tgt=len(targets)))
        src = self._encode(list(inputs))
        tgt = self._encode(list(targets), target=True)
        pad = self.tokenizer.pad_token_id
        input_ids, mask = self._pad(src, 0 if pad is None else int(pad))
        labels, _ = self._pad(tgt, -100)
        self.model.train()
        return self.model(input_ids=input_ids, attention_mask=mask, labels=labels).loss

    def step(self) -> None:
        """Apply the accumulated gradients with the generator's optimizer, then clear them."""
        self._require("the T-Projection generator")
        if self._optimizer is None:
            self._optimizer = self._make_optimizer()
        self._optimizer.step()
        self._optimizer.zero_grad(set_to_none=True)
        self.counts["steps"] += 1

    def _make_optimizer(self):
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.optimizer_name == "adafactor":
            from transformers.optimization import Adafactor

            return Adafactor(
                params,
                lr=self.learn_rate,
                scale_parameter=False,
                relative_step=False,
                warmup_init=False,
            )
        import torch

        return torch.optim.AdamW(params, lr=self.learn_rate)


@registry.misc("spacy_xlt.Seq2SeqGenerator.v1")
def make_seq2seq_generator(
    name_or_path: str = "google/mt5-large",
    device: Union[str, int] = "cpu",
    dtype: str = "float32",
    batch_size: int = 8,
    max_length: int = 256,
    max_new_tokens: int = 64,
    optimizer: str = "adafactor",
    learn_rate: float = 1e-4,
) -> Seq2SeqGenerator:
    """Registered constructor of :class:`Seq2SeqGenerator` (mt5-large by default; nothing is
    loaded until the component's ``initialize``)."""
    return Seq2SeqGenerator(
        name_or_path,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        max_new_tokens=max_new_tokens,
        optimizer=optimizer,
        learn_rate=learn_rate,
    )
