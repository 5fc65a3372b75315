"""Translator backend: translate text and score translations by forced decoding.

``Translator`` wraps any Hugging Face seq2seq MT model (NLLB-200, M2M100, Marian …) loaded by
name or local folder. Languages are given as ISO 639 codes (``ha``, ``hau``) or as the model's
own codes and mapped by ``spacy_xlt.backends.langcodes``; language tokens are looked up with
``convert_tokens_to_ids`` (NLLB tokenizers no longer have ``lang_code_to_id``).

``score(sources, targets, src, tgt)`` is P(target | source) as NMTScore computes it (the
scorer T-Projection uses): teacher-forced decoding of ``target``, the mean natural-log
cross-entropy over its pieces and the end-of-sentence token (the forced target-language
token excluded), and P = 2 ** (-mean). By default (``score_style="tprojection"``) a second
end-of-sentence token is scored too, as the NMTScore fork that the T-Projection code installs
does, reproducing the published method's numbers; ``score_style="nmtscore"`` is upstream
NMTScore.

Loading, device, dtype, length-sorted batching and saving are
:class:`~spacy_xlt.backends.hf.HFBackend`'s: the model is loaded in a component's
``initialize`` (or by the ``translate`` command), never on first use.

Both calls sort their inputs by length, run ``batch_size`` at a time under
``torch.inference_mode`` and return results in input order. ``counts`` records the work done
(sequences, batches, truncated inputs), which the T-Projection benchmark reports.

Long inputs: ``translate`` never cuts a text. One longer than ``max_length`` tokens is split
into chunks of whole words that fit (ending after a sentence end, else a clause end, in the
second half of a chunk where there is one; a word longer than that is split by characters),
each chunk is translated and the translations are joined with a space: counted in
``counts["chunked"]`` (texts) and ``counts["chunks"]`` (their pieces). ``score`` must score a
sequence as one, so it cuts a sequence longer than ``max_length`` (keeping its final
special token): counted in ``counts["score_truncated"]``. ``counts["truncated"]`` counts
every sequence cut by either call (nothing, for ``translate``, but a single character
longer than ``max_length`` tokens), and ``counts["unfinished"]`` the translations that ran
out of ``max_new_tokens`` before they ended.
"""

from __future__ import annotations

import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from spacy.util import registry

from ..errors import Errors, XLTError
from .hf import HFBackend, check_texts
from .langcodes import STYLES, model_code
from .util import check_min_ints
from .windows import SENTENCE_ENDS, break_strength, split_chunks

logger = logging.getLogger("spacy_xlt")


def detect_style(tokenizer) -> str:
    """``nllb``, ``m2m100`` or ``plain`` (no language tokens) from the tokenizer class."""
    name = type(tokenizer).__name__.lower()
    if name.startswith("nllb"):
        return "nllb"
    if name.startswith("m2m100"):
        return "m2m100"
    return "plain"


#: How ``score`` counts the end of a target: ``tprojection`` as the T-Projection code runs it
#: (its NMTScore fork scores one extra ``</s>`` after the target's own), ``nmtscore`` as
#: upstream NMTScore (the target's own ``</s>`` only).
SCORE_STYLES = ("tprojection", "nmtscore")


class Translator(HFBackend):
    """A seq2seq translation model: ``translate()`` and forced-decoding ``score()``.

    ``style``: ``auto`` (from the tokenizer class), ``nllb``, ``m2m100`` or ``plain`` (no
    language tokens); ``num_beams`` and ``max_new_tokens`` for ``translate``; ``max_length``:
    the longest input in tokens (``translate`` translates a longer text in chunks, counted in
    ``counts["chunked"]``; ``score`` cuts a longer sequence, counted in
    ``counts["score_truncated"]``); ``score_style``: see :data:`SCORE_STYLES`.
    """

    role = "translation model"

    def __init__(
        self,
        name: str,
        *,
        style: str = "auto",
        revision: Optional[str] = None,
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        batch_size: int = 32,
        max_length: int = 256,
        num_beams: int = 4,
        max_new_tokens: int = 256,
        score_style: str = "tprojection",
    ) -> None:
        check_min_ints((("num_beams", num_beams, 1), ("max_new_tokens", max_new_tokens, 1)))
        if style != "auto" and style not in STYLES:
            raise XLTError(Errors.E280.format(style=style, options="auto, " + ", ".join(STYLES)))
        if score_style not in SCORE_STYLES:
            raise XLTError(
                Errors.E283.format(
                    name="score_style", value=score_style, options=", ".join(SCORE_STYLES)
                )
            )
        super().__init__(
            name,
            revision=revision,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            max_length=max_length,
        )
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.score_style = score_style
        self._style = style

    def _model_class(self, config):
        from transformers import AutoModelForSeq2SeqLM

        return AutoModelForSeq2SeqLM

    def _setup(self, config, saved) -> None:
        if self._style == "auto":
            self._style = detect_style(self.tokenizer)

    @property
    def style(self) -> str:
        """``nllb``, ``m2m100`` or ``plain``; read from the tokenizer unless set."""
        if self._style == "auto":
            self.require()
        return self._style

    def __repr__(self) -> str:
        return f"Translator({self.name!r}, style={self._style!r}, device={str(self.device)!r}, dtype={self.dtype!r})"

    # ------------------------------------------------------------------ languages

    def code(self, lang: str) -> str:
        """The model's code for ``lang``, checked against the tokenizer's language tokens."""
        code = model_code(lang, self.style)
        if self.style == "plain":
            return code
        self.lang_id(code, lang)
        return code

    def lang_id(self, code: str, lang: str) -> int:
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

    def encode_texts(self, texts: Sequence[str], lang: str, target: bool) -> List[List[int]]:
        """Token ids with the model's special tokens (language token, </s>), untruncated."""
        self.require()
        texts = check_texts(texts)
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
        common = {"truncation": False, "verbose": False, "split_special_tokens": True}
        full = tok(**kwargs, add_special_tokens=True, **common)["input_ids"]
        content = tok(**kwargs, add_special_tokens=False, **common)["input_ids"]
        # special-token strings inside a text are text (a span "</s>" must not end it)
        return [self.splice_plain(f, c) for f, c in zip(full, content)]

    def _truncate(self, ids: List[int], key: Optional[str] = None) -> List[int]:
        if len(ids) <= self.max_length:
            return ids
        self.counts["truncated"] += 1
        if key:
            self.counts[key] += 1
        return ids[: self.max_length - 1] + ids[-1:]

    # ------------------------------------------------------------------ long texts

    def _fits(self, texts: Sequence[str], lang: str) -> List[bool]:
        return [len(x) <= self.max_length for x in self.encode_texts(texts, lang, target=False)]

    def _split_word(self, word: str, lang: str, budget: int) -> List[str]:
        """A word (e.g. a text without spaces) longer than ``budget`` tokens, in pieces of
        characters that fit (a single character always stays whole)."""
        todo, out = [word], []
        while todo:
            piece = todo.pop()
            n = len(self.encode_texts([piece], lang, target=False)[0])
            if n <= self.max_length or len(piece) <= 1:
                out.append(piece)
                continue
            size = max(1, min(len(piece) - 1, len(piece) * budget // n))
            # end after a sentence end (a text without spaces: 。！？) in its second half
            ends = [i + 1 for i in range(size // 2, size) if piece[i] in SENTENCE_ENDS]
            size = ends[-1] if ends else size
            todo += [piece[size:], piece[:size]]  # the first piece is popped first
        return out

    def chunk(self, text: str, lang: str) -> List[str]:
        """``text`` (in ``lang``) as ``translate`` translates it: itself when it fits in
        ``max_length`` tokens, else consecutive chunks of its words that each fit, ending
        after a sentence end (else a clause end) where one lies in a chunk's second half; a
        word that alone does not fit is split by characters. The chunks joined with spaces
        are the text's words joined with spaces."""
        if self._fits([text], lang)[0]:
            return [text]
        overhead = len(self.encode_texts([""], lang, target=False)[0])
        budget = max(1, self.max_length - overhead)
        words: List[str] = []
        for word, ids in zip(text.split(), self.encode_texts(text.split(), lang, target=False)):
            words.extend(self._split_word(word, lang, budget) if len(ids) > self.max_length else [word])
        # tokens per word on its own: close to its tokens in the text (each chunk is checked)
        costs = [max(len(x) - overhead, 0) for x in self.encode_texts(words, lang, target=False)]
        strengths = [break_strength(w) for w in words]
        out: List[str] = []
        for s, e in split_chunks(costs, budget, strengths):
            out.extend(self._fitting(words[s:e], costs[s:e], strengths[s:e], lang, budget))
        return out

    def _fitting(self, words, costs, strengths, lang, budget) -> List[str]:
        """``words`` as one text if it fits, else in chunks of a smaller budget that do."""
        text = " ".join(words)
        if len(words) <= 1 or self._fits([text], lang)[0]:
            return [text]
        for shrink in (0.9, 0.75, 0.5, 0.25):
            texts = [" ".join(words[s:e]) for s, e in split_chunks(costs, int(budget * shrink), strengths)]
            if all(self._fits(texts, lang)):
                return texts
        return list(words)

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

        texts = check_texts(texts)
        self.require()
        # a text longer than max_length tokens is translated in chunks that fit
        owner: List[int] = []
        pieces: List[str] = []
        for k, (text, ids) in enumerate(zip(texts, self.encode_texts(texts, src, target=False))):
            parts = [text] if len(ids) <= self.max_length else self.chunk(text, src)
            if len(parts) > 1:
                self.counts["chunked"] += 1
                self.counts["chunks"] += len(parts)
            pieces.extend(parts)
            owner.extend([k] * len(parts))
        ids = [self._truncate(x, "translate_truncated") for x in self.encode_texts(pieces, src, target=False)]
        gen: Dict[str, object] = {
            "num_beams": num_beams or self.num_beams,
            "max_new_tokens": max_new_tokens or self.max_new_tokens,
            "do_sample": False,
        }
        if self.style != "plain":
            gen["forced_bos_token_id"] = self.lang_id(self.code(tgt), tgt)
        done: List[str] = [""] * len(pieces)
        with torch.inference_mode():
            for batch in self.sorted_batches([len(x) for x in ids]):
                input_ids, mask = self.pad([ids[i] for i in batch], self.pad_id)
                seqs = self.model.generate(input_ids=input_ids, attention_mask=mask, **gen)
                # the decoder starts with a special id (</s> for NLLB and M2M100): not an end
                self.counts["unfinished"] += sum(self.eos_id not in row[1:] for row in seqs.tolist())
                decoded = self.tokenizer.batch_decode(seqs, skip_special_tokens=True)
                for i, text in zip(batch, decoded):
                    done[i] = text.strip()
                self.counts["translate_batches"] += 1
        out: List[List[str]] = [[] for _ in texts]
        for k, text in zip(owner, done):
            out[k].append(text)
        self.counts["translated"] += len(texts)
        return [" ".join(t for t in parts if t) for parts in out]

    # ------------------------------------------------------------------ score

    def score(
        self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str
    ) -> np.ndarray:
        """P(target_i | source_i) for each pair: ``2 ** (-mean token cross-entropy)``.

        The language token a multilingual model is forced to start with is not scored; the
        target's pieces and its end-of-sentence token are (and, with ``score_style``
        "tprojection", the default, a second end-of-sentence token, as the NMTScore fork that
        T-Projection installs does).
        """
        sources, targets = list(sources), list(targets)
        if len(sources) != len(targets):
            raise XLTError(Errors.E285.format(n_src=len(sources), n_tgt=len(targets)))
        if not sources:
            return np.zeros(0, dtype=np.float64)
        src_ids = [self._truncate(x, "score_truncated") for x in self.encode_texts(sources, src, target=False)]
        tgt_ids = self.encode_texts(targets, tgt, target=True)
        if self.score_style == "tprojection":
            tgt_ids = [x + [self.eos_id] for x in tgt_ids]
        tgt_ids = [self._truncate(x, "score_truncated") for x in tgt_ids]
        skip = 0 if self.style == "plain" else 1
        scores = np.zeros(len(sources), dtype=np.float64)
        lengths = [len(a) + len(b) for a, b in zip(src_ids, tgt_ids)]
        for batch in self.sorted_batches(lengths):
            scores[batch] = self._score_batch([src_ids[i] for i in batch], [tgt_ids[i] for i in batch], skip)
            self.counts["score_batches"] += 1
        self.counts["scored"] += len(sources)
        return scores

    def _score_batch(self, src_ids: List[List[int]], tgt_ids: List[List[int]], skip: int) -> np.ndarray:
        """``2 ** (-mean natural-log cross-entropy)`` of each target row given its source row
        (one batch, by teacher forcing), its first ``skip`` ids (the forced language token)
        not scored."""
        import torch

        with torch.inference_mode():
            input_ids, mask = self.pad(src_ids, self.pad_id)
            labels, label_mask = self.pad(tgt_ids, -100)
            out = self.model(input_ids=input_ids, attention_mask=mask, labels=labels)
            logp = torch.log_softmax(out.logits.float(), dim=-1)
            token_lp = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            keep = label_mask.bool()
            keep[:, :skip] = False
            n = keep.sum(dim=1).clamp(min=1)
            mean_nll = -(token_lp * keep).sum(dim=1) / n
            return torch.pow(2.0, -mean_nll).cpu().numpy()


@registry.misc("spacy_xlt.Translator.v1")
def make_translator(
    name: str = "facebook/nllb-200-distilled-600M",
    style: str = "auto",
    revision: Optional[str] = None,
    device: Union[str, int] = "cpu",
    dtype: str = "float32",
    batch_size: int = 32,
    max_length: int = 256,
    num_beams: int = 4,
    max_new_tokens: int = 256,
    score_style: str = "tprojection",
) -> Translator:
    """Registered constructor of :class:`Translator` (NLLB-200 600M distilled by default;
    loaded by the component's ``initialize``)."""
    return Translator(
        name,
        style=style,
        revision=revision,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        num_beams=num_beams,
        max_new_tokens=max_new_tokens,
        score_style=score_style,
    )
