"""Tagging with a text-to-text model: inputs, canonical targets, constrained and free decoding.

One canonical segmentation links the tagged-text codec (``spacy_xlt.markup``), the training
targets and the automaton: the inline form with spacing ``both`` split on spaces gives the
items (escaped words and ``<Name>``/``</Name>`` tags, none of which contains a space), and
each item is encoded on its own and the ids concatenated. Tokenizers that do not mark word
starts themselves (byte-level BPE) get a space before each item, so that the output reads
as the ``both`` form; SentencePiece tokenizers add their ``▁`` themselves.

Long sentences: a sentence whose input is longer than the model's ``max_length`` tokens, or
whose tagging could need more than ``max_new_tokens`` new ids (every word its own span), is
tagged in overlapping windows of whole words that fit both (consecutive windows share half
a window), so no word is left out of the input and no output runs out of ids. The windows'
spans are merged into one tagging of the whole sentence
(:func:`spacy_xlt.backends.windows.merge_window_spans`): a span is taken from a window only
if, of the windows that hold it whole, that one gives it the most context, so a span that
crosses one window's border is read whole from the next, a window never overrules the one
that sees the same words in its middle (its "no span" included), and where windows still
disagree the span with more context wins and the others are counted (``window_conflicts``). Training examples too long for one
input are cut into windows whose borders never fall inside a gold span
(:meth:`TagCodec.training_windows`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..backends.windows import (
    Window,
    break_strength,
    merge_window_spans,
    plan_windows,
    span_chunks,
)
from ..errors import Errors, XLTError
from ..labels import LabelMap, TokenSpan
from ..markup import encode_inline, escape_word, parse_lenient
from .automaton import TaggingAutomaton
from .processor import ConstrainedLogitsProcessor

#: Default prompt of decoder-only models; ``{text}`` is the sentence, ``{labels}`` the tag names.
DEFAULT_PROMPT = "Tag the {labels} in the sentence.\nSentence: {text}\nTagged:"


#: Share of a window that consecutive windows over a long sentence have in common.
WINDOW_OVERLAP = 0.5
#: The scale of the costs that windows are planned with when two limits apply.
_SCALE = 1 << 20


@dataclass
class TagResult:
    """One input's predicted spans, and what decoding left out."""

    spans: List[TokenSpan]
    #: the tagging (of a window) ended because max_new_tokens ran out (constrained mode)
    truncated: bool = False
    #: the generated text (unconstrained mode; windows' texts joined by newlines) or None
    text: Optional[str] = None
    #: (reason, detail) of each tag the lenient parser dropped (unconstrained mode)
    dropped: List[Tuple[str, str]] = field(default_factory=list)
    #: the windows the sentence was tagged in (1: it fitted; 0: no words)
    windows: int = 1
    #: the model's input was cut at max_length (only a window of one word too long for it)
    input_truncated: bool = False
    #: spans dropped where overlapping windows disagreed
    window_conflicts: int = 0


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

    def _model_text(self, words: Sequence[str]) -> str:
        text = self.input_text(words)
        if not self.model.is_encoder_decoder:
            names = ", ".join(self.label_map.name(lab) for lab in self.labels)
            text = self.prompt_template.format(text=text, labels=names)
        return text

    def input_ids(self, words: Sequence[str]) -> List[int]:
        """Encoder input, or the prompt of a decoder-only model (cut at the model's
        ``max_length`` if it is an encoder input longer than that: :meth:`windows` keeps
        inputs short enough)."""
        return self.model.encode_input(self._model_text(words))

    def input_length(self, words: Sequence[str]) -> int:
        """The length of :meth:`input_ids`, uncut."""
        return len(self.model.encode(self._model_text(words), special=True))

    @property
    def max_length(self) -> Optional[int]:
        """The longest input of the model (None: no limit)."""
        limit = getattr(self.model, "max_length", None)
        return limit if isinstance(limit, int) and limit > 0 else None

    def _tag_cost(self) -> int:
        return max(
            (len(self.open_ids[lab]) + len(self.close_ids[lab]) for lab in self.labels), default=0
        )

    def need(self, words: Sequence[str]) -> int:
        """New ids enough for any tagging of ``words`` (every word its own span), end included."""
        tags = self._tag_cost()
        return sum(len(self.word_ids(w)) + tags for w in words) + 1

    def _plan(self, words, budget_in, budget_out, plan) -> List[Window]:
        """Windows from ``plan(costs, budget)`` that fit ``budget_in`` input ids (checked by
        encoding, planned again smaller while one does not) and ``budget_out`` new ids."""
        limit = self.max_length
        word_costs = [len(self.word_ids(w)) for w in words]
        tags = self._tag_cost()
        windows: List[Window] = []
        for _ in range(8):
            if budget_out is None:
                costs, budget = word_costs, budget_in
            else:  # both limits: costs as shares of each budget, the larger share
                costs = [
                    max(
                        0 if budget_in is None else -(-c * _SCALE // max(budget_in, 1)),
                        -(-(c + tags) * _SCALE // max(budget_out, 1)),
                    )
                    for c in word_costs
                ]
                budget = _SCALE
            windows = plan(costs, budget)
            if limit is None or budget_in is None:
                break
            # a window of one word cannot be made smaller: it is cut (and counted)
            over = max((self.input_length(words[a:b]) - limit for a, b in windows if b - a > 1), default=0)
            if over <= 0 or budget_in <= 1:
                break
            budget_in = max(1, budget_in - over)
        return windows

    def _budgets(self, max_new_tokens: Optional[int]) -> Tuple[Optional[int], Optional[int]]:
        limit = self.max_length
        budget_in = None if limit is None else max(1, limit - self.input_length([]))
        budget_out = None if max_new_tokens is None else max(1, int(max_new_tokens) - 1)
        return budget_in, budget_out

    def windows(self, words: Sequence[str], max_new_tokens: Optional[int] = None) -> List[Window]:
        """The windows ``words`` are tagged in: ``[(0, n)]`` when the input fits in the
        model's ``max_length`` and any tagging in ``max_new_tokens`` (None: no cap), else
        overlapping windows of whole words that fit both (a word that alone does not fit is
        a window of its own)."""
        n = len(words)
        if n == 0:
            return []
        limit = self.max_length
        fits_in = limit is None or self.input_length(words) <= limit
        fits_out = max_new_tokens is None or self.need(words) <= int(max_new_tokens)
        if fits_in and fits_out:
            return [(0, n)]
        budget_in, budget_out = self._budgets(max_new_tokens)
        return self._plan(
            list(words), budget_in, budget_out, lambda c, b: plan_windows(c, b, WINDOW_OVERLAP)
        )

    def training_windows(
        self, words: Sequence[str], spans: Sequence[TokenSpan]
    ) -> List[Tuple[int, int, bool]]:
        """The windows a training example is cut into, each with whether its input fits in
        ``max_length``: ``[(0, n, True)]`` when the example fits, else consecutive,
        non-overlapping windows whose borders never fall inside a gold span (ending after a
        sentence or clause end where they can); a window that holds a gold span too long for
        any input does not fit."""
        n = len(words)
        if n == 0:
            return []
        limit = self.max_length
        if limit is None or self.input_length(words) <= limit:
            return [(0, n, True)]
        budget_in, _ = self._budgets(None)
        strengths = [break_strength(w) for w in words]
        windows = self._plan(
            list(words), budget_in, None, lambda c, b: span_chunks(c, spans, b, strengths)
        )
        return [(a, b, self.input_length(words[a:b]) <= limit) for a, b in windows]

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
    """Tag a batch of sentences (empty ones get no spans and no generation); a sentence too
    long for the model's ``max_length`` or for ``max_new_tokens`` is tagged in windows and
    their spans merged (see the module's docstring)."""
    results: List[Optional[TagResult]] = [None] * len(word_lists)
    for i, words in enumerate(word_lists):
        if not len(words):
            results[i] = TagResult([], windows=0)
    todo = [i for i, words in enumerate(word_lists) if len(words)]
    if not todo:
        return results  # type: ignore[return-value]
    # one row per window of every sentence (a sentence that fits is one window)
    rows: List[Tuple[int, int, int]] = []
    plans: Dict[int, List[Window]] = {}
    for i in todo:
        words = list(word_lists[i])
        plans[i] = codec.windows(words, max_new_tokens)
        rows.extend((i, a, b) for a, b in plans[i])
    lists = [list(word_lists[i][a:b]) for i, a, b in rows]
    names = []
    for i, a, b in rows:
        name = records[i] if records else f"sentence {i}"
        names.append(name if len(plans[i]) == 1 else f"{name}, words {a}-{b}")
    limit = codec.max_new_tokens(lists)
    if max_new_tokens is not None:
        limit = min(limit, int(max_new_tokens))
    max_length = codec.max_length
    inputs = [codec.input_ids(words) for words in lists]
    # an input still cut at max_length (a window of one word too long for it): a cut input
    # is exactly max_length long
    cut_in = [
        max_length is not None
        and codec.model.is_encoder_decoder
        and len(ids) >= max_length
        and codec.input_length(words) > max_length
        for words, ids in zip(lists, inputs)
    ]
    automata: List[TaggingAutomaton] = []
    processor_for = None
    if constrained:
        automata = [codec.automaton(words, name) for words, name in zip(lists, names)]

        def processor_for(batch_rows: List[int]) -> ConstrainedLogitsProcessor:
            # one automaton per row of the backend's (length-sorted) batch
            return ConstrainedLogitsProcessor(
                [automata[r] for r in batch_rows], num_beams, fallback_ids=codec.end_ids
            )

    generated = codec.model.generate_ids(
        inputs, max_new_tokens=limit, num_beams=num_beams, processor_for=processor_for
    )
    outputs = [seqs[0] for seqs in generated]
    per_row: List[TagResult] = []
    for k, (words, ids) in enumerate(zip(lists, outputs)):
        if constrained:
            parse = automata[k].parse(ids, strict=False)
            per_row.append(TagResult(parse.spans, truncated=not parse.complete))
        else:
            text = codec.model.tokenizer.decode(ids, skip_special_tokens=True)
            lenient = parse_lenient(text, words, codec.label_map, known_labels=codec.labels)
            per_row.append(TagResult(lenient.spans, text=text, dropped=lenient.dropped))
            codec.counts.update(lenient.counts)
        per_row[-1].input_truncated = cut_in[k]
    by_sentence: Dict[int, List[int]] = {}
    for k, (i, _, _) in enumerate(rows):
        by_sentence.setdefault(i, []).append(k)
    for i, ks in by_sentence.items():
        if len(ks) == 1:
            result = per_row[ks[0]]
        else:
            windows = [(rows[k][1], rows[k][2]) for k in ks]
            shifted = [
                [TokenSpan(s.start + a, s.end + a, s.label) for s in per_row[k].spans]
                for k, (a, _) in zip(ks, windows)
            ]
            words = list(word_lists[i])
            spans, conflicts = merge_window_spans(
                len(words), windows, shifted, [len(codec.word_ids(w)) for w in words]
            )
            result = TagResult(
                spans,
                truncated=any(per_row[k].truncated for k in ks),
                text=None if constrained else "\n".join(per_row[k].text or "" for k in ks),
                dropped=[d for k in ks for d in per_row[k].dropped],
                windows=len(ks),
                input_truncated=any(per_row[k].input_truncated for k in ks),
                window_conflicts=conflicts,
            )
            codec.counts["windowed"] += 1
            codec.counts["windows"] += len(ks)
            codec.counts["window_conflicts"] += conflicts
        codec.counts["truncated"] += result.truncated
        codec.counts["truncated_input"] += result.input_truncated
        results[i] = result
    return results  # type: ignore[return-value]
