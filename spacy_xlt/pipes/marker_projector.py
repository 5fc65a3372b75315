"""``xlt_marker_projector``: marker-based projection (EasyProject, CODEC) as a spaCy component.

On parallel pairs (a target Doc carrying its source side, ``spacy_xlt.pairs``) the pipe writes
the projected source spans to ``doc.ents`` or a span group, through
``spacy_xlt.projection.markers.MarkerProjection`` with a translator built by a registered
function (``spacy_xlt.Translator.v1``):

- ``method = "easyproject"``: the source with every span marked is translated, the markers
  are read back, and the marked segments are placed on the pair's target tokens (exactly,
  then fuzzily); a translation whose markers do not come back intact projects nothing and is
  counted (``stats["broken_markers"]``, the reason in the pair's projection record).
- ``method = "codec"``: for each source span, the pair's target (a fixed translation) gets
  one marker pair inserted by constrained decoding; it also projects spans back onto an
  existing sentence, so ``xlt_translate_test`` can use it as its projector.

:meth:`MarkerProjector.translate_and_project` takes source-language Docs instead and gives
new pairs (EasyProject as published: the marked translation without its markers is the
target; CODEC: the translation of the clean sentence is).

``initialize`` loads the translator (the only step that may reach the hub); it is saved inside
the pipeline (``translator/``), so ``spacy.load`` projects offline.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import minibatch

from ..errors import Errors, XLTError
from ..pairs import (
    SOURCE_KEY,
    doc_spans,
    get_source,
    has_source,
    make_pair,
    set_doc_spans,
    source_lang,
)
from ..projection.markers import (
    FUZZY,
    METHODS,
    RERANKS,
    SEARCHES,
    MarkerItem,
    MarkerProjection,
    MarkerResult,
)
from ..ty import Backend
from .base import BackendStore
from .util import (
    DEFAULT_SCORE_WEIGHTS,
    PROJECTION_KEY,
    check_setting,
    check_translator,
    count_projection,
    follow_spans_key,
    is_int,
    projection_record,
    require_translator,
    score_spans,
)

#: The counts of ``stats`` beyond ``PROJECTION_STATS``: pairs whose translation's markers did
#: not come back intact (EasyProject), and source spans placed on the target by an exact or a
#: fuzzy match (EasyProject) or by an inserted marker pair (CODEC).
MARKER_STATS = ("broken_markers", "exact", "fuzzy", "inserted")

DEFAULT_CONFIG = {
    "translator": {
        "@misc": "spacy_xlt.Translator.v1",
        "name": "ychenNLP/nllb-200-3.3B-easyproject",
        "revision": None,
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 16,
        "max_length": 256,
        "num_beams": 4,
        "max_new_tokens": 256,
    },
    "method": "codec",
    "source_lang": None,
    "target_lang": None,
    "spans_key": None,
    "batch_size": 32,
    "open_marker": "[",
    "close_marker": "]",
    "threshold": 0.5,
    "fuzzy": "best",
    "search": "auto",
    "max_candidates": 512,
    "num_beams": 5,
    "n_best": 5,
    "candidate_positions": True,
    "delta_high": 0.5,
    "delta_low": 0.1,
    "delta_window": 5,
    "rerank": "backward",
    "save_candidates": False,
    "scorer": {"@scorers": "spacy_xlt.span_scorer.v1"},
}


@Language.factory(
    "xlt_marker_projector",
    assigns=["doc.ents", "doc.spans"],
    default_config=DEFAULT_CONFIG,
    default_score_weights=DEFAULT_SCORE_WEIGHTS,
)
def make_marker_projector(
    nlp: Language,
    name: str,
    translator: Any,
    method: str,
    source_lang: Optional[str],
    target_lang: Optional[str],
    spans_key: Optional[str],
    batch_size: int,
    open_marker: str,
    close_marker: str,
    threshold: float,
    fuzzy: str,
    search: str,
    max_candidates: int,
    num_beams: int,
    n_best: int,
    candidate_positions: bool,
    delta_high: float,
    delta_low: float,
    delta_window: int,
    rerank: str,
    save_candidates: bool,
    scorer: Optional[Callable],
) -> MarkerProjector:
    return MarkerProjector(
        nlp.vocab,
        translator,
        name=name,
        method=method,
        source_lang=source_lang,
        target_lang=target_lang or nlp.lang,
        spans_key=spans_key,
        batch_size=batch_size,
        tokenizer=nlp.tokenizer,
        open_marker=open_marker,
        close_marker=close_marker,
        threshold=threshold,
        fuzzy=fuzzy,
        search=search,
        max_candidates=max_candidates,
        num_beams=num_beams,
        n_best=n_best,
        candidate_positions=candidate_positions,
        delta_high=delta_high,
        delta_low=delta_low,
        delta_window=delta_window,
        rerank=rerank,
        save_candidates=save_candidates,
        scorer=scorer,
    )


def _is_number(value: Any, low: float, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high


class MarkerProjector(BackendStore, Pipe):
    """Projects each pair's source spans onto its target tokens with EasyProject or CODEC."""

    def __init__(
        self,
        vocab,
        translator: Any,
        *,
        name: str = "xlt_marker_projector",
        method: str = "codec",
        source_lang: Optional[str] = None,
        target_lang: Optional[str] = "xx",
        spans_key: Optional[str] = None,
        batch_size: int = 32,
        tokenizer: Optional[Callable[[str], Doc]] = None,
        open_marker: str = "[",
        close_marker: str = "]",
        threshold: float = 0.5,
        fuzzy: str = "best",
        search: str = "auto",
        max_candidates: int = 512,
        num_beams: int = 5,
        n_best: int = 5,
        candidate_positions: bool = True,
        delta_high: float = 0.5,
        delta_low: float = 0.1,
        delta_window: int = 5,
        rerank: str = "backward",
        save_candidates: bool = False,
        scorer: Optional[Callable] = None,
    ) -> None:
        checks = (
            ("method", method, method in METHODS, " or ".join(METHODS)),
            ("search", search, search in SEARCHES, " or ".join(SEARCHES)),
            ("rerank", rerank, rerank in RERANKS, " or ".join(RERANKS)),
            ("fuzzy", fuzzy, fuzzy in FUZZY, " or ".join(FUZZY)),
            ("batch_size", batch_size, is_int(batch_size, 1), "an integer >= 1"),
            ("num_beams", num_beams, is_int(num_beams, 1), "an integer >= 1"),
            ("max_candidates", max_candidates, is_int(max_candidates, 1), "an integer >= 1"),
            ("n_best", n_best, is_int(n_best, 1), "an integer >= 1"),
            ("delta_window", delta_window, is_int(delta_window, 0), "an integer >= 0"),
            ("threshold", threshold, _is_number(threshold, 0.0, 1.0), "a number in [0, 1]"),
            ("delta_high", delta_high, _is_number(delta_high, 0.0, float("inf")), "a number >= 0"),
            ("delta_low", delta_low, _is_number(delta_low, 0.0, float("inf")), "a number >= 0"),
        )
        for setting, value, ok, options in checks:
            check_setting(name, setting, value, ok, options)
        check_translator(name, translator)
        self.vocab = vocab
        self.name = name
        self.translator = translator
        self.backends = {"translator": translator} if isinstance(translator, Backend) else {}
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.spans_key = spans_key
        self.batch_size = batch_size
        self.tokenizer = tokenizer
        self.save_candidates = save_candidates
        self.scorer = scorer
        self.method = MarkerProjection(
            translator,
            method,
            open_marker=open_marker,
            close_marker=close_marker,
            threshold=threshold,
            fuzzy=fuzzy,
            search=search,
            max_candidates=max_candidates,
            num_beams=num_beams,
            n_best=n_best,
            candidate_positions=candidate_positions,
            delta_high=delta_high,
            delta_low=delta_low,
            delta_window=delta_window,
            rerank=rerank,
            save_candidates=save_candidates,
        )
        if tokenizer is not None:
            self.method.tokenize = self._tokenize
        self.cfg: Dict[str, Any] = {}
        #: counts over everything projected (``spacy_xlt.pipes.util.PROJECTION_STATS`` and
        #: :data:`MARKER_STATS`); the method's own counts (CODEC rows, candidates, searches,
        #: broken markers by reason …) are ``method.counts``
        self.stats: Counter = Counter()

    # --- helpers -------------------------------------------------------------------------

    def _tokenize(self, text: str) -> Tuple[List[str], List[bool]]:
        doc = self.tokenizer(text)
        return [t.text for t in doc], [bool(t.whitespace_) for t in doc]

    def require(self) -> None:
        require_translator(self.translator)
        if self.target_lang in (None, "xx"):
            raise XLTError(Errors.E295.format(name=self.name))

    # --- projection --------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            yield from self.project(list(batch))

    def project(self, docs: List[Doc]) -> List[Doc]:
        """Project the source spans of pairs onto their targets."""
        self.require()
        items = []
        for i, doc in enumerate(docs):
            if not has_source(doc):
                raise XLTError(Errors.E042.format(index=i))
            src = get_source(doc, index=i)
            items.append(
                MarkerItem(
                    [t.text for t in src],
                    [bool(t.whitespace_) for t in src],
                    doc_spans(src, doc.user_data[SOURCE_KEY].get("spans_key")),
                    [t.text for t in doc],
                    [bool(t.whitespace_) for t in doc],
                    self.source_lang or source_lang(doc) or "en",
                    self.target_lang,
                )
            )
        for doc, result in zip(docs, self.method.project(items)):
            self._write(doc, result)
        return docs

    def translate_and_project(self, docs: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        """New pairs from source-language Docs (their spans: ``doc.ents``, or the group
        ``spans_key``): the target is the translation (EasyProject: the marked translation
        with its markers removed; CODEC: the clean sentence's translation, tokenized by the
        pipeline's tokenizer) with the projected spans, carrying the source Doc."""
        self.require()
        if self.tokenizer is None:
            raise XLTError(Errors.E326.format(name="tokenizer", value=None, component=self.name, options="a tokenizer (the pipeline's)"))
        src_lang = self.source_lang or "en"
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            batch = list(batch)
            sources = [
                ([t.text for t in d], [bool(t.whitespace_) for t in d], doc_spans(d, self.spans_key)) for d in batch
            ]
            done = self.method.translate_and_project(sources, src_lang, self.target_lang, self._tokenize)
            for src, (words, spaces, result) in zip(batch, done):
                target = Doc(self.vocab, words=words, spaces=spaces)
                make_pair(src, target, source_lang=src_lang, spans_key=self.spans_key)
                self._write(target, result)
                yield target

    def _write(self, doc: Doc, result: MarkerResult) -> None:
        set_doc_spans(doc, result.spans, self.spans_key)
        extra: Dict[str, Any] = {}
        if result.broken is not None:
            extra["broken"] = result.broken  # the markers did not come back intact: why
        if self.save_candidates:
            extra.update(result.detail)
            extra["links"] = [[list(s), None if t is None else list(t)] for s, t in result.links]
        doc.user_data[PROJECTION_KEY] = projection_record(self.name, result.unaligned, result.conflicts, **extra)
        n_source = len(result.links)
        count_projection(self.stats, n_source, len(result.spans), len(result.unaligned), len(result.conflicts))
        self.stats["broken_markers"] += result.broken is not None
        self.stats.update(result.placed)

    # --- lifecycle -----------------------------------------------------------------------

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp=None) -> None:
        """Load the translator (the only step that may reach the hub)."""
        self.load_backends()
        follow_spans_key(nlp, self.name, self.spans_key)
        self.stats.clear()

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        return (self.scorer or score_spans)(examples, spans_key=self.spans_key, **kwargs)
