"""Translator backend: translate text and score translations by forced decoding.

``Translator`` wraps any Hugging Face seq2seq MT model (NLLB-200, M2M100, Marian …) loaded by
name or local folder. Languages are given as ISO 639 codes (``ha``, ``hau``) or as the model's
own codes and mapped by ``spacy_xlt.backends.langcodes``; language tokens are looked up with
``convert_tokens_to_ids`` (NLLB tokenizers no longer have ``lang_code_to_id``).

``score(sources, targets, src, tgt)`` is P(target | source) as NMTScore computes it (the
scorer T-Projection uses): teacher-forced decoding of ``target``, the mean natural-log
cross-entropy over its pieces and the end-of-sentence token (the forced target-language
token excluded), and P = 2 ** (-mean). ``nmtscore_compat=True`` also counts the second
end-of-sentence token that NMTScore appends to every target, reproducing its numbers exactly.

Both calls sort their inputs by length, run ``batch_size`` at a time under
``torch.inference_mode`` and return results in input order. ``counts`` records the work done
(sequences and forward passes), which the T-Projection benchmark reports.
"""

from __future__ import annotations

import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from spacy.util import registry

from ..errors import Errors, XLTError
from .langcodes import STYLES, model_code
from .util import check_min_ints, resolve_device, resolve_dtype

logger = logging.getLogger("spacy_xlt")


def detect_style(tokenizer) -> str:
    """``nllb``, ``m2m100`` or ``plain`` (no language tokens) from the tokenizer class."""
    name = type(tokenizer).__name__.lower()
    if name.startswith("nllb"):
        return "nllb"
    if name.startswith("m2m100"):
        return "m2m100"
    return "plain"


class Translator:
    """A seq2seq translation model: ``translate()`` and forced-decoding ``score()``."""

    def __init__(
        self,
        name_or_path: str,
        *,
        style: str = "auto",
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        batch_size: int = 32,
        max_length: int = 256,
        num_beams: int = 4,
        max_new_tokens: int = 256,
        nmtscore_compat: bool = False,
        revision: Optional[str] = None,
    ) -> None:
        check_min_ints((
            ("batch_size", batch_size, 1),
            ("max_length", max_length, 2),
            ("num_beams", num_beams, 1),
            ("max_new_tokens", max_new_tokens, 1),
        ))
        if style != "auto" and style not in STYLES:
            raise XLTError(Errors.E280.format(style=style, options="auto, " + ", ".join(STYLES)))
        self.name = str(name_or_path)
        self.dtype = dtype
        self.torch_dtype = resolve_dtype(dtype)
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.max_length = max_length
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.nmtscore_compat = bool(nmtscore_compat)
        self.revision = revision
        self._style = style
        self._tokenizer = None
        self._model = None
        #: work done: sequences scored/translated, and the forward/generate calls they took
        self.counts: Dict[str, int] = {
            "scored": 0,
            "score_batches": 0,
            "translated": 0,
            "translate_batches": 0,
            "truncated": 0,
        }

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        """Load the tokenizer and model (done on first use; the only step that may reach the hub)."""
        if self._model is not None:
            return
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(self.name, revision=self.revision)
            model = AutoModelForSeq2SeqLM.from_pretrained(
                self.name, torch_dtype=self.torch_dtype, revision=self.revision
            )
        except (OSError, ValueError) as err:
            raise XLTError(Errors.E282.format(name=self.name, why=err)) from err
        self._tokenizer = tokenizer
        self._style = detect_style(tokenizer) if self._style == "auto" else self._style
        model.eval()
        self._model = model.to(self.device)
        pad = tokenizer.pad_token_id
        self._pad_id = int(pad) if pad is not None else 0
        self._eos_id = tokenizer.eos_token_id

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def tokenizer(self):
        self.load()
        return self._tokenizer

    @property
    def model(self):
        self.load()
        return self._model

    @property
    def style(self) -> str:
        """``nllb``, ``m2m100`` or ``plain``; read from the tokenizer unless set."""
        if self._style == "auto":
            self.load()
        return self._style

    def __repr__(self) -> str:
        return f"Translator({self.name!r}, style={self._style!r}, device={str(self.device)!r}, dtype={self.dtype!r})"

    # ------------------------------------------------------------------ languages

    def code(self, lang: str) -> str:
        """The model's code for ``lang``, checked against the tokenizer's language tokens."""
        code = model_code(lang, self.style)
        if self.style == "plain":
            return code
        self._lang_id(code, lang)
        return code

    def _lang_id(self, code: str, lang: str) -> int:
        token = code if self.style == "nllb" else f"__{code}__"
        token_id = self.tokenizer.convert_tokens_to_ids(token)
        if token_id is None or token_id == self.tokenizer.unk_token_id:
            raise XLTError(
                Errors.E281.format(
                    lang=lang, style=self.style, why=f"{self.name} has no language token {token!r}"
                )
            )
        return int(token_id)

    # ------------------------------------------------------------------ tokenization

    def _encode(self, texts: Sequence[str], lang: str, target: bool) -> List[List[int]]:
        """Token ids with the model's special tokens (language token, </s>), untruncated."""
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise XLTError(Errors.E284.format(index=i, text=repr(text)))
        if not texts:
            return []
        tok = self.tokenizer
        if self.style != "plain":
            code = self.code(lang)
            if target:
                tok.tgt_lang = code
            else:
                tok.src_lang = code
        kwargs = {"text_target": list(texts)} if target else {"text": list(texts)}
        enc = tok(**kwargs, add_special_tokens=True, truncation=False, verbose=False)
        ids = [list(x) for x in enc["input_ids"]]
        return ids

    def _truncate(self, ids: List[int]) -> List[int]:
        if len(ids) <= self.max_length:
            return ids
        self.counts["truncated"] += 1
        return ids[: self.max_length - 1] + ids[-1:]

    def _pad(self, rows: Sequence[List[int]], value: int):
        import torch

        width = max(len(r) for r in rows)
        out = np.full((len(rows), width), value, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
            mask[i, : len(r)] = 1
        return torch.from_numpy(out).to(self.device), torch.from_numpy(mask).to(self.device)

    # ------------------------------------------------------------------ translate

    def translate(
        self,
        texts: Sequence[str],
        src: str,
        tgt: str,
        *,
        num_beams: Optional[int] = None,
        max_new_tokens: Optional[int] = None,
    ) -> List[str]:
        """The translation of each text from ``src`` into ``tgt``, in input order."""
        import torch

        texts = list(texts)
        ids = [self._truncate(x) for x in self._encode(texts, src, target=False)]
        gen: Dict[str, object] = {
            "num_beams": num_beams or self.num_beams,
            "max_new_tokens": max_new_tokens or self.max_new_tokens,
            "do_sample": False,
        }
        if self.style != "plain":
            gen["forced_bos_token_id"] = self._lang_id(self.code(tgt), tgt)
        out: List[str] = [""] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: (-len(ids[i]), i))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                input_ids, mask = self._pad([ids[i] for i in batch], self._pad_id)
                seqs = self.model.generate(input_ids=input_ids, attention_mask=mask, **gen)
                decoded = self.tokenizer.batch_decode(seqs, skip_special_tokens=True)
                for i, text in zip(batch, decoded):
                    out[i] = text.strip()
                self.counts["translate_batches"] += 1
        self.counts["translated"] += len(texts)
        return out

    # ------------------------------------------------------------------ score

    def score(
        self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str
    ) -> np.ndarray:
        """P(target_i | source_i) for each pair: ``2 ** (-mean token cross-entropy)``.

        The language token a multilingual model is forced to start with is not scored; the
        target's pieces and its end-of-sentence token are (and, with ``nmtscore_compat``, a
        second end-of-sentence token, as NMTScore's ``score`` does).
        """
        import torch

        sources, targets = list(sources), list(targets)
        if len(sources) != len(targets):
            raise XLTError(Errors.E285.format(n_src=len(sources), n_tgt=len(targets)))
        if not sources:
            return np.zeros(0, dtype=np.float64)
        src_ids = [self._truncate(x) for x in self._encode(sources, src, target=False)]
        tgt_ids = self._encode(targets, tgt, target=True)
        if self.nmtscore_compat and self._eos_id is not None:
            tgt_ids = [x + [self._eos_id] for x in tgt_ids]
        tgt_ids = [self._truncate(x) for x in tgt_ids]
        skip = 0 if self.style == "plain" else 1
        scores = np.zeros(len(sources), dtype=np.float64)
        order = sorted(range(len(sources)), key=lambda i: (-len(src_ids[i]) - len(tgt_ids[i]), i))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                input_ids, mask = self._pad([src_ids[i] for i in batch], self._pad_id)
                labels, label_mask = self._pad([tgt_ids[i] for i in batch], -100)
                out = self.model(input_ids=input_ids, attention_mask=mask, labels=labels)
                logp = torch.log_softmax(out.logits.float(), dim=-1)
                token_lp = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
                keep = label_mask.bool()
                keep[:, :skip] = False
                n = keep.sum(dim=1).clamp(min=1)
                mean_nll = -(token_lp * keep).sum(dim=1) / n
                probs = torch.pow(2.0, -mean_nll).cpu().numpy()
                scores[batch] = probs
                self.counts["score_batches"] += 1
        self.counts["scored"] += len(sources)
        return scores


@registry.misc("spacy_xlt.Translator.v1")
def make_translator(
    name_or_path: str = "facebook/nllb-200-distilled-600M",
    style: str = "auto",
    device: Union[str, int] = "cpu",
    dtype: str = "float32",
    batch_size: int = 32,
    max_length: int = 256,
    num_beams: int = 4,
    max_new_tokens: int = 256,
    nmtscore_compat: bool = False,
) -> Translator:
    """Registered constructor of :class:`Translator` (NLLB-200 600M distilled by default)."""
    return Translator(
        name_or_path,
        style=style,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        num_beams=num_beams,
        max_new_tokens=max_new_tokens,
        nmtscore_compat=nmtscore_compat,
    )


def split_batches(n: int, size: int) -> List[Tuple[int, int]]:
    """(start, end) of consecutive batches of ``size`` over ``n`` items."""
    return [(i, min(n, i + size)) for i in range(0, n, size)]
