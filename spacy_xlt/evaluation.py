"""Span-level scoring with seqeval: strict IOB2 and the conlleval-like default, and projection F1
(of projected pairs against gold target files, or of gold source spans projected through given
word alignments).

Both modes are seqeval's own; nothing here counts matches itself. ``strict`` is
``mode="strict", scheme=IOB2``: only well-formed spans count, so an ``I-`` tag that does not
continue a span of its label opens no entity. ``default`` is seqeval's conlleval-compatible
mode, which reads such an ``I-`` as the start of an entity; the published projection papers
report this one. Docs always give well-formed IOB2 tags, so the modes can differ only for
tag lists scored with :func:`evaluate_tags` and for tag files scored with
:func:`evaluate_files`, which reads the tags as the files write them.

Scores are fractions in [0, 1]. seqeval's ``zero_division=0`` applies: precision is 0 when
nothing was predicted, recall is 0 when there is nothing to find, and a corpus with no spans
on either side scores 0 everywhere with support 0 and no labels (macro averages, which
seqeval leaves NaN there, are reported as 0 too).
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from seqeval.metrics import classification_report
from seqeval.scheme import BILOU, IOB2, IOBES
from spacy.tokens import Doc

from .corpora import (
    FORMATS,
    ConllSentence,
    detect_format,
    read_conll,
    read_corpus,
    read_quality_tsv,
    read_tagged,
)
from .errors import Errors, XLTError
from .labels import TokenSpan, spans_to_tags
from .pairs import doc_spans, has_source, source_spans
from .projection.alignment import ProjectionResult, project_spans, projection_settings, read_pharaoh
from .ty import Alignment

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
    return _seqeval(gold, pred, mode, IOB2)


def _seqeval(gold: List[List[str]], pred: List[List[str]], mode: str, scheme) -> dict:
    """seqeval's report of checked tags as an :func:`evaluate_tags` result; ``scheme`` is the
    seqeval scheme class of the strict mode."""
    kwargs = {"mode": "strict", "scheme": scheme} if mode == "strict" else {}
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


def words_differ(index: int, gold: Sequence[str], pred: Sequence[str]) -> XLTError:
    """The coded error (E061) for gold and predicted Docs ``index`` whose words differ, at
    the first position where they do."""
    pos = next((k for k, (a, b) in enumerate(zip(gold, pred)) if a != b), min(len(gold), len(pred)))
    return XLTError(Errors.E061.format(index=index, position=pos, gold=_excerpt(gold, pos), pred=_excerpt(pred, pos)))


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
            raise words_differ(i, g_words, p_words)
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


# --- files -------------------------------------------------------------------------------


#: seqeval's strict schemes for tag files, by name: (scheme class, tag prefixes it allows)
STRICT_SCHEMES: Dict[str, Tuple[type, str]] = {
    "IOB2": (IOB2, "BI"),
    "IOBES": (IOBES, "BIES"),
    "BILOU": (BILOU, "BILU"),
}


def evaluate_files(
    gold_path: Union[str, Path],
    pred_path: Union[str, Path],
    fmt: str = "auto",
    lang: str = "xx",
    spans_key: Optional[str] = None,
    modes: Sequence[str] = ("strict", "default"),
) -> dict:
    """Read both corpora and score them in each mode; the dict ``--output`` writes.

    Keys: ``gold``, ``pred``, ``spans_key``, ``n_docs``, one result per mode under the
    mode's name (see :func:`spacy_xlt.evaluation.evaluate_tags`), and ``projection``
    where the predicted Docs are parallel pairs.

    Where both files are tag files (CoNLL/IOB ``WORD ... TAG`` or the ``WORD TAG QUALITY``
    TSV), the tags are scored as the files write them, so each mode equals seqeval called on
    the raw tags: an ``I-X`` after ``O`` opens a span in the default mode and none in the
    strict mode. Strict is seqeval's ``mode="strict"`` in the gold file's scheme: IOB2 for
    ``B-``/``I-`` tags, IOBES where the gold has ``S-``/``E-`` tags (BIOES), BILOU where it
    has ``U-``/``L-`` tags, the prediction's where the gold has no spans; a tag of another
    scheme in either file is an error, as it is for seqeval. (A seqeval user passes the
    scheme of the data; converting BIOES to IOB2 first would repair ill-formed predictions,
    which is what strict scoring must not do.) The default mode reads ``L-``/``U-`` as
    ``E-``/``S-``, which seqeval's default mode knows. Gold IOB1 files hold ``I-`` tags that
    start spans: strict IOB2 does not count those spans, and a warning says so.

    Where either file is a ``.spacy`` DocBin or SemEval XML, both are read into Docs and the
    spans are scored (as IOB2 tags, which are well-formed, so both modes agree on them).
    Either way, the files must hold the same sentences with the same tokens.
    """
    for mode in modes:
        _check_mode(mode)
    gold_fmt, pred_fmt = _tag_format(gold_path, fmt), _tag_format(pred_path, fmt)
    if gold_fmt is not None and pred_fmt is not None:
        return _evaluate_tag_files(gold_path, pred_path, gold_fmt, pred_fmt, spans_key, modes)
    gold_docs = read_corpus(gold_path, fmt=fmt, lang=lang, spans_key=spans_key)
    pred_docs = read_corpus(pred_path, fmt=fmt, lang=lang, spans_key=spans_key)
    gold_tags, pred_tags = docs_to_tags(gold_docs, pred_docs, spans_key)
    result: Dict[str, object] = {
        "gold": str(gold_path),
        "pred": str(pred_path),
        "spans_key": spans_key,
        "n_docs": len(gold_docs),
    }
    for mode in modes:
        result[mode] = evaluate_tags(gold_tags, pred_tags, mode)
    coverage = projection_coverage(pred_docs, spans_key)
    if coverage is not None:
        result["projection"] = coverage
    return result


def _tag_format(path: Union[str, Path], fmt: str) -> Optional[str]:
    """``conll`` or ``quality`` where ``path`` read as ``fmt`` is a tag file, else None."""
    if fmt not in FORMATS:
        raise XLTError(Errors.E025.format(fmt=fmt, path=path, options=", ".join(FORMATS)))
    if fmt == "auto":
        fmt = detect_format(path)
    return fmt if fmt in ("conll", "quality") else None


def _evaluate_tag_files(
    gold_path: Union[str, Path],
    pred_path: Union[str, Path],
    gold_fmt: str,
    pred_fmt: str,
    spans_key: Optional[str],
    modes: Sequence[str],
) -> dict:
    """:func:`evaluate_files` of two tag files, on their raw tags."""
    read = {"conll": read_conll, "quality": read_quality_tsv}
    gold = read[gold_fmt](gold_path)
    pred = read[pred_fmt](pred_path)
    _check_same_tokens(gold, pred, gold_path, pred_path)
    gold_tags = [list(s.raw_tags or s.tags) for s in gold]
    pred_tags = [list(s.raw_tags or s.tags) for s in pred]
    result: Dict[str, object] = {
        "gold": str(gold_path),
        "pred": str(pred_path),
        "spans_key": spans_key,
        "n_docs": len(gold),
    }
    for mode in modes:
        if mode == "strict":
            name = _strict_scheme(gold, pred, gold_path, pred_path)
            if name == "IOB2":
                _warn_gold_starts(gold, gold_path)
            result[mode] = _seqeval(gold_tags, pred_tags, mode, STRICT_SCHEMES[name][0])
        else:
            result[mode] = _seqeval(_as_bioes(gold_tags), _as_bioes(pred_tags), mode, None)
    return result


def _check_same_tokens(
    gold: Sequence[ConllSentence],
    pred: Sequence[ConllSentence],
    gold_path: Union[str, Path],
    pred_path: Union[str, Path],
) -> None:
    if len(gold) != len(pred):
        raise XLTError(Errors.E060.format(n_gold=len(gold), n_pred=len(pred)))
    for i, (g, p) in enumerate(zip(gold, pred)):
        if g.words == p.words:
            continue
        k = next(
            (k for k, (a, b) in enumerate(zip(g.words, p.words)) if a != b),
            min(len(g.words), len(p.words)),
        )
        raise XLTError(
            Errors.E066.format(
                index=i,
                position=k,
                gold_path=gold_path,
                gold_line=g.line + k,
                gold=_token_at(g.words, k),
                pred_path=pred_path,
                pred_line=p.line + k,
                pred=_token_at(p.words, k),
            )
        )


def _token_at(words: List[str], k: int) -> str:
    return repr(words[k]) if k < len(words) else f"no token (the sentence has {len(words)})"


def _strict_scheme(
    gold: Sequence[ConllSentence],
    pred: Sequence[ConllSentence],
    gold_path: Union[str, Path],
    pred_path: Union[str, Path],
) -> str:
    """The name of the strict scheme: the gold file's, else the prediction's, else IOB2;
    an error at the first tag of either file that the scheme does not allow."""

    def scheme_of(sentences: Sequence[ConllSentence]) -> Optional[str]:
        found = None
        for sentence in sentences:
            for tag in sentence.raw_tags or sentence.tags:
                if tag[0] in "ES":
                    return "IOBES"
                if tag[0] in "LU":
                    return "BILOU"
                if tag != "O":
                    found = "IOB2"
        return found

    name = scheme_of(gold) or scheme_of(pred) or "IOB2"
    allowed = STRICT_SCHEMES[name][1]
    for path, sentences, side in ((gold_path, gold, "gold"), (pred_path, pred, "predicted")):
        for sentence in sentences:
            for k, tag in enumerate(sentence.raw_tags or sentence.tags):
                if tag != "O" and tag[0] not in allowed:
                    raise XLTError(
                        Errors.E067.format(
                            path=path,
                            line=sentence.line + k,
                            tag=tag,
                            side=side,
                            scheme=name,
                            allowed=", ".join(f"{p}-" for p in allowed),
                        )
                    )
    return name


def _warn_gold_starts(gold: Sequence[ConllSentence], gold_path: Union[str, Path]) -> None:
    """Warn where gold ``I-`` tags continue no span (IOB1 files): strict IOB2 drops them."""
    first: Optional[Tuple[int, str]] = None
    n = 0
    for sentence in gold:
        prev = "O"
        for k, tag in enumerate(sentence.raw_tags or sentence.tags):
            if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
                n += 1
                if first is None:
                    first = (sentence.line + k, tag)
            prev = tag
    if first is not None:
        warnings.warn(
            f"{gold_path}:{first[0]}: the gold tag {first[1]!r} continues no span, so strict "
            f"IOB2 scoring counts no gold span there, while the default mode opens one ({n} "
            "such gold tags). Is the gold file IOB1? Strict IOB2 scoring expects IOB2 gold.",
            UserWarning,
            stacklevel=4,
        )


def _as_bioes(tags: List[List[str]]) -> List[List[str]]:
    """BILOU's ``L-``/``U-`` as BIOES's ``E-``/``S-`` (seqeval's default mode knows those)."""
    swap = {"L": "E", "U": "S"}
    return [[swap[t[0]] + t[1:] if t[0] in swap else t for t in s] for s in tags]


def write_results(
    result: dict,
    path: Union[str, Path],
    inputs: Optional[Iterable[Optional[Union[str, Path]]]] = None,
) -> Path:
    """Write the scores of :func:`evaluate_files` as JSON (the file of ``spacy xlt evaluate
    --output``, which ``spacy xlt results`` reads), atomically (``spacy_xlt.io``). ``path``
    must not be one of ``inputs`` (default: the result's ``gold`` and ``pred`` files)."""
    from .io import write_json

    if inputs is None:
        inputs = [result.get("gold"), result.get("pred")]
    return write_json(path, result, [p for p in inputs if isinstance(p, (str, Path))])


# --- projection through given word alignments ---------------------------------------------


#: A sentence as words and labelled spans: a Doc, an object with ``.words`` and ``.spans``
#: (e.g. :class:`spacy_xlt.corpora.ConllSentence`), or a ``(words, spans)`` tuple.
SentenceLike = Union[Doc, Any, Tuple[Sequence[str], Sequence[TokenSpan]]]


def words_and_spans(
    sentence: SentenceLike, spans_key: Optional[str] = None
) -> Tuple[List[str], List[TokenSpan]]:
    """The words and spans of a Doc, a ConllSentence-like object or a ``(words, spans)`` tuple."""
    if isinstance(sentence, Doc):
        return [t.text for t in sentence], doc_spans(sentence, spans_key)
    if hasattr(sentence, "words") and hasattr(sentence, "spans"):
        return list(sentence.words), [TokenSpan(*s) for s in sentence.spans]
    words, spans = sentence
    return list(words), [TokenSpan(*s) for s in spans]


def project_corpus(
    source: Sequence[SentenceLike],
    target_words: Sequence[Sequence[str]],
    alignments: Sequence[Alignment],
    *,
    spans_key: Optional[str] = None,
    **project_kwargs: Any,
) -> List[ProjectionResult]:
    """:func:`~spacy_xlt.projection.alignment.project_spans` for every sentence pair i."""
    if len(source) != len(target_words):
        raise XLTError(
            Errors.E146.format(
                what="Source and target sentences", n_a=len(source), n_b=len(target_words)
            )
        )
    if len(source) != len(alignments):
        raise XLTError(
            Errors.E146.format(
                what="Sentence pairs and alignments", n_a=len(source), n_b=len(alignments)
            )
        )
    results = []
    for i, (src, words, alignment) in enumerate(zip(source, target_words, alignments)):
        src_words, src_spans = words_and_spans(src, spans_key)
        results.append(
            project_spans(
                src_spans,
                alignment,
                words,
                source_words=src_words,
                n_source=len(src_words),
                record=f"sentence pair {i}",
                **project_kwargs,
            )
        )
    return results


def evaluate_alignment_projection(
    source: Sequence[SentenceLike],
    target_gold: Sequence[SentenceLike],
    alignments: Sequence[Alignment],
    *,
    spans_key: Optional[str] = None,
    modes: Iterable[str] = tuple(MODES),
    **project_kwargs: Any,
) -> Dict[str, Any]:
    """Project the source spans of each pair through its alignment and score against the gold.

    source / target_gold: sentence i of each is pair i (Docs, ConllSentences or
    ``(words, spans)``); alignments: one list of (source, target) word links per pair.
    ``project_kwargs`` go to :func:`~spacy_xlt.projection.alignment.project_spans`
    (``policy``, ``max_gap``, ``ignore_punct``, ``overlaps``).

    Returns ``{mode: evaluate_tags result}`` for each mode (``"strict"``: seqeval strict IOB2;
    ``"default"``: conlleval-like, what the published projection papers report), plus
    ``"counts"`` (sentences, source / gold / projected spans, unaligned and conflict source
    spans) and ``"settings"`` (the projection settings used).
    """
    gold = [words_and_spans(s, spans_key) for s in target_gold]
    results = project_corpus(
        source, [w for w, _ in gold], alignments, spans_key=spans_key, **project_kwargs
    )
    gold_tags = [
        spans_to_tags(spans, len(words), record=f"gold target {i}")
        for i, (words, spans) in enumerate(gold)
    ]
    pred_tags = [
        spans_to_tags(r.spans, len(words), record=f"projection {i}")
        for i, (r, (words, _)) in enumerate(zip(results, gold))
    ]
    out: Dict[str, Any] = {mode: evaluate_tags(gold_tags, pred_tags, mode) for mode in modes}
    out["counts"] = {
        "sentences": len(results),
        "source_spans": sum(len(r.details) for r in results),
        "gold_spans": sum(len(spans) for _, spans in gold),
        "projected_spans": sum(len(r.spans) for r in results),
        "unaligned": sum(len(r.unaligned) for r in results),
        "conflicts": sum(len(r.conflicts) for r in results),
    }
    out["settings"] = projection_settings(**project_kwargs)
    return out


def evaluate_alignment_files(
    source_path: Union[str, Path],
    target_path: Union[str, Path],
    alignments_path: Union[str, Path],
    *,
    reverse: bool = False,
    modes: Iterable[str] = tuple(MODES),
    **project_kwargs: Any,
) -> Dict[str, Any]:
    """:func:`evaluate_alignment_projection` on files: a source CoNLL file with gold spans, a
    gold target CoNLL file or manual-projection TSV, and a Pharaoh file (line i aligns
    sentence i of both; ``reverse=True`` for a target-to-source file)."""
    source = read_tagged(source_path)
    target = read_tagged(target_path)
    if len(source) != len(target):
        raise XLTError(
            Errors.E146.format(
                what=f"{source_path} and {target_path}", n_a=len(source), n_b=len(target)
            )
        )
    alignments = read_pharaoh(
        alignments_path,
        [len(s.words) for s in source],
        [len(t.words) for t in target],
        reverse=reverse,
    )
    return evaluate_alignment_projection(source, target, alignments, modes=modes, **project_kwargs)
