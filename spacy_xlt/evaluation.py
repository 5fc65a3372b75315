"""Span-level scoring with seqeval: strict IOB2 and the conlleval-like default, and projection F1.

Both modes are seqeval's own; nothing here counts matches itself. ``strict`` is
``mode="strict", scheme=IOB2``: only well-formed spans count, so an ``I-`` tag that does not
continue a span of its label opens no entity. ``default`` is seqeval's conlleval-compatible
mode, which reads such an ``I-`` as the start of an entity; the published projection papers
report this one. Docs always give well-formed IOB2 tags, so the modes can differ only for
tag lists scored with :func:`evaluate_tags`.

Scores are fractions in [0, 1]. seqeval's ``zero_division=0`` applies: precision is 0 when
nothing was predicted, recall is 0 when there is nothing to find, and a corpus with no spans
on either side scores 0 everywhere with support 0 and no labels (macro averages, which
seqeval leaves NaN there, are reported as 0 too).
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
from spacy.tokens import Doc

from .errors import Errors, XLTError
from .labels import spans_to_tags
from .pairs import doc_spans, has_source, source_spans

#: Evaluation modes, with the words the CLI prints above their numbers.
MODES: Dict[str, str] = {
    "strict": "strict IOB2 (seqeval mode=strict)",
    "default": "default (conlleval-like)",
}


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise XLTError(Errors.E062.format(mode=mode, options=", ".join(MODES)))


def _check_tags(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> None:
    if len(gold) != len(pred):
        raise XLTError(Errors.E060.format(n_gold=len(gold), n_pred=len(pred)))
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise XLTError(Errors.E064.format(sentence=i, n_gold=len(g), n_pred=len(p)))
        for side, tags in (("gold", g), ("predicted", p)):
            for j, tag in enumerate(tags):
                if tag != "O" and (tag[:2] not in ("B-", "I-") or len(tag) < 3):
                    raise XLTError(Errors.E063.format(tag=tag, index=j, side=side, sentence=i))


def _scores(row: dict) -> Dict[str, float]:
    return {
        "p": float(row["precision"]),
        "r": float(row["recall"]),
        "f": float(row["f1-score"]),
        "support": int(row["support"]),
    }


def evaluate_tags(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], mode: str = "strict"
) -> dict:
    """Span P/R/F1 of IOB2 tag sequences, micro, macro and per label, by seqeval.

    Returns ``{"mode", "micro", "macro", "per_label", "n_sentences"}``; each score is
    ``{"p", "r", "f", "support"}`` with fractions in [0, 1] and support the number of gold
    spans. Tags must be ``O``, ``B-X`` or ``I-X``; ill-formed sequences are allowed, and
    are what tells the two modes apart.
    """
    _check_mode(mode)
    gold = [list(s) for s in gold]
    pred = [list(s) for s in pred]
    _check_tags(gold, pred)
    kwargs = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    with warnings.catch_warnings():
        # numpy's "mean of empty slice" for the macro average when there are no labels
        warnings.simplefilter("ignore", RuntimeWarning)
        report = classification_report(
            # seqeval rejects an empty corpus; one empty sentence has the same (zero) spans
            gold or [[]],
            pred or [[]],
            output_dict=True,
            zero_division=0,
            **kwargs,
        )
    averages = ("micro avg", "macro avg", "weighted avg")
    per_label = {label: _scores(row) for label, row in report.items() if label not in averages}
    macro = _scores(report["macro avg"])
    if not per_label:
        macro = {"p": 0.0, "r": 0.0, "f": 0.0, "support": 0}
    return {
        "mode": mode,
        "micro": _scores(report["micro avg"]),
        "macro": macro,
        "per_label": dict(sorted(per_label.items())),
        "n_sentences": len(gold),
    }


def _excerpt(words: Sequence[str], position: int, width: int = 3) -> str:
    text = " ".join(words[max(0, position - width) : position + width + 1])
    return text if len(text) <= 80 else text[:77] + "..."


def docs_to_tags(
    gold_docs: Iterable[Doc],
    pred_docs: Iterable[Doc],
    spans_key: Optional[str] = None,
    require_same_tokens: bool = True,
) -> Tuple[List[List[str]], List[List[str]]]:
    """IOB2 tags of the entities (or span group ``spans_key``) of aligned gold and predicted Docs.

    Doc i of each side must have the same tokens (``require_same_tokens=False`` checks only
    that the token counts agree, for predictions whose token texts were normalised).
    """
    gold_docs = list(gold_docs)
    pred_docs = list(pred_docs)
    if len(gold_docs) != len(pred_docs):
        raise XLTError(Errors.E060.format(n_gold=len(gold_docs), n_pred=len(pred_docs)))
    gold_tags: List[List[str]] = []
    pred_tags: List[List[str]] = []
    for i, (g, p) in enumerate(zip(gold_docs, pred_docs)):
        g_words = [t.text for t in g]
        p_words = [t.text for t in p]
        if len(g_words) != len(p_words) or (require_same_tokens and g_words != p_words):
            pos = next(
                (k for k, (a, b) in enumerate(zip(g_words, p_words)) if a != b),
                min(len(g_words), len(p_words)),
            )
            raise XLTError(
                Errors.E061.format(
                    index=i, position=pos, gold=_excerpt(g_words, pos), pred=_excerpt(p_words, pos)
                )
            )
        gold_tags.append(
            spans_to_tags(doc_spans(g, spans_key), len(g), record=f"gold document {i}")
        )
        pred_tags.append(
            spans_to_tags(doc_spans(p, spans_key), len(p), record=f"predicted document {i}")
        )
    return gold_tags, pred_tags


def evaluate_docs(
    gold_docs: Iterable[Doc],
    pred_docs: Iterable[Doc],
    spans_key: Optional[str] = None,
    mode: str = "strict",
    require_same_tokens: bool = True,
) -> dict:
    """Score predicted Docs against gold Docs (same documents, same tokens): see :func:`evaluate_tags`."""
    _check_mode(mode)
    gold_tags, pred_tags = docs_to_tags(gold_docs, pred_docs, spans_key, require_same_tokens)
    return evaluate_tags(gold_tags, pred_tags, mode)


def projection_coverage(
    projected_docs: Iterable[Doc], spans_key: Optional[str] = None
) -> Optional[dict]:
    """How many source spans of parallel pairs got no projection; ``None`` if the Docs are not pairs.

    Per Doc and label, ``max(0, source spans - projected spans)`` source spans count as
    unprojected: a projector maps a source span to at most one target span, and pairs do
    not record which span went where.
    """
    docs = list(projected_docs)
    paired = [has_source(doc) for doc in docs]
    if not any(paired):
        return None
    if not all(paired):
        raise XLTError(Errors.E065.format(index=paired.index(False), first=paired.index(True)))
    n_source = n_projected = n_unprojected = 0
    for i, doc in enumerate(docs):
        src = Counter(s.label for s in source_spans(doc, i))
        proj = Counter(s.label for s in doc_spans(doc, spans_key))
        n_source += sum(src.values())
        n_projected += sum(proj.values())
        n_unprojected += sum(max(0, n - proj[label]) for label, n in src.items())
    return {
        "n_source_spans": n_source,
        "n_projected_spans": n_projected,
        "n_unprojected_source_spans": n_unprojected,
    }


def evaluate_projection(
    gold_target_docs: Iterable[Doc],
    projected_docs: Iterable[Doc],
    spans_key: Optional[str] = None,
    mode: str = "strict",
) -> dict:
    """Intrinsic evaluation of projections: F1 against gold target annotation on identical tokens.

    The result is that of :func:`evaluate_docs`; where the projected Docs are parallel pairs
    (carrying ``xlt_source``), ``"projection"`` adds the :func:`projection_coverage` counts.
    """
    projected_docs = list(projected_docs)
    result = evaluate_docs(
        gold_target_docs, projected_docs, spans_key, mode, require_same_tokens=True
    )
    coverage = projection_coverage(projected_docs, spans_key)
    if coverage is not None:
        result["projection"] = coverage
    return result
