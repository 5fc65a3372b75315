"""``spacy xlt convert INPUT OUTPUT``: CoNLL/IOB, quality TSV or SemEval XML to ``.spacy``."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import typer
from wasabi import msg

from ..corpora import (
    FORMATS,
    GENERIC_SUFFIXES,
    count_spans,
    detected_format,
    read_corpus,
    read_semeval_xml,
    sniff_format,
)
from ..errors import Errors, XLTError
from ..io import check_output, check_output_folder, check_outputs
from ..labels import SCHEMES
from ..pairs import write_docs
from ._app import xlt_cli


def convert_file(
    input_path: Path,
    output_path: Path,
    fmt: str = "auto",
    lang: str = "xx",
    spans_key: Optional[str] = None,
    scheme: str = "auto",
) -> dict:
    """Convert one corpus file to a DocBin (user data kept); returns its counts.

    Keys: ``input``, ``output``, ``format``, ``n_docs``, ``n_spans``, ``labels`` (spans per
    label) and, for SemEval XML, ``xml`` (see :func:`spacy_xlt.corpora.read_semeval_xml`).
    """
    if fmt not in FORMATS:
        raise XLTError(Errors.E025.format(fmt=fmt, path=input_path, options=", ".join(FORMATS)))
    if scheme not in SCHEMES:
        raise XLTError(Errors.E002.format(scheme=scheme, options=", ".join(SCHEMES)))
    check_output(output_path, [input_path])  # before the input is read
    detected = None
    if fmt == "auto":
        sniff = detected_format(input_path)
        fmt, detected = sniff.fmt, (None if sniff.by_name else sniff.why)
    xml_stats = None
    if fmt == "xml":
        docs, xml_stats = read_semeval_xml(input_path, lang, spans_key)
    else:
        docs = read_corpus(input_path, fmt=fmt, lang=lang, spans_key=spans_key, scheme=scheme)
    write_docs(docs, output_path, [input_path])
    labels = count_spans(docs, spans_key)
    result = {
        "input": str(input_path),
        "output": str(output_path),
        "format": fmt,
        "n_docs": len(docs),
        "n_spans": sum(labels.values()),
        "labels": labels,
    }
    if xml_stats is not None:
        result["xml"] = xml_stats
    if detected is not None:
        result["detected"] = detected
    return result


def _folder_jobs(input_dir: Path, output_dir: Path, fmt: str) -> List[Tuple[Path, Path]]:
    """(input, output) per file of ``input_dir`` (recursive) that has a corpus format.

    ``output_dir`` must not be ``input_dir`` or inside it, and no output may be one of the
    input files (by name or, as a link, by identity): checked before anything is written."""
    check_output_folder(output_dir, [input_dir])
    jobs: List[Tuple[Path, Path]] = []
    seen: Dict[Path, Path] = {}
    files = sorted(p for p in input_dir.rglob("*") if p.is_file())
    for path in files:
        if fmt == "auto":
            # a bad byte in a corpus file is an error, not a reason to skip it
            sniff = sniff_format(path)
            if sniff.fmt == "spacy":
                msg.text(f"skipped {path}: already a .spacy file")
                continue
            if sniff.fmt == "text":
                msg.text(f"skipped {path}: not a CoNLL file ({sniff.why}); pass --format conll to convert it anyway")
                continue
            if sniff.fmt is None:
                if path.name.lower().endswith(GENERIC_SUFFIXES):
                    msg.text(f"skipped {path}: cannot tell whether it is CoNLL ({sniff.why}); pass --format conll to convert it")
                else:
                    msg.text(f"skipped {path}: no corpus format (pass --format to convert it anyway)")
                continue
        out = output_dir / path.relative_to(input_dir).with_suffix(".spacy")
        if out in seen:
            raise XLTError(Errors.E352.format(a=seen[out], b=path, output=out))
        seen[out] = path
        jobs.append((path, out))
    check_outputs([out for _, out in jobs], files)
    return jobs


def _summary(result: dict) -> str:
    fmt = result["format"]
    if result.get("detected"):
        fmt = f"{fmt}: {result['detected']}"
    return (
        f"{result['input']} ({fmt}): {result['n_docs']} sentences, "
        f"{result['n_spans']} spans -> {result['output']}"
    )


def _print_labels(labels: Dict[str, int]) -> None:
    if labels:
        msg.table(list(labels.items()), header=("label", "spans"), divider=True, aligns=("l", "r"))


def _print_xml(xml: dict) -> None:
    msg.info(
        f"XML: {xml['opinions']} opinions, {xml['null_targets']} NULL targets skipped, "
        f"{xml['duplicates']} duplicate targets merged, {xml['overlapping']} overlapping targets "
        f"dropped, {xml['expanded']} targets expanded to token boundaries"
    )


@xlt_cli.command("convert")
def convert_cli(
    input_path: Path = typer.Argument(..., help="Corpus file, or a folder of them"),
    output_path: Path = typer.Argument(..., help="Output .spacy file (a folder when INPUT is one)"),
    fmt: str = typer.Option("auto", "--format", "-f", help="auto, conll, quality, xml or spacy"),
    lang: str = typer.Option(
        "xx", "--lang", "-l", help="Language of the vocab (and of the XML tokenizer)"
    ),
    spans_key: Optional[str] = typer.Option(
        None, "--spans-key", "-k", help="Write spans to doc.spans[KEY], not doc.ents"
    ),
    scheme: str = typer.Option(
        "auto", "--scheme", "-s", help="Tag scheme: auto, iob1, iob2 or bioes"
    ),
) -> None:
    """Convert a corpus to spaCy's binary format and print its sentence and span counts.

    CoNLL/IOB files (one token per line, tag in the last column, blank line between
    sentences), manual-projection quality TSVs (WORD TAG QUALITY) and SemEval-2016 ABSA XML.
    Tags are normalised to IOB2. A folder is converted file by file into OUTPUT (a folder
    outside INPUT), keeping the relative paths; with --format auto, files of no corpus format
    are skipped. --format auto goes by the file name, except for .txt files, which are CoNLL
    only where every line is WORD ... TAG (one column count, one tag scheme) with blank lines
    between sentences: plain text, or lines that merely end in tag-like words, are an error
    that asks for --format. OUTPUT is written atomically and never over an input.
    """
    try:
        if not input_path.is_dir():
            result = convert_file(input_path, output_path, fmt, lang, spans_key, scheme)
            msg.good(_summary(result))
            _print_labels(result["labels"])
            if "xml" in result:
                _print_xml(result["xml"])
            return
        jobs = _folder_jobs(input_path, output_path, fmt)
        if not jobs:
            raise XLTError(Errors.E353.format(path=input_path))
        n_docs = 0
        labels: Dict[str, int] = {}
        for src, out in jobs:
            result = convert_file(src, out, fmt, lang, spans_key, scheme)
            msg.good(_summary(result))
            if "xml" in result:
                _print_xml(result["xml"])
            n_docs += result["n_docs"]
            for label, n in result["labels"].items():
                labels[label] = labels.get(label, 0) + n
    except XLTError as err:
        msg.fail(str(err), exits=1)
    msg.info(f"{len(jobs)} files: {n_docs} sentences, {sum(labels.values())} spans")
    _print_labels(dict(sorted(labels.items())))
