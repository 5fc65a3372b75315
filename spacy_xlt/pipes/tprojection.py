"""``xlt_tprojection``: T-Projection as a spaCy component.

On parallel pairs (a target Doc carrying its source side, ``spacy_xlt.pairs``) the pipe
writes the projected source spans to ``doc.ents`` or a span group, through
``spacy_xlt.projection.tprojection.TProjection`` with a generator (``Seq2SeqGenerator``)
and a translation scorer (``Translator``) built by registered functions.

Under ``spacy train`` the pipe fine-tunes its generator on source-language gold
(``update()``: the sentence with one placeholder per gold span -> the spans), byte-identical
to the original T-Projection formats, with the generator's own torch optimizer (Adafactor,
lr 1e-4 by default, as the paper); ``[training.optimizer]`` does not apply to it. The dev
corpus should be gold pairs read with ``spacy_xlt.PairCorpus.v1`` (spaCy's own reader drops
the source side), so that the score is projection F1.

The generator's weights and tokenizer are saved inside the pipeline (``spacy.load`` works
offline); the translator is referenced by its name in the config and loaded on first use.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional

import srsly
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import minibatch, registry
from thinc.api import Model

from ..backends import generator as _generator  # noqa: F401  (registers spacy_xlt.Seq2SeqGenerator.v1)
from ..backends import translator as _translator  # noqa: F401  (registers spacy_xlt.Translator.v1)
from ..errors import Errors, XLTError
from ..labels import LabelMap, TokenSpan
from ..markup import tprojection_input, tprojection_target
from ..pairs import (
    SOURCE_KEY,
    doc_spans,
    has_source,
    read_docs,
    set_doc_spans,
    source_lang,
    source_spans,
    source_words,
)
from ..projection.tprojection import Item, TProjection
from .alignment_projector import PROJECTION_KEY, score_spans

DEFAULT_CONFIG = {
    "generator": {
        "@misc": "spacy_xlt.Seq2SeqGenerator.v1",
        "name_or_path": "google/mt5-large",
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 8,
        "max_length": 256,
        "max_new_tokens": 64,
        "optimizer": "adafactor",
        "learn_rate": 0.0001,
    },
    "translator": {
        "@misc": "spacy_xlt.Translator.v1",
        "name_or_path": "facebook/nllb-200-distilled-600M",
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 32,
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
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0},
)
def make_tprojection(
    nlp: Language,
    name: str,
    generator,
    translator,
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


@registry.readers("spacy_xlt.PairCorpus.v1")
def create_pair_corpus(path: Path, limit: int = 0) -> Callable[[Language], Iterator[Example]]:
    """Examples from a ``.spacy`` file of gold pairs whose *predicted* Doc keeps the source
    side (spaCy's ``Corpus`` re-tokenizes and loses ``user_data``): a dev corpus for
    projection components under ``spacy train``."""

    def read(nlp: Language) -> Iterator[Example]:
        for i, doc in enumerate(read_docs(path, nlp.vocab)):
            if limit and i >= limit:
                break
            predicted = Doc(
                nlp.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc]
            )
            if SOURCE_KEY in doc.user_data:
                predicted.user_data[SOURCE_KEY] = doc.user_data[SOURCE_KEY]
            yield Example(predicted, doc)

    return read


class TProjectionPipe(TrainablePipe):
    """Projects each pair's source spans onto its target tokens with T-Projection."""

    def __init__(
        self,
        vocab,
        generator,
        translator,
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
        if not isinstance(batch_size, int) or batch_size < 1:
            raise XLTError(
                Errors.E283.format(name="batch_size", value=batch_size, options="an int >= 1")
            )
        self.vocab = vocab
        self.name = name
        self.generator = generator
        self.translator = translator
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.spans_key = spans_key
        self.label_map = LabelMap(label_names or {})
        self.batch_size = batch_size
        self.save_candidates = save_candidates
        self.scorer = scorer
        self.method = TProjection(
            generator,
            translator,
            label_map=self.label_map,
            num_beams=num_beams,
            agglutinative=agglutinative,
            save_candidates=save_candidates,
        )
        # spaCy's training loop needs a thinc Model; the weights live in the generator
        self.model = Model(
            "xlt_tprojection_generator", lambda model, X, is_train: (X, lambda dY: dY)
        )
        self.cfg: Dict[str, object] = {"labels": []}

    @property
    def labels(self) -> List[str]:
        return list(self.cfg["labels"])

    @property
    def stats(self) -> Counter:
        """Counts over everything projected: pairs, source spans, projected, no_candidate, conflict …"""
        return self.method.counts

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
        if not self.generator.loaded:
            raise XLTError(Errors.E289.format(name=self.name))
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
        results = self.method.project(items)
        for doc, result in zip(docs, results):
            set_doc_spans(doc, result.spans, self.spans_key)
            record = {
                "method": self.name,
                # the keys spacy_xlt.visualize reads: "unaligned" = no surviving candidate,
                # "conflicts" = its candidates went to other spans or overlapped them
                "unaligned": [list(s) for s in result.no_candidate],
                "conflicts": [list(s) for s in result.conflict],
            }
            if self.save_candidates:
                record["candidates"] = result.candidates
                record["scores"] = result.scores
                record["links"] = [
                    [list(s), None if p is None else list(p), score] for s, p, score in result.links
                ]
            doc.user_data[PROJECTION_KEY] = record
        return docs

    # --- training ------------------------------------------------------------------------

    def training_pair(self, doc: Doc, record: str = "the sentence") -> tuple:
        """(generator input, target) for a source-language gold Doc: the original formats."""
        words = [t.text for t in doc]
        spans = [TokenSpan(*s) for s in doc_spans(doc, self.spans_key)]
        return (
            tprojection_input(words, spans, self.label_map, record),
            tprojection_target(words, spans, self.label_map, record),
        )

    def initialize(
        self, get_examples: Callable[[], Iterable[Example]], *, nlp=None, labels=None
    ) -> None:
        """Load the generator (the only step that may reach the hub) and collect the labels."""
        if not self.generator.loaded:
            self.generator.load()
        found = set(labels or [])
        if labels is None:
            for eg in get_examples():
                found.update(s.label for s in doc_spans(eg.reference, self.spans_key))
        for label in sorted(found):
            self.add_label(label)

    def update(
        self, examples: Iterable[Example], *, drop: float = 0.0, sgd=None, losses=None
    ) -> Dict[str, float]:
        """One gradient step's worth of generator training on source-language gold.

        ``drop`` is not used: the generator applies its own dropout (mT5: ``dropout_rate``).
        """
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        if not self.generator.loaded:
            raise XLTError(Errors.E289.format(name=self.name))
        pairs = [
            self.training_pair(eg.reference, f"training example {i}")
            for i, eg in enumerate(examples)
        ]
        if not pairs:
            return losses
        loss = self.generator.loss([p[0] for p in pairs], [p[1] for p in pairs])
        loss.backward()
        losses[self.name] += float(loss.item())
        if sgd not in (None, False):
            self.finish_update(sgd)
        return losses

    def finish_update(self, sgd) -> None:
        """Step the generator's own optimizer (``sgd``, spaCy's optimizer, does not apply)."""
        self.generator.step()

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        return (self.scorer or score_spans)(examples, spans_key=self.spans_key, **kwargs)

    # --- serialization ---------------------------------------------------------------------

    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        if self.generator.loaded:
            self.generator.save(path / "generator")

    def from_disk(self, path, *, exclude=tuple()) -> TProjectionPipe:
        path = Path(path)
        if (path / "cfg").exists():
            self.cfg.update(srsly.read_json(path / "cfg"))
        if (path / "generator").exists():
            self.generator.load(path / "generator")
        return self

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            self.to_disk(tmp, exclude=exclude)
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as tar:
                tar.add(tmp, arcname=".")
            return buf.getvalue()

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> TProjectionPipe:
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(fileobj=io.BytesIO(bytes_data), mode="r") as tar:
                tar.extractall(tmp, filter="data")
            self.from_disk(tmp, exclude=exclude)
        return self
