"""``xlt_text2text_tagger``: a text-to-text model (mT5/mT0/Flan-T5 or a decoder-only LLM) that
rewrites each sentence with inline tags, constrained so that its output is always a valid
tagging of the Doc's tokens.

The pipe is a thin adapter: the backend (``spacy_xlt.Text2TextModel.v1``) runs the model,
``spacy_xlt.decoding.tagging`` turns words into ids, builds one automaton per sentence and
reads spans back. ``update`` fine-tunes the model by teacher forcing on the canonical tagged
targets through the component's ``trainer`` (``spacy_xlt.Trainer.v1``), so ``spacy train``
trains it (see ``spacy_xlt.pipes.base``). The model, tokenizer and added tag tokens are saved
inside the pipeline.
"""

from collections import Counter
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import minibatch

from ..backends.text2text import Text2TextModel
from ..backends.trainer import Trainer
from ..decoding.tagging import DEFAULT_PROMPT, TagCodec, TagResult, tag_batch
from ..errors import Errors, XLTError
from ..labels import LabelMap, TokenSpan
from ..pairs import doc_spans, set_doc_spans
from .base import HFPipe
from .util import (
    DEFAULT_SCORE_WEIGHTS,
    check_setting,
    follow_spans_key,
    is_int,
    score_spans,
    unique_labels,
)

#: Where unconstrained predictions leave the generated text and what the parser dropped.
OUTPUT_KEY = "xlt_text2text"
#: What to do with gold spans whose label the tagger does not have (CoNLL's MISC, MasakhaNER's
#: DATE when transferring PER/ORG/LOC): raise, or leave them out of training and scoring.
UNKNOWN_LABELS = ("error", "ignore")

DEFAULT_CONFIG = {
    "model": {
        "@misc": "spacy_xlt.Text2TextModel.v1",
        "name": "bigscience/mt0-xl",
        "kind": "auto",
        "revision": None,
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 8,
        "max_length": 512,
    },
    "trainer": {
        "@misc": "spacy_xlt.Trainer.v1",
        "optimizer": "adamw",
        "learning_rate": 7e-5,
        "weight_decay": 0.0,
        "warmup_steps": 0,
        "decay_steps": 0,
        "max_grad_norm": 1.0,
        "mixed_precision": "no",
        "gradient_checkpointing": False,
    },
    "labels": [],
    "label_names": {},
    "unknown_labels": "error",
    "spans_key": None,
    "constrained": True,
    "num_beams": 4,
    "max_new_tokens": None,
    "prompt_template": DEFAULT_PROMPT,
    "add_tag_tokens": True,
    "scorer": {"@scorers": "spacy_xlt.span_scorer.v1"},
}


@Language.factory(
    "xlt_text2text_tagger",
    assigns=["doc.ents", "doc.spans"],
    default_config=DEFAULT_CONFIG,
    default_score_weights=DEFAULT_SCORE_WEIGHTS,
)
def make_text2text_tagger(
    nlp: Language,
    name: str,
    model: Text2TextModel,
    trainer: Trainer,
    labels: List[str],
    label_names: Dict[str, str],
    unknown_labels: str,
    spans_key: Optional[str],
    constrained: bool,
    num_beams: int,
    max_new_tokens: Optional[int],
    prompt_template: str,
    add_tag_tokens: bool,
    scorer: Optional[Callable],
) -> "Text2TextTagger":
    return Text2TextTagger(
        nlp.vocab,
        model,
        trainer,
        name=name,
        labels=labels,
        label_names=label_names,
        unknown_labels=unknown_labels,
        spans_key=spans_key,
        constrained=constrained,
        num_beams=num_beams,
        max_new_tokens=max_new_tokens,
        prompt_template=prompt_template,
        add_tag_tokens=add_tag_tokens,
        scorer=scorer,
    )


class Text2TextTagger(HFPipe):
    """Writes the spans a text-to-text model tags to ``doc.ents`` or ``doc.spans[spans_key]``.

    ``constrained`` (default): every output is a tagging of the Doc's tokens (beam search
    with ``num_beams``). Otherwise the model writes freely and the lenient parser places
    what it can; what it dropped is counted in ``stats`` and kept in
    ``doc.user_data["xlt_text2text"]``.
    """

    trainable = "model"

    def __init__(
        self,
        vocab,
        model: Text2TextModel,
        trainer: Optional[Trainer] = None,
        *,
        name: str = "xlt_text2text_tagger",
        labels: Sequence[str] = (),
        label_names: Optional[Dict[str, str]] = None,
        unknown_labels: str = "error",
        spans_key: Optional[str] = None,
        constrained: bool = True,
        num_beams: int = 4,
        max_new_tokens: Optional[int] = None,
        prompt_template: str = DEFAULT_PROMPT,
        add_tag_tokens: bool = True,
        scorer: Optional[Callable] = None,
    ):
        check_setting(name, "num_beams", num_beams, is_int(num_beams, 1), "an integer >= 1")
        check_setting(
            name,
            "max_new_tokens",
            max_new_tokens,
            max_new_tokens is None or is_int(max_new_tokens, 1),
            "null (enough for any tagging) or an integer >= 1",
        )
        check_setting(
            name,
            "unknown_labels",
            unknown_labels,
            unknown_labels in UNKNOWN_LABELS,
            ", ".join(UNKNOWN_LABELS),
        )
        if "{text}" not in prompt_template:
            raise XLTError(Errors.E247.format(template=prompt_template))
        self._init_base(vocab, name, scorer)
        self.backend = model
        self.backends = {"model": model}
        self.trainer = trainer if trainer is not None else Trainer()
        self.cfg = {"labels": unique_labels(labels), "label_names": dict(label_names or {})}
        self.label_map = LabelMap(self.cfg["label_names"])
        self.unknown_labels = unknown_labels
        self.spans_key = spans_key
        self.constrained = bool(constrained)
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.prompt_template = prompt_template
        self.add_tag_tokens = add_tag_tokens
        self.codec: Optional[TagCodec] = None
        #: counts over everything predicted: sentences, the long-input counts
        #: (``spacy_xlt.pipes.util.TAGGER_LONG_STATS``), dropped tags by reason, and over
        #: the training examples too long for one input (``training_windowed``: cut into
        #: ``training_windows`` that never cut a gold span; ``training_cut``: windows that
        #: still did not fit, a gold span longer than ``max_length``, left out of the loss)
        self.stats: Counter = Counter()

    # --- set-up --------------------------------------------------------------------------

    @property
    def labels(self):
        return tuple(self.cfg["labels"])

    def add_label(self, label: str) -> int:
        if label in self.cfg["labels"]:
            return 0
        self.cfg["labels"].append(label)
        if self.codec is not None:
            self._on_load()
        return 1

    def _tags(self) -> List[str]:
        tags = []
        for label in self.labels:
            name = self.label_map.name(label)
            tags += [f"<{name}>", f"</{name}>"]
        return tags

    def _set_cfg(self, cfg: Dict[str, Any]) -> None:
        super()._set_cfg(cfg)
        self.label_map = LabelMap(self.cfg["label_names"])

    def _on_load(self) -> None:
        """(Re)build the codec once the model is loaded and the labels are known; the tag
        tokens are added first, so the trainer binds to the final embeddings."""
        if not self.labels:
            return
        if self.add_tag_tokens:
            self.backend.add_tokens(self._tags())
        self.codec = TagCodec(self.backend, self.labels, self.label_map, self.prompt_template)
        super()._on_load()

    def _require(self) -> TagCodec:
        self.backend.require()
        if self.codec is None:
            raise XLTError(Errors.E248.format(where="labels (initialize the component)"))
        return self.codec

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Sequence[str]] = None,
    ) -> None:
        """Load the model (the only step that may reach the hub), add the tags, set labels.

        Labels: ``labels`` here, else the config's, else those of the examples' spans.
        """
        if labels:
            self.cfg["labels"] = unique_labels(labels)
        elif not self.cfg["labels"]:
            found: List[str] = []
            for eg in get_examples():
                found.extend(s.label for s in doc_spans(eg.reference, self.spans_key))
            self.cfg["labels"] = sorted(set(found))
        if not self.cfg["labels"]:
            where = (
                "entities" if self.spans_key is None else f"spans in doc.spans[{self.spans_key!r}]"
            )
            raise XLTError(Errors.E248.format(where=where))
        self.load_backends()
        follow_spans_key(nlp, self.name, self.spans_key)
        self.stats.clear()

    # --- prediction ----------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        """Tag a stream in windows of ``batch_size`` Docs (what ``nlp.pipe`` passes; at least
        8 of the backend's batches): the backend sorts each window by length and generates
        ``model.batch_size`` sentences at a time, so that a batch pads little."""
        window = max(batch_size or 0, self.backend.batch_size * 8)
        for docs in minibatch(stream, size=window):
            docs = list(docs)
            self.set_annotations(docs, self.predict(docs))
            yield from docs

    def predict(self, docs: Sequence[Doc]) -> List[TagResult]:
        codec = self._require()
        return tag_batch(
            codec,
            [[t.text for t in doc] for doc in docs],
            constrained=self.constrained,
            num_beams=self.num_beams,
            max_new_tokens=self.max_new_tokens,
        )

    def set_annotations(self, docs: Sequence[Doc], results: Sequence[TagResult]) -> None:
        for doc, result in zip(docs, results):
            set_doc_spans(doc, result.spans, self.spans_key)
            self.stats["sentences"] += 1
            # what was really cut: an input longer than max_length (a single word), or a
            # tagging that ran out of max_new_tokens; windows lose nothing
            self.stats["truncated"] += result.truncated or result.input_truncated
            self.stats["truncated_output"] += result.truncated
            self.stats["truncated_input"] += result.input_truncated
            if result.windows > 1:
                self.stats["windowed"] += 1
                self.stats["windows"] += result.windows
                self.stats["window_conflicts"] += result.window_conflicts
            if not self.constrained:
                doc.user_data[OUTPUT_KEY] = {
                    "text": result.text,
                    "dropped": [list(d) for d in result.dropped],
                }
                self.stats.update(f"dropped_{reason}" for reason, _ in result.dropped)

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        """P/R/F of the spans (``ents_*``, or ``spans_<key>_*`` for a span group); with
        ``unknown_labels = "ignore"`` only the tagger's own labels count."""
        if self.unknown_labels == "ignore":
            return score_spans(examples, spans_key=self.spans_key, labels=self.labels, **kwargs)
        return (self.scorer or score_spans)(examples, spans_key=self.spans_key, **kwargs)

    # --- training ------------------------------------------------------------------------

    def get_loss(self, examples: Sequence[Example]):
        """Teacher-forced loss of the canonical tagged targets of the examples' gold spans
        (None when no example has a word)."""
        codec = self._require()
        inputs, targets = [], []
        known = set(self.labels)
        for i, eg in enumerate(examples):
            ref = eg.reference
            words = [t.text for t in ref]
            spans = doc_spans(ref, self.spans_key)
            for span in spans:
                if span.label not in known and self.unknown_labels == "error":
                    raise XLTError(Errors.E250.format(index=i, label=span.label, labels=list(self.labels)))
            spans = [s for s in spans if s.label in known]
            if not words:
                continue
            windows = codec.training_windows(words, spans)
            if len(windows) > 1:  # too long for one input: windows that hold whole spans
                self.stats["training_windowed"] += 1
                self.stats["training_windows"] += len(windows)
            for a, b, fits in windows:
                if not fits:
                    self.stats["training_cut"] += 1  # a gold span longer than any input
                    continue
                part = [TokenSpan(s.start - a, s.end - a, s.label) for s in spans if a <= s.start and s.end <= b]
                record = f"example {i}" if len(windows) == 1 else f"example {i}, words {a}-{b}"
                inputs.append(codec.input_ids(words[a:b]))
                targets.append(codec.target(words[a:b], part, record=record))
        if not inputs:
            return None
        return self.backend.loss_ids(inputs, targets)
