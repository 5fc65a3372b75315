"""``spacy xlt pair SOURCE TARGET OUTPUT``: join source Docs (with spans) and their target
sentences into parallel pairs, one ``.spacy`` file that projectors read."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import typer
from spacy.tokens import Doc
from wasabi import msg

from ..corpora import (
    CONLL_SUFFIXES,
    FORMATS,
    count_spans,
    detect_format,
    looks_like_quality_tsv,
    looks_tagged,
    read_corpus,
)
from ..errors import Errors, XLTError
from ..pairs import build_pairs, read_target_lines, source_spans, write_pairs
from ..util import blank
from ._app import xlt_cli

TARGET_FORMATS = (*FORMATS, "text")


def target_format(path: Path) -> str:
    """``text`` (one sentence per line) or a corpus format, from the name and first lines.

    ``.txt`` and unknown endings are plain text unless their lines look like ``WORD TAG``
    rows (MasakhaNER's ``.txt`` files are CoNLL).
    """
    name = path.name.lower()
    if name.endswith((".spacy", ".xml")) or (
        name.endswith(CONLL_SUFFIXES) and not name.endswith(".txt")
    ):
        return detect_format(path)
    if looks_tagged(path):
        return "quality" if looks_like_quality_tsv(path) else "conll"
    return "text"


def pair_files(
    source_path: Path,
    target_path: Path,
    output_path: Path,
    target_lang: str,
    source_lang: str = "en",
    skip_empty: bool = False,
    spans_key: Optional[str] = None,
    source_fmt: str = "auto",
    target_fmt: str = "auto",
) -> dict:
    """Build and write the pairs; returns the counts that the command prints.

    Keys: ``n_pairs``, ``n_skipped`` (empty targets, with ``skip_empty``), ``target_format``,
    ``source_spans`` and ``target_spans`` (per label; the target's are its gold spans, kept
    so that a projection can be scored against them later).
    """
    if source_fmt not in FORMATS:
        raise XLTError(
            Errors.E025.format(fmt=source_fmt, path=source_path, options=", ".join(FORMATS))
        )
    if target_fmt not in TARGET_FORMATS:
        raise XLTError(
            Errors.E025.format(fmt=target_fmt, path=target_path, options=", ".join(TARGET_FORMATS))
        )
    sources = read_corpus(source_path, fmt=source_fmt, lang=source_lang, spans_key=spans_key)
    if target_fmt == "auto":
        if not target_path.exists():
            raise XLTError(Errors.E021.format(path=target_path))
        if target_path.is_dir():
            raise XLTError(Errors.E027.format(path=target_path))
        target_fmt = target_format(target_path)
    nlp = blank(target_lang)
    targets: Sequence[Union[str, Doc]]
    if target_fmt == "text":
        targets = read_target_lines(target_path)
    else:
        targets = read_corpus(target_path, fmt=target_fmt, lang=nlp, spans_key=spans_key)
    pairs, skipped = build_pairs(
        sources,
        targets,
        nlp.tokenizer,
        source_name=str(source_path),
        target_name=str(target_path),
        skip_empty=skip_empty,
        spans_key=spans_key,
        source_lang=source_lang,
    )
    src_counts: Dict[str, int] = {}
    for i, pair in enumerate(pairs):
        # checks each source side's spans against its words before anything is written
        for span in source_spans(pair, i):
            src_counts[span.label] = src_counts.get(span.label, 0) + 1
    write_pairs(pairs, output_path)
    return {
        "source": str(source_path),
        "target": str(target_path),
        "output": str(output_path),
        "target_format": target_fmt,
        "n_pairs": len(pairs),
        "n_skipped": skipped,
        "source_spans": dict(sorted(src_counts.items())),
        "target_spans": count_spans(pairs, spans_key),
    }


@xlt_cli.command("pair")
def pair_cli(
    source_path: Path = typer.Argument(
        ..., help="Source corpus with spans (.spacy, CoNLL/IOB, quality TSV, XML)"
    ),
    target_path: Path = typer.Argument(
        ..., help="Target sentences: plain text (one per line) or a corpus (.spacy, CoNLL...)"
    ),
    output_path: Path = typer.Argument(..., help="Output .spacy file of pairs"),
    target_lang: str = typer.Option(
        ..., "--target-lang", "-t", help="Target language (tokenizer, vocab)"
    ),
    source_lang: str = typer.Option("en", "--source-lang", "-s", help="Source language"),
    skip_empty: bool = typer.Option(
        False,
        "--skip-empty",
        help="Drop pairs whose target line is empty (counted) instead of failing",
    ),
    spans_key: Optional[str] = typer.Option(
        None, "--spans-key", "-k", help="Spans in doc.spans[KEY], not doc.ents"
    ),
    source_fmt: str = typer.Option(
        "auto", "--source-format", help="auto, conll, quality, xml or spacy"
    ),
    target_fmt: str = typer.Option(
        "auto", "--target-format", help="auto, text, conll, quality, xml or spacy"
    ),
) -> None:
    """Pair source Docs (with their spans) with target sentences, for annotation projection.

    Sentence i of TARGET is the translation of document i of SOURCE. Plain-text targets are
    tokenized with a blank pipeline of --target-lang; corpus targets keep their tokens and
    their gold spans, so the projection can be scored against them later.
    """
    try:
        result = pair_files(
            source_path,
            target_path,
            output_path,
            target_lang=target_lang,
            source_lang=source_lang,
            skip_empty=skip_empty,
            spans_key=spans_key,
            source_fmt=source_fmt,
            target_fmt=target_fmt,
        )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    msg.good(f"Wrote {result['n_pairs']} pairs to {result['output']}")
    if result["n_skipped"]:
        msg.warn(f"Skipped {result['n_skipped']} pairs with an empty target sentence")
    src, tgt = result["source_spans"], result["target_spans"]
    msg.info(
        f"{sum(src.values())} source spans; target ({result['target_format']}): "
        f"{sum(tgt.values())} gold spans"
    )
    labels = sorted(set(src) | set(tgt))
    if labels:
        rows = [(label, src.get(label, 0), tgt.get(label, 0)) for label in labels]
        msg.table(
            rows, header=("label", "source", "target gold"), divider=True, aligns=("l", "r", "r")
        )
