"""What every spacy_xlt component shares: span scoring and score weights that follow the
component's ``spans_key``, the record a projector leaves on each Doc, and the one
vocabulary of projection counts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from spacy.scorer import Scorer
from spacy.training import Example
from spacy.util import registry

from ..errors import Errors, XLTError
from ..labels import TokenSpan
from ..pairs import PROJECTION_KEY  # noqa: F401 (the projectors import it from here)
from ..ty import TranslatorBackend

#: The counts every projector keeps in ``stats``: pairs seen, source spans, source spans
#: projected, source spans with no target at all ("unaligned": no aligned token, or no
#: surviving T-Projection candidate) and source spans whose targets all went to other spans
#: ("conflict").
PROJECTION_STATS = ("pairs", "source_spans", "projected", "unaligned", "conflict")

#: Long-input counts of ``xlt_tprojection``'s ``stats``: pairs whose generator input did not
#: fit in the generator's ``max_length`` (their target was read in windows, each with the
#: placeholders: no target word and no placeholder lost), the generator inputs made for them,
#: pairs whose placeholders alone did not fit and were split into groups, generated
#: sequences that ran out of ``max_new_tokens``, and sequences the scorer cut at its
#: ``max_length`` (a span text or candidate longer than that).
TPROJECTION_LONG_STATS = (
    "truncated_inputs",
    "generator_windows",
    "split_placeholders",
    "generator_unfinished",
    "scorer_truncated",
)

#: Long-input counts of ``xlt_alignment_projector``'s ``stats`` (an embedding aligner's
#: encoder): sentences (source or target) longer than the encoder's ``max_length`` embedded in
#: windows (``on_long = "window"``: no word lost), the windows run for them, and with
#: ``on_long = "truncate"`` the sentences cut and the words that lost every piece.
ALIGNER_LONG_STATS = ("windowed_sentences", "windows", "truncated_sentences", "truncated_words")

#: Long-input counts of ``xlt_text2text_tagger``'s ``stats``: sentences tagged in windows
#: (longer than the model's ``max_length``, or needing more than ``max_new_tokens``), the
#: windows run for them, spans dropped where overlapping windows disagreed, and sentences
#: whose tagging was really cut (``truncated``: by ``truncated_input``, a single word longer
#: than ``max_length``, or ``truncated_output``, generation that ran out of new tokens).
TAGGER_LONG_STATS = (
    "windowed",
    "windows",
    "window_conflicts",
    "truncated",
    "truncated_input",
    "truncated_output",
)


def score_attr(spans_key: Optional[str]) -> str:
    """The prefix of the score names: ``ents`` for ``doc.ents``, ``spans_<key>`` for a group."""
    return "ents" if spans_key is None else f"spans_{spans_key}"


def score_spans(
    examples: Iterable[Example],
    spans_key: Optional[str] = None,
    labels: Optional[Sequence[str]] = None,
    **kwargs,
) -> Dict[str, Any]:
    """P/R/F of ``doc.ents`` (``spans_key`` None, keys ``ents_*``) or of the span group
    ``spans_key`` (keys ``spans_<key>_*``), as spaCy's own scorers name them; with
    ``labels``, only spans of those labels count (on both sides)."""
    known = None if labels is None else set(labels)

    def getter(doc, attr):
        spans = doc.ents if spans_key is None else doc.spans.get(spans_key, [])
        return list(spans) if known is None else [s for s in spans if s.label_ in known]

    return Scorer.score_spans(examples, score_attr(spans_key), getter=getter, **kwargs)


@registry.scorers("spacy_xlt.span_scorer.v1")
def make_span_scorer() -> Callable:
    """The scorer of projectors and taggers; the component passes its ``spans_key``."""
    return score_spans


#: The weights the factories register; :func:`follow_spans_key` renames them for a group.
DEFAULT_SCORE_WEIGHTS = {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0}


def follow_spans_key(nlp: Any, name: str, spans_key: Optional[str]) -> None:
    """Make the score weights of component ``name`` name the scores it reports.

    spaCy takes score weights from the factory, which can only name ``ents_*``; a component
    writing to ``doc.spans[KEY]`` reports ``spans_KEY_*``, and spaCy's training loop drops
    weights that name no reported score, so best-model selection would silently stop
    working. Called from ``initialize``: the component's weights become ``spans_KEY_f``
    (1.0), ``_p`` and ``_r`` (0.0), unless the config already weights those scores, and the
    ``ents_*`` defaults are hidden unless another component reports them.
    """
    if nlp is None or spans_key is None or name not in nlp.component_names:
        return
    prefix = score_attr(spans_key)
    weights = {f"{prefix}_f": 1.0, f"{prefix}_p": 0.0, f"{prefix}_r": 0.0}
    meta = nlp.get_pipe_meta(name)
    nlp._pipe_meta[name] = dataclasses.replace(
        meta, default_score_weights=weights, scores=list(weights)
    )
    configured = nlp._config.setdefault("training", {}).setdefault("score_weights", {})
    others = {
        key
        for other in nlp.component_names
        if other != name
        for key in (nlp.get_pipe_meta(other).default_score_weights or {})
    }
    for key, value in DEFAULT_SCORE_WEIGHTS.items():
        if key not in others and configured.get(key, value) == value and key in configured:
            configured[key] = None
    for key in weights:
        if configured.get(key) is None:
            configured.pop(key, None)


def projection_record(
    method: str,
    unaligned: Iterable[TokenSpan],
    conflicts: Iterable[TokenSpan],
    **extra: Any,
) -> Dict[str, Any]:
    """What a projector stores in ``doc.user_data[PROJECTION_KEY]``: the method, the source
    spans left unaligned and those lost in conflicts (``spacy_xlt.visualize`` reads these),
    and whatever the projector saves on request (alignments, candidates, scores …)."""
    return {
        "method": method,
        "unaligned": [list(s) for s in unaligned],
        "conflicts": [list(s) for s in conflicts],
        **extra,
    }


def count_projection(stats: Counter, n_source: int, n_projected: int, n_unaligned: int, n_conflict: int) -> None:
    """Add one pair's outcome to a projector's ``stats`` (:data:`PROJECTION_STATS`)."""
    stats.update(
        pairs=1,
        source_spans=n_source,
        projected=n_projected,
        unaligned=n_unaligned,
        conflict=n_conflict,
    )


def check_setting(component: str, name: str, value: Any, ok: bool, options: str) -> None:
    """A coded error naming the component, the setting and what it accepts."""
    if not ok:
        raise XLTError(Errors.E326.format(name=name, value=value, component=component, options=options))


def check_translator(component: str, translator: Any) -> None:
    """The coded error of a component whose ``translator`` setting is no translator backend."""
    options = "a translator backend (translate and score), e.g. spacy_xlt.Translator.v1"
    check_setting(component, "translator", type(translator).__name__, isinstance(translator, TranslatorBackend), options)


def require_translator(translator: Any) -> None:
    """The translator's own error when it is not loaded yet (one without ``require``, a
    plain ``TranslatorBackend``, is always ready)."""
    require = getattr(translator, "require", None)
    if callable(require):
        require()


def is_int(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def unique_labels(labels: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(labels))
