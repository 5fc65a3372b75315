"""T-Projection: project source spans onto a translation with a generator and a translator.

1. **Candidates**: the generator (a seq2seq model fine-tuned on source-language gold, see
   ``spacy_xlt.markup.tprojection_input`` / ``tprojection_target``) reads the *target*
   sentence followed by one ``<Label>[None]</Label>`` placeholder per *source* span and
   returns N beam sequences; their tagged segments are pooled per label.
2. **Filtering**: a candidate survives where its text is a contiguous run of target tokens:
   exactly, else up to NFKC, case and punctuation (``find_occurrences``). As in the original,
   punctuation (Unicode P* and ASCII ``string.punctuation``) at the candidate's edges is not
   matched, so ``Unidas ,`` never takes the target's separate comma, and an all-punctuation
   candidate is dropped; unlike it, word boundaries do not matter (``CruzRoja`` matches
   ``Cruz Roja``), punctuation tokens inside a run are fine, and with
   ``agglutinative=True`` a candidate that matches nowhere may also match where *every* one
   of its words lies inside the corresponding target word (affixes attached to names).
3. **Scoring**: every distinct (source span text, candidate text) pair of one label gets the
   NMTScore "direct" score in both directions, each normalised by self-translation:
   ``½·[P(c|s)/P(c|c) + P(s|c)/P(s|s)]`` (``DirectScorer``); each probability is computed
   once per corpus run (cache), all of a batch's pairs in one call per direction.
4. **Assignment**: source spans get target occurrences one-to-one, non-overlapping (across
   labels too), maximising the total score (``assign``): an exact branch-and-bound search,
   or per-label Hungarian assignment plus overlap repair when the search would be large.
   Ties go to the earlier source span and the leftmost occurrence. Source spans that get
   nothing are reported (``no_candidate`` / ``conflict``), never silently dropped.

Long pairs: when the generator's input (target words + placeholders) is longer than the
generator's ``max_length`` (a generator that has ``max_length`` and ``input_lengths``, as
``Seq2SeqGenerator``), the *target words* are cut, never the placeholders: the target is
given in overlapping windows of whole words (a quarter of a window shared, so that a span
near a border lies whole in one), each window followed by every placeholder, and the
candidates of all windows are pooled, so every target word can be found. Placeholders that
would take more than half an input are split into groups in source order, each group read
with the windows of the part of the target where its source spans lie (their relative
position in the source, widened by a tenth of the target each side). Counted in ``counts``:
``truncated_inputs`` (pairs whose input did not fit), ``generator_windows`` (the inputs made
for them), ``split_placeholders`` (pairs whose placeholders were grouped).

Methods never load models: the generator and the scorer are passed in (``ty.Generator``
and anything with the ``Translator.score`` signature).
"""

from __future__ import annotations

import math
import string
import unicodedata
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..backends.windows import plan_windows
from ..errors import Errors, XLTError
from ..labels import LabelMap, TokenSpan, check_spans
from ..markup import concatenated_runs, parse_tprojection_output, tprojection_input

#: Match qualities, best first.
EXACT, NORMALISED, AGGLUTINATIVE = 0, 1, 2
QUALITY_NAMES = ("exact", "normalised", "agglutinative")


# --- filtering ----------------------------------------------------------------------------

#: ASCII punctuation and symbols (``string.punctuation``: ``$ + < = > ^ ` | ~`` too), which the
#: original method strips; Unicode punctuation (categories P*) is stripped as well.
_ASCII_PUNCT = frozenset(string.punctuation)

#: Closing bracket or quote -> the characters that open it (a straight quote opens itself).
_OPENERS: Dict[str, str] = {
    ")": "(",
    "]": "[",
    "}": "{",
    "»": "«",
    "›": "‹",
    "”": "“„",
    "“": "„",
    "’": "‘‚",
    "‘": "‚",
    '"': '"',
    "）": "（",
    "］": "［",
    "｝": "｛",
    "」": "「",
    "』": "『",
    "】": "【",
    "〉": "〈",
    "》": "《",
}
#: Opening bracket or quote -> the characters that close it.
_CLOSERS: Dict[str, str] = {
    opener: "".join(c for c, openers in _OPENERS.items() if opener in openers)
    for opener in sorted(set("".join(_OPENERS.values())))
}


def _is_punct(char: str) -> bool:
    return char in _ASCII_PUNCT or unicodedata.category(char).startswith("P")


def _strip_punct(text: str) -> str:
    """``text`` without punctuation: Unicode P* and ASCII ``string.punctuation``."""
    return "".join(c for c in text if not _is_punct(c))


def _strip_edges(text: str) -> str:
    """``text`` without the punctuation and whitespace at either end."""
    start, end = 0, len(text)
    while start < end and (_is_punct(text[start]) or text[start].isspace()):
        start += 1
    while end > start and (_is_punct(text[end - 1]) or text[end - 1].isspace()):
        end -= 1
    return text[start:end]


@lru_cache(maxsize=1 << 16)
def _normalise(text: str) -> str:
    """Compatibility- and case-folded (NFKC, casefold), without punctuation and whitespace.

    NFKC makes the forms the mT5 tokenizer writes match the target's (``1º`` reads ``1o``).
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(_strip_punct(folded).split())


def _opens(text: str, opener: str) -> bool:
    """Whether ``text`` closes more ``opener`` pairs than it opens (so ``opener`` balances it)."""
    closers = _CLOSERS[opener]
    if opener in closers:  # a straight quote
        return text.count(opener) % 2 == 1
    return sum(text.count(c) for c in closers) > text.count(opener)


def _closes(text: str, closer: str) -> bool:
    """Whether ``text`` opens more ``closer`` pairs than it closes (so ``closer`` balances it)."""
    openers = _OPENERS[closer]
    if closer in openers:
        return text.count(closer) % 2 == 1
    return sum(text.count(o) for o in openers) > text.count(closer)


def _balanced(run: Tuple[int, int], forms: Sequence[str], bare: Sequence[bool]) -> Tuple[int, int]:
    """``run`` widened over the punctuation-only tokens just outside it that close a bracket or
    quote it opens (``Estados Unidos ( EEUU`` takes the ``)`` after it), and on the left those
    that open one it closes."""
    start, end = run
    text = "".join(forms[start:end])
    while end < len(forms) and bare[end] and forms[end]:
        grown = text
        for char in forms[end]:
            if char not in _OPENERS or not _closes(grown, char):
                break
            grown += char
        else:
            text, end = grown, end + 1
            continue
        break
    while start > 0 and bare[start - 1] and forms[start - 1]:
        grown = text
        for char in reversed(forms[start - 1]):
            if char not in _CLOSERS or not _opens(grown, char):
                break
            grown = char + grown
        else:
            text, start = grown, start - 1
            continue
        break
    return start, end


def find_occurrences(
    candidate: str,
    tokens: Sequence[str],
    agglutinative: bool = False,
    min_affix_chars: int = 3,
) -> Tuple[List[Tuple[int, int]], Optional[int]]:
    """Where ``candidate`` lies in ``tokens`` as a contiguous run, and how well it matches.

    Punctuation is Unicode P* plus ASCII ``string.punctuation`` (``$``, ``+``, ``|`` ...).
    The punctuation at the candidate's edges is not matched: ``Unidas ,`` and ``Unidas,``
    are ``Unidas``, and a candidate that is all punctuation matches nowhere. A run never
    starts or ends on a punctuation-only token, except a bracket or quote that closes one
    opened inside the run (``Estados Unidos ( EEUU )``); inside a run such tokens are fine.

    Tried in order, the first level with a match wins: exact (the run's characters,
    whitespace aside, are the candidate's, with or without its edge punctuation: ``York.``
    matches ``York`` of ``York`` ``.`` and the token ``York.``; ``Cruz Roja`` matches
    ``CruzRoja``), normalised (the same up to NFKC, case and all punctuation), and with
    ``agglutinative`` every candidate word, normalised, inside the matching target token (a
    word shorter than ``min_affix_chars`` must equal its token). Returns (runs, quality),
    runs sorted, or ([], None).
    """
    compact = "".join(candidate.split())
    core = _strip_edges(compact)
    if not core:
        return [], None
    forms = ["".join(t.split()) for t in tokens]
    bare = [not _strip_punct(f) for f in forms]
    found = {
        run
        for goal in dict.fromkeys((compact, core))
        for run in concatenated_runs(goal, forms)
        if not bare[run[0]] and not bare[run[1] - 1]
    }
    if found:
        return sorted({_balanced(run, forms, bare) for run in found}), EXACT
    normalised = [_normalise(t) for t in tokens]
    runs = concatenated_runs(_normalise(core), normalised)
    if runs:
        return sorted({_balanced(run, forms, bare) for run in runs}), NORMALISED
    if agglutinative:
        words = [_normalise(w) for w in candidate.split()]
        words = [w for w in words if w]
        k = len(words)
        runs = []
        if k:
            for i in range(len(normalised) - k + 1):
                ok = True
                for w, f in zip(words, normalised[i : i + k]):
                    if not (w == f or (len(w) >= min_affix_chars and w in f)):
                        ok = False
                        break
                if ok:
                    runs.append((i, i + k))
        if runs:
            return runs, AGGLUTINATIVE
    return [], None


class Candidate(NamedTuple):
    """A target run proposed for a label: its text (target tokens joined by spaces), where
    it lies, how it matched and how many beam sequences proposed it."""

    label: str
    text: str
    start: int
    end: int
    quality: int
    votes: int


def collect_candidates(
    outputs: Sequence[str],
    tokens: Sequence[str],
    labels: Sequence[str],
    label_map: Optional[LabelMap] = None,
    agglutinative: bool = False,
    counts: Optional[Counter] = None,
    min_affix_chars: int = 3,
) -> Dict[str, List[Candidate]]:
    """Candidates per source label from the generator's beam ``outputs`` for one sentence.

    Segments are pooled per label across all sequences; a label that is not among the
    source ``labels`` is counted (``unknown_label``) and ignored. Each surviving candidate
    text yields one ``Candidate`` per occurrence in ``tokens``.
    """
    label_map = label_map if label_map is not None else LabelMap()
    counts = counts if counts is not None else Counter()
    wanted = set(labels)
    proposed: Dict[str, Counter] = {label: Counter() for label in sorted(wanted)}
    for text in outputs:
        for label, segment in parse_tprojection_output(text, label_map):
            counts["segments"] += 1
            if label not in wanted:
                counts["unknown_label"] += 1
                continue
            proposed[label][segment] += 1
    out: Dict[str, List[Candidate]] = {}
    for label, texts in proposed.items():
        found: Dict[Tuple[int, int], Candidate] = {}
        for segment in sorted(texts):
            runs, quality = find_occurrences(segment, tokens, agglutinative, min_affix_chars)
            counts["candidates"] += 1
            if quality is None:
                counts["filtered_out"] += 1
                continue
            for start, end in runs:
                prev = found.get((start, end))
                votes = texts[segment] + (prev.votes if prev else 0)
                best_q = quality if prev is None else min(quality, prev.quality)
                found[(start, end)] = Candidate(
                    label, " ".join(tokens[start:end]), start, end, best_q, votes
                )
        out[label] = sorted(found.values(), key=lambda c: (c.start, c.end))
    return out


# --- scoring ------------------------------------------------------------------------------


class DirectScorer:
    """NMTScore "direct" scores of (source text, candidate text) pairs, with a cache.

    ``scorer.score(sources, targets, src, tgt)`` gives P(target | source) per pair (a
    ``Translator``, or ``spacy_xlt.testing.TableScorer``). ``score_pairs`` asks it, in one
    call per direction and language pair, only for the probabilities not yet cached: the
    two cross terms of each new pair and the self-translation term of each new string.
    """

    def __init__(self, scorer, cache_size: int = 1_000_000) -> None:
        if not callable(getattr(scorer, "score", None)):
            raise XLTError(Errors.E287.format(obj=type(scorer).__name__))
        self.scorer = scorer
        self.cache_size = cache_size
        self._cache: OrderedDict[Tuple[str, str, str, str], float] = OrderedDict()
        #: probabilities requested, computed (cache misses), and score() calls made
        self.counts: Counter = Counter()

    def _get(self, key):
        value = self._cache.get(key)
        if value is not None:
            self._cache.move_to_end(key)
        return value

    def _put(self, key, value: float) -> None:
        self._cache[key] = value
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def probabilities(self, requests: Sequence[Tuple[str, str, str, str]]) -> Dict[tuple, float]:
        """P(b | a) for each (a, b, a_lang, b_lang); misses go to the scorer in batches."""
        result: Dict[tuple, float] = {}
        # (a_lang, b_lang) -> the distinct (a, b) still to compute, in first-seen order
        missing: Dict[Tuple[str, str], Dict[Tuple[str, str], None]] = {}
        for key in requests:
            self.counts["requested"] += 1
            if key in result:
                continue
            value = self._get(key)
            if value is None:
                missing.setdefault((key[2], key[3]), {})[(key[0], key[1])] = None
            else:
                result[key] = value
        for (a_lang, b_lang), group in missing.items():
            pairs = list(group)
            values = self.scorer.score([p[0] for p in pairs], [p[1] for p in pairs], a_lang, b_lang)
            values = list(values)
            if len(values) != len(pairs):
                raise XLTError(Errors.E285.format(n_src=len(pairs), n_tgt=len(values)))
            self.counts["score_calls"] += 1
            self.counts["computed"] += len(pairs)
            for (a, b), v in zip(pairs, values):
                key = (a, b, a_lang, b_lang)
                result[key] = float(v)
                self._put(key, float(v))
        return result

    def score_pairs(self, pairs: Sequence[Tuple[str, str]], src: str, tgt: str) -> List[float]:
        """``½·[P(c|s)/P(c|c) + P(s|c)/P(s|s)]`` for each (source text s, candidate c)."""
        requests = []
        for s, c in pairs:
            requests += [(s, c, src, tgt), (c, c, tgt, tgt), (c, s, tgt, src), (s, s, src, src)]
        p = self.probabilities(requests)
        out = []
        for s, c in pairs:
            forward = p[(s, c, src, tgt)] / max(p[(c, c, tgt, tgt)], 1e-30)
            backward = p[(c, s, tgt, src)] / max(p[(s, s, src, src)], 1e-30)
            out.append(0.5 * (forward + backward))
        return out


# --- assignment ---------------------------------------------------------------------------


@dataclass
class Assignment:
    """The chosen occurrence (or None) of each source span, in the order given."""

    choice: List[Optional[Candidate]]
    scores: List[Optional[float]]
    method: str = "exact"


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.start < b.end and b.start < a.end


def assign(
    options: Sequence[Sequence[Tuple[Candidate, float]]], max_search: int = 200_000
) -> Assignment:
    """One occurrence per source span, no occurrence twice, no two overlapping, maximum total.

    ``options[i]`` lists (candidate occurrence, score) for source span i. Exact search
    (depth-first in span order, options best first, bound by the best remaining scores)
    unless the product of option counts exceeds ``max_search``; then a Hungarian
    assignment per label with overlap repair. Ties: earlier spans first, then leftmost.
    """
    ordered = [
        sorted(opts, key=lambda cs: (-cs[1], cs[0].start, cs[0].end, cs[0].label))
        for opts in options
    ]
    size = 1
    for opts in ordered:
        size *= len(opts) + 1
        if size > max_search:
            return _hungarian(ordered)
    n = len(ordered)
    best_rest = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        best_rest[i] = best_rest[i + 1] + (ordered[i][0][1] if ordered[i] else 0.0)
    best: Dict[str, object] = {"total": -1.0, "choice": [None] * n}
    current: List[Optional[int]] = [None] * n

    def search(i: int, total: float, taken: List[Candidate]) -> None:
        if total + best_rest[i] <= best["total"]:
            return
        if i == n:
            best["total"] = total
            best["choice"] = list(current)
            return
        for k, (cand, score) in enumerate(ordered[i]):
            if any(_overlaps(cand, t) for t in taken):
                continue
            current[i] = k
            taken.append(cand)
            search(i + 1, total + score, taken)
            taken.pop()
        current[i] = None
        search(i + 1, total, taken)

    search(0, 0.0, [])
    choice = [None if k is None else ordered[i][k][0] for i, k in enumerate(best["choice"])]
    scores = [None if k is None else ordered[i][k][1] for i, k in enumerate(best["choice"])]
    return Assignment(choice, scores, "exact")


def _hungarian(ordered: Sequence[Sequence[Tuple[Candidate, float]]]) -> Assignment:
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    n = len(ordered)
    choice: List[Optional[Candidate]] = [None] * n
    scores: List[Optional[float]] = [None] * n
    labels = sorted({c.label for opts in ordered for c, _ in opts})
    proposals: List[Tuple[float, int, Candidate]] = []
    for label in labels:
        rows = [i for i in range(n) if any(c.label == label for c, _ in ordered[i])]
        cols = sorted({(c.start, c.end) for i in rows for c, _ in ordered[i] if c.label == label})
        col_index = {span: j for j, span in enumerate(cols)}
        matrix = np.zeros((len(rows), len(cols)))
        cands: Dict[Tuple[int, int], Candidate] = {}
        for r, i in enumerate(rows):
            for c, s in ordered[i]:
                if c.label == label:
                    matrix[r, col_index[(c.start, c.end)]] = max(
                        matrix[r, col_index[(c.start, c.end)]], s
                    )
                    cands[(i, col_index[(c.start, c.end)])] = c
        for r, j in zip(*linear_sum_assignment(matrix, maximize=True)):
            if matrix[r, j] > 0:
                proposals.append((float(matrix[r, j]), rows[r], cands[(rows[r], j)]))
    # overlap repair: keep proposals best first; a span that collides takes its best free,
    # non-overlapping option instead
    taken: List[Candidate] = []
    for score, i, cand in sorted(proposals, key=lambda p: (-p[0], p[1], p[2].start)):
        if any(_overlaps(cand, t) for t in taken):
            alt = next(
                ((c, s) for c, s in ordered[i] if not any(_overlaps(c, t) for t in taken)), None
            )
            if alt is None:
                continue
            cand, score = alt
        choice[i], scores[i] = cand, score
        taken.append(cand)
    return Assignment(choice, scores, "hungarian")


# --- the method ---------------------------------------------------------------------------


def generator_input(
    source_words: Sequence[str],
    source_spans: Sequence[TokenSpan],
    target_words: Sequence[str],
    label_map: Optional[LabelMap] = None,
    record: str = "the pair",
) -> str:
    """The generator's inference input: the *target* words, then one placeholder per
    *source* span in source order (``tprojection_input``'s format; the spans are checked
    against the source words, which may be more than the target has)."""
    source_form = tprojection_input(list(source_words), source_spans, label_map, record)
    placeholders = source_form[len(" ".join(source_words)) + 1 :]
    return " ".join(target_words) + " " + placeholders


#: Share of a window that consecutive generator windows over a long target have in common.
WINDOW_OVERLAP = 0.25
#: How far beyond its source spans' relative position a group of placeholders looks, as a
#: share of the target (only when the placeholders of a pair are split into groups).
GROUP_MARGIN = 0.1


def fit_generator_inputs(
    source_words: Sequence[str],
    source_spans: Sequence[TokenSpan],
    target_words: Sequence[str],
    max_length: int,
    lengths,
    label_map: Optional[LabelMap] = None,
    record: str = "the pair",
    counts: Optional[Counter] = None,
) -> List[str]:
    """The generator inputs of one pair, each at most ``max_length`` tokens as measured by
    ``lengths(texts)``: :func:`generator_input` when it fits, else windows of the target
    words, each with every placeholder (or with one group of them, see the module's
    docstring). ``counts`` gets ``truncated_inputs``, ``generator_windows`` and
    ``split_placeholders``."""
    counts = counts if counts is not None else Counter()
    spans = check_spans(source_spans, len(source_words), record)
    whole = generator_input(source_words, spans, target_words, label_map, record)
    if not spans or lengths([whole])[0] <= max_length:
        return [whole]
    counts["truncated_inputs"] += 1
    words = [str(w) for w in target_words]
    marks = [generator_input(source_words, [s], [], label_map, record)[1:] for s in spans]
    overhead = lengths([""])[0]
    room = max(1, max_length - overhead)
    mark_costs = [max(n - overhead, 1) for n in lengths(marks)]
    word_costs = [max(n - overhead, 0) for n in lengths(words)] if words else []
    groups: List[List[int]] = [list(range(len(spans)))]
    if sum(mark_costs) > room // 2:
        groups, cost = [[]], 0
        for i, c in enumerate(mark_costs):
            if groups[-1] and cost + c > room // 2:
                groups.append([])
                cost = 0
            groups[-1].append(i)
            cost += c
        if len(groups) > 1:
            counts["split_placeholders"] += 1
    n_src, n_tgt = max(len(source_words), 1), len(words)
    inputs: List[str] = []
    for group in groups:
        tail = "".join(marks[i] for i in group)
        lo, hi = 0, n_tgt
        if len(groups) > 1:
            first, last = spans[group[0]], spans[group[-1]]
            lo = max(0, math.floor((first.start / n_src - GROUP_MARGIN) * n_tgt))
            hi = min(n_tgt, max(lo + 1, math.ceil((last.end / n_src + GROUP_MARGIN) * n_tgt)))
        budget = room - (lengths([" " + tail])[0] - overhead)
        texts = _window_texts(words, word_costs, lo, hi, budget, tail, max_length, lengths)
        inputs.extend(texts)
    counts["generator_windows"] += len(inputs)
    return inputs


def _window_texts(words, costs, lo, hi, budget, tail, max_length, lengths) -> List[str]:
    """Windows of ``words[lo:hi]`` followed by ``tail`` (placeholders) that fit: planned
    from the words' own lengths and planned again with a smaller budget while one does not
    (words may take more tokens together than apart)."""
    budget = max(1, budget)
    texts: List[str] = []
    for _ in range(8):
        windows = plan_windows(costs[lo:hi], budget, WINDOW_OVERLAP) or [(0, 0)]
        texts = [" ".join(words[lo + a : lo + b]) + " " + tail for a, b in windows]
        over = max(n - max_length for n in lengths(texts))
        if over <= 0 or budget == 1:
            break
        budget = max(1, budget - over)
    return texts


class Item(NamedTuple):
    """One pair to project: source words and spans, target words, and the languages."""

    source_words: Sequence[str]
    source_spans: Sequence[TokenSpan]
    target_words: Sequence[str]
    src_lang: str
    tgt_lang: str


@dataclass
class Result:
    """What T-Projection did for one pair."""

    spans: List[TokenSpan]
    #: source spans whose label got no surviving candidate
    no_candidate: List[TokenSpan] = field(default_factory=list)
    #: source spans whose candidates all went to other spans (or overlapped them)
    conflict: List[TokenSpan] = field(default_factory=list)
    #: source span -> projected span (None when unassigned), in source order
    links: List[Tuple[TokenSpan, Optional[TokenSpan], Optional[float]]] = field(
        default_factory=list
    )
    #: label -> [(candidate text, start, end, quality, votes)], with save_candidates
    candidates: Optional[Dict[str, list]] = None
    #: (source span text, candidate text) -> score, with save_candidates
    scores: Optional[Dict[str, float]] = None
    #: the generator inputs the target was cut into when the pair's input did not fit in the
    #: generator's max_length (0: it fitted, or the outputs were given)
    windows: int = 0


class TProjection:
    """The T-Projection method over a generator (``ty.Generator``) and a translation scorer.

    ``project(items)`` runs a batch: one ``generate`` call for all inputs, one scoring call
    per direction for all new (span, candidate) pairs of the batch, then the assignment.
    """

    def __init__(
        self,
        generator,
        scorer,
        *,
        label_map: Optional[LabelMap] = None,
        num_beams: int = 16,
        num_return_sequences: Optional[int] = None,
        agglutinative: bool = False,
        min_affix_chars: int = 3,
        save_candidates: bool = False,
        cache_size: int = 1_000_000,
    ) -> None:
        if not isinstance(num_beams, int) or num_beams < 1:
            raise XLTError(
                Errors.E283.format(name="num_beams", value=num_beams, options="an int >= 1")
            )
        num_return_sequences = num_return_sequences or num_beams
        if not isinstance(num_return_sequences, int) or not 1 <= num_return_sequences <= num_beams:
            raise XLTError(
                Errors.E283.format(
                    name="num_return_sequences",
                    value=num_return_sequences,
                    options=f"an int in 1..num_beams ({num_beams})",
                )
            )
        self.generator = generator
        self.scorer = (
            scorer if isinstance(scorer, DirectScorer) else DirectScorer(scorer, cache_size)
        )
        self.label_map = label_map if label_map is not None else LabelMap()
        self.num_beams = num_beams
        self.num_return_sequences = num_return_sequences
        self.agglutinative = agglutinative
        self.min_affix_chars = min_affix_chars
        self.save_candidates = save_candidates
        self.counts: Counter = Counter()

    def inputs(self, item: Item, record: str = "the pair") -> List[str]:
        """The generator inputs of one pair: one, or (longer than the generator's
        ``max_length``) windows of the target, each with the placeholders
        (:func:`fit_generator_inputs`); none without source spans."""
        spans = check_spans(item.source_spans, len(item.source_words), record)
        if not spans:
            return []
        max_length = getattr(self.generator, "max_length", None)
        lengths = getattr(self.generator, "input_lengths", None)
        if not isinstance(max_length, int) or not callable(lengths):
            return [generator_input(item.source_words, spans, item.target_words, self.label_map, record)]
        return fit_generator_inputs(
            item.source_words,
            spans,
            item.target_words,
            max_length,
            lengths,
            self.label_map,
            record,
            self.counts,
        )

    def generate(self, items: Sequence[Item]) -> List[List[str]]:
        """Beam sequences per item (those of all its windows, pooled)."""
        return self._generate(items)[0]

    def _generate(self, items: Sequence[Item]) -> Tuple[List[List[str]], List[int]]:
        """Beam sequences per item, and the number of generator windows of each item whose
        input did not fit (0 for one that fit)."""
        inputs: List[str] = []
        todo: List[int] = []
        windows: List[int] = []
        for k, item in enumerate(items):
            before = self.counts["truncated_inputs"]
            texts = self.inputs(item, f"pair {k}")
            windows.append(len(texts) if self.counts["truncated_inputs"] > before else 0)
            for text in texts:
                inputs.append(text)
                todo.append(k)
        outputs: List[List[str]] = [[] for _ in items]
        if inputs:
            generated = self.generator.generate(
                inputs, num_beams=self.num_beams, num_return_sequences=self.num_return_sequences
            )
            if len(generated) != len(inputs):
                raise XLTError(Errors.E293.format(got=len(generated), n=len(inputs)))
            for k, seqs in zip(todo, generated):
                outputs[k].extend(seqs)
        return outputs, windows

    def project(
        self, items: Sequence[Item], outputs: Optional[Sequence[Sequence[str]]] = None
    ) -> List[Result]:
        """Project a batch; ``outputs`` (beam sequences per item) skips the generator."""
        items = list(items)
        windows = [0] * len(items)
        if outputs is None:
            outputs, windows = self._generate(items)
        prepared = []
        requests: Dict[Tuple[str, str], List[Tuple[str, str]]] = {}
        for k, (item, seqs) in enumerate(zip(items, outputs)):
            spans = check_spans(item.source_spans, len(item.source_words), f"pair {k}")
            tokens = [str(t) for t in item.target_words]
            cands = (
                collect_candidates(
                    seqs,
                    tokens,
                    [s.label for s in spans],
                    self.label_map,
                    self.agglutinative,
                    self.counts,
                    self.min_affix_chars,
                )
                if spans
                else {}
            )
            texts = [" ".join(item.source_words[s.start : s.end]) for s in spans]
            pairs = requests.setdefault((item.src_lang, item.tgt_lang), [])
            for span, text in zip(spans, texts):
                for c in cands.get(span.label, []):
                    pairs.append((text, c.text))
            prepared.append((spans, texts, cands))
        scores: Dict[Tuple[str, str, str, str], float] = {}
        for (src, tgt), pairs in requests.items():
            unique = list(dict.fromkeys(pairs))
            self.counts["pair_occurrences"] += len(pairs)
            self.counts["distinct_pairs"] += len(unique)
            for pair, value in zip(unique, self.scorer.score_pairs(unique, src, tgt)):
                scores[(pair[0], pair[1], src, tgt)] = value
        results = []
        for item, (spans, texts, cands), n_windows in zip(items, prepared, windows):
            options = [
                [
                    (c, scores[(text, c.text, item.src_lang, item.tgt_lang)])
                    for c in cands.get(span.label, [])
                ]
                for span, text in zip(spans, texts)
            ]
            chosen = assign(options)
            result = Result(spans=[], windows=n_windows)
            for span, opts, cand, score in zip(spans, options, chosen.choice, chosen.scores):
                if cand is None:
                    (result.conflict if opts else result.no_candidate).append(span)
                    result.links.append((span, None, None))
                else:
                    projected = TokenSpan(cand.start, cand.end, span.label)
                    result.spans.append(projected)
                    result.links.append((span, projected, score))
            result.spans.sort()
            if self.save_candidates:
                result.candidates = {
                    label: [[c.text, c.start, c.end, QUALITY_NAMES[c.quality], c.votes] for c in cs]
                    for label, cs in cands.items()
                }
                result.scores = {
                    f"{text} ||| {c.text}": scores[(text, c.text, item.src_lang, item.tgt_lang)]
                    for span, text in zip(spans, texts)
                    for c in cands.get(span.label, [])
                }
            self.counts.update(
                pairs=1,
                source_spans=len(spans),
                projected=len(result.spans),
                no_candidate=len(result.no_candidate),
                conflict=len(result.conflict),
            )
            if chosen.method == "hungarian":
                self.counts["hungarian"] += 1
            results.append(result)
        return results
