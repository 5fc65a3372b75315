"""Text-to-text backend: an encoder-decoder (mT5, mT0, Flan-T5) or decoder-only (Llama, Qwen,
Gemma) Hugging Face model with its tokenizer, for generation and teacher-forced training.

Built by the registered ``spacy_xlt.Text2TextModel.v1`` from a hub name or a local folder,
but nothing is loaded at construction: ``load()`` runs in the tagger's ``initialize`` (the
only step that may reach the hub) or, from a saved pipeline's own folder, in ``from_disk``.
Works on token ids only; what the ids mean (prompts, tags, constraints) is the caller's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from spacy.util import registry

from ..errors import Errors, XLTError
from .util import resolve_device, resolve_dtype

logger = logging.getLogger("spacy_xlt")

#: Model kinds: ``auto`` reads ``is_encoder_decoder`` from the model config.
KINDS = ("auto", "seq2seq", "causal")


class Text2TextModel:
    """A generator over token ids: ``generate`` and ``loss`` for batches of id lists.

    ``name_or_path``: hub name or local folder (used by ``load()`` without a path).
    ``kind``: ``auto``, ``seq2seq`` (AutoModelForSeq2SeqLM) or ``causal``
    (AutoModelForCausalLM; inputs are prompts, the generated part follows them).
    ``dtype``: float32, float16 or bfloat16 for the weights; ``device``: "cpu", "cuda:N", an
    int GPU index or -1. ``max_input_length`` truncates encoder inputs.
    """

    def __init__(
        self,
        name_or_path: str,
        *,
        kind: str = "auto",
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        revision: Optional[str] = None,
        max_input_length: int = 512,
    ) -> None:
        if kind not in KINDS:
            raise XLTError(
                Errors.E251.format(kind=kind, name=name_or_path, options=", ".join(KINDS))
            )
        self.name = str(name_or_path)
        self.kind = kind
        self.dtype = dtype
        resolve_dtype(dtype)  # check early, before any download
        self.device = resolve_device(device)
        self.revision = revision
        self.max_input_length = int(max_input_length)
        self.tokenizer: Any = None
        self.model: Any = None

    # --- loading and saving ------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.model is not None

    def require(self) -> None:
        if not self.loaded:
            raise XLTError(Errors.E245.format(name=self.name))

    def load(self, path: Union[str, Path, None] = None, *, local_files_only: bool = False) -> None:
        """Load tokenizer and model from ``path`` (a saved folder) or from ``name_or_path``."""
        from transformers import (
            AutoConfig,
            AutoModelForCausalLM,
            AutoModelForSeq2SeqLM,
            AutoTokenizer,
        )

        source = str(path) if path is not None else self.name
        revision = None if path is not None else self.revision
        try:
            config = AutoConfig.from_pretrained(
                source, revision=revision, local_files_only=local_files_only
            )
            kind = self.kind
            if kind == "auto":
                kind = "seq2seq" if getattr(config, "is_encoder_decoder", False) else "causal"
            tokenizer = AutoTokenizer.from_pretrained(
                source, revision=revision, local_files_only=local_files_only
            )
            cls = AutoModelForSeq2SeqLM if kind == "seq2seq" else AutoModelForCausalLM
            model = cls.from_pretrained(
                source,
                revision=revision,
                local_files_only=local_files_only,
                torch_dtype=resolve_dtype(self.dtype),
            )
        except (OSError, ValueError, KeyError) as err:
            raise XLTError(Errors.E244.format(name=source, why=err)) from err
        if tokenizer.pad_token_id is None:  # Llama-style tokenizers ship without one
            tokenizer.pad_token = tokenizer.eos_token
        self.is_encoder_decoder = kind == "seq2seq"
        self.tokenizer = tokenizer
        self.model = model.to(self.device)
        self.model.eval()

    def save(self, path: Union[str, Path]) -> None:
        """Write weights (safetensors), config and tokenizer files (with added tokens)."""
        self.require()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)

    def add_tokens(self, tokens: Sequence[str]) -> int:
        """Add ``tokens`` to the vocabulary (ordinary, not special) and grow the embeddings
        if the model has fewer rows than the tokenizer has tokens; the number added."""
        self.require()
        new = [t for t in tokens if t not in self.tokenizer.get_vocab()]
        if not new:
            return 0
        from transformers.utils import logging as hf_logging

        added = self.tokenizer.add_tokens(new)
        if len(self.tokenizer) > self.model.get_input_embeddings().weight.shape[0]:
            # new rows start at the mean of the old ones (transformers' default; its notice
            # about that is silenced)
            verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()
            try:
                self.model.resize_token_embeddings(len(self.tokenizer))
            finally:
                hf_logging.set_verbosity(verbosity)
        return added

    # --- ids ---------------------------------------------------------------------------

    @property
    def eos_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)

    def encode(self, text: str, special: bool = False) -> List[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def encode_input(self, text: str) -> List[int]:
        """Encoder input or prompt ids, with the tokenizer's special tokens. Encoder inputs
        are truncated to ``max_input_length``; prompts are not (cutting the end of a prompt
        would drop the cue that the continuation follows)."""
        if not self.is_encoder_decoder:
            return list(self.tokenizer(text, add_special_tokens=True)["input_ids"])
        ids = self.tokenizer(
            text, add_special_tokens=True, truncation=True, max_length=self.max_input_length
        )["input_ids"]
        return list(ids)

    def _pad(self, seqs: Sequence[Sequence[int]], value: int, left: bool):
        import torch

        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), value, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            if not s:
                continue
            sl = slice(width - len(s), width) if left else slice(0, len(s))
            ids[i, sl] = torch.tensor(list(s), dtype=torch.long)
            mask[i, sl] = 1
        return ids.to(self.device), mask.to(self.device)

    # --- generation and training -------------------------------------------------------

    def generate(
        self,
        inputs: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        num_beams: int = 1,
        logits_processor: Optional[Any] = None,
    ) -> List[List[int]]:
        """The generated ids of each input (without the decoder start id or the prompt).

        ``logits_processor``: one processor or a list, applied in order.
        """
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        self.require()
        self.model.eval()
        ids, mask = self._pad(inputs, self.pad_id, left=not self.is_encoder_decoder)
        config = GenerationConfig(
            max_new_tokens=int(max_new_tokens),
            num_beams=int(num_beams),
            do_sample=False,
            length_penalty=1.0,
            num_return_sequences=1,
            eos_token_id=self.eos_id,
            pad_token_id=self.pad_id,
            decoder_start_token_id=getattr(self.model.config, "decoder_start_token_id", None),
            bos_token_id=getattr(self.model.config, "bos_token_id", None),
        )
        if logits_processor is None:
            logits_processor = []
        elif not isinstance(logits_processor, (list, tuple)):
            logits_processor = [logits_processor]
        processors = LogitsProcessorList(logits_processor)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                generation_config=config,
                logits_processor=processors,
            )
        start = 1 if self.is_encoder_decoder else ids.shape[1]
        return [row[start:] for row in out.tolist()]

    def loss(self, inputs: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]):
        """Mean token cross-entropy of ``targets`` given ``inputs`` (teacher forcing).

        Decoder-only: each sequence is prompt + target, the prompt masked out of the loss.
        """
        import torch

        if self.is_encoder_decoder:
            ids, mask = self._pad(inputs, self.pad_id, left=False)
            labels, lmask = self._pad(targets, -100, left=False)
            return self.model(input_ids=ids, attention_mask=mask, labels=labels).loss
        seqs = [list(p) + list(t) for p, t in zip(inputs, targets)]
        ids, mask = self._pad(seqs, self.pad_id, left=False)
        labels = torch.full_like(ids, -100)
        for i, (p, t) in enumerate(zip(inputs, targets)):
            labels[i, len(p) : len(p) + len(t)] = torch.tensor(list(t), dtype=torch.long)
        return self.model(input_ids=ids, attention_mask=mask, labels=labels).loss


@registry.misc("spacy_xlt.Text2TextModel.v1")
def make_text2text_model(
    name: str = "bigscience/mt0-xl",
    kind: str = "auto",
    device: Union[str, int, None] = "cpu",
    dtype: str = "float32",
    revision: Optional[str] = None,
    max_input_length: int = 512,
) -> Text2TextModel:
    """A text-to-text model by hub name or local folder; loaded by the tagger's initialize."""
    return Text2TextModel(
        name,
        kind=kind,
        device=device,
        dtype=dtype,
        revision=revision,
        max_input_length=max_input_length,
    )
