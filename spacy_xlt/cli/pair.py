"""``spacy xlt pair SOURCE TARGET OUTPUT``: join source Docs (with spans) and their target
sentences into parallel pairs, one ``.spacy`` file that projectors read."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Union

import typer
from spacy.tokens import Doc
from wasabi import msg

from ..corpora import (
    CONLL_SUFFIXES,
    FORMATS,
    GENERIC_SUFFIXES,
    Sniff,
    count_spans,
    detected_format,
    read_corpus,
    sniff_text,
)
from ..errors import Errors, XLTError
from ..io import check_output
from ..pairs import build_pairs, read_target_lines, source_spans, write_pairs
from ..util import blank
from ._app import xlt_cli

TARGET_FORMATS = (*FORMATS, "text")


def sniff_target(path: Path) -> Sniff:
    """How to read a target file: ``text`` (one sentence per line) or a corpus format, and
    why (for the console); an error where that cannot be told.

    ``.spacy`` and ``.xml`` files, and the CoNLL endings but ``.txt``, go by their name (see
    :func:`spacy_xlt.corpora.sniff_format`). ``.txt`` and unknown endings go by their content
    (:func:`spacy_xlt.corpora.sniff_text`): CoNLL only where every line is ``WORD ... TAG``
    with one column count and one tag scheme, blank lines end the sentences and a sentence has
    several tokens (MasakhaNER's ``.txt`` files); text where some line is not such a row; and
    where the lines only happen to end in tag-like words ("S-Bahn", "B-52"), an error that
    asks for ``--target-format``.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".spacy", ".xml")) or (
        name.endswith(CONLL_SUFFIXES) and not name.endswith(GENERIC_SUFFIXES)
    ):
        return detected_format(path, option="--target-format")
    if not path.exists():
        raise XLTError(Errors.E021.format(path=path))
    if path.is_dir():
        raise XLTError(Errors.E027.format(path=path))
    sniff = sniff_text(path)
    if sniff.fmt is None:
        raise XLTError(
            Errors.E349.format(
                path=path,
                why=sniff.why,
                option="--target-format",
                options="text: one sentence per line; conll: one token per line, WORD ... TAG",
            )
        )
    return sniff


def target_format(path: Path) -> str:
    """``text`` (one sentence per line) or a corpus format: see :func:`sniff_target`."""
    return sniff_target(path).fmt  # type: ignore[return-value]


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
    on_detect: Optional[Callable[[Path, str, str], None]] = None,
) -> dict:
    """Build and write the pairs; returns the counts that the command prints.

    Keys: ``n_pairs``, ``n_skipped`` (empty targets, with ``skip_empty``), ``target_format``,
    ``target_detected`` (why, where ``target_fmt`` is ``auto``), ``source_spans`` and
    ``target_spans`` (per label; the target's are its gold spans, kept so that a projection
    can be scored against them later). ``on_detect(path, fmt, why)`` is called as soon as the
    target's format is detected (the command prints it). The output must not be an input.
    """
    if source_fmt not in FORMATS:
        raise XLTError(
            Errors.E025.format(fmt=source_fmt, path=source_path, options=", ".join(FORMATS))
        )
    if target_fmt not in TARGET_FORMATS:
        raise XLTError(
            Errors.E025.format(fmt=target_fmt, path=target_path, options=", ".join(TARGET_FORMATS))
        )
    check_output(output_path, [source_path, target_path])  # before anything is read
    sources = read_corpus(source_path, fmt=source_fmt, lang=source_lang, spans_key=spans_key)
    detected = None
    if target_fmt == "auto":
        sniff = sniff_target(target_path)
        target_fmt, detected = sniff.fmt, sniff.why
        if on_detect is not None:
            on_detect(target_path, target_fmt, detected)
    targets: Sequence[Union[str, Doc]]
    tokenizer = None
    if target_fmt == "text":  # lines to tokenize: the language's pipeline
        targets = read_target_lines(target_path)
        tokenizer = blank(target_lang).tokenizer
    else:  # Docs; read_corpus makes a pipeline only for text it tokenizes (XML)
        targets = read_corpus(target_path, fmt=target_fmt, lang=target_lang, spans_key=spans_key)
    pairs, skipped = build_pairs(
        sources,
        targets,
        tokenizer,
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
    write_pairs(pairs, output_path, [source_path, target_path])
    return {
        "source": str(source_path),
        "target": str(target_path),
        "output": str(output_path),
        "target_format": target_fmt,
        "target_detected": detected,
        "n_pairs": len(pairs),
        "n_skipped": skipped,
        "source_spans": dict(sorted(src_counts.items())),
        "target_spans": count_spans(pairs, spans_key),
    }


def _say_detected(path: Path, fmt: str, why: str) -> None:
    name = "plain text, one sentence per line" if fmt == "text" else fmt
    msg.info(f"{path}: read as {name} ({why}); pass --target-format to say otherwise")


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
        "auto",
        "--target-format",
        help="auto, text (one sentence per line), conll, quality, xml or spacy; auto decides "
        "only where the file is unambiguous, and says what it found",
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
            on_detect=_say_detected,
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
