"""Generator backend: T-Projection's candidate generator, a seq2seq model (mT5 …) over strings.

``generate`` runs beam search returning N sequences per input (length-sorted batches,
results in input order); ``loss`` is the teacher-forced loss of target strings, which the
component's trainer (``spacy_xlt.Trainer.v1``) minimises. Everything else (loading in
``initialize`` only, device, dtype, saving inside the pipeline) is
:class:`~spacy_xlt.backends.hf.HFBackend`'s, through :class:`Text2TextModel`.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Union

from spacy.util import registry

from ..errors import Errors, XLTError
from .hf import check_texts
from .text2text import Text2TextModel
from .util import check_min_ints


class Seq2SeqGenerator(Text2TextModel):
    """Beam-search generation and teacher-forced loss of a seq2seq model over strings.

    Inputs (and training targets) longer than ``max_length`` tokens are cut and counted in
    ``counts["truncated"]`` (``truncated_targets``); T-Projection never lets that happen to
    its inputs: it measures them with :meth:`input_lengths` and gives a long target to the
    generator in windows that fit (``spacy_xlt.projection.tprojection``). ``max_new_tokens``
    bounds each generated sequence; sequences that reach it before their end are counted in
    ``counts["unfinished"]``.
    """

    role = "T-Projection generator"

    def __init__(
        self,
        name: str,
        *,
        revision: Optional[str] = None,
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        batch_size: int = 8,
        max_length: int = 256,
        max_new_tokens: int = 64,
    ) -> None:
        check_min_ints((("max_new_tokens", max_new_tokens, 1),))
        super().__init__(
            name,
            kind="seq2seq",
            revision=revision,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            max_length=max_length,
        )
        self.max_new_tokens = max_new_tokens

    def _encode_texts(self, texts: Sequence[str]) -> List[List[int]]:
        return [self.encode_input(text) for text in check_texts(texts)]

    def input_lengths(self, texts: Sequence[str]) -> List[int]:
        """The length in tokens of each text as an input (special tokens included), uncut:
        what ``max_length`` is compared with."""
        self.require()
        return [len(self.encode(text, special=True)) for text in check_texts(texts)]

    def generate(
        self, inputs: Sequence[str], num_beams: int = 16, num_return_sequences: Optional[int] = None
    ) -> List[List[str]]:
        """``num_return_sequences`` (default ``num_beams``) beam sequences per input, best first."""
        self.require()
        n_return = num_return_sequences or num_beams
        ids = self._encode_texts(inputs)
        if not ids:
            return []
        seqs = self.generate_ids(
            ids,
            max_new_tokens=self.max_new_tokens,
            num_beams=num_beams,
            num_return_sequences=n_return,
            early_stopping=True,
        )
        self.counts["sequences"] += len(ids) * n_return
        self.counts["unfinished"] += sum(self.eos_id not in seq for rows in seqs for seq in rows)
        return [
            [t.strip() for t in self.tokenizer.batch_decode(rows, skip_special_tokens=True)]
            for rows in seqs
        ]

    def loss(self, inputs: Sequence[str], targets: Sequence[str]):
        """Mean token cross-entropy of ``targets`` given ``inputs`` (a tensor with grad)."""
        self.require()
        targets = check_texts(targets)
        if len(inputs) != len(targets):
            raise XLTError(Errors.E285.format(n_src=len(inputs), n_tgt=len(targets)))
        labels = []
        for text in targets:
            ids = self.encode(text, special=True)
            if len(ids) > self.max_length:
                self.counts["truncated_targets"] += 1
                ids = ids[: self.max_length - 1] + ids[-1:]
            labels.append(list(ids))
        return self.loss_ids(self._encode_texts(inputs), labels)


@registry.misc("spacy_xlt.Seq2SeqGenerator.v1")
def make_seq2seq_generator(
    name: str = "google/mt5-large",
    revision: Optional[str] = None,
    device: Union[str, int] = "cpu",
    dtype: str = "float32",
    batch_size: int = 8,
    max_length: int = 256,
    max_new_tokens: int = 64,
) -> Seq2SeqGenerator:
    """Registered constructor of :class:`Seq2SeqGenerator` (mt5-large by default; nothing is
    loaded until the component's ``initialize``). Its training settings are the component's
    ``trainer`` block."""
    return Seq2SeqGenerator(
        name,
        revision=revision,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        max_new_tokens=max_new_tokens,
    )
