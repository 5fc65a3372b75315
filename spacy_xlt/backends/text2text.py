"""Text-to-text backend: an encoder-decoder (mT5, mT0, Flan-T5) or decoder-only (Llama, Qwen,
Gemma) Hugging Face model with its tokenizer, for generation and teacher-forced training over
token ids.

Built by the registered ``spacy_xlt.Text2TextModel.v1`` from a hub name or a local folder;
loading, device, dtype, batching and saving are :class:`~spacy_xlt.backends.hf.HFBackend`'s.
Works on token ids only; what the ids mean (prompts, tags, constraints) is the caller's
(``spacy_xlt.decoding.tagging``). ``Seq2SeqGenerator`` adds a string interface on top.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, List, Optional, Sequence, Union

from spacy.util import registry

from ..errors import Errors, XLTError
from .hf import HFBackend

logger = logging.getLogger("spacy_xlt")

#: Model kinds: ``auto`` reads ``is_encoder_decoder`` from the model config.
KINDS = ("auto", "seq2seq", "causal")

#: Builds the logits processor(s) of one generate() batch from the indices (into the inputs)
#: of the rows in that batch, in batch order.
ProcessorFactory = Callable[[List[int]], Any]


class Text2TextModel(HFBackend):
    """Generation and teacher-forced loss for batches of token-id lists.

    ``kind``: ``auto``, ``seq2seq`` (AutoModelForSeq2SeqLM) or ``causal``
    (AutoModelForCausalLM; inputs are prompts, the generated part follows them, padded on
    the left). ``max_length`` cuts encoder inputs (counted in ``counts["truncated"]``);
    prompts are never cut (cutting the end of a prompt would drop the cue that the
    continuation follows). The tagger (``spacy_xlt.decoding.tagging``) never lets either
    happen but to a single word longer than ``max_length``: it tags a longer sentence in
    windows that fit.
    """

    role = "text-to-text model"

    def __init__(
        self,
        name: str,
        *,
        kind: str = "auto",
        revision: Optional[str] = None,
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        batch_size: int = 8,
        max_length: int = 512,
    ) -> None:
        if kind not in KINDS:
            raise XLTError(Errors.E251.format(kind=kind, name=name, options=", ".join(KINDS)))
        super().__init__(
            name,
            revision=revision,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            max_length=max_length,
        )
        self.kind = kind
        self.is_encoder_decoder = kind != "causal"

    @property
    def padding_side(self) -> str:  # type: ignore[override]
        return "right" if self.is_encoder_decoder else "left"

    def _model_class(self, config: Any) -> Any:
        from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

        kind = self.kind
        if kind == "auto":
            kind = "seq2seq" if getattr(config, "is_encoder_decoder", False) else "causal"
        self.is_encoder_decoder = kind == "seq2seq"
        return AutoModelForSeq2SeqLM if self.is_encoder_decoder else AutoModelForCausalLM

    def _setup(self, config: Any, saved: dict) -> None:
        if self.tokenizer.pad_token_id is None:  # Llama-style tokenizers ship without one
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def add_tokens(self, tokens: Sequence[str]) -> int:
        """Add ``tokens`` to the vocabulary (ordinary, not special) and grow the embeddings
        if the model has fewer rows than the tokenizer has tokens; the number added."""
        self.require()
        new = [t for t in tokens if t not in self.tokenizer.get_vocab()]
        if not new:
            return 0
        from transformers.utils import logging as hf_logging

        added = self.tokenizer.add_tokens(new)
        n_rows = self.model.get_input_embeddings().weight.shape[0]
        if len(self.tokenizer) > n_rows:
            verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()  # its notice about the new rows' initialisation
            try:
                self.model.resize_token_embeddings(len(self.tokenizer), mean_resizing=False)
            finally:
                hf_logging.set_verbosity(verbosity)
            self._init_rows(n_rows)
        return added

    def _init_rows(self, first: int) -> None:
        """New embedding rows (from ``first`` on) drawn around the old rows' mean with their
        spread, from a generator seeded by each token's text: the same tokens get the same
        rows in every process (transformers' own initialisation draws from torch's global
        generator, so two runs of one config would differ)."""
        import zlib

        import torch

        tables = [self.model.get_input_embeddings()]
        output = self.model.get_output_embeddings()
        if output is not None and output.weight is not tables[0].weight:
            tables.append(output)
        with torch.no_grad():
            for table in tables:
                weight = table.weight
                old = weight[:first].float()
                mean, std = old.mean(dim=0), old.std(dim=0)
                for row in range(first, weight.shape[0]):
                    token = self.tokenizer.convert_ids_to_tokens(row) or str(row)
                    gen = torch.Generator().manual_seed(zlib.crc32(token.encode("utf8")))
                    noise = torch.randn(weight.shape[1], generator=gen)
                    weight[row] = (mean + std * noise).to(weight.dtype)

    # --- ids -------------------------------------------------------------------------------

    def encode(self, text: str, special: bool = False) -> List[int]:
        """Token ids of ``text`` (with the tokenizer's special tokens where ``special``).
        Special-token strings in the text (``</s>``, ``<pad>`` …) become ordinary pieces,
        never the special ids (:meth:`~HFBackend.plain_ids`): a word such as ``</s>`` must
        not end a sequence."""
        self.require()
        # verbose=False: no warning for a text longer than the model's positions (the
        # callers measure such texts to cut them into windows)
        content = self.tokenizer(text, add_special_tokens=False, split_special_tokens=True, verbose=False)["input_ids"]
        if not special:
            return self.plain_ids(content)
        full = self.tokenizer(text, add_special_tokens=True, split_special_tokens=True, verbose=False)["input_ids"]
        return self.splice_plain(full, content)

    def encode_input(self, text: str) -> List[int]:
        """Encoder input or prompt ids, with the tokenizer's special tokens; encoder inputs
        longer than ``max_length`` are cut (keeping the final special token) and counted."""
        ids = self.encode(text, special=True)
        if not self.is_encoder_decoder or len(ids) <= self.max_length:
            return ids
        self.counts["truncated"] += 1
        tail = ids[-1:] if ids[-1] == self.tokenizer.eos_token_id else []
        return ids[: self.max_length - len(tail)] + tail

    # --- generation and training -----------------------------------------------------------

    def generate_ids(
        self,
        inputs: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        num_beams: int = 1,
        num_return_sequences: int = 1,
        early_stopping: bool = False,
        processor_for: Optional[ProcessorFactory] = None,
    ) -> List[List[List[int]]]:
        """Beam search over length-sorted batches of ``batch_size`` inputs: for each input,
        ``num_return_sequences`` generated id lists, best first (without the decoder start id
        or the prompt), in input order. ``processor_for(indices)`` gives the logits
        processor(s) of the batch holding those inputs; ``early_stopping`` is generate()'s
        (stop a beam search once ``num_beams`` hypotheses are finished)."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        self.require()
        self.model.eval()
        config = GenerationConfig(
            max_new_tokens=int(max_new_tokens),
            num_beams=int(num_beams),
            num_return_sequences=int(num_return_sequences),
            do_sample=False,
            length_penalty=1.0,
            early_stopping=bool(early_stopping),
            eos_token_id=self.eos_id,
            pad_token_id=self.pad_id,
            decoder_start_token_id=getattr(self.model.config, "decoder_start_token_id", None),
            bos_token_id=getattr(self.model.config, "bos_token_id", None),
        )
        out: List[List[List[int]]] = [[] for _ in inputs]
        for batch in self.sorted_batches([len(x) for x in inputs]):
            ids, mask = self.pad([inputs[i] for i in batch], self.pad_id)
            processors = processor_for(batch) if processor_for is not None else []
            if not isinstance(processors, (list, tuple)):
                processors = [processors]
            with torch.inference_mode():
                seqs = self.model.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    generation_config=config,
                    logits_processor=LogitsProcessorList(processors),
                ).tolist()
            start = 1 if self.is_encoder_decoder else ids.shape[1]
            n = int(num_return_sequences)
            for row, i in enumerate(batch):
                out[i] = [seq[start:] for seq in seqs[row * n : (row + 1) * n]]
            self.counts["batches"] += 1
        self.counts["inputs"] += len(inputs)
        return out

    def loss_ids(self, inputs: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]):
        """Mean token cross-entropy of ``targets`` given ``inputs`` (teacher forcing), a tensor
        with grad. Decoder-only: each sequence is prompt + target, the prompt masked out."""
        import torch

        self.require()
        if len(inputs) != len(targets):
            raise XLTError(Errors.E285.format(n_src=len(inputs), n_tgt=len(targets)))
        if self.is_encoder_decoder:
            ids, mask = self.pad(inputs, self.pad_id, left=False)
            labels, _ = self.pad(targets, -100, left=False)
            return self.model(input_ids=ids, attention_mask=mask, labels=labels).loss
        seqs = [list(p) + list(t) for p, t in zip(inputs, targets)]
        ids, mask = self.pad(seqs, self.pad_id, left=False)
        labels = torch.full_like(ids, -100)
        for i, (p, t) in enumerate(zip(inputs, targets)):
            labels[i, len(p) : len(p) + len(t)] = torch.tensor(list(t), dtype=torch.long)
        return self.model(input_ids=ids, attention_mask=mask, labels=labels).loss


@registry.misc("spacy_xlt.Text2TextModel.v1")
def make_text2text_model(
    name: str = "bigscience/mt0-xl",
    kind: str = "auto",
    revision: Optional[str] = None,
    device: Union[str, int, None] = "cpu",
    dtype: str = "float32",
    batch_size: int = 8,
    max_length: int = 512,
) -> Text2TextModel:
    """A text-to-text model by hub name or local folder; loaded by the tagger's initialize."""
    return Text2TextModel(
        name,
        kind=kind,
        revision=revision,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
    )
