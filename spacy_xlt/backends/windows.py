"""Long inputs in pieces that fit: windows of words, the window each word is read from, and
merging the spans of overlapping windows into one tagging.

Every model-facing step has a longest input (``max_length``, in tokens). A sentence longer
than that is cut here at word boundaries into pieces that each fit, never by dropping what
does not: the encoder aligners and the text-to-text tagger read overlapping windows
(:func:`plan_windows`) and take each word from the window that gives it the most context
(:func:`window_owners`); the tagger merges the windows' spans with
:func:`merge_window_spans`; T-Projection gives each window the placeholders it needs; the
translator translates chunks at sentence-ish boundaries (:func:`split_chunks`). All of these
work on per-word costs (tokens or pieces) and know nothing of models.
"""

from __future__ import annotations

import bisect
import math
from typing import List, Optional, Sequence, Tuple

from ..errors import Errors, XLTError
from ..labels import TokenSpan

#: A window: the words [start, end) of one sentence.
Window = Tuple[int, int]

#: Words that end a sentence (their last character), and words that end a clause. A chunk
#: of a long text ends after one of these where it can.
SENTENCE_ENDS = frozenset(".!?…。！？።؟۔।॥։჻")
CLAUSE_ENDS = frozenset(",;:、，；：፣፤،؛")


def _prefix(costs: Sequence[int]) -> List[int]:
    out = [0]
    for c in costs:
        out.append(out[-1] + int(c))
    return out


def plan_windows(costs: Sequence[int], budget: int, overlap: float = 0.5) -> List[Window]:
    """Windows of words covering every word, in order, each costing at most ``budget``.

    ``costs[i]`` is what word ``i`` takes (pieces, tokens); a word that alone costs more than
    ``budget`` gets a window of its own (the caller cuts it, and counts it). Consecutive
    windows share about ``overlap`` of a window (0: they only touch): the next window starts
    at the first word past ``1 - overlap`` of the budget, and always at least one word later,
    so that starts and ends both increase. A sentence that fits is one window.
    """
    if isinstance(overlap, bool) or not isinstance(overlap, (int, float)) or not 0.0 <= overlap < 1.0:
        raise XLTError(Errors.E370.format(value=overlap))
    n = len(costs)
    if n == 0:
        return []
    budget = max(int(budget), 1)
    step = max(1, int(math.floor((1.0 - overlap) * budget)))

    def extend(start: int) -> int:
        end, total = start, 0
        while end < n and total + costs[end] <= budget:
            total += costs[end]
            end += 1
        return max(end, start + 1)  # a word costlier than the budget: a window of its own

    windows: List[Window] = []
    start = 0
    end = extend(start)
    while True:
        windows.append((start, end))
        if end >= n:
            return windows
        nxt = end
        if overlap > 0.0:
            nxt, acc = start, 0
            while nxt < end and acc + costs[nxt] <= step:
                acc += costs[nxt]
                nxt += 1
            nxt = min(max(nxt, start + 1), end if end - start < 2 else end - 1)
            if extend(nxt) <= end:  # the next window would add no word: start where this ends
                nxt = end
        start, end = nxt, extend(nxt)


def window_context(costs_prefix: Sequence[int], n: int, window: Window, start: int, end: int) -> float:
    """How much context ``window`` gives the words [start, end) inside it: the smaller of the
    costs before and after them in the window; a side at the sentence's edge is unlimited."""
    a, b = window
    left = math.inf if a == 0 else costs_prefix[start] - costs_prefix[a]
    right = math.inf if b == n else costs_prefix[b] - costs_prefix[end]
    return min(left, right)


def window_owners(costs: Sequence[int], windows: Sequence[Window]) -> List[int]:
    """For each word, the index of the window that gives it the most context (measured in
    ``costs``; ties go to the earlier window). A word's vector or tag is read from there."""
    n = len(costs)
    prefix = _prefix(costs)
    best = [-math.inf] * n
    owner = [0] * n
    for k, (a, b) in enumerate(windows):
        for w in range(a, b):
            ctx = window_context(prefix, n, (a, b), w, w + 1)
            if ctx > best[w]:
                best[w], owner[w] = ctx, k
    return owner


def merge_window_spans(
    n: int,
    windows: Sequence[Window],
    spans: Sequence[Sequence[TokenSpan]],
    costs: Optional[Sequence[int]] = None,
) -> Tuple[List[TokenSpan], int]:
    """One valid tagging of ``n`` words from the taggings of overlapping windows (as
    :func:`plan_windows` makes them: starts and ends increasing).

    ``spans[k]`` are window ``k``'s spans in sentence positions (inside the window). A span
    is taken from a window only if, of the windows that hold it whole, that one gives it the
    most context (measured in ``costs``, default one per word; ties to the earlier window):
    a window that sees a span at its edge, or sees only part of it, never overrules one
    that sees it in the middle, and a window that says "no span" where it sees best keeps
    those words outside spans. Where spans taken that way still overlap (the windows
    disagree), the one with more context wins, ties to the earlier start. Returns the
    spans (sorted, non-overlapping, inside ``0..n``) and how many different spans were
    dropped that way.
    """
    costs = [1] * n if costs is None else list(costs)
    prefix = _prefix(costs)
    starts = [a for a, _ in windows]
    ends = [b for _, b in windows]
    candidates = {}
    for k, (window, found) in enumerate(zip(windows, spans)):
        a, b = window
        for span in found:
            start, end = int(span.start), int(span.end)
            if not a <= start < end <= b:
                continue  # not this window's (a caller's error): never written
            ctx = window_context(prefix, n, window, start, end)
            # the windows that hold the span whole: starts <= start and ends >= end
            lo, hi = bisect.bisect_left(ends, end), bisect.bisect_right(starts, start)
            best = max(
                range(lo, hi), key=lambda j: (window_context(prefix, n, windows[j], start, end), -j)
            )
            if best != k:
                continue
            key = TokenSpan(start, end, span.label)
            candidates[key] = max(ctx, candidates.get(key, -math.inf))
    taken = [False] * n
    out: List[TokenSpan] = []
    dropped = 0
    order = sorted(candidates.items(), key=lambda kv: (-kv[1], kv[0].start, kv[0].end, kv[0].label))
    for span, _ in order:
        if any(taken[span.start : span.end]):
            dropped += 1
            continue
        for w in range(span.start, span.end):
            taken[w] = True
        out.append(span)
    return sorted(out), dropped


def break_strength(word: str) -> int:
    """2 after a word that ends a sentence, 1 after one that ends a clause, else 0."""
    tail = word.rstrip("\"'”’»)]}›」』")
    if not tail:
        return 0
    if tail[-1] in SENTENCE_ENDS:
        return 2
    if tail[-1] in CLAUSE_ENDS:
        return 1
    return 0


def split_chunks(costs: Sequence[int], budget: int, strengths: Optional[Sequence[int]] = None) -> List[Window]:
    """Consecutive, non-overlapping chunks of words covering every word, each costing at most
    ``budget`` (a word costlier than that is a chunk of its own).

    A chunk ends after the last sentence end (``strengths`` 2) in its second half, else
    after the last clause end (1) there, else where the budget runs out."""
    n = len(costs)
    strengths = [0] * n if strengths is None else list(strengths)
    budget = max(int(budget), 1)
    chunks: List[Window] = []
    start = 0
    while start < n:
        end, total = start, 0
        while end < n and total + costs[end] <= budget:
            total += costs[end]
            end += 1
        if end == start:
            end = start + 1
        elif end < n:
            half, acc, cut = total / 2.0, 0, {}
            for i in range(start, end):
                acc += costs[i]
                if acc >= half and strengths[i] > 0:
                    cut[strengths[i]] = i + 1
            for strength in (2, 1):
                if strength in cut:
                    end = cut[strength]
                    break
        chunks.append((start, end))
        start = end
    return chunks


def span_chunks(
    costs: Sequence[int],
    spans: Sequence[TokenSpan],
    budget: int,
    strengths: Optional[Sequence[int]] = None,
) -> List[Window]:
    """:func:`split_chunks` whose borders never fall inside one of ``spans`` (non-overlapping):
    a span is one unit, so a chunk holds each span whole (a span costlier than ``budget``
    is a chunk of its own, which the caller cannot fit). For training examples, where a
    window's target must hold only whole gold spans."""
    n = len(costs)
    strengths = [0] * n if strengths is None else list(strengths)
    inside = {}
    for span in spans:
        inside[int(span.start)] = int(span.end)
    units: List[Window] = []
    i = 0
    while i < n:
        end = inside.get(i, i + 1)
        units.append((i, max(end, i + 1)))
        i = max(end, i + 1)
    unit_costs = [sum(costs[a:b]) for a, b in units]
    unit_strengths = [strengths[b - 1] for a, b in units]
    return [(units[a][0], units[b - 1][1]) for a, b in split_chunks(unit_costs, budget, unit_strengths)]
