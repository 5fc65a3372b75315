"""``xlt_translate_test``: translate-test as one component of a target-language pipeline.

For each target Doc the component translates its text into the source language (a translator
backend: ``spacy_xlt.Translator.v1`` or any ``spacy_xlt.ty.TranslatorBackend``), runs a
source-language spaCy pipeline on the translations (any trained pipeline: an English NER such
as ``en_core_web_lg``, a spancat pipeline …), maps its labels to the target scheme
(``label_map``, null for :data:`DEFAULT_LABEL_MAP`: OntoNotes and CoNLL names -> PER/LOC/ORG;
a map given replaces it whole; labels it does not name are dropped, or kept with
``unmapped = "keep"``), and
projects the predicted spans back onto the target Doc's own tokens with a nested *projector
block* (``[components.xlt_translate_test.projector]``: ``factory`` and the settings of any
pair projector, ``xlt_marker_projector`` with CODEC by default, ``xlt_alignment_projector`` or
``xlt_tprojection``, exactly as ``spacy xlt project`` reads a ``[projector]`` block). ``pipe``
translates, tags and projects a whole batch at a time.

With ``save_translation = true`` each Doc keeps what happened for inspection: it stays a
parallel pair (``doc._.xlt_source``: the translation with the mapped source predictions), with
the projector's record (``doc.user_data["xlt_projection"]``) and the translate-test record
(``doc.user_data["xlt_translate_test"]``: the translation, the source pipeline, every source
prediction with its original label, and those the label map dropped), which
``spacy xlt visualize`` shows. Otherwise the Doc keeps only its projected spans.

Saving (``nlp.to_disk``) stores, under the component's folder: ``cfg`` (the source pipeline's
name, language, version and labels), ``translator/`` (weights, tokenizer files and settings:
``spacy_xlt.pipes.base.BackendStore``), ``source_pipeline/`` (the source pipeline, written by
its own ``to_disk``) and ``projector/`` (the projector's own state: its models, e.g. CODEC's
translator or an encoder). ``spacy.load`` needs none of the original names or folders, and no
hub; it needs the code of the source pipeline's components (spaCy's own for the ``en_core_web``
pipelines; ``spacy-transformers`` for ``*_trf``), which is not stored.
"""

from __future__ import annotations

import copy
import inspect
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import ensure_path, minibatch, registry

from ..errors import Errors, XLTError
from ..labels import TokenSpan
from ..pairs import SOURCE_KEY, make_pair, set_doc_spans
from ..ty import Backend
from .base import BackendStore
from .util import (
    DEFAULT_SCORE_WEIGHTS,
    PROJECTION_KEY,
    check_setting,
    check_translator,
    follow_spans_key,
    is_int,
    require_translator,
    score_spans,
)

#: Where a Doc keeps its translate-test record (with ``save_translation``).
TRANSLATE_TEST_KEY = "xlt_translate_test"
#: The pair projectors a translate-test component may nest.
PROJECTOR_FACTORIES = ("xlt_marker_projector", "xlt_alignment_projector", "xlt_tprojection")
#: What to do with source labels the label map does not name.
UNMAPPED = ("drop", "keep")
#: OntoNotes (spaCy's en_core_web_*) and CoNLL names -> the PER/LOC/ORG scheme of
#: MasakhaNER and CoNLL; every other label (DATE, NORP, MONEY …) is dropped unless mapped.
DEFAULT_LABEL_MAP = {
    "PERSON": "PER",
    "PER": "PER",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "ORG": "ORG",
}
#: Folders inside the component's own folder.
TRANSLATOR_DIR, SOURCE_DIR, PROJECTOR_DIR = "translator", "source_pipeline", "projector"

DEFAULT_CONFIG = {
    "translator": {
        "@misc": "spacy_xlt.Translator.v1",
        "name": "facebook/nllb-200-3.3B",
        "revision": None,
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 16,
        "max_length": 256,
        "num_beams": 4,
        "max_new_tokens": 256,
    },
    "pipeline": "en_core_web_lg",
    "projector": {"factory": "xlt_marker_projector"},
    "source_lang": "en",
    "target_lang": None,
    "spans_key": None,
    "source_spans_key": None,
    "label_map": None,
    "unmapped": "drop",
    "batch_size": 32,
    "save_translation": False,
    "scorer": {"@scorers": "spacy_xlt.span_scorer.v1"},
}


@Language.factory(
    "xlt_translate_test",
    assigns=["doc.ents", "doc.spans"],
    default_config=DEFAULT_CONFIG,
    default_score_weights=DEFAULT_SCORE_WEIGHTS,
)
def make_translate_test(
    nlp: Language,
    name: str,
    translator: Any,
    pipeline: str,
    projector: Dict[str, Any],
    source_lang: str,
    target_lang: Optional[str],
    spans_key: Optional[str],
    source_spans_key: Optional[str],
    label_map: Optional[Dict[str, str]],
    unmapped: str,
    batch_size: int,
    save_translation: bool,
    scorer: Optional[Callable],
) -> TranslateTest:
    target = target_lang or nlp.lang
    inner = build_projector(nlp, name, projector, spans_key=spans_key, target_lang=target)
    return TranslateTest(
        nlp.vocab,
        translator,
        pipeline,
        inner,
        name=name,
        source_lang=source_lang,
        target_lang=target,
        spans_key=spans_key,
        source_spans_key=source_spans_key,
        label_map=label_map,
        unmapped=unmapped,
        batch_size=batch_size,
        save_translation=save_translation,
        scorer=scorer,
    )


# ---------------------------------------------------------------------------------------
# the nested projector block


def _has_promise(value: Any) -> bool:
    if isinstance(value, dict):
        return any(str(k).startswith("@") for k in value) or any(_has_promise(v) for v in value.values())
    return False


def _resolve(value: Any) -> Any:
    if _has_promise(value):
        return registry.resolve({"value": copy.deepcopy(value)})["value"]
    return copy.deepcopy(value)


def build_projector(nlp: Language, name: str, block: Dict[str, Any], *, spans_key: Optional[str], target_lang: Optional[str]):
    """The pair projector of a projector block (``factory`` and its settings, the settings'
    registered functions already resolved by the config system; the factory's defaults fill
    the rest, a partial block of a registered function without ``@`` merged onto its
    default). It writes where the translate-test component does (``spans_key``) and projects
    into its target language."""
    from thinc.api import Config

    from . import alignment_projector, marker_projector, tprojection  # noqa: F401  (register the factories)

    block = dict(block or {})
    factory = block.pop("factory", None)
    if factory not in PROJECTOR_FACTORIES:
        raise XLTError(Errors.E488.format(component=name, options=", ".join(PROJECTOR_FACTORIES), factory=factory))
    meta = nlp.get_factory_meta(factory)
    internal = nlp.get_factory_name(factory)
    func = registry.factories.get(internal if internal in registry.factories else factory)
    params = [p for p in inspect.signature(func).parameters if p not in ("nlp", "name")]
    unknown = sorted(set(block) - set(params))
    if unknown:
        raise XLTError(Errors.E489.format(component=name, factory=factory, key=unknown[0], options=", ".join(params)))
    defaults = dict(meta.default_config or {})
    args: Dict[str, Any] = {}
    missing = object()
    for key in params:
        given, default = block.get(key, missing), defaults.get(key, missing)
        if key == "spans_key":
            args[key] = spans_key
        elif given is missing:
            args[key] = _resolve(default) if default is not missing else None
        elif isinstance(given, dict) and isinstance(default, dict) and _has_promise(default) and not _has_promise(given):
            args[key] = _resolve(dict(Config(copy.deepcopy(default)).merge(given)))
        else:
            args[key] = given
    if "target_lang" in args and not args["target_lang"]:
        args["target_lang"] = target_lang
    return func(nlp, f"{name}.projector", **args)


# ---------------------------------------------------------------------------------------
# the component


class TranslateTest(BackendStore, Pipe):
    """Translate-test: translate each Doc into the source language, tag the translation with
    a source-language pipeline, project the spans back onto the Doc's tokens."""

    def __init__(
        self,
        vocab,
        translator: Any,
        pipeline: str,
        projector: Any,
        *,
        name: str = "xlt_translate_test",
        source_lang: str = "en",
        target_lang: Optional[str] = "xx",
        spans_key: Optional[str] = None,
        source_spans_key: Optional[str] = None,
        label_map: Optional[Dict[str, str]] = None,
        unmapped: str = "drop",
        batch_size: int = 32,
        save_translation: bool = False,
        scorer: Optional[Callable] = None,
    ) -> None:
        label_map = dict(DEFAULT_LABEL_MAP if label_map is None else label_map)
        for label, value in label_map.items():
            if not (isinstance(label, str) and label and isinstance(value, str) and value):
                raise XLTError(Errors.E491.format(component=name, label=label, value=value))
        checks = (
            ("unmapped", unmapped, unmapped in UNMAPPED, " or ".join(UNMAPPED)),
            ("batch_size", batch_size, is_int(batch_size, 1), "an integer >= 1"),
            ("pipeline", pipeline, isinstance(pipeline, str) and bool(pipeline), "a pipeline package name or folder"),
            ("source_lang", source_lang, isinstance(source_lang, str) and bool(source_lang), "a language code (ISO 639 or the translator's)"),
        )
        for setting, value, ok, options in checks:
            check_setting(name, setting, value, ok, options)
        check_translator(name, translator)
        self.vocab = vocab
        self.name = name
        self.translator = translator
        self.backends = {TRANSLATOR_DIR: translator} if isinstance(translator, Backend) else {}
        self.pipeline = pipeline
        self.projector = projector
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.spans_key = spans_key
        self.source_spans_key = source_spans_key
        self.label_map = label_map
        self.unmapped = unmapped
        self.batch_size = batch_size
        self.save_translation = save_translation
        self.scorer = scorer
        self.source_nlp: Optional[Language] = None
        self.cfg: Dict[str, Any] = {"pipeline": None}
        #: pairs translated, source predictions, those the label map dropped, and the
        #: projector's counts (``spacy_xlt.pipes.util.PROJECTION_STATS``) over every Doc
        self.stats: Counter = Counter()

    @property
    def projector_stats(self) -> Counter:
        return getattr(self.projector, "stats", Counter())

    # --- running -----------------------------------------------------------------------

    def require(self) -> None:
        if self.target_lang in (None, "xx"):
            raise XLTError(Errors.E295.format(name=self.name))
        require_translator(self.translator)
        if self.source_nlp is None:
            raise XLTError(Errors.E487.format(component=self.name, name=self.pipeline))

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            yield from self.predict_docs(list(batch))

    def predict_docs(self, docs: List[Doc]) -> List[Doc]:
        """Translate, tag and project one batch of target Docs (written in place)."""
        self.require()
        texts = [doc.text for doc in docs]
        todo = [i for i, t in enumerate(texts) if t.strip()]
        done = dict(zip(todo, self.translator.translate([texts[i] for i in todo], self.target_lang, self.source_lang)))
        translations = [done.get(i, "") for i in range(len(docs))]
        sources = list(self.source_nlp.pipe(translations))
        kept = [
            {key: doc.user_data[key] for key in (SOURCE_KEY, PROJECTION_KEY) if key in doc.user_data}
            for doc in docs
        ]
        records = []
        for doc, src in zip(docs, sources):
            predicted = self._source_spans(src)
            mapped, dropped = self._map(predicted)
            bare = Doc(src.vocab, words=[t.text for t in src], spaces=[bool(t.whitespace_) for t in src])
            set_doc_spans(bare, mapped, None)
            make_pair(bare, doc, source_lang=self.source_lang)
            records.append((predicted, dropped))
            self.stats.update(pairs=1, source_predictions=len(predicted), dropped_labels=len(dropped))
        projected = list(self.projector.pipe(docs, batch_size=len(docs))) if docs else []
        for doc, old, (predicted, dropped), text in zip(projected, kept, records, translations):
            if self.save_translation:
                doc.user_data[TRANSLATE_TEST_KEY] = {
                    "translation": text,
                    "source_lang": self.source_lang,
                    "pipeline": self.cfg.get("pipeline") or self.pipeline,
                    "predictions": [list(s) for s in predicted],
                    "dropped": [list(s) for s in dropped],
                }
            else:
                for key in (SOURCE_KEY, PROJECTION_KEY, TRANSLATE_TEST_KEY):
                    doc.user_data.pop(key, None)
                doc.user_data.update(old)
        return projected

    def _source_spans(self, src: Doc) -> List[TokenSpan]:
        if self.source_spans_key is None:
            spans = src.ents
        else:
            spans = src.spans.get(self.source_spans_key, [])
        out = sorted(TokenSpan(s.start, s.end, s.label_) for s in spans)
        if self.source_spans_key is not None:  # a span group may overlap: keep the first of each
            kept: List[TokenSpan] = []
            for s in out:
                if not kept or s.start >= kept[-1].end:
                    kept.append(s)
            out = kept
        return out

    def _map(self, spans: List[TokenSpan]):
        mapped, dropped = [], []
        for s in spans:
            label = self.label_map.get(s.label)
            if label is None and self.unmapped == "keep":
                label = s.label
            if label is None:
                dropped.append(s)
            else:
                mapped.append(TokenSpan(s.start, s.end, label))
        return mapped, dropped

    # --- lifecycle -----------------------------------------------------------------------

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp=None) -> None:
        """Load the translator, the source pipeline (by its name or folder) and the
        projector's models: the only step that may reach the hub."""
        self.load_backends()
        if self.source_nlp is None:
            self._set_source(load_source_pipeline(self.pipeline, self.name))
        init = getattr(self.projector, "initialize", None)
        if callable(init):
            init(lambda: [], nlp=None)
        follow_spans_key(nlp, self.name, self.spans_key)
        self.stats.clear()

    def _set_source(self, source: Language) -> None:
        """Use a loaded source pipeline; an error if none of its components writes where the
        spans are read (``doc.ents``, or ``doc.spans`` with ``source_spans_key``)."""
        where = "doc.ents" if self.source_spans_key is None else "doc.spans"
        writers = [n for n in source.pipe_names if where in (source.get_pipe_meta(n).assigns or [])]
        if not writers:
            shown = where if self.source_spans_key is None else f"doc.spans[{self.source_spans_key!r}]"
            raise XLTError(Errors.E492.format(component=self.name, where=shown, name=self.pipeline))
        labels = {str(label) for n in writers for label in (getattr(source.get_pipe(n), "labels", ()) or ())}
        self.source_nlp = source
        self.cfg = {
            "pipeline": str(self.pipeline),
            "source": {
                "lang": source.lang,
                "name": source.meta.get("name"),
                "version": source.meta.get("version"),
                "labels": sorted(labels),
            },
        }

    def replace_source_pipeline(self, source: Language) -> None:
        """Use ``source`` (a loaded pipeline) as the source pipeline (the caller acts as
        ``initialize``)."""
        self._set_source(source)

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        return (self.scorer or score_spans)(examples, spans_key=self.spans_key, **kwargs)

    # --- saving --------------------------------------------------------------------------

    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = ensure_path(path)
        super().to_disk(path, exclude=exclude)
        if self.source_nlp is not None and SOURCE_DIR not in exclude:
            self.source_nlp.to_disk(path / SOURCE_DIR)
        to_disk = getattr(self.projector, "to_disk", None)
        if callable(to_disk) and PROJECTOR_DIR not in exclude:
            to_disk(path / PROJECTOR_DIR)

    def from_disk(self, path, *, exclude=tuple()):
        path = ensure_path(path)
        super().from_disk(path, exclude=exclude)
        if (path / SOURCE_DIR).exists() and SOURCE_DIR not in exclude:
            self._set_source_loaded(load_source_pipeline(path / SOURCE_DIR, self.name))
        from_disk = getattr(self.projector, "from_disk", None)
        if callable(from_disk) and (path / PROJECTOR_DIR).exists() and PROJECTOR_DIR not in exclude:
            from_disk(path / PROJECTOR_DIR)
        return self

    def _set_source_loaded(self, source: Language) -> None:
        cfg = dict(self.cfg)
        self._set_source(source)
        self.cfg.update({k: v for k, v in cfg.items() if v is not None})

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        data: Dict[str, Any] = {"store": super().to_bytes(exclude=exclude)}
        if self.source_nlp is not None and SOURCE_DIR not in exclude:
            data[SOURCE_DIR] = {"config": self.source_nlp.config.to_str(), "bytes": self.source_nlp.to_bytes()}
        to_bytes = getattr(self.projector, "to_bytes", None)
        if callable(to_bytes) and PROJECTOR_DIR not in exclude:
            data[PROJECTOR_DIR] = to_bytes()
        return srsly.msgpack_dumps(data)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()):
        data = srsly.msgpack_loads(bytes_data)
        if not isinstance(data, dict) or "store" not in data:
            raise XLTError(Errors.E490.format(path="the given bytes", component=self.name, why="no component data"))
        super().from_bytes(data["store"], exclude=exclude)
        if SOURCE_DIR in data and SOURCE_DIR not in exclude:
            from spacy.util import load_model_from_config
            from thinc.api import Config

            source = load_model_from_config(Config().from_str(data[SOURCE_DIR]["config"]), auto_fill=True)
            self._set_source_loaded(source.from_bytes(data[SOURCE_DIR]["bytes"]))
        from_bytes = getattr(self.projector, "from_bytes", None)
        if callable(from_bytes) and PROJECTOR_DIR in data and PROJECTOR_DIR not in exclude:
            from_bytes(data[PROJECTOR_DIR])
        return self


def load_source_pipeline(name: Any, component: str) -> Language:
    """``spacy.load`` of the source pipeline (a package name or a folder), with a coded
    error naming it when it does not load."""
    import spacy

    try:
        return spacy.load(name if not isinstance(name, Path) else str(name))
    except (OSError, ValueError, ImportError) as err:
        raise XLTError(Errors.E486.format(name=str(name), component=component, why=err)) from err
