"""``xlt_alignment_projector``: project a pair's source spans onto its target Doc through a
word aligner (embedding similarity, softmax threshold, statistical, or given alignments).

The pipe is a thin adapter: the aligner (a registered function's object implementing
``spacy_xlt.ty.Aligner``) aligns the words of a batch of pairs, and
``spacy_xlt.projection.alignment.project_spans`` turns each alignment into target spans.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import minibatch

from ..backends.hf import HFBackend
from ..errors import Errors, XLTError
from ..pairs import has_source, set_doc_spans, source_spans, source_words
from ..projection.alignment import SETTINGS, check_settings, project_spans, projection_settings
from ..ty import Aligner, Alignment
from .base import BackendStore
from .util import (
    ALIGNER_LONG_STATS,
    DEFAULT_SCORE_WEIGHTS,
    PROJECTION_KEY,
    count_projection,
    follow_spans_key,
    projection_record,
    score_spans,
)

DEFAULT_CONFIG = {
    "aligner": {"@misc": "spacy_xlt.StatisticalAligner.v1"},
    "spans_key": None,
    # every setting of the span step (spacy_xlt.projection.alignment.SETTINGS), its defaults
    **projection_settings(),
    "batch_size": 5000,
    "save_alignments": False,
    "scorer": {"@scorers": "spacy_xlt.span_scorer.v1"},
}


@Language.factory(
    "xlt_alignment_projector",
    assigns=["doc.ents", "doc.spans"],
    default_config=DEFAULT_CONFIG,
    default_score_weights=DEFAULT_SCORE_WEIGHTS,
)
def make_alignment_projector(
    nlp: Language,
    name: str,
    aligner: Aligner,
    spans_key: Optional[str],
    policy: str,
    max_gap: int,
    gap_ratio: float,
    ignore_punct: bool,
    edge_punct: bool,
    sentence_edges: bool,
    edge_min_length: int,
    overlaps: str,
    batch_size: int,
    save_alignments: bool,
    scorer: Optional[Callable],
) -> AlignmentProjector:
    return AlignmentProjector(
        nlp.vocab,
        aligner,
        name=name,
        spans_key=spans_key,
        batch_size=batch_size,
        save_alignments=save_alignments,
        scorer=scorer,
        policy=policy,
        max_gap=max_gap,
        gap_ratio=gap_ratio,
        ignore_punct=ignore_punct,
        edge_punct=edge_punct,
        sentence_edges=sentence_edges,
        edge_min_length=edge_min_length,
        overlaps=overlaps,
    )


class AlignmentProjector(BackendStore, Pipe):
    """Writes the projection of each pair's source spans to ``doc.ents`` or a span group.

    Statistical aligners learn from the sentences they align, so the pipe aligns whole
    batches (``batch_size`` pairs, default 5000): align a corpus in one ``nlp.pipe`` call.
    ``span_settings`` are the settings of the span step
    (:func:`~spacy_xlt.projection.alignment.project_spans`), its defaults where not given.
    An embedding aligner's encoder is saved inside the pipeline (``encoder/``), so a saved
    pipeline loads and aligns offline; otherwise the pipe's state is its config.
    """

    def __init__(
        self,
        vocab,
        aligner: Aligner,
        *,
        name: str = "xlt_alignment_projector",
        spans_key: Optional[str] = None,
        batch_size: int = 5000,
        save_alignments: bool = False,
        scorer: Optional[Callable] = None,
        **span_settings: Any,
    ):
        if not isinstance(aligner, Aligner):
            raise XLTError(Errors.E220.format(obj=type(aligner).__name__))
        unknown = sorted(set(span_settings) - set(SETTINGS))
        if unknown:
            raise XLTError(Errors.E143.format(name="setting", value=unknown[0], options=", ".join(SETTINGS)))
        if not isinstance(batch_size, int) or batch_size < 1:
            raise XLTError(Errors.E143.format(name="batch_size", value=batch_size, options="an integer >= 1"))
        self.span_settings = projection_settings(**span_settings)
        check_settings(self.span_settings)
        self.vocab = vocab
        self.aligner = aligner
        self.name = name
        self.spans_key = spans_key
        self.batch_size = batch_size
        self.save_alignments = save_alignments
        self.scorer = scorer
        #: counts over everything this pipe projected (``spacy_xlt.pipes.util.PROJECTION_STATS``,
        #: and an embedding aligner's long sentences, ``ALIGNER_LONG_STATS``)
        self.stats: Counter = Counter()
        self.cfg: Dict[str, Any] = {}
        encoder = getattr(aligner, "encoder", None)
        self.backends = {"encoder": encoder} if isinstance(encoder, HFBackend) else {}

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            batch = list(batch)
            for i, doc in enumerate(batch):
                if not has_source(doc):
                    raise XLTError(Errors.E042.format(index=i))
            pairs = [(source_words(doc), [t.text for t in doc]) for doc in batch]
            before = self._long_counts()
            alignments = self.aligner.align(pairs)
            after = self._long_counts()
            if before is not None and after is not None:
                self.stats.update({key: after[key] - before[key] for key in ALIGNER_LONG_STATS})
            yield from self.project(batch, alignments)

    def _long_counts(self) -> Optional[Counter]:
        """The aligner's encoder's long-input counts so far (``ALIGNER_LONG_STATS``); None
        for an aligner without an encoder that counts."""
        counts = getattr(getattr(self.aligner, "encoder", None), "counts", None)
        if not isinstance(counts, Counter):
            return None
        return Counter({key: counts[key] for key in ALIGNER_LONG_STATS})

    def project(self, docs: Sequence[Doc], alignments: Sequence[Alignment]) -> List[Doc]:
        """Project each pair through its alignment (e.g. alignments a user brought)."""
        if len(docs) != len(alignments):
            raise XLTError(
                Errors.E146.format(what="Pairs and alignments", n_a=len(docs), n_b=len(alignments))
            )
        out = []
        for i, (doc, alignment) in enumerate(zip(docs, alignments)):
            spans = source_spans(doc, i)
            words = source_words(doc, i)
            result = project_spans(
                spans,
                alignment,
                [t.text for t in doc],
                **self.span_settings,
                source_words=words,
                n_source=len(words),
                record=f"pair {i}",
            )
            set_doc_spans(doc, result.spans, self.spans_key)
            extra = {"alignment": [list(link) for link in alignment]} if self.save_alignments else {}
            doc.user_data[PROJECTION_KEY] = projection_record(
                self.name, result.unaligned, result.conflicts, **extra
            )
            count_projection(
                self.stats, len(spans), len(result.spans), len(result.unaligned), len(result.conflicts)
            )
            out.append(doc)
        return out

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp=None) -> None:
        """Nothing to learn (statistical aligners learn while aligning): an embedding
        aligner's encoder is loaded here, the only step that may reach the hub."""
        init = getattr(self.aligner, "initialize", None)
        if callable(init):
            init()
        follow_spans_key(nlp, self.name, self.spans_key)
        self.stats.clear()

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        return (self.scorer or score_spans)(examples, spans_key=self.spans_key, **kwargs)
