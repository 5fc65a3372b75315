"""``xlt_tprojection``: T-Projection as a spaCy component.

On parallel pairs (a target Doc carrying its source side, ``spacy_xlt.pairs``) the pipe
writes the projected source spans to ``doc.ents`` or a span group, through
``spacy_xlt.projection.tprojection.TProjection`` with a generator (``Seq2SeqGenerator``)
and a translation scorer (``Translator``) built by registered functions.

Under ``spacy train`` the pipe fine-tunes its generator on source-language gold
(``update()``: the sentence with one placeholder per gold span -> the spans), byte-identical
to the original T-Projection formats, through its ``trainer`` (Adafactor, lr 1e-4 by default,
as the paper; ``[training.optimizer]`` does not apply, see ``spacy_xlt.pipes.base``). The dev
corpus should be gold pairs read with ``spacy_xlt.PairCorpus.v1`` (spaCy's own reader drops
the source side), so that the score is projection F1.

``initialize`` loads the generator and the translator (the only step that may reach the hub);
both are saved inside the pipeline (``generator/`` and ``translator/``: weights, tokenizer and
settings), so ``spacy.load`` and ``spacy package`` work offline with no model folder left.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Dict, Iterable, Iterator, List, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import minibatch

from ..backends.generator import Seq2SeqGenerator
from ..backends.hf import HFBackend
from ..backends.trainer import Trainer
from ..backends.translator import Translator
from ..backends.windows import break_strength, span_chunks
from ..errors import Errors, XLTError
from ..labels import LabelMap, TokenSpan
from ..markup import tprojection_input, tprojection_target
from ..pairs import doc_spans, has_source, set_doc_spans, source_lang, source_spans, source_words
from ..projection.tprojection import Item, TProjection
from .base import HFPipe
from .util import (
    DEFAULT_SCORE_WEIGHTS,
    PROJECTION_KEY,
    TPROJECTION_LONG_STATS,
    check_setting,
    count_projection,
    follow_spans_key,
    is_int,
    projection_record,
    score_spans,
)

DEFAULT_CONFIG = {
    "generator": {
        "@misc": "spacy_xlt.Seq2SeqGenerator.v1",
        "name": "google/mt5-large",
        "revision": None,
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 8,
        "max_length": 256,
        "max_new_tokens": 64,
    },
    "translator": {
        "@misc": "spacy_xlt.Translator.v1",
        "name": "facebook/nllb-200-distilled-600M",
        "revision": None,
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 32,
        "score_style": "tprojection",
    },
    "trainer": {
        "@misc": "spacy_xlt.Trainer.v1",
        "optimizer": "adafactor",
        "learning_rate": 0.0001,
        "weight_decay": 0.0,
        "warmup_steps": 0,
        "decay_steps": 0,
        "max_grad_norm": None,
        "mixed_precision": "no",
        "gradient_checkpointing": False,
    },
    "source_lang": None,
    "target_lang": None,
    "spans_key": None,
    "label_names": {},
    "num_beams": 16,
    "agglutinative": False,
    "batch_size": 64,
    "save_candidates": False,
    "scorer": {"@scorers": "spacy_xlt.span_scorer.v1"},
}


@Language.factory(
    "xlt_tprojection",
    assigns=["doc.ents", "doc.spans"],
    default_config=DEFAULT_CONFIG,
    default_score_weights=DEFAULT_SCORE_WEIGHTS,
)
def make_tprojection(
    nlp: Language,
    name: str,
    generator: Seq2SeqGenerator,
    translator: Translator,
    trainer: Trainer,
    source_lang: Optional[str],
    target_lang: Optional[str],
    spans_key: Optional[str],
    label_names: Dict[str, str],
    num_beams: int,
    agglutinative: bool,
    batch_size: int,
    save_candidates: bool,
    scorer: Optional[Callable],
) -> TProjectionPipe:
    return TProjectionPipe(
        nlp.vocab,
        generator,
        translator,
        trainer,
        name=name,
        source_lang=source_lang,
        target_lang=target_lang or nlp.lang,
        spans_key=spans_key,
        label_names=label_names,
        num_beams=num_beams,
        agglutinative=agglutinative,
        batch_size=batch_size,
        save_candidates=save_candidates,
        scorer=scorer,
    )


class TProjectionPipe(HFPipe):
    """Projects each pair's source spans onto its target tokens with T-Projection."""

    trainable = "generator"

    def __init__(
        self,
        vocab,
        generator: Seq2SeqGenerator,
        translator: Translator,
        trainer: Optional[Trainer] = None,
        *,
        name: str = "xlt_tprojection",
        source_lang: Optional[str] = None,
        target_lang: str = "xx",
        spans_key: Optional[str] = None,
        label_names: Optional[Dict[str, str]] = None,
        num_beams: int = 16,
        agglutinative: bool = False,
        batch_size: int = 64,
        save_candidates: bool = False,
        scorer: Optional[Callable] = None,
    ) -> None:
        check_setting(name, "batch_size", batch_size, is_int(batch_size, 1), "an integer >= 1")
        self._init_base(vocab, name, scorer)
        self.generator = generator
        self.translator = translator
        self.backends = {"generator": generator, "translator": translator}
        self.trainer = trainer if trainer is not None else Trainer(optimizer="adafactor", learning_rate=1e-4, max_grad_norm=None)
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.spans_key = spans_key
        self.label_map = LabelMap(label_names or {})
        self.batch_size = batch_size
        self.save_candidates = save_candidates
        self.method = TProjection(
            generator,
            translator,
            label_map=self.label_map,
            num_beams=num_beams,
            agglutinative=agglutinative,
            save_candidates=save_candidates,
        )
        self.cfg = {"labels": []}
        #: counts over everything projected (``spacy_xlt.pipes.util.PROJECTION_STATS``, and
        #: the long-input counts ``TPROJECTION_LONG_STATS``); the method's own counts
        #: (candidates, filtered out, scoring calls …) are ``method.counts``
        self.stats: Counter = Counter()

    def replace_backend(self, folder: str, backend: HFBackend) -> None:
        """Use ``backend`` (loaded here if it is not) as the ``generator`` or ``translator``,
        e.g. another translator for a saved pipeline: the caller acts as ``initialize``."""
        if folder not in self.backends:
            raise XLTError(Errors.E326.format(name="backend", value=folder, component=self.name, options=", ".join(self.backends)))
        if not backend.loaded:
            backend.load()
        self.backends[folder] = backend
        setattr(self, folder, backend)
        self.method = TProjection(
            self.generator,
            self.translator,
            label_map=self.label_map,
            num_beams=self.method.num_beams,
            agglutinative=self.method.agglutinative,
            save_candidates=self.save_candidates,
        )
        self._on_load()

    @property
    def labels(self) -> List[str]:
        return list(self.cfg["labels"])

    def add_label(self, label: str) -> int:
        if label in self.cfg["labels"]:
            return 0
        self.cfg["labels"] = sorted([*self.cfg["labels"], label])
        return 1

    # --- projection --------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            yield from self.project(list(batch))

    def project(self, docs: List[Doc]) -> List[Doc]:
        self.require()
        if self.target_lang in (None, "xx"):
            raise XLTError(Errors.E295.format(name=self.name))
        items = []
        for i, doc in enumerate(docs):
            if not has_source(doc):
                raise XLTError(Errors.E042.format(index=i))
            src = self.source_lang or source_lang(doc)
            items.append(
                Item(
                    source_words(doc, i),
                    source_spans(doc, i),
                    [t.text for t in doc],
                    src,
                    self.target_lang,
                )
            )
        before = self._long_counts()
        results = self.method.project(items)
        after = self._long_counts()
        self.stats.update({key: after[key] - before[key] for key in TPROJECTION_LONG_STATS})
        for doc, result in zip(docs, results):
            set_doc_spans(doc, result.spans, self.spans_key)
            extra = {}
            if self.save_candidates:
                extra = {
                    "candidates": result.candidates,
                    "scores": result.scores,
                    "links": [
                        [list(s), None if p is None else list(p), score] for s, p, score in result.links
                    ],
                }
            if result.windows:  # the generator read the target in windows (it did not fit)
                extra["generator_windows"] = result.windows
            # "unaligned" = no surviving candidate; "conflicts" = its candidates went to
            # other spans or overlapped them
            doc.user_data[PROJECTION_KEY] = projection_record(
                self.name, result.no_candidate, result.conflict, **extra
            )
            count_projection(
                self.stats,
                len(result.links),
                len(result.spans),
                len(result.no_candidate),
                len(result.conflict),
            )
        return docs

    def _long_counts(self) -> Counter:
        """The long-input counts so far, under their ``stats`` names: the method's
        (``truncated_inputs``, ``generator_windows``, ``split_placeholders``), the
        generator's sequences that ran out of ``max_new_tokens`` (``generator_unfinished``)
        and the sequences the scorer cut at its ``max_length`` (``scorer_truncated``)."""
        method = self.method.counts
        generator = getattr(self.method.generator, "counts", None) or {}
        scorer = getattr(self.method.scorer.scorer, "counts", None) or {}
        return Counter(
            truncated_inputs=method["truncated_inputs"],
            generator_windows=method["generator_windows"],
            split_placeholders=method["split_placeholders"],
            generator_unfinished=generator.get("unfinished", 0),
            scorer_truncated=scorer.get("score_truncated", 0),
        )

    # --- training ------------------------------------------------------------------------

    def training_pair(self, doc: Doc, record: str = "the sentence") -> tuple:
        """(generator input, target) for a source-language gold Doc: the original formats."""
        words = [t.text for t in doc]
        spans = [TokenSpan(*s) for s in doc_spans(doc, self.spans_key)]
        return self.training_pair_of(words, spans, record)

    def training_pairs(self, doc: Doc, record: str = "the sentence") -> List[tuple]:
        """:meth:`training_pair`, or, when its input or target is longer than the
        generator's ``max_length``, one pair per window of the sentence: consecutive,
        non-overlapping windows whose borders never fall inside a gold span (ending after a
        sentence or clause end where they can), each with the placeholders and the target
        of its own spans. A window that still does not fit (a gold span longer than any
        input) is left out and counted (``stats["training_cut"]``)."""
        whole = self.training_pair(doc, record)
        limit = getattr(self.generator, "max_length", None)
        lengths = getattr(self.generator, "input_lengths", None)
        if not isinstance(limit, int) or not callable(lengths) or max(lengths(list(whole))) <= limit:
            return [whole]
        words = [t.text for t in doc]
        spans = [TokenSpan(*s) for s in doc_spans(doc, self.spans_key)]
        overhead = lengths([""])[0]
        costs = [max(n - overhead, 0) for n in lengths(words)]
        for span in spans:  # a span's placeholder and its target go with its first word
            alone = TokenSpan(0, span.end - span.start, span.label)
            extra = lengths(list(self.training_pair_of(words[span.start : span.end], [alone], record)))
            costs[span.start] += sum(max(n - overhead, 0) for n in extra) - sum(costs[span.start : span.end])
        strengths = [break_strength(w) for w in words]
        budget = max(1, limit - overhead)
        pairs: List[tuple] = []
        for _ in range(8):
            pairs, cut, over = [], 0, 0
            for a, b in span_chunks(costs, spans, budget, strengths):
                part = [TokenSpan(s.start - a, s.end - a, s.label) for s in spans if a <= s.start and s.end <= b]
                pair = self.training_pair_of(words[a:b], part, f"{record}, words {a}-{b}")
                longest = max(lengths(list(pair)))
                if longest > limit:
                    cut += 1
                    if b - a > 1 and not any(s.start == a and s.end == b for s in part):
                        over = max(over, longest - limit)
                    continue
                pairs.append(pair)
            if not over or budget == 1:
                break
            budget = max(1, budget - over)
        self.stats["training_windowed"] += 1
        self.stats["training_windows"] += len(pairs)
        self.stats["training_cut"] += cut
        return pairs

    def training_pair_of(self, words: List[str], spans: List[TokenSpan], record: str) -> tuple:
        return (
            tprojection_input(words, spans, self.label_map, record),
            tprojection_target(words, spans, self.label_map, record),
        )

    def initialize(
        self, get_examples: Callable[[], Iterable[Example]], *, nlp=None, labels=None
    ) -> None:
        """Load the generator and the translator (the only step that may reach the hub) and
        collect the labels."""
        self.load_backends()
        found = set(labels or [])
        if labels is None:
            for eg in get_examples():
                found.update(s.label for s in doc_spans(eg.reference, self.spans_key))
        for label in sorted(found):
            self.add_label(label)
        follow_spans_key(nlp, self.name, self.spans_key)
        self.stats.clear()

    def get_loss(self, examples: List[Example]):
        """The generator's loss on source-language gold: each sentence with one placeholder
        per gold span -> the spans (None for an empty batch)."""
        pairs = [
            pair
            for i, eg in enumerate(examples)
            for pair in self.training_pairs(eg.reference, f"training example {i}")
        ]
        if not pairs:
            return None
        return self.generator.loss([p[0] for p in pairs], [p[1] for p in pairs])

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        return (self.scorer or score_spans)(examples, spans_key=self.spans_key, **kwargs)
