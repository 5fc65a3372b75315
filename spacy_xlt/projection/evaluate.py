"""Intrinsic evaluation of alignment projection: project gold source spans through given word
alignments and score the result against gold target spans (seqeval, via spacy_xlt.evaluation).

    python -m spacy_xlt.projection.evaluate --source en.test.tsv --target es.gold.tsv \\
        --alignments en-es.pharaoh

prints strict and default (conlleval-like) micro P/R/F1 and the unaligned / conflict counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from spacy.tokens import Doc

from ..corpora import read_tagged
from ..errors import Errors, XLTError
from ..evaluation import MODES, evaluate_tags
from ..labels import TokenSpan, spans_to_tags
from ..pairs import doc_spans
from ..ty import Alignment
from .alignment import (
    OVERLAPS,
    POLICIES,
    ProjectionResult,
    project_spans,
    projection_settings,
    read_pharaoh,
)

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


def format_report(result: Dict[str, Any]) -> str:
    """A few lines of text: micro P/R/F1 (percent) per mode, then the counts."""
    lines = []
    for mode in MODES:
        if mode in result:
            m = result[mode]["micro"]
            lines.append(
                f"{MODES[mode]:<36} P {100 * m['p']:6.2f}  R {100 * m['r']:6.2f}  F1 {100 * m['f']:6.2f}"
            )
    counts = result["counts"]
    lines.append(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
    lines.append("settings: " + ", ".join(f"{k}={v}" for k, v in result["settings"].items()))
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m spacy_xlt.projection.evaluate",
        description="Project gold source spans through Pharaoh word alignments and score them against gold target spans.",
    )
    parser.add_argument("--source", required=True, help="source CoNLL file with gold spans")
    parser.add_argument(
        "--target", required=True, help="gold target CoNLL file or manual-projection TSV"
    )
    parser.add_argument(
        "--alignments", required=True, help="Pharaoh file, line i aligns sentence pair i"
    )
    parser.add_argument(
        "--reverse", action="store_true", help="the alignments are target-source (j-i)"
    )
    parser.add_argument("--policy", choices=POLICIES, default=None)
    parser.add_argument("--max-gap", type=int, default=None)
    parser.add_argument(
        "--keep-punct", action="store_true", help="do not drop punctuation-only target tokens"
    )
    parser.add_argument("--overlaps", choices=OVERLAPS[:2], default=None)
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    kwargs: Dict[str, Any] = {}
    if args.policy is not None:
        kwargs["policy"] = args.policy
    if args.max_gap is not None:
        kwargs["max_gap"] = args.max_gap
    if args.keep_punct:
        kwargs["ignore_punct"] = False
    if args.overlaps is not None:
        kwargs["overlaps"] = args.overlaps
    try:
        result = evaluate_alignment_files(
            args.source, args.target, args.alignments, reverse=args.reverse, **kwargs
        )
    except XLTError as err:
        print(err, file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
