"""Word alignments -> target spans: Pharaoh I/O and the one span step shared by every aligner.

Every aligner (embedding similarity, softmax threshold, statistical, or alignments a user
brings in Pharaoh ``i-j`` format) ends in :func:`project_spans`. For each source span it
takes the target tokens aligned to any of the span's tokens, drops punctuation-only ones,
groups them into runs of consecutive tokens merged across holes (the hole between two runs,
not their extent) of at most ``max_gap`` tokens or ``gap_ratio`` of the source span's length,
whichever is more, and keeps the run with most aligned tokens -- the guard against stray
far-away links -- or, with ``policy="hull"``, the plain min-max hull. Overlaps between the
candidates of different source spans are then resolved over the whole sentence, in the order
of their support (not assuming that the target order follows the source order): a losing
candidate is re-projected onto the tokens still free, and counted as a conflict only if
nothing is left.

The boundaries then follow the source span's own extent and content, over target tokens
that are still free and not aligned to any source token outside the span: a span that starts
(ends) with punctuation takes the target punctuation next to its projection
(``edge_punct``), and a span of at least ``edge_min_length`` tokens that starts at the first
source token (ends at the last) reaches the first (last) target token (``sentence_edges``),
so a span covering its whole sentence projects to the whole translation, sentence-initial
articles and final full stop included. Short spans (names, opinion targets) keep the edges
their aligned tokens give: their annotation leaves out articles the translation adds.
"""

from __future__ import annotations

import inspect
import numbers
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ..errors import Errors, XLTError
from ..labels import TokenSpan
from ..ty import Alignment

POLICIES = ("largest_run", "hull")
OVERLAPS = ("trim", "drop", "keep")

#: Status of one source span after projection.
PROJECTED, UNALIGNED, CONFLICT = "projected", "unaligned", "conflict"


# --------------------------------------------------------------------------- Pharaoh format


def parse_pharaoh(
    line: str,
    n_source: Optional[int] = None,
    n_target: Optional[int] = None,
    *,
    record: str = "alignment",
) -> Alignment:
    """Parse one Pharaoh line (``"0-0 1-2 3-3"``) into sorted, de-duplicated (i, j) pairs.

    Only the plain ``i-j`` form is accepted (0-based source and target word indices); the
    ``i-j-p`` probability suffix and ``ipj`` "possible" links of gold alignment files are
    rejected with an error rather than silently read. An empty line means no links. Where
    ``n_source`` / ``n_target`` are given, indices are checked against them.
    """
    pairs = set()
    for item in line.split():
        i_str, sep, j_str = item.partition("-")
        if not sep or not i_str.isdigit() or not j_str.isdigit():
            raise XLTError(Errors.E140.format(record=record, item=item))
        i, j = int(i_str), int(j_str)
        if n_source is not None and i >= n_source:
            raise XLTError(
                Errors.E141.format(record=record, item=item, side="source", index=i, n=n_source)
            )
        if n_target is not None and j >= n_target:
            raise XLTError(
                Errors.E141.format(record=record, item=item, side="target", index=j, n=n_target)
            )
        pairs.add((i, j))
    return sorted(pairs)


def format_pharaoh(alignment: Iterable[Tuple[int, int]]) -> str:
    """One Pharaoh line for an alignment (sorted; no trailing newline)."""
    return " ".join(f"{i}-{j}" for i, j in sorted(set((int(i), int(j)) for i, j in alignment)))


def _file_lines(path: Path) -> List[str]:
    """The lines of a UTF-8 text file (``spacy_xlt.io``: a BOM dropped, CRLF read, a bad byte
    named by line and column); a final newline ends the last line, it does not start an
    empty one."""
    from ..io import read_lines

    return read_lines(path)


def read_pharaoh(
    path: Union[str, Path],
    source_lengths: Optional[Sequence[int]] = None,
    target_lengths: Optional[Sequence[int]] = None,
    *,
    reverse: bool = False,
) -> List[Alignment]:
    """Read a Pharaoh file: line i holds the links of sentence pair i; an empty line, none.

    With ``source_lengths`` / ``target_lengths`` (word counts per sentence), the number of
    lines and every index are checked, and errors name the file and line. ``reverse=True``
    reads a target-to-source file (``j-i``) as source-to-target.
    """
    path = Path(path)
    lines = _file_lines(path)
    for lengths in (source_lengths, target_lengths):
        if lengths is not None and len(lengths) != len(lines):
            raise XLTError(Errors.E142.format(path=path, n_lines=len(lines), n_pairs=len(lengths)))
    alignments: List[Alignment] = []
    for k, line in enumerate(lines):
        n_src = source_lengths[k] if source_lengths is not None else None
        n_tgt = target_lengths[k] if target_lengths is not None else None
        if reverse:
            n_src, n_tgt = n_tgt, n_src
        alignment = parse_pharaoh(line, n_src, n_tgt, record=f"{path}:{k + 1}")
        if reverse:
            alignment = sorted((j, i) for i, j in alignment)
        alignments.append(alignment)
    return alignments


def write_pharaoh(
    path: Union[str, Path],
    alignments: Iterable[Iterable[Tuple[int, int]]],
    inputs: Iterable[Optional[Union[str, Path]]] = (),
) -> Path:
    """Write one Pharaoh line per sentence pair (an empty line where there are no links),
    atomically (``spacy_xlt.io``: the file appears whole or not at all, and ``path`` must not
    be one of ``inputs``, a folder or under a file)."""
    from ..io import open_text_output

    path = Path(path)
    with open_text_output(path, inputs) as f:
        for alignment in alignments:
            f.write(format_pharaoh(alignment) + "\n")
    return path


# --------------------------------------------------------------------------- spans


#: Characters of Unicode category P* that can belong to a span ("50 %", "Barnes & Noble").
SPAN_SIGNS = frozenset("%‰‱&#@")


def is_punct(word: str) -> bool:
    """True for a token made only of punctuation characters (Unicode category P*).

    Symbols (``$``, ``+``, category S*) and :data:`SPAN_SIGNS` are not punctuation here.
    """
    return bool(word) and all(
        unicodedata.category(c).startswith("P") and c not in SPAN_SIGNS for c in word
    )


@dataclass
class SpanProjection:
    """What became of one source span: its aligned target tokens, the candidate, the outcome."""

    source: TokenSpan
    #: target tokens aligned to the span after dropping punctuation-only ones
    aligned: List[int]
    #: the target span proposed before overlap resolution (None: no aligned token)
    candidate: Optional[TokenSpan]
    #: the target span finally kept, edge rules applied (None: unaligned or lost in a conflict)
    target: Optional[TokenSpan]
    status: str


@dataclass
class ProjectionResult:
    """The projection of one sentence's source spans onto its target tokens.

    ``spans`` are sorted and (unless overlaps were kept on purpose) non-overlapping;
    every source span is in exactly one of: projected (``details[k].target``),
    ``unaligned`` (no aligned target token) or ``conflicts`` (its target tokens were all
    taken by spans with more support).
    """

    spans: List[TokenSpan] = field(default_factory=list)
    unaligned: List[TokenSpan] = field(default_factory=list)
    conflicts: List[TokenSpan] = field(default_factory=list)
    details: List[SpanProjection] = field(default_factory=list)


def _runs(indices: Sequence[int], max_gap: int) -> List[List[int]]:
    """Group sorted indices into runs, merging two neighbouring runs when the hole between
    them (the tokens strictly between, not the runs' extent) has at most ``max_gap`` tokens."""
    runs: List[List[int]] = []
    for j in indices:
        if runs and j - runs[-1][-1] - 1 <= max_gap:
            runs[-1].append(j)
        else:
            runs.append([j])
    return runs


def _run_key(run: Sequence[int], support: dict) -> tuple:
    # most aligned tokens, then most distinct source tokens behind them, then leftmost
    return (len(run), len(set().union(*(support[j] for j in run))), -run[0])


def _choose(aligned: Sequence[int], support: dict, policy: str, max_gap: int) -> Tuple[int, int]:
    """The (start, end) that a non-empty sorted set of aligned target tokens projects to."""
    if policy == "hull":
        return aligned[0], aligned[-1] + 1
    best = max(_runs(aligned, max_gap), key=lambda run: _run_key(run, support))
    return best[0], best[-1] + 1


def span_gap(length: int, max_gap: int = 2, gap_ratio: float = 0.25) -> int:
    """The widest hole merged inside the projection of a source span of ``length`` tokens:
    ``max_gap``, or ``gap_ratio`` times the span's length (rounded down) where that is more."""
    return max(max_gap, int(gap_ratio * length))


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_settings(settings: Dict[str, Any]) -> None:
    """Raise E143 for a span-step setting of the wrong type or out of range."""

    def bad(name: str, options: str) -> XLTError:
        return XLTError(Errors.E143.format(name=name, value=settings[name], options=options))

    for name, options in (("policy", POLICIES), ("overlaps", OVERLAPS)):
        if settings[name] not in options:
            raise bad(name, ", ".join(options))
    if not _is_int(settings["max_gap"]) or settings["max_gap"] < 0:
        raise bad("max_gap", "an integer >= 0")
    ratio = settings["gap_ratio"]
    if not isinstance(ratio, numbers.Real) or isinstance(ratio, bool) or not 0 <= ratio <= 1:
        raise bad("gap_ratio", "a number from 0 to 1")
    if not _is_int(settings["edge_min_length"]) or settings["edge_min_length"] < 1:
        raise bad("edge_min_length", "an integer >= 1")
    for name in ("ignore_punct", "edge_punct", "sentence_edges"):
        if not isinstance(settings[name], bool):
            raise bad(name, "true or false")


def project_spans(
    source_spans: Iterable[TokenSpan],
    alignment: Iterable[Tuple[int, int]],
    target_words: Union[Sequence[str], int],
    *,
    policy: str = "largest_run",
    max_gap: int = 2,
    gap_ratio: float = 0.25,
    ignore_punct: bool = True,
    edge_punct: bool = True,
    sentence_edges: bool = True,
    edge_min_length: int = 5,
    overlaps: str = "trim",
    source_words: Optional[Sequence[str]] = None,
    n_source: Optional[int] = None,
    record: str = "the sentence pair",
) -> ProjectionResult:
    """Project labelled source spans onto target tokens through a word alignment.

    source_spans: spans of source tokens (start inclusive, end exclusive).
    alignment: (source index, target index) links, e.g. from :func:`parse_pharaoh`.
    target_words: the target tokens (or just their number, which disables ``ignore_punct``
        and ``edge_punct``).
    policy: ``"largest_run"`` keeps the run (after merging holes, see ``max_gap``) with most
        aligned tokens; ``"hull"`` takes min to max aligned token.
    max_gap, gap_ratio: runs of aligned tokens are merged across holes of at most
        ``max(max_gap, int(gap_ratio * length))`` tokens, ``length`` being the source span's:
        two tokens for names and terms, a quarter of the span for a clause.
    ignore_punct: drop target tokens made only of punctuation from the aligned set (so they
        neither extend a span nor form one; a span aligned only to punctuation is unaligned).
    edge_punct: a source span that starts (ends) with punctuation takes the target
        punctuation right before (after) its projection; without ``source_words`` a span
        edge counts as punctuation when its links all go to target punctuation that no other
        source token is linked to.
    sentence_edges: a source span of at least ``edge_min_length`` tokens that starts at the
        first source token (ends at the last, which needs ``n_source`` or ``source_words``)
        reaches the first (last) target token, when the target tokens in between are not
        aligned to any source token outside the span: so a span covering the whole
        sentence projects to the whole target sentence.
    overlaps: how candidates of different source spans that overlap on the target are
        resolved, in order of support (aligned tokens, then density, then source order):
        ``"trim"`` re-projects a losing candidate onto its aligned tokens still free,
        ``"drop"`` drops it, ``"keep"`` keeps overlapping spans (for span groups). The
        edge rules then widen the spans kept, in the same order, over tokens still free.
    source_words: the source tokens, for ``edge_punct`` (and their number for ``n_source``).
    n_source: number of source tokens, to check the alignment's source indices.
    """
    settings = dict(
        policy=policy,
        max_gap=max_gap,
        gap_ratio=gap_ratio,
        ignore_punct=ignore_punct,
        edge_punct=edge_punct,
        sentence_edges=sentence_edges,
        edge_min_length=edge_min_length,
        overlaps=overlaps,
    )
    check_settings(settings)
    if isinstance(target_words, int):
        n_target, words = target_words, None
    else:
        words = list(target_words)
        n_target = len(words)
    src_words = None if source_words is None else list(source_words)
    if src_words is not None:
        if n_source is not None and n_source != len(src_words):
            raise XLTError(
                Errors.E147.format(record=record, n_words=len(src_words), n_source=n_source)
            )
        n_source = len(src_words)
    sources = [TokenSpan(*s) for s in source_spans]
    for span in sources:
        if not 0 <= span.start < span.end or (n_source is not None and span.end > n_source):
            n = "the number of source tokens" if n_source is None else n_source
            raise XLTError(Errors.E144.format(span=tuple(span), record=record, n=n))

    links = sorted(set((int(i), int(j)) for i, j in alignment))
    for i, j in links:
        if i < 0 or j < 0 or j >= n_target or (n_source is not None and i >= n_source):
            raise XLTError(
                Errors.E145.format(
                    record=record,
                    link=f"{i}-{j}",
                    n_source="?" if n_source is None else n_source,
                    n_target=n_target,
                )
            )
    by_source: Dict[int, List[int]] = {}
    by_target: Dict[int, List[int]] = {}
    for i, j in links:
        by_source.setdefault(i, []).append(j)
        by_target.setdefault(j, []).append(i)
    target_punct = [is_punct(w) for w in words] if words is not None else [False] * n_target
    dropped = target_punct if ignore_punct else [False] * n_target

    details: List[SpanProjection] = []
    supports: List[dict] = []
    gaps: List[int] = []
    for span in sources:
        support: dict = {}
        for i in range(span.start, span.end):
            for j in by_source.get(i, ()):
                if not dropped[j]:
                    support.setdefault(j, set()).add(i)
        aligned = sorted(support)
        gap = span_gap(span.end - span.start, max_gap, gap_ratio)
        candidate = None
        if aligned:
            start, end = _choose(aligned, support, policy, gap)
            candidate = TokenSpan(start, end, span.label)
        details.append(
            SpanProjection(
                span, aligned, candidate, None, UNALIGNED if candidate is None else PROJECTED
            )
        )
        supports.append(support)
        gaps.append(gap)

    def strength(k: int) -> tuple:
        cand = details[k].candidate
        n_in = sum(1 for j in details[k].aligned if cand.start <= j < cand.end)
        return (-n_in, -n_in / (cand.end - cand.start), k)

    taken = [False] * n_target
    order = sorted((k for k, d in enumerate(details) if d.candidate is not None), key=strength)
    for k in order:
        d = details[k]
        cand = d.candidate
        if overlaps == "keep" or not any(taken[cand.start : cand.end]):
            d.target = cand
        elif overlaps == "trim":
            free = [j for j in d.aligned if not taken[j]]
            # a re-projected span must not reach across a token already taken
            target = None
            if free:
                free_support = {j: supports[k][j] for j in free}
                start, end = _choose(free, free_support, policy, gaps[k])
                if any(taken[start:end]):
                    start, end = _largest_free_piece(free, free_support, taken, start, end)
                target = TokenSpan(start, end, cand.label)
            d.target = target
        if d.target is None:
            d.status = CONFLICT
        else:
            for j in range(d.target.start, d.target.end):
                taken[j] = True

    if edge_punct or sentence_edges:
        edges = _Edges(by_source, by_target, target_punct, src_words, n_source, n_target)
        for k in order:
            d = details[k]
            if d.target is None:
                continue
            start, end = edges.widen(
                d.source,
                d.target,
                [False] * n_target if overlaps == "keep" else taken,
                punct=edge_punct and words is not None,
                sentence=sentence_edges and d.source.end - d.source.start >= edge_min_length,
            )
            if (start, end) != (d.target.start, d.target.end):
                d.target = TokenSpan(start, end, d.target.label)
                for j in range(start, end):
                    taken[j] = True

    return ProjectionResult(
        spans=sorted(d.target for d in details if d.target is not None),
        unaligned=[d.source for d in details if d.status == UNALIGNED],
        conflicts=[d.source for d in details if d.status == CONFLICT],
        details=details,
    )


@dataclass
class _Edges:
    """The boundary rules of :func:`project_spans` for one sentence pair."""

    by_source: Dict[int, List[int]]
    by_target: Dict[int, List[int]]
    target_punct: List[bool]
    source_words: Optional[List[str]]
    n_source: Optional[int]
    n_target: int

    def _source_punct(self, i: int) -> bool:
        if self.source_words is not None:
            return is_punct(self.source_words[i])
        # no source words: a token linked only to target punctuation that nothing else is
        # linked to (a mark translates a mark; a word linked to punctuation is noise)
        targets = self.by_source.get(i)
        return bool(targets) and all(
            self.target_punct[j] and self.by_target[j] == [i] for j in targets
        )

    def widen(
        self,
        source: TokenSpan,
        target: TokenSpan,
        taken: Sequence[bool],
        *,
        punct: bool,
        sentence: bool,
    ) -> Tuple[int, int]:
        """The (start, end) of ``target`` after the edge rules, over tokens free in ``taken``."""

        def joins(j: int) -> bool:
            # free, and not the translation of anything outside the source span
            return not taken[j] and all(
                source.start <= i < source.end for i in self.by_target.get(j, ())
            )

        start, end = target.start, target.end
        if sentence:
            if source.start == 0 and all(joins(j) for j in range(start)):
                start = 0
            if source.end == self.n_source and all(joins(j) for j in range(end, self.n_target)):
                end = self.n_target
        if punct:
            if self._source_punct(source.end - 1):
                while end < self.n_target and self.target_punct[end] and joins(end):
                    end += 1
            if self._source_punct(source.start):
                while start > 0 and self.target_punct[start - 1] and joins(start - 1):
                    start -= 1
        return start, end


#: The keyword arguments of :func:`project_spans` that are inputs, not settings of the step.
_INPUTS = ("source_words", "n_source", "record")

#: Every setting of the span step: the keyword arguments of :func:`project_spans` that have
#: defaults, less its inputs; values are bools, ints, floats and strings (config friendly).
SETTINGS: Tuple[str, ...] = tuple(
    name
    for name, param in inspect.signature(project_spans).parameters.items()
    if param.kind is inspect.Parameter.KEYWORD_ONLY and name not in _INPUTS
)

def projection_settings(**overrides: Any) -> Dict[str, Any]:
    """Every setting of :func:`project_spans` (:data:`SETTINGS`) with its default, updated
    with ``overrides``: the ``xlt_alignment_projector`` component's config is built from it,
    and reports say with it how spans were made."""
    params = inspect.signature(project_spans).parameters
    settings = {k: params[k].default for k in SETTINGS}
    settings.update(overrides)
    return settings


def _largest_free_piece(
    free: Sequence[int], support: dict, taken: Sequence[bool], start: int, end: int
) -> Tuple[int, int]:
    """Cut [start, end) at taken tokens and keep the piece with most free aligned tokens."""
    pieces: List[List[int]] = []
    current: List[int] = []
    for j in range(start, end):
        if taken[j]:
            if current:
                pieces.append(current)
            current = []
        else:
            current.append(j)
    if current:
        pieces.append(current)
    aligned = set(free)

    def score(piece: List[int]) -> tuple:
        inside = [j for j in piece if j in aligned]
        return (
            len(inside),
            len(set().union(*(support[j] for j in inside))) if inside else 0,
            -piece[0],
        )

    best = max(pieces, key=score)
    inside = [j for j in best if j in aligned]
    # trim the piece to its aligned tokens, so it never starts or ends on an unaligned one
    return inside[0], inside[-1] + 1
