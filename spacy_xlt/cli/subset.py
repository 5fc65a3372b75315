"""``spacy xlt subset INPUT [INPUT ...] OUTPUT``: one ``.spacy`` corpus from the first N
documents of each input, keeping only some span labels.

This is how a project builds its training and test sets: CoNLL-2003 without MISC,
MasakhaNER without DATE (spans of other labels become O), "silver + English gold" training
sets (inputs concatenated in order), and smaller smoke-test corpora (``--limit``).

Silver data can be filtered by what projection did to each pair: ``--drop-lost`` drops the
pairs where a source span got no projection (the projector's record in
``doc.user_data["xlt_projection"]``: unaligned, or lost in an overlap), and
``--require-equal-counts`` the pairs whose target holds another number of spans of some
label than the source (any pairs; no record needed). ``--only-dropped`` keeps just the pairs
these filters drop, to look at them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

import typer
from spacy.tokens import Doc, SpanGroup
from wasabi import msg

from ..errors import Errors, XLTError
from ..io import check_output, check_output_folder, check_outputs
from ..pairs import PROJECTION_KEY, SOURCE_KEY, doc_spans, source_spans, write_docs
from ._app import xlt_cli
from ._util import comma_list

#: Why a pair filter drops a pair: the names of the counts ``subset`` reports.
LOST = "lost"
COUNTS = "counts"


@dataclass(frozen=True)
class PairFilter:
    """Which pairs :func:`subset_docs` drops: ``drop_lost`` those where a source span got no
    projection (the projection record's ``unaligned`` and ``conflicts``); ``equal_counts``
    those whose target has another number of spans of some label than the source;
    ``only_dropped`` keeps just the pairs the others drop. Labels outside ``--keep-labels``
    are left out of both tests."""

    drop_lost: bool = False
    equal_counts: bool = False
    only_dropped: bool = False

    def __post_init__(self):
        if self.only_dropped and not self.active:
            raise XLTError(Errors.E463)

    @property
    def active(self) -> bool:
        return self.drop_lost or self.equal_counts

    def reasons(
        self, doc: Doc, index: int, path, keep: Optional[Set[str]], spans_key: Optional[str]
    ) -> List[str]:
        """Why the pair ``doc`` (doc ``index`` of ``path``) fails the filters: ``[]``, or
        :data:`LOST` and/or :data:`COUNTS`. A Doc that is not a pair, or (``drop_lost``) has
        no projection record, is a coded error naming it."""
        if not self.active:
            return []
        if SOURCE_KEY not in doc.user_data:
            raise XLTError(Errors.E461.format(path=path, index=index, what="a pair filter"))
        reasons = []
        if self.drop_lost:
            record = doc.user_data.get(PROJECTION_KEY)
            if not isinstance(record, dict):
                raise XLTError(Errors.E462.format(path=path, index=index))
            lost = [*record.get("unaligned", ()), *record.get("conflicts", ())]
            if any(keep is None or span[2] in keep for span in lost):
                reasons.append(LOST)
        if self.equal_counts:
            source = Counter(s.label for s in source_spans(doc, index))
            target = Counter(s.label for s in doc_spans(doc, spans_key))
            if keep is not None:
                source = Counter({k: n for k, n in source.items() if k in keep})
            if source != target:
                reasons.append(COUNTS)
        return reasons

    def keeps(self, reasons: List[str]) -> bool:
        return bool(reasons) if self.only_dropped else not reasons


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
    pair_filter: Optional[PairFilter] = None,
    skip: int = 0,
) -> Tuple[List[Doc], dict]:
    """The first ``limit`` Docs of ``input_path`` after the first ``skip`` (0: all; user
    data kept), spans filtered, then pairs filtered by ``pair_filter``.

    Returns the Docs and their counts: ``input``, ``n_input_docs``, ``n_docs``, ``kept`` and
    ``dropped`` (spans per label, in the Docs written), and with an active filter
    ``dropped_pairs``: ``n`` (pairs the filter left out) and per reason how many pairs
    failed it (``lost``, ``counts``; a pair can fail both).
    """
    from ..corpora import read_corpus

    if limit < 0:
        raise XLTError(Errors.E092.format(limit=limit))
    if skip < 0:
        raise XLTError(Errors.E464.format(skip=skip))
    pair_filter = pair_filter or PairFilter()
    docs = read_corpus(input_path, fmt="spacy", lang=vocab)
    n_input = len(docs)
    first = min(skip, n_input)
    selected = docs[first : first + limit] if limit > 0 else docs[first:]
    kept: Dict[str, int] = {}
    dropped: Dict[str, int] = {}
    failed = {LOST: 0, COUNTS: 0}
    out: List[Doc] = []
    for i, doc in enumerate(selected, start=first):
        doc_kept, doc_dropped = filter_spans(doc, keep, spans_key)
        reasons = pair_filter.reasons(doc, i, input_path, keep, spans_key)
        for reason in reasons:
            failed[reason] += 1
        if not pair_filter.keeps(reasons):
            continue
        out.append(doc)
        _add(kept, doc_kept)
        _add(dropped, doc_dropped)
    counts = {
        "input": str(input_path),
        "n_input_docs": n_input,
        "n_docs": len(out),
        "kept": dict(sorted(kept.items())),
        "dropped": dict(sorted(dropped.items())),
    }
    if pair_filter.active:
        counts["dropped_pairs"] = {"n": len(selected) - len(out), **failed}
    return out, counts


def subset_files(
    input_paths: Sequence[Path],
    output_path: Path,
    keep: Optional[Set[str]] = None,
    limit: int = 0,
    spans_key: Optional[str] = None,
    lang: str = "xx",
    pair_filter: Optional[PairFilter] = None,
    skip: int = 0,
) -> List[dict]:
    """Write the subsets of ``input_paths``, concatenated in order, to ``output_path``.

    A single input that is a folder: every ``.spacy`` file under it is written to the same
    relative path under ``output_path`` (a folder). Returns the counts of each input file
    (see :func:`subset_docs`) with its ``output``.
    """
    from .. import util

    if limit < 0:
        raise XLTError(Errors.E092.format(limit=limit))
    if skip < 0:
        raise XLTError(Errors.E464.format(skip=skip))
    vocab = util.vocab(lang)
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
            docs, counts = subset_docs(path, vocab, keep, limit, spans_key, pair_filter, skip)
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
        docs, counts = subset_docs(path, vocab, keep, limit, spans_key, pair_filter, skip)
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
    skip: int = typer.Option(0, "--skip", help="Skip the first N documents of each input first"),
    spans_key: Optional[str] = typer.Option(
        None, "--spans-key", "-k", help="Filter doc.spans[KEY], not doc.ents"
    ),
    lang: str = typer.Option("xx", "--lang", "-l", help="Language of the vocab"),
    drop_lost: bool = typer.Option(
        False,
        "--drop-lost",
        help="Drop the pairs where a source span got no projection (the projection record of "
        "spacy xlt project: unaligned, or lost in an overlap)",
    ),
    equal_counts: bool = typer.Option(
        False,
        "--require-equal-counts",
        help="Drop the pairs whose target has another number of spans of some label than the source",
    ),
    only_dropped: bool = typer.Option(
        False, "--only-dropped", help="Keep only the pairs that --drop-lost / --require-equal-counts drop"
    ),
) -> None:
    """Write the first --limit documents of each input, with only the --keep-labels spans.

    Spans of other labels are removed (entities become O); user data (the source side of
    parallel pairs) is kept. Several inputs are concatenated in order into OUTPUT; a single
    folder INPUT is processed file by file into the same relative paths under OUTPUT.
    --skip and --limit select documents by position, before any pair filter: --drop-lost
    drops the projected pairs where a source span was lost, --require-equal-counts those
    whose span counts differ between source and target; --only-dropped keeps just those.
    The filters read parallel pairs only: a Doc that is not one is an error.
    """
    try:
        keep = None if keep_labels is None else set(comma_list(keep_labels, "--keep-labels"))
        pair_filter = PairFilter(drop_lost, equal_counts, only_dropped)
        results = subset_files(
            input_paths, output_path, keep, limit, spans_key, lang, pair_filter, skip
        )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    for counts in results:
        msg.good(
            f"{counts['input']}: {counts['n_docs']} of {counts['n_input_docs']} docs -> "
            f"{counts['output']}"
        )
        msg.text(f"  kept: {_labels(counts['kept'])}; dropped: {_labels(counts['dropped'])}")
        if "dropped_pairs" in counts:
            failed = counts["dropped_pairs"]
            left_out = "kept only the pairs the filters drop; left out" if only_dropped else "left out"
            msg.text(
                f"  pair filter: {left_out} {failed['n']} pairs ({failed[LOST]} with a lost "
                f"source span, {failed[COUNTS]} with other span counts than the source)"
            )
    if len(results) > 1:
        msg.info(f"{len(results)} inputs: {sum(c['n_docs'] for c in results)} docs")
