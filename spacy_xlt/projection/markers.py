"""Marker-based projection: EasyProject and CODEC, over words, spans and a translator backend.

Both methods wrap source spans in markers (``Only France and [ Britain ] backed …``: untyped
square brackets, each separated from its neighbours by one space, as the published code writes
them) and let a translation model carry the markers across.

**EasyProject** (``method="easyproject"``; ``edchengg/easyproject``): the source sentence with
every span marked is translated (by an NLLB model fine-tuned to keep brackets:
``ychenNLP/nllb-200-*-easyproject``), the markers are read back (after the published clean-up
rules: ``[[`` -> ``[``, ``《`` / ``【`` -> ``[`` …, HTML entities unescaped), and a translation
whose markers are not intact (unbalanced, nested, empty, or another number of pairs than source
spans) is *broken*: its spans are counted as unaligned, never guessed. Which source span each
marked segment is (the labels) follows the published rule: one span, or spans of one label, in
order; otherwise each segment matched against the separately translated source spans and the
source spans themselves, exactly (lower-cased), then fuzzily (``difflib`` ratio above
``threshold``), one unmatched segment taking the label left over; a pair whose labels do not
come out as the source's multiset is broken. The segments are then placed on the pair's target
tokens (the clean translation of a pair, or the original sentence in translate-test):
exactly (case-insensitive token runs, the occurrence nearest the segment's relative position),
then fuzzily (the best run within two tokens of the segment's length, ratio at least
``threshold``). :meth:`MarkerProjection.translate_and_project` is the published form instead:
the marked translation, markers removed, becomes the target and the segments are its spans.

**CODEC** (``method="codec"``; ``duonglm38/Codec``): the translation is fixed (the pair's target),
and for each source span separately the sentence with that one span marked is the model's input
while the decoder may only copy the translation's own token ids in order and insert one opening
and one closing marker (:class:`~spacy_xlt.decoding.insertion.InsertionAutomaton`): every
insertion it accepts scored by forced decoding (``search="exhaustive"``: the exact optimum the
published branch-and-bound search finds with no lower-bound heuristic), or beam search under the
automaton inside the standard ``generate()`` through
:class:`~spacy_xlt.decoding.processor.ConstrainedLogitsProcessor` (``search="beam"``);
``search="auto"`` (the default) is exact for spans with at most ``max_candidates`` insertions
and beam search for the others. The
opening marker may go only where the marked source changes the translation's token
log-probabilities (|Δ log p| >= ``delta_high``, and within ``delta_window`` tokens of such a
token where |Δ| >= ``delta_low``; anywhere when no token changes that much), as published. The
``n_best`` insertions by the model's score are re-ranked by back-translation, as published
(``rerank="backward"``: the best insertion, unless one whose back-translation scores the source
span better is a sub-span of it), and the spans are merged: where two overlap, the better-scored
keeps its place and the other takes its best insertion that overlaps nothing, or is counted as a
conflict. Markers only ever go on target token boundaries, so a projected span is a run of
whole target tokens, never empty.

Nothing here loads a model: the translator is a backend built by a registered function
(``spacy_xlt.Translator.v1``; CODEC needs its Hugging Face model and tokenizer, EasyProject only
``translate``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from xml.sax.saxutils import unescape

import numpy as np

from ..errors import Errors, XLTError
from ..labels import TokenSpan

#: The projection methods.
METHODS = ("easyproject", "codec")
#: How CODEC searches the insertions: every insertion scored where a span has at most
#: ``max_candidates`` (``auto``), always (``exhaustive``), or beam search under the automaton.
SEARCHES = ("auto", "exhaustive", "beam")
#: How CODEC chooses among its n-best insertions of a span.
RERANKS = ("backward", "none")
#: How EasyProject matches a marked segment fuzzily: the best ratio (ours) or the first above
#: the threshold (the published code).
FUZZY = ("best", "first")

OPEN_MARKER, CLOSE_MARKER = "[", "]"
#: The published clean-up of a marked translation (``decode_marker_conll.py``), in order.
SQUARE_RULES = (("[[", "["), ("]]", "]"), ("[ [", "["), ("] ]", "]"), ("《", "["), ("》", "]"), ("【", "["), ("】", "]"))
HTML_ENTITIES = {"&apos;": "'", "&quot;": '"', "&#39;": "'"}

Tokenize = Callable[[str], Tuple[List[str], List[bool]]]


# ---------------------------------------------------------------------------------------
# the marker format


def check_markers(open_marker: str, close_marker: str) -> None:
    ok = (
        isinstance(open_marker, str)
        and isinstance(close_marker, str)
        and open_marker
        and close_marker
        and open_marker != close_marker
        and not any(c.isspace() for c in open_marker + close_marker)
    )
    if not ok:
        raise XLTError(Errors.E484.format(open=open_marker, close=close_marker))


def mark_text(
    words: Sequence[str],
    spaces: Sequence[bool],
    spans: Sequence[TokenSpan],
    open_marker: str = OPEN_MARKER,
    close_marker: str = CLOSE_MARKER,
) -> str:
    """The sentence with each span between markers, every marker one space apart from its
    neighbours (``Only France and [ Britain ] backed``; with one space after every word this
    is exactly the published form, adjacent spans included: ``[ A ] [ B ]``)."""
    starts = {s.start for s in spans}
    ends = Counter(s.end for s in spans)
    parts: List[str] = []
    for i, (word, space) in enumerate(zip(words, spaces)):
        if i in starts:
            parts.append(f"{open_marker} ")
        parts.append(word)
        if ends.get(i + 1):
            parts.append(f" {close_marker}")
        if i + 1 < len(words):
            parts.append(" " if space or (i + 1) in starts or ends.get(i + 1) else "")
    return "".join(parts)


def words_text(words: Sequence[str], spaces: Sequence[bool]) -> str:
    """The text of words with their trailing spaces (the last one's dropped)."""
    return "".join(w + (" " if s and i + 1 < len(words) else "") for i, (w, s) in enumerate(zip(words, spaces)))


def token_starts(words: Sequence[str], spaces: Sequence[bool]) -> List[int]:
    """The character offset of each word in :func:`words_text`."""
    out, pos = [], 0
    for i, (w, s) in enumerate(zip(words, spaces)):
        out.append(pos)
        pos += len(w) + (1 if s and i + 1 < len(words) else 0)
    return out


@dataclass
class MarkedTranslation:
    """A translation read back: its pieces between markers (text, index of the marked
    segment it is, or None outside), whether whitespace joins each piece to the next, and
    what was wrong with the markers (None: well-formed; the pieces are then the text with
    every marker removed)."""

    pieces: List[Tuple[str, Optional[int]]]
    joins: List[bool]
    n_marked: int
    problem: Optional[str] = None

    @property
    def segments(self) -> List[str]:
        """The marked segments' texts (whitespace normalised), in order."""
        out: Dict[int, List[str]] = {}
        for text, k in self.pieces:
            if k is not None:
                out.setdefault(k, []).append(text)
        return [" ".join(" ".join(out[k]).split()) for k in sorted(out)]

    @property
    def text(self) -> str:
        """The translation with the markers removed."""
        return "".join(p + (" " if j else "") for (p, _), j in zip(self.pieces, self.joins))


def clean_marked(text: str, open_marker: str = OPEN_MARKER, close_marker: str = CLOSE_MARKER) -> str:
    """The published clean-up of a marked translation (doubled markers merged, CJK brackets
    read as square ones, HTML entities unescaped)."""
    if (open_marker, close_marker) == (OPEN_MARKER, CLOSE_MARKER):
        rules = SQUARE_RULES
    else:
        rules = (
            (open_marker * 2, open_marker),
            (close_marker * 2, close_marker),
            (f"{open_marker} {open_marker}", open_marker),
            (f"{close_marker} {close_marker}", close_marker),
        )
    for old, new in rules:
        text = text.replace(old, new)
    return unescape(text, HTML_ENTITIES)


def read_markers(text: str, open_marker: str = OPEN_MARKER, close_marker: str = CLOSE_MARKER) -> MarkedTranslation:
    """Read the markers of a marked translation back (after :func:`clean_marked`).

    Well-formed: every opening marker is closed before the next one opens, no closing marker
    comes without an opening one, and no marked segment is empty. Otherwise ``problem`` says
    what broke first (``nested``, ``unopened``, ``unclosed``, ``empty``). Whitespace anywhere
    between two pieces (around the markers between them included) joins them with a space.
    """
    text = clean_marked(text, open_marker, close_marker)
    pattern = re.compile(re.escape(open_marker) + "|" + re.escape(close_marker))
    # (start, end, marked segment or None) of each stripped text run
    runs: List[Tuple[int, int, Optional[int]]] = []
    problem: Optional[str] = None
    inside, n, filled, pos = False, 0, False, 0

    def add(a: int, b: int) -> None:
        nonlocal filled
        piece = text[a:b]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            runs.append((a + lead, a + len(piece.rstrip()), n if inside else None))
            filled = filled or inside

    for m in pattern.finditer(text):
        add(pos, m.start())
        pos = m.end()
        if m.group() == open_marker:
            if inside and problem is None:
                problem = "nested"
            inside, filled = True, False
        elif not inside:
            problem = problem or "unopened"
        else:
            if not filled:
                problem = problem or "empty"
            inside = False
            n += 1
    add(pos, len(text))
    if inside:
        problem = problem or "unclosed"
    if problem is not None:
        plain = " ".join(pattern.sub(" ", text).split())
        return MarkedTranslation([(plain, None)] if plain else [], [False] if plain else [], 0, problem)
    pieces = [(text[a:b], k) for a, b, k in runs]
    joins = [any(c.isspace() for c in text[b : runs[j + 1][0]]) for j, (_, b, _) in enumerate(runs[:-1])] + [False][: len(runs)]
    return MarkedTranslation(pieces, joins, n, None)


def marked_tokens(marked: MarkedTranslation, tokenize: Tokenize) -> Tuple[List[str], List[bool], List[Tuple[int, int]]]:
    """Words and spaces of the translation with the markers removed, each piece tokenized on
    its own (so every marker falls on a token boundary), and the token range of each marked
    segment."""
    words: List[str] = []
    spaces: List[bool] = []
    ranges: Dict[int, Tuple[int, int]] = {}
    for (piece, k), join in zip(marked.pieces, marked.joins):
        w, s = tokenize(piece.strip())
        if not w:
            continue
        start = len(words)
        words.extend(w)
        spaces.extend(s)
        spaces[-1] = bool(join)
        if k is not None:
            ranges[k] = (start, len(words))
    if spaces:
        spaces[-1] = False
    return words, spaces, [ranges[k] for k in sorted(ranges)]


# ---------------------------------------------------------------------------------------
# EasyProject: which source span is each marked segment


def normalise(text: str) -> str:
    """Whitespace-split and joined by single spaces, lower-cased (as the published matching)."""
    return " ".join(text.split()).lower()


def similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def match_labels(
    segments: Sequence[str],
    sources: Sequence[str],
    labels: Sequence[str],
    translations: Optional[Sequence[str]] = None,
    *,
    threshold: float = 0.5,
    fuzzy: str = "best",
) -> Optional[List[int]]:
    """The source span of each marked segment (indices into ``sources``, one-to-one), or
    None when the published rule gives no consistent labelling (the pair is broken).

    ``sources``: the source spans' texts; ``translations``: their separate translations
    (needed only when there are several spans of several labels). ``fuzzy="first"`` takes the
    first entity above the threshold, as the published code; ``"best"`` the best.
    """
    n = len(labels)
    if len(segments) != n:
        return None
    if n <= 1 or len(set(labels)) == 1:
        return list(range(n))
    trans = [normalise(t) for t in (translations or [""] * n)]
    srcs = [normalise(s) for s in sources]
    found: List[Optional[int]] = []
    for seg in segments:
        s = normalise(seg)
        if s in trans:
            found.append(trans.index(s))
        elif s in srcs:
            found.append(srcs.index(s))
        else:
            found.append(_fuzzy(s, trans, threshold, fuzzy))
            if found[-1] is None:
                found[-1] = _fuzzy(s, srcs, threshold, fuzzy)
    got: List[Optional[str]] = [labels[i] if i is not None else None for i in found]
    missing = [k for k, lab in enumerate(got) if lab is None]
    if len(missing) > 1:
        return None
    if missing:
        rest = list(labels)
        for lab in got:
            if lab is not None:
                if lab not in rest:
                    return None
                rest.remove(lab)
        got[missing[0]] = rest[0]
    if sorted(got) != sorted(labels):  # type: ignore[type-var]
        return None
    # identities: the matched span where it is free, else the first free span of its label
    used: set = set()
    out: List[int] = []
    for k, lab in enumerate(got):
        idx = found[k]
        if idx is None or idx in used or labels[idx] != lab:
            free = [i for i, x in enumerate(labels) if x == lab and i not in used]
            reserved = _reserved(found, used, k)
            idx = next((i for i in free if i not in reserved), free[0])  # the multiset check leaves one
        used.add(idx)
        out.append(idx)
    return out


def _reserved(found: Sequence[Optional[int]], used: set, k: int) -> set:
    """Spans a later segment matched (kept for it where possible)."""
    return {i for i in found[k + 1 :] if i is not None and i not in used}


def _fuzzy(s: str, options: Sequence[str], threshold: float, mode: str) -> Optional[int]:
    best, best_ratio = None, threshold
    for i, option in enumerate(options):
        ratio = similar(option, s)
        if ratio > threshold:
            if mode == "first":
                return i
            if ratio > best_ratio:
                best, best_ratio = i, ratio
    return best


# ---------------------------------------------------------------------------------------
# EasyProject: placing marked segments on an existing target


@dataclass
class Placement:
    """Where a marked segment went on the target: tokens ``start .. end - 1``, by ``how``
    (exact / fuzzy) with ``ratio``; or nowhere (``start`` None) because nothing matched
    (``how`` "none") or its matches overlapped spans placed before (``how`` "conflict")."""

    start: Optional[int]
    end: Optional[int]
    how: str
    ratio: float = 0.0


def locate_segments(
    segments: Sequence[Sequence[str]],
    positions: Sequence[float],
    target: Sequence[str],
    *,
    threshold: float = 0.5,
) -> List[Placement]:
    """Place each segment (its words, tokenized as the target) on the target words: every
    exact run (case-insensitive) first, nearest its relative ``position`` in the marked
    translation (0..1); then the others fuzzily, best first: the run of ``len ± 2`` tokens
    whose text is most similar (ratio at least ``threshold``), nearest first on ties. A
    segment never takes tokens another segment holds."""
    n = len(target)
    low = [w.casefold() for w in target]
    taken = [False] * n
    out: List[Optional[Placement]] = [None] * len(segments)
    options: List[List[Tuple[float, float, int, int]]] = []
    for seg, pos in zip(segments, positions):
        words = [w.casefold() for w in seg]
        m = len(words)
        exact = [
            (1.0, abs(i / max(n, 1) - pos), i, i + m)
            for i in range(n - m + 1)
            if m and low[i : i + m] == words
        ]
        options.append(sorted(exact, key=lambda o: (o[1], o[2])))
    order = sorted(range(len(segments)), key=lambda k: (not options[k], k))
    for k in order:  # exact matches: segments with one first would be fairer, in order suffices
        for _, _, a, b in options[k]:
            if not any(taken[a:b]):
                out[k] = Placement(a, b, "exact", 1.0)
                for t in range(a, b):
                    taken[t] = True
                break
    fuzzy: List[Tuple[float, float, int, int, int]] = []
    for k, (seg, pos) in enumerate(zip(segments, positions)):
        if out[k] is not None:
            continue
        text = " ".join(w.casefold() for w in seg)
        m = len(seg)
        if not m:
            continue
        for length in range(max(1, m - 2), m + 3):
            for i in range(0, n - length + 1):
                ratio = similar(" ".join(low[i : i + length]), text)
                if ratio >= threshold:
                    fuzzy.append((ratio, abs(i / max(n, 1) - pos), k, i, i + length))
    fuzzy.sort(key=lambda o: (-o[0], o[1], o[2], o[3]))
    tried = set()
    for ratio, _, k, a, b in fuzzy:
        if out[k] is not None:
            continue
        tried.add(k)
        if any(taken[a:b]):
            continue
        out[k] = Placement(a, b, "fuzzy", ratio)
        for t in range(a, b):
            taken[t] = True
    result: List[Placement] = []
    for k, place in enumerate(out):
        if place is None:
            how = "conflict" if (options[k] or k in tried) else "none"
            place = Placement(None, None, how)
        result.append(place)
    return result


# ---------------------------------------------------------------------------------------
# CODEC: opening positions, re-ranking


def opening_candidates(
    clean: np.ndarray, marked: np.ndarray, *, high: float = 0.5, low: float = 0.1, window: int = 5
) -> List[int]:
    """The template positions where the opening marker may go, from the token log-probs of
    the template (its ids and end) given the clean source and given the marked source: every
    position whose |Δ| >= ``high``, and within ``window`` positions of one, those whose |Δ|
    >= ``low`` (as published; empty: no restriction)."""
    delta = np.abs(np.asarray(marked, dtype=np.float64) - np.asarray(clean, dtype=np.float64))
    out = set()
    for p in np.nonzero(delta >= high)[0].tolist():
        lo, hi = max(0, p - window), min(len(delta), p + window + 1)
        out.update(q for q in range(lo, hi) if delta[q] >= low)
    return sorted(out)


_SPACED = re.compile(r"([?,.!:'\"])")


def _spaced(text: str) -> str:
    return " ".join(_SPACED.sub(r" \1 ", text).split())


def rerank_backward(entities: Sequence[str], nll: Sequence[float]) -> int:
    """CODEC's choice among its n-best insertions of one span (best forward score first):
    the first, unless an insertion whose back-translation gives the source span a lower
    negative log-likelihood marks a sub-span of the first's words (the lowest such)."""
    if not entities:
        return 0
    first = _spaced(entities[0])
    ranked = sorted(range(len(entities)), key=lambda i: (round(float(nll[i]), 4), i))
    for i in ranked:
        if round(float(nll[i]), 4) < round(float(nll[0]), 4) and f" {_spaced(entities[i])} " in f" {first} ":
            return i
    return 0


# ---------------------------------------------------------------------------------------
# inputs and results


@dataclass
class MarkerItem:
    """One pair to project: the source words, spacing and spans, the target words and spacing
    (the translation the spans go onto), and the languages."""

    source_words: List[str]
    source_spaces: List[bool]
    spans: List[TokenSpan]
    target_words: List[str]
    target_spaces: List[bool]
    src: str
    tgt: str


@dataclass
class MarkerResult:
    """What projecting one pair gave: target spans, and what happened to each source span."""

    spans: List[TokenSpan] = field(default_factory=list)
    #: (source span, its target span or None), in source order
    links: List[Tuple[TokenSpan, Optional[TokenSpan]]] = field(default_factory=list)
    #: source spans with no target (markers lost, no match, no insertion)
    unaligned: List[TokenSpan] = field(default_factory=list)
    #: source spans whose target went to other spans
    conflicts: List[TokenSpan] = field(default_factory=list)
    #: EasyProject: the translation's markers did not come back intact (every span unaligned)
    broken: Optional[str] = None
    #: how the projected spans were placed: ``exact`` / ``fuzzy`` (EasyProject), ``inserted`` (CODEC)
    placed: Counter = field(default_factory=Counter)
    #: what ``save_candidates`` keeps: marked texts, candidates and scores
    detail: Dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# the translator, as token ids (CODEC)


class TranslatorIds:
    """The token-id side of a Hugging Face ``Translator`` that CODEC needs: source and target
    encodings, constrained ``generate()`` and token log-probabilities by forced decoding."""

    def __init__(self, translator: Any):
        missing = [
            what
            for what, ok in (
                ("Hugging Face model", _is_hf_model(getattr(translator, "model", None))),
                ("tokenizer", getattr(translator, "tokenizer", None) is not None),
                ("token-id encoder", callable(getattr(translator, "encode_texts", None))),
            )
            if not ok
        ]
        if missing:
            raise XLTError(
                Errors.E482.format(
                    name=getattr(translator, "name", "?"), kind=type(translator).__name__, what=" or ".join(missing)
                )
            )
        self.t = translator
        self.counts: Counter = Counter()

    @property
    def tokenizer(self):
        return self.t.tokenizer

    @property
    def eos(self) -> int:
        return self.t.eos_id

    @property
    def pad(self) -> int:
        return self.t.pad_id

    def source(self, texts: Sequence[str], lang: str) -> List[List[int]]:
        rows = self.t.encode_texts(list(texts), lang, target=False)
        out = []
        for row in rows:
            if len(row) > self.t.max_length:
                self.counts["source_truncated"] += 1
                row = row[: self.t.max_length - 1] + row[-1:]
            out.append(list(row))
        return out

    def prefix(self, lang: str) -> List[int]:
        """The ids a target starts with (the language token of NLLB / M2M100)."""
        ids = list(self.t.encode_texts([""], lang, target=True)[0])
        return ids[:-1] if ids and ids[-1] == self.eos else ids

    def forced_bos(self, lang: str) -> Optional[int]:
        style = getattr(self.t, "style", "plain")
        if style == "plain":
            return None
        return self.t.lang_id(self.t.code(lang), lang)

    def content(self, text: str) -> List[int]:
        """The ids of a text without special tokens (special-token strings as text)."""
        ids = self.tokenizer(text, add_special_tokens=False, split_special_tokens=True, verbose=False)["input_ids"]
        return self.t.plain_ids([int(i) for i in ids])

    def marker_ids(self, marker: str) -> List[int]:
        """The ids of a marker as the model writes it after a word (`` [``)."""
        tok = self.tokenizer
        ids = [int(i) for i in tok(" " + marker, add_special_tokens=False)["input_ids"]]
        if not ids or (tok.unk_token_id is not None and tok.unk_token_id in ids):
            raise XLTError(Errors.E483.format(marker=marker, name=self.t.name))
        return ids

    def template(self, words: Sequence[str], spaces: Sequence[bool]) -> Tuple[List[int], Dict[int, int]]:
        """The content ids of the target text and its marker boundaries: template position
        -> token boundary, where a piece boundary falls on a token boundary (0 and the end
        always)."""
        text = words_text(words, spaces)
        starts = token_starts(words, spaces)
        tok = self.tokenizer
        common = {"add_special_tokens": False, "split_special_tokens": True, "verbose": False}
        n = len(words)
        if getattr(tok, "is_fast", False):
            enc = tok(text, return_offsets_mapping=True, **common)
            ids = [int(i) for i in enc["input_ids"]]
            if self.t.plain_ids(ids) == ids:
                token_at = {s: b for b, s in enumerate(starts)}
                bounds: Dict[int, int] = {0: 0}
                for c, (s, _) in enumerate(enc["offset_mapping"]):
                    while s < len(text) and text[s].isspace():
                        s += 1
                    b = token_at.get(s)
                    if b is not None and b not in bounds.values():
                        bounds[c] = b
                bounds = {c: b for c, b in bounds.items() if b < n}
                bounds[len(ids)] = n
                return ids, _increasing(bounds)
        ids = self.t.plain_ids([int(i) for i in tok(text, **common)["input_ids"]])
        bounds = {0: 0, len(ids): n}
        for b in range(1, n):
            head = text[: starts[b]].rstrip()
            pre = self.t.plain_ids([int(i) for i in tok(head, **common)["input_ids"]])
            if ids[: len(pre)] == pre and 0 < len(pre) < len(ids):
                bounds[len(pre)] = b
        return ids, _increasing(bounds)

    def logprobs(self, sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]], skip: int) -> List[np.ndarray]:
        """Log-probability of each target id after the first ``skip`` (the prefix) given its
        source, by forced decoding (decoder start, then the target). Each distinct source is
        encoded once (CODEC scores many targets against one marked source)."""
        import torch
        from transformers.modeling_outputs import BaseModelOutput

        out: List[Optional[np.ndarray]] = [None] * len(sources)
        model = self.t.model
        index: Dict[Tuple[int, ...], int] = {}
        owner = [index.setdefault(tuple(int(t) for t in s), len(index)) for s in sources]
        unique = [list(u) for u in index]
        states: List[Any] = [None] * len(unique)
        with torch.inference_mode():
            encoder = model.get_encoder()
            for batch in self.t.sorted_batches([len(u) for u in unique]):
                ids, mask = self.t.pad([unique[i] for i in batch], self.pad, left=False)
                hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
                for row, i in enumerate(batch):
                    states[i] = hidden[row, : len(unique[i])]
                self.counts["encoded"] += len(batch)
            lengths = [len(unique[owner[i]]) + len(t) for i, t in enumerate(targets)]
            for batch in self.t.sorted_batches(lengths):
                rows = [states[owner[i]] for i in batch]
                width = max(r.shape[0] for r in rows)
                hidden = rows[0].new_zeros((len(rows), width, rows[0].shape[-1]))
                mask = torch.zeros((len(rows), width), dtype=torch.long, device=hidden.device)
                for k, r in enumerate(rows):
                    hidden[k, : r.shape[0]] = r
                    mask[k, : r.shape[0]] = 1
                labels, _ = self.t.pad([targets[i] for i in batch], -100, left=False)
                logits = model(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), attention_mask=mask, labels=labels).logits
                logp = torch.log_softmax(logits.float(), dim=-1)
                token_lp = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1).cpu().numpy()
                for row, i in enumerate(batch):
                    out[i] = token_lp[row, skip : len(targets[i])].astype(np.float64)
                self.counts["forced_batches"] += 1
        self.counts["forced_sequences"] += len(sources)
        return out  # type: ignore[return-value]

    def generate(
        self,
        sources: Sequence[Sequence[int]],
        automata: Sequence[Any],
        *,
        num_beams: int,
        n_best: int,
        forced_bos: Optional[int],
    ) -> List[List[Tuple[List[int], Optional[float]]]]:
        """The ``n_best`` sequences (generated ids, their summed log-probability or None for
        greedy search) of each source under its automaton."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        from ..decoding.processor import ConstrainedLogitsProcessor

        model = self.t.model
        out: List[List[Tuple[List[int], Optional[float]]]] = [[] for _ in sources]
        need = [len(a.ids) + len(a.open_ids) + len(a.close_ids) + 1 for a in automata]
        lengths = [len(s) + n for s, n in zip(sources, need)]
        end_ids = [self.eos] + ([self.pad] if self.pad != self.eos else [])
        for batch in self.t.sorted_batches(lengths):
            n = min(n_best, num_beams)
            config = GenerationConfig(
                max_new_tokens=max(need[i] for i in batch),
                num_beams=num_beams,
                num_return_sequences=n,
                do_sample=False,
                length_penalty=0.0,
                early_stopping=True,
                eos_token_id=self.eos,
                pad_token_id=self.pad,
                decoder_start_token_id=getattr(model.config, "decoder_start_token_id", None),
                forced_bos_token_id=forced_bos,
                output_scores=True,
                return_dict_in_generate=True,
            )
            ids, mask = self.t.pad([sources[i] for i in batch], self.pad)
            processor = ConstrainedLogitsProcessor([automata[i] for i in batch], num_beams, fallback_ids=end_ids)
            with torch.inference_mode():
                result = model.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    generation_config=config,
                    logits_processor=LogitsProcessorList([processor]),
                )
            seqs = result.sequences.tolist()
            scores = getattr(result, "sequences_scores", None)
            scores = scores.tolist() if scores is not None else [None] * len(seqs)
            for row, i in enumerate(batch):
                out[i] = [(seq[1:], scores[row * n + j]) for j, seq in enumerate(seqs[row * n : (row + 1) * n])]
            self.counts["generate_batches"] += 1
            self.counts["dead_rows"] += processor.dead_rows
        self.counts["generated"] += len(sources)
        return out


def _is_hf_model(model: Any) -> bool:
    return model is not None and callable(getattr(model, "generate", None)) and hasattr(model, "config")


def _increasing(bounds: Dict[int, int]) -> Dict[int, int]:
    """Boundaries whose token index increases with the template position (always so for a
    tokenizer whose offsets follow the text)."""
    out: Dict[int, int] = {}
    last = -1
    for c in sorted(bounds):
        b = bounds[c]
        if b > last:
            out[c] = b
            last = b
    return out


# ---------------------------------------------------------------------------------------
# the projection


class MarkerProjection:
    """EasyProject or CODEC over a translator backend.

    ``translator``: a ``spacy_xlt.ty.TranslatorBackend`` (``translate``; CODEC also needs a
    Hugging Face ``Translator``: model, tokenizer). EasyProject: ``threshold`` (fuzzy ratio),
    ``fuzzy`` (``best`` / ``first``). CODEC: ``search``, ``num_beams``, ``n_best``,
    ``candidate_positions`` with ``delta_high``/``delta_low``/``delta_window``, ``rerank``.
    ``save_candidates``: keep marked texts, candidates and scores in each result's ``detail``.
    ``counts`` says what the method did (``broken_markers`` by reason, ``exact``/``fuzzy``
    placements, CODEC rows and candidates …).
    """

    def __init__(
        self,
        translator: Any,
        method: str = "codec",
        *,
        open_marker: str = OPEN_MARKER,
        close_marker: str = CLOSE_MARKER,
        threshold: float = 0.5,
        fuzzy: str = "best",
        search: str = "auto",
        max_candidates: int = 512,
        num_beams: int = 5,
        n_best: int = 5,
        candidate_positions: bool = True,
        delta_high: float = 0.5,
        delta_low: float = 0.1,
        delta_window: int = 5,
        rerank: str = "backward",
        save_candidates: bool = False,
    ):
        check_markers(open_marker, close_marker)
        self.translator = translator
        self.method = method
        self.open_marker, self.close_marker = open_marker, close_marker
        self.threshold = threshold
        self.fuzzy = fuzzy
        self.search = search
        self.max_candidates = max_candidates
        self.num_beams = num_beams
        self.n_best = n_best
        self.candidate_positions = candidate_positions
        self.delta_high, self.delta_low, self.delta_window = delta_high, delta_low, delta_window
        self.rerank = rerank
        self.save_candidates = save_candidates
        self.counts: Counter = Counter()
        #: splits a marked segment into words as the targets are split (None: on whitespace
        #: and edge punctuation); the component sets its pipeline's tokenizer
        self.tokenize: Optional[Tokenize] = None
        self._ids: Optional[TranslatorIds] = None

    # --- entry points --------------------------------------------------------------------

    def project(self, items: Sequence[MarkerItem]) -> List[MarkerResult]:
        """Project each item's source spans onto its target tokens."""
        if self.method == "easyproject":
            return self._easyproject(items)
        return self._codec(items)

    def translate_and_project(
        self,
        sources: Sequence[Tuple[List[str], List[bool], List[TokenSpan]]],
        src: str,
        tgt: str,
        tokenize: Tokenize,
    ) -> List[Tuple[List[str], List[bool], MarkerResult]]:
        """Translate source sentences (words, spaces, spans) and project their spans: each
        gives (target words, target spaces, result). EasyProject as published: the marked
        translation with its markers removed is the target (a broken one has no spans);
        CODEC: the translation of the clean sentence is the target."""
        if self.method == "codec":
            texts = [words_text(w, s) for w, s, _ in sources]
            todo = [i for i, t in enumerate(texts) if t.strip()]
            done = dict(zip(todo, self.translator.translate([texts[i] for i in todo], src, tgt)))
            targets = [tokenize(done.get(i, "")) for i in range(len(sources))]
            items = [
                MarkerItem(list(w), list(s), list(sp), tw, ts, src, tgt)
                for (w, s, sp), (tw, ts) in zip(sources, targets)
            ]
            return [(it.target_words, it.target_spaces, r) for it, r in zip(items, self._codec(items))]
        marked = [mark_text(w, s, sp, self.open_marker, self.close_marker) for w, s, sp in sources]
        todo = [i for i, (w, _, _) in enumerate(sources) if w]
        done = dict(zip(todo, self.translator.translate([marked[i] for i in todo], src, tgt)))
        out = []
        reads = [read_markers(done.get(i, ""), self.open_marker, self.close_marker) for i in range(len(sources))]
        assignments = self._assign(
            [(sp, [words_text(w[s.start : s.end], s_[s.start : s.end]) for s in sp]) for w, s_, sp in sources],
            reads,
            src,
            tgt,
        )
        for i, ((_, _, sp), read) in enumerate(zip(sources, reads)):
            result = MarkerResult()
            words, spaces, ranges = marked_tokens(read, tokenize)
            problem = read.problem or (None if read.n_marked == len(sp) else "count")
            if problem is None and len(ranges) != read.n_marked:
                problem = "empty"  # a marked segment the tokenizer made no token of
            order = assignments[i] if problem is None else None
            if problem is None and order is None:
                problem = "labels"
            if sp and problem is not None:
                self._broken(result, sp, problem)
            elif sp:
                target: Dict[int, TokenSpan] = {}
                for k, idx in enumerate(order or []):
                    a, b = ranges[k]
                    target[idx] = TokenSpan(a, b, sp[idx].label)
                self._finish(result, sp, target)
                result.placed["exact"] += len(target)
                self.counts["exact"] += len(target)
            if self.save_candidates:
                result.detail = {"marked_source": marked[i], "marked_translation": done.get(i, ""), "problem": problem}
            out.append((words, spaces, result))
        return out

    # --- EasyProject -----------------------------------------------------------------------

    def _easyproject(self, items: Sequence[MarkerItem]) -> List[MarkerResult]:
        results = [MarkerResult() for _ in items]
        todo = [i for i, it in enumerate(items) if it.spans]
        marked = {i: mark_text(items[i].source_words, items[i].source_spaces, items[i].spans, self.open_marker, self.close_marker) for i in todo}
        done: Dict[int, str] = {}
        for (src, tgt), group in _by_langs(items, todo).items():
            done.update(zip(group, self.translator.translate([marked[i] for i in group], src, tgt)))
        reads = {i: read_markers(done[i], self.open_marker, self.close_marker) for i in todo}
        texts = {
            i: [words_text(items[i].source_words[s.start : s.end], items[i].source_spaces[s.start : s.end]) for s in items[i].spans]
            for i in todo
        }
        assigned = self._assign_items(items, todo, texts, reads)
        for i in todo:
            item, read, result = items[i], reads[i], results[i]
            problem = read.problem or (None if read.n_marked == len(item.spans) else "count")
            order = assigned.get(i) if problem is None else None
            if problem is None and order is None:
                problem = "labels"
            placements: List[Placement] = []
            if problem is not None:
                self._broken(result, item.spans, problem)
            elif not item.target_words:
                result.unaligned = list(item.spans)
                result.links = [(s, None) for s in item.spans]
            else:
                segs, positions = self._segments(read, item)
                placements = locate_segments(segs, positions, item.target_words, threshold=self.threshold)
                target: Dict[int, TokenSpan] = {}
                conflicts = set()
                for idx, place in zip(order or [], placements):
                    self.counts[place.how] += 1
                    if place.start is not None:
                        target[idx] = TokenSpan(place.start, place.end, item.spans[idx].label)
                        result.placed[place.how] += 1
                    elif place.how == "conflict":
                        conflicts.add(idx)
                self._finish(result, item.spans, target, conflicts)
            if self.save_candidates:
                result.detail = {
                    "marked_source": marked[i],
                    "marked_translation": done[i],
                    "problem": problem,
                    "segments": read.segments if problem is None else [],
                    "placements": [[p.start, p.end, p.how, round(p.ratio, 4)] for p in placements],
                }
        return results

    def _segments(self, read: MarkedTranslation, item: MarkerItem) -> Tuple[List[List[str]], List[float]]:
        """Each marked segment's words (split as the target is: by whitespace, punctuation at
        word edges apart) and its relative position in the marked translation."""
        total = max(len(read.text), 1)
        pos = 0
        text = read.text
        out, where = [], []
        for seg in read.segments:
            at = text.find(seg, pos)
            at = pos if at < 0 else at
            where.append(at / total)
            pos = at + len(seg)
            out.append(self.tokenize(seg)[0] if self.tokenize is not None else split_like(seg, item.target_words))
        return out, where

    def _assign_items(self, items, todo, texts, reads) -> Dict[int, Optional[List[int]]]:
        pairs = [(items[i].spans, texts[i]) for i in todo]
        got = self._assign(pairs, [reads[i] for i in todo], None, None, items=[items[i] for i in todo])
        return dict(zip(todo, got))

    def _assign(self, pairs, reads, src, tgt, items=None) -> List[Optional[List[int]]]:
        """The source span of each marked segment of each pair (None: labels inconsistent),
        translating the source spans separately where the published rule needs them."""
        need = [
            k
            for k, ((spans, _), read) in enumerate(zip(pairs, reads))
            if read.problem is None and read.n_marked == len(spans) and len(spans) > 1 and len({s.label for s in spans}) > 1
        ]
        translations: Dict[int, List[str]] = {}
        groups: Dict[Tuple[str, str], List[int]] = {}
        for k in need:
            key = (items[k].src, items[k].tgt) if items is not None else (src, tgt)
            groups.setdefault(key, []).append(k)
        for (s, t), ks in groups.items():
            flat = [text for k in ks for text in pairs[k][1]]
            done = self.translator.translate(flat, s, t) if flat else []
            self.counts["entity_translations"] += len(flat)
            pos = 0
            for k in ks:
                n = len(pairs[k][1])
                translations[k] = list(done[pos : pos + n])
                pos += n
        out: List[Optional[List[int]]] = []
        for k, ((spans, texts), read) in enumerate(zip(pairs, reads)):
            if read.problem is not None or read.n_marked != len(spans):
                out.append(None)
                continue
            out.append(
                match_labels(
                    read.segments,
                    texts,
                    [s.label for s in spans],
                    translations.get(k),
                    threshold=self.threshold,
                    fuzzy=self.fuzzy,
                )
            )
        return out

    def _broken(self, result: MarkerResult, spans: Sequence[TokenSpan], problem: str) -> None:
        result.broken = problem
        result.unaligned = list(spans)
        result.links = [(s, None) for s in spans]
        self.counts["broken_markers"] += 1
        self.counts[f"broken_{problem}"] += 1

    @staticmethod
    def _finish(result: MarkerResult, spans: Sequence[TokenSpan], target: Dict[int, TokenSpan], conflicts=()) -> None:
        result.links = [(s, target.get(i)) for i, s in enumerate(spans)]
        result.spans = sorted(target.values())
        result.unaligned = [s for i, s in enumerate(spans) if i not in target and i not in conflicts]
        result.conflicts = [s for i, s in enumerate(spans) if i not in target and i in conflicts]

    # --- CODEC -----------------------------------------------------------------------------

    @property
    def ids(self) -> TranslatorIds:
        if self._ids is None or self._ids.t is not self.translator:
            self._ids = TranslatorIds(self.translator)
        return self._ids

    def _codec(self, items: Sequence[MarkerItem]) -> List[MarkerResult]:
        results = [MarkerResult() for _ in items]
        for i, item in enumerate(items):
            if item.spans and not item.target_words:
                results[i].unaligned = list(item.spans)
                results[i].links = [(s, None) for s in item.spans]
        todo = [i for i, it in enumerate(items) if it.spans and it.target_words]
        if not todo:
            return results
        ids = self.ids
        open_ids = ids.marker_ids(self.open_marker)
        close_ids = ids.marker_ids(self.close_marker)
        end_ids = [ids.eos] + ([ids.pad] if ids.pad != ids.eos else [])
        # rows: one per (item, span)
        rows: List[Tuple[int, int]] = [(i, k) for i in todo for k in range(len(items[i].spans))]
        templates = {i: ids.template(items[i].target_words, items[i].target_spaces) for i in todo}
        prefixes = {lang: ids.prefix(lang) for lang in {items[i].tgt for i in todo}}
        sources: List[List[int]] = []
        for i, k in rows:
            it = items[i]
            text = mark_text(it.source_words, it.source_spaces, [it.spans[k]], self.open_marker, self.close_marker)
            sources.append(ids.source([text], it.src)[0])
        opens: List[Optional[List[int]]] = [None] * len(rows)
        if self.candidate_positions:
            opens = self._openings(items, todo, rows, sources, templates, prefixes)
        automata = []
        for r, (i, k) in enumerate(rows):
            content, bounds = templates[i]
            prefix = prefixes[items[i].tgt]
            allowed = None
            if opens[r]:
                allowed = {bounds[c] for c in opens[r] if c in bounds}
                if not any(b < len(items[i].target_words) for b in allowed):
                    allowed = None
            automata.append(
                _automaton(content, bounds, open_ids, close_ids, end_ids, prefix, allowed, f"span {k} of pair {i}")
            )
            self.counts["restricted_rows" if allowed is not None else "unrestricted_rows"] += 1
        self.counts["rows"] += len(rows)
        cands = self._search(rows, items, sources, automata, prefixes)
        chosen = self._rerank(rows, items, cands)
        self._merge(items, todo, rows, cands, chosen, results)
        if self.save_candidates:
            for r, (i, k) in enumerate(rows):
                detail = results[i].detail.setdefault("candidates", [])
                bounds = templates[i][1]
                detail.append(
                    {
                        "span": list(items[i].spans[k]),
                        "opens": None if not opens[r] else sorted({bounds[c] for c in opens[r] if c in bounds}),
                        "insertions": [
                            [a, b, round(score, 6), None if nll is None else round(nll, 6)]
                            for (a, b), score, nll in cands[r]
                        ],
                        "chosen": chosen[r] if cands[r] else None,
                    }
                )
        return results

    def _openings(self, items, todo, rows, sources, templates, prefixes) -> List[Optional[List[int]]]:
        """Stage 1 of CODEC: opening positions from the change of the template's token
        log-probs when the source span is marked."""
        ids = self.ids
        clean_src = {i: ids.source([words_text(items[i].source_words, items[i].source_spaces)], items[i].src)[0] for i in todo}
        target = {i: prefixes[items[i].tgt] + templates[i][0] + [ids.eos] for i in todo}
        skip = {i: len(prefixes[items[i].tgt]) for i in todo}
        srcs = [clean_src[i] for i in todo] + sources
        tgts = [target[i] for i in todo] + [target[i] for i, _ in rows]
        # one skip per call: group by prefix length (one target language: one group)
        out: List[Optional[List[int]]] = [None] * len(rows)
        lps: List[Optional[np.ndarray]] = [None] * len(srcs)
        owners = [i for i in todo] + [i for i, _ in rows]
        for p in sorted({skip[i] for i in todo}):
            idx = [j for j, i in enumerate(owners) if skip[i] == p]
            got = ids.logprobs([srcs[j] for j in idx], [tgts[j] for j in idx], p)
            for j, lp in zip(idx, got):
                lps[j] = lp
        clean = {i: lps[j] for j, i in enumerate(todo)}
        for r, (i, _) in enumerate(rows):
            marked = lps[len(todo) + r]
            out[r] = opening_candidates(clean[i], marked, high=self.delta_high, low=self.delta_low, window=self.delta_window)
        return out

    def _search(self, rows, items, sources, automata, prefixes) -> List[List[Tuple[Tuple[int, int], float, Optional[float]]]]:
        """Each row's candidate insertions ((start, end), forward score), best first."""
        ids = self.ids
        out: List[List[Tuple[Tuple[int, int], float, Optional[float]]]] = [[] for _ in rows]
        by_lang: Dict[str, List[int]] = {}
        for r, (i, _) in enumerate(rows):
            by_lang.setdefault(items[i].tgt, []).append(r)
        for lang, rs_all in by_lang.items():
            skip = len(prefixes[lang])
            if self.search == "beam":
                exhaustive, rs = [], rs_all
            elif self.search == "exhaustive":
                exhaustive, rs = rs_all, []
            else:  # auto: exact where the insertions are few enough
                sizes = {r: len(automata[r].insertions()) for r in rs_all}
                exhaustive = [r for r in rs_all if sizes[r] <= self.max_candidates]
                rs = [r for r in rs_all if sizes[r] > self.max_candidates]
            self.counts["exhaustive_rows"] += len(exhaustive)
            self.counts["beam_rows"] += len(rs)
            if exhaustive:
                flat = [(r, ins) for r in exhaustive for ins in automata[r].insertions()]
                self.counts["candidates"] += len(flat)
                lps = ids.logprobs([sources[r] for r, _ in flat], [automata[r].target(ins) for r, ins in flat], skip)
                scored: Dict[int, List[Tuple[Tuple[int, int], float, Optional[float]]]] = {}
                for (r, ins), lp in zip(flat, lps):
                    scored.setdefault(r, []).append(((ins.start, ins.end), float(lp.sum()), None))
                for r in exhaustive:
                    got = sorted(scored.get(r, []), key=lambda c: (-c[1], c[0]))
                    out[r] = got[: self.n_best]
            if not rs:
                continue
            got = ids.generate(
                [sources[r] for r in rs],
                [automata[r] for r in rs],
                num_beams=self.num_beams,
                n_best=self.n_best,
                forced_bos=ids.forced_bos(lang),
            )
            rescore: List[Tuple[int, Any]] = []
            for r, seqs in zip(rs, got):
                seen = set()
                for seq, score in seqs:
                    ins = automata[r].parse(seq)
                    if ins is None or tuple(ins) in seen:
                        self.counts["unparsed"] += ins is None
                        continue
                    seen.add(tuple(ins))
                    if score is None:
                        rescore.append((r, ins))
                    else:
                        out[r].append(((ins.start, ins.end), float(score), None))
                self.counts["candidates"] += len(seen)
            if rescore:  # greedy search gives no sequence scores: score by forced decoding
                lps = ids.logprobs([sources[r] for r, _ in rescore], [automata[r].target(ins) for r, ins in rescore], skip)
                for (r, ins), lp in zip(rescore, lps):
                    out[r].append(((ins.start, ins.end), float(lp.sum()), None))
            for r in rs:
                out[r].sort(key=lambda c: (-c[1], c[0]))
        return out

    def _rerank(self, rows, items, cands) -> List[int]:
        """The index of each row's chosen candidate (``rerank``); back-translation scores are
        kept in the candidates' third field."""
        if self.rerank == "none":
            return [0] * len(rows)
        ids = self.ids
        jobs: List[Tuple[int, int]] = [(r, j) for r, c in enumerate(cands) if len(c) > 1 for j in range(len(c))]
        if jobs:
            by_pair: Dict[Tuple[str, str], List[Tuple[int, int]]] = {}
            for r, j in jobs:
                it = items[rows[r][0]]
                by_pair.setdefault((it.tgt, it.src), []).append((r, j))
            for (tgt, src), group in by_pair.items():
                src_texts, tgt_rows = [], []
                prefix = ids.prefix(src)
                for r, j in group:
                    it = items[rows[r][0]]
                    span = it.spans[rows[r][1]]
                    (a, b), _, _ = cands[r][j]
                    src_texts.append(words_text(it.target_words[a:b], it.target_spaces[a:b]))
                    ent = words_text(it.source_words[span.start : span.end], it.source_spaces[span.start : span.end])
                    tgt_rows.append(prefix + ids.content(ent) + [ids.eos])
                lps = ids.logprobs(ids.source(src_texts, tgt), tgt_rows, len(prefix))
                for (r, j), lp in zip(group, lps):
                    span, score, _ = cands[r][j]
                    cands[r][j] = (span, score, float(-lp.sum()))
        chosen = []
        for r, c in enumerate(cands):
            if len(c) <= 1:
                chosen.append(0)
                continue
            it = items[rows[r][0]]
            ents = [words_text(it.target_words[a:b], it.target_spaces[a:b]) for (a, b), _, _ in c]
            choice = rerank_backward(ents, [x[2] for x in c])
            self.counts["reranked"] += choice != 0
            chosen.append(choice)
        return chosen

    def _merge(self, items, todo, rows, cands, chosen, results) -> None:
        """One target span per source span: the better-scored keeps its insertion where two
        overlap; the other takes its best insertion free of every kept span, or is a
        conflict."""
        by_item: Dict[int, List[int]] = {}
        for r, (i, _) in enumerate(rows):
            by_item.setdefault(i, []).append(r)
        for i in todo:
            item = items[i]
            rs = by_item.get(i, [])
            target: Dict[int, TokenSpan] = {}
            conflicts = set()
            taken = [False] * len(item.target_words)
            order = sorted(rs, key=lambda r: (-(cands[r][chosen[r]][1] if cands[r] else float("-inf")), r))
            for r in order:
                k = rows[r][1]
                if not cands[r]:
                    self.counts["no_candidate"] += 1
                    continue
                options = [chosen[r]] + [j for j in range(len(cands[r])) if j != chosen[r]]
                for j in options:
                    (a, b), _, _ = cands[r][j]
                    if not any(taken[a:b]):
                        target[k] = TokenSpan(a, b, item.spans[k].label)
                        for t in range(a, b):
                            taken[t] = True
                        self.counts["moved"] += j != chosen[r]
                        break
                else:
                    conflicts.add(k)
            self._finish(results[i], item.spans, target, conflicts)
            results[i].placed["inserted"] += len(target)


def split_like(text: str, target: Sequence[str]) -> List[str]:
    """A segment's words: split on whitespace, and a word that is no target word but is one
    followed or preceded by punctuation split there (``Lagos,`` -> ``Lagos`` ``,``)."""
    known = {w.casefold() for w in target}
    out: List[str] = []
    for word in text.split():
        if word.casefold() in known:
            out.append(word)
            continue
        m = re.match(r"^(\W*)(.*?)(\W*)$", word)
        head, core, tail = (m.group(1), m.group(2), m.group(3)) if m else ("", word, "")
        out.extend([x for x in (head, core, tail) if x])
    return out


def _by_langs(items: Sequence[MarkerItem], todo: Sequence[int]) -> Dict[Tuple[str, str], List[int]]:
    groups: Dict[Tuple[str, str], List[int]] = {}
    for i in todo:
        groups.setdefault((items[i].src, items[i].tgt), []).append(i)
    return groups


def _automaton(content, bounds, open_ids, close_ids, end_ids, prefix, opens, record):
    from ..decoding.insertion import InsertionAutomaton

    return InsertionAutomaton(content, bounds, open_ids, close_ids, end_ids, prefix_ids=prefix, opens=opens, record=record)
