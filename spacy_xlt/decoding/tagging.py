"""Tagging with a text-to-text model: inputs, canonical targets, constrained and free decoding.

One canonical segmentation links the tagged-text codec (``spacy_xlt.markup``), the training
targets and the automaton: the inline form with spacing ``both`` split on spaces gives the
items (escaped words and ``<Name>``/``</Name>`` tags, none of which contains a space), and
each item is encoded on its own and the ids concatenated. Tokenizers that do not mark word
starts themselves (byte-level BPE) get a space before each item, so that the output reads
as the ``both`` form; SentencePiece tokenizers add their ``▁`` themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import Errors, XLTError
from ..labels import LabelMap, TokenSpan
from ..markup import encode_inline, escape_word, parse_lenient
from .automaton import TaggingAutomaton
from .processor import ConstrainedLogitsProcessor

#: Default prompt of decoder-only models; ``{text}`` is the sentence, ``{labels}`` the tag names.
DEFAULT_PROMPT = "Tag the {labels} in the sentence.\nSentence: {text}\nTagged:"


@dataclass
class TagResult:
    """One input's predicted spans, and what decoding left out."""

    spans: List[TokenSpan]
    #: the tagging ended because max_new_tokens ran out (constrained mode)
    truncated: bool = False
    #: the generated text (unconstrained mode) or None
    text: Optional[str] = None
    #: (reason, detail) of each tag the lenient parser dropped (unconstrained mode)
    dropped: List[Tuple[str, str]] = field(default_factory=list)


class TagCodec:
    """Words, tags and prompts as token ids for one backend and label set.

    ``model`` is a loaded ``spacy_xlt.backends.text2text.Text2TextModel`` (any
    ``spacy_xlt.ty.Text2TextBackend``). Tags must be encodable without the unknown token (add them to
    the vocabulary otherwise, XLTE246).
    """

    def __init__(
        self,
        model,
        labels: Sequence[str],
        label_map: Optional[LabelMap] = None,
        prompt_template: str = DEFAULT_PROMPT,
    ):
        self.model = model
        self.labels = list(labels)
        self.label_map = label_map if label_map is not None else LabelMap()
        if "{text}" not in prompt_template:
            raise XLTError(Errors.E247.format(template=prompt_template))
        self.prompt_template = prompt_template
        self.prefix = "" if model.encode(" a") == model.encode("a") else " "
        self._word_cache: Dict[str, List[int]] = {}
        self.open_ids: Dict[str, List[int]] = {}
        self.close_ids: Dict[str, List[int]] = {}
        self.tag_ids: Dict[str, List[int]] = {}
        unk = getattr(model.tokenizer, "unk_token_id", None)
        for label in self.labels:
            name = self.label_map.name(label)
            for tag, table in ((f"<{name}>", self.open_ids), (f"</{name}>", self.close_ids)):
                ids = self._tag(tag)
                if unk is not None and unk in ids:
                    pieces = model.tokenizer.convert_ids_to_tokens(ids)
                    raise XLTError(Errors.E246.format(tag=tag, pieces=pieces, name=model.name))
                table[label] = self.tag_ids[tag] = ids
        self.end_ids = [model.eos_id] + ([model.pad_id] if model.pad_id != model.eos_id else [])
        self.counts: Counter = Counter()

    def _tag(self, tag: str) -> List[int]:
        vocab_id = self.model.tokenizer.get_added_vocab().get(tag)
        if vocab_id is not None:  # an added tag token: one id, no space before it
            return [int(vocab_id)]
        return self.model.encode(self.prefix + tag)

    def word_ids(self, word: str) -> List[int]:
        """The ids of one word item (escaped, with the item prefix); never empty."""
        ids = self._word_cache.get(word)
        if ids is None:
            ids = self.model.encode(self.prefix + escape_word(word))
            if not ids:  # e.g. a character the normaliser deletes
                unk = getattr(self.model.tokenizer, "unk_token_id", None)
                ids = [int(unk)] if unk is not None else self.model.encode(self.prefix + "?")
                self.counts["empty_words"] += 1
            self._word_cache[word] = ids
        return ids

    def items(self, words: Sequence[str], spans: Sequence[TokenSpan], record: str) -> List[str]:
        """The canonical items of a tagging: the ``both`` inline form split on spaces."""
        if not words:
            return []
        return encode_inline(words, spans, self.label_map, "both", record).split(" ")

    def target(
        self, words: Sequence[str], spans: Sequence[TokenSpan], record: str = "the sentence"
    ) -> List[int]:
        """Training target ids (ending with the end id) built from the codec's items."""
        out: List[int] = []
        words_iter = iter(words)
        for item in self.items(words, spans, record):
            ids = self.tag_ids.get(item)
            if ids is None:
                word = next(words_iter)
                ids = self.word_ids(word)
            out.extend(ids)
        out.append(self.model.eos_id)
        return out

    def input_text(self, words: Sequence[str]) -> str:
        """The sentence as the model reads it: escaped words joined by spaces."""
        return encode_inline(words, [], self.label_map, "both") if words else ""

    def input_ids(self, words: Sequence[str]) -> List[int]:
        """Encoder input, or the prompt of a decoder-only model."""
        text = self.input_text(words)
        if not self.model.is_encoder_decoder:
            names = ", ".join(self.label_map.name(lab) for lab in self.labels)
            text = self.prompt_template.format(text=text, labels=names)
        return self.model.encode_input(text)

    def automaton(self, words: Sequence[str], record: str = "the sentence") -> TaggingAutomaton:
        return TaggingAutomaton(
            [self.word_ids(w) for w in words], self.open_ids, self.close_ids, self.end_ids, record
        )

    def max_new_tokens(self, word_lists: Sequence[Sequence[str]]) -> int:
        """Enough new ids for any tagging of the longest input (every word its own span)."""
        tags = max(
            (len(self.open_ids[lab]) + len(self.close_ids[lab]) for lab in self.labels), default=0
        )
        return max(
            (sum(len(self.word_ids(w)) + tags for w in words) + 1 for words in word_lists),
            default=1,
        )


def tag_batch(
    codec: TagCodec,
    word_lists: Sequence[Sequence[str]],
    *,
    constrained: bool = True,
    num_beams: int = 1,
    max_new_tokens: Optional[int] = None,
    records: Optional[Sequence[str]] = None,
) -> List[TagResult]:
    """Tag a batch of sentences (empty ones get no spans and no generation)."""
    results: List[Optional[TagResult]] = [None] * len(word_lists)
    todo = [i for i, words in enumerate(word_lists) if len(words)]
    for i, words in enumerate(word_lists):
        if not len(words):
            results[i] = TagResult([])
    if not todo:
        return results  # type: ignore[return-value]
    lists = [list(word_lists[i]) for i in todo]
    names = [records[i] if records else f"sentence {i}" for i in todo]
    limit = codec.max_new_tokens(lists)
    if max_new_tokens is not None:
        limit = min(limit, int(max_new_tokens))
    inputs = [codec.input_ids(words) for words in lists]
    automata: List[TaggingAutomaton] = []
    processor_for = None
    if constrained:
        automata = [codec.automaton(words, name) for words, name in zip(lists, names)]

        def processor_for(rows: List[int]) -> ConstrainedLogitsProcessor:
            # one automaton per row of the backend's (length-sorted) batch
            return ConstrainedLogitsProcessor(
                [automata[r] for r in rows], num_beams, fallback_ids=codec.end_ids
            )

    generated = codec.model.generate_ids(
        inputs, max_new_tokens=limit, num_beams=num_beams, processor_for=processor_for
    )
    outputs = [seqs[0] for seqs in generated]
    for k, (i, words, ids) in enumerate(zip(todo, lists, outputs)):
        if constrained:
            parse = automata[k].parse(ids, strict=False)
            results[i] = TagResult(parse.spans, truncated=not parse.complete)
            codec.counts["truncated"] += not parse.complete
        else:
            text = codec.model.tokenizer.decode(ids, skip_special_tokens=True)
            lenient = parse_lenient(text, words, codec.label_map, known_labels=codec.labels)
            results[i] = TagResult(lenient.spans, text=text, dropped=lenient.dropped)
            codec.counts.update(lenient.counts)
    return results  # type: ignore[return-value]
