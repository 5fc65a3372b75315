"""``spacy xlt subset INPUT [INPUT ...] OUTPUT``: one ``.spacy`` corpus from the first N
documents of each input, keeping only some span labels.

This is how a project builds its training and test sets: CoNLL-2003 without MISC,
MasakhaNER without DATE (spans of other labels become O), "silver + English gold" training
sets (inputs concatenated in order), and smaller smoke-test corpora (``--limit``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

import typer
from spacy.tokens import Doc, SpanGroup
from wasabi import msg

from ..errors import Errors, XLTError
from ..io import check_output, check_output_folder, check_outputs
from ..pairs import write_docs
from ._app import xlt_cli
from ._util import comma_list


def filter_spans(
    doc: Doc, keep: Optional[Set[str]], spans_key: Optional[str] = None
) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Remove the spans whose label is not in ``keep`` (None keeps all), in place.

    Entities of other labels become O; tokens that were outside any entity (O or missing)
    keep their state. Returns the spans kept and dropped per label.
    """
    kept: Dict[str, int] = {}
    dropped: Dict[str, int] = {}
    if spans_key is None:
        spans = list(doc.ents)
    else:
        spans = list(doc.spans[spans_key]) if spans_key in doc.spans else []
    keep_spans = []
    drop_spans = []
    for span in spans:
        if keep is None or span.label_ in keep:
            keep_spans.append(span)
            kept[span.label_] = kept.get(span.label_, 0) + 1
        else:
            drop_spans.append(span)
            dropped[span.label_] = dropped.get(span.label_, 0) + 1
    if drop_spans:
        if spans_key is None:
            doc.set_ents(keep_spans, outside=drop_spans, default="unmodified")
        else:
            group = doc.spans[spans_key]
            doc.spans[spans_key] = SpanGroup(
                doc, name=group.name, attrs=dict(group.attrs), spans=keep_spans
            )
    return kept, dropped


def _add(total: Dict[str, int], counts: Dict[str, int]) -> None:
    for label, n in counts.items():
        total[label] = total.get(label, 0) + n


def subset_docs(
    input_path: Path,
    vocab,
    keep: Optional[Set[str]] = None,
    limit: int = 0,
    spans_key: Optional[str] = None,
) -> Tuple[List[Doc], dict]:
    """The first ``limit`` Docs of ``input_path`` (0: all; user data kept), spans filtered.

    Returns the Docs and their counts: ``input``, ``n_input_docs``, ``n_docs``, ``kept`` and
    ``dropped`` (spans per label).
    """
    from ..corpora import read_corpus

    if limit < 0:
        raise XLTError(Errors.E092.format(limit=limit))
    docs = read_corpus(input_path, fmt="spacy", lang=vocab)
    n_input = len(docs)
    if limit > 0:
        docs = docs[:limit]
    kept: Dict[str, int] = {}
    dropped: Dict[str, int] = {}
    for doc in docs:
        doc_kept, doc_dropped = filter_spans(doc, keep, spans_key)
        _add(kept, doc_kept)
        _add(dropped, doc_dropped)
    counts = {
        "input": str(input_path),
        "n_input_docs": n_input,
        "n_docs": len(docs),
        "kept": dict(sorted(kept.items())),
        "dropped": dict(sorted(dropped.items())),
    }
    return docs, counts


def subset_files(
    input_paths: Sequence[Path],
    output_path: Path,
    keep: Optional[Set[str]] = None,
    limit: int = 0,
    spans_key: Optional[str] = None,
    lang: str = "xx",
) -> List[dict]:
    """Write the subsets of ``input_paths``, concatenated in order, to ``output_path``.

    A single input that is a folder: every ``.spacy`` file under it is written to the same
    relative path under ``output_path`` (a folder). Returns the counts of each input file
    (see :func:`subset_docs`) with its ``output``.
    """
    from .. import util

    if limit < 0:
        raise XLTError(Errors.E092.format(limit=limit))
    vocab = util.blank(lang).vocab
    for path in input_paths:
        if not path.exists():
            raise XLTError(Errors.E021.format(path=path))
        if path.is_dir() and len(input_paths) > 1:
            raise XLTError(Errors.E094.format(path=path, n=len(input_paths)))
    if len(input_paths) == 1 and input_paths[0].is_dir():
        input_dir = input_paths[0]
        check_output_folder(output_path, [input_dir])
        files = sorted(p for p in input_dir.rglob("*.spacy") if p.is_file())
        if not files:
            raise XLTError(Errors.E093.format(path=input_dir))
        outputs = [output_path / path.relative_to(input_dir) for path in files]
        check_outputs(outputs, files)  # every output against every input, before any is written
        results = []
        for path, out in zip(files, outputs):
            docs, counts = subset_docs(path, vocab, keep, limit, spans_key)
            write_docs(docs, out, [path])
            counts["output"] = str(out)
            results.append(counts)
        return results
    if output_path.is_dir():
        raise XLTError(Errors.E095.format(path=output_path))
    check_output(output_path, input_paths)  # before anything is read
    all_docs: List[Doc] = []
    results = []
    for path in input_paths:
        docs, counts = subset_docs(path, vocab, keep, limit, spans_key)
        counts["output"] = str(output_path)
        all_docs.extend(docs)
        results.append(counts)
    write_docs(all_docs, output_path, input_paths)
    return results


def _labels(counts: Dict[str, int]) -> str:
    return ", ".join(f"{label} {n}" for label, n in counts.items()) or "none"


@xlt_cli.command("subset")
def subset_cli(
    input_paths: List[Path] = typer.Argument(
        ..., help="Input .spacy files, concatenated in order; or one folder of them"
    ),
    output_path: Path = typer.Argument(
        ..., help="Output .spacy file (a folder when the single INPUT is one)"
    ),
    keep_labels: Optional[str] = typer.Option(
        None, "--keep-labels", help="Comma-separated labels to keep (default: all)"
    ),
    limit: int = typer.Option(0, "--limit", help="First N documents of each input (0: all)"),
    spans_key: Optional[str] = typer.Option(
        None, "--spans-key", "-k", help="Filter doc.spans[KEY], not doc.ents"
    ),
    lang: str = typer.Option("xx", "--lang", "-l", help="Language of the vocab"),
) -> None:
    """Write the first --limit documents of each input, with only the --keep-labels spans.

    Spans of other labels are removed (entities become O); user data (the source side of
    parallel pairs) is kept. Several inputs are concatenated in order into OUTPUT; a single
    folder INPUT is processed file by file into the same relative paths under OUTPUT.
    """
    try:
        keep = None if keep_labels is None else set(comma_list(keep_labels, "--keep-labels"))
        results = subset_files(input_paths, output_path, keep, limit, spans_key, lang)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    for counts in results:
        msg.good(
            f"{counts['input']}: {counts['n_docs']} of {counts['n_input_docs']} docs -> "
            f"{counts['output']}"
        )
        msg.text(f"  kept: {_labels(counts['kept'])}; dropped: {_labels(counts['dropped'])}")
    if len(results) > 1:
        msg.info(f"{len(results)} inputs: {sum(c['n_docs'] for c in results)} docs")
