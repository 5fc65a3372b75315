"""Tagged text <-> token spans: the inline form taggers write, T-Projection's forms, and a
lenient reader for free-form model output.

Three families, all pure Python over word lists and ``TokenSpan`` tuples:

- **Inline** (``encode_inline`` / ``decode_inline``): the sentence with ``<Name>`` ...
  ``</Name>`` around each span. Exact and strict: decoding gives back the words and spans
  for *any* words, because words are escaped (see ``escape_word``) so that a raw ``<`` in
  the text always begins a tag. Text that is not a canonical encoding is an error.
- **T-Projection** (``tprojection_input`` / ``tprojection_target`` /
  ``parse_tprojection_output``): the generator's formats, byte-identical to the published
  code (no escaping there, by design: generators trained with the original must load).
- **Lenient** (``parse_lenient``): reads whatever a free-running model wrote, places each
  tagged segment on the input words and counts, by reason, what it could not place.
  Never raises.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Collection, Dict, List, Optional, Sequence, Tuple

from .errors import Errors, XLTError
from .labels import LabelMap, TokenSpan, check_spans

#: Supported spacings of the inline form (``"any"`` is also accepted by the decoders):
#: ``both``  - every tag and word separated by one space:
#:             ``<Person> Obama </Person> visited <Location> France </Location> .``
#: ``none``  - tags attached to the word they open/close; words separated by one space:
#:             ``<Person>Obama</Person> visited <Location>France</Location> .``
#: ``glued`` - no space next to any tag, one space only between two adjacent words; the
#:             T5-family form of the Sequence-Labeling-LLMs code:
#:             ``<Person>Obama</Person>visited<Location>France</Location>.``
SPACINGS = ("both", "none", "glued")

#: Reasons ``parse_lenient`` gives for what it drops.
DROP_REASONS = (
    "unknown_label",  # a closed segment whose label is not in known_labels
    "unclosed_tag",  # an opening tag never closed (or closed by another label)
    "unopened_close",  # a closing tag with no matching opening tag
    "empty_span",  # <Name></Name> with no words inside
    "not_in_input",  # the segment's words occur nowhere in the input words
    "overlap",  # they occur only where an earlier segment was already placed
)

# A tag name: non-empty, no whitespace, '<', '>' or backslash, not starting with '/'.
_NAME = r"[^\s<>/\\][^\s<>\\]*"
_NAME_RE = re.compile(_NAME)
_TAG_RE = re.compile(rf"<(/?)({_NAME})>")
# Model output: tolerate spaces inside the brackets ("< /Person >").
_LENIENT_TAG_RE = re.compile(rf"<\s*(/?)\s*({_NAME})\s*>")

_ESCAPE_CHAR = {"\\": "\\\\", "<": "\\<", " ": "\\s", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_UNESCAPE_CHAR = {"\\": "\\", "<": "<", "s": " ", "n": "\n", "t": "\t", "r": "\r", "e": ""}
_EMPTY_WORD = "\\e"
_ESCAPE_HELP = "\\\\ \\< \\s \\n \\t \\r \\e \\uXXXX"


# --- escaping -----------------------------------------------------------------------------


def _escape_char(c: str) -> str:
    if c in _ESCAPE_CHAR:
        return _ESCAPE_CHAR[c]
    if c.isspace():
        return f"\\u{ord(c):04x}"
    return c


def escape_word(word: str) -> str:
    """The text of ``word`` inside inline tagged text.

    Only ``\\``, ``<`` and whitespace change (``\\\\``, ``\\<``, ``\\s`` for a space,
    ``\\n`` ``\\t`` ``\\r``, ``\\uXXXX`` for other whitespace), and an empty word is ``\\e``,
    so ordinary words -- including ``>``, ``Person>`` or non-Latin scripts -- are written
    as they are. Afterwards a raw ``<`` in tagged text always begins a tag, a raw space
    always separates, and the encoding is reversible for any word.
    """
    if not word:
        return _EMPTY_WORD
    return "".join(_escape_char(c) for c in word)


def _read_escape(text: str, i: int) -> Tuple[Optional[str], int]:
    """Decode the escape at ``text[i] == "\\"``: (character(s), next index) or (None, i)."""
    nxt = text[i + 1 : i + 2]
    if nxt in _UNESCAPE_CHAR and nxt:
        return _UNESCAPE_CHAR[nxt], i + 2
    if nxt == "u":
        digits = text[i + 2 : i + 6]
        if len(digits) == 4 and all(d in "0123456789abcdefABCDEF" for d in digits):
            return chr(int(digits, 16)), i + 6
    return None, i


def unescape_word(text: str) -> str:
    """Inverse of ``escape_word`` (for one word's text); invalid escapes raise XLTE105."""
    out: List[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            chars, j = _read_escape(text, i)
            if chars is None:
                raise XLTError(
                    Errors.E105.format(
                        seq=text[i : i + 2], pos=i, record=repr(text), options=_ESCAPE_HELP
                    )
                )
            out.append(chars)
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# --- label names --------------------------------------------------------------------------


def _tag_names(spans: Sequence[TokenSpan], label_map: LabelMap, record: str) -> Dict[str, str]:
    """label -> tag name for every label of ``spans``; errors for names that cannot be tags."""
    names: Dict[str, str] = {}
    for span in spans:
        label = span[2]
        if label in names:
            continue
        name = label_map.name(label)
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise XLTError(Errors.E100.format(label=label, name=name, record=record))
        back = label_map.label(name)
        if back != label:
            raise XLTError(Errors.E101.format(label=label, name=name, back=back, record=record))
        names[label] = name
    return names


def _check_spacing(spacing: str, allow_any: bool = False) -> None:
    options = SPACINGS + (("any",) if allow_any else ())
    if spacing not in options:
        raise XLTError(Errors.E102.format(spacing=spacing, options=", ".join(options)))


# --- inline form --------------------------------------------------------------------------


def _separator(prev: str, kind: str, spacing: str) -> str:
    """The text between two consecutive items (kinds: "open", "word", "close")."""
    if spacing == "both":
        return " "
    if spacing == "none":
        # one space at each word boundary: after the word (and its closing tag), before
        # the next word (and its opening tag)
        return " " if prev in ("word", "close") and kind in ("word", "open") else ""
    return " " if prev == "word" and kind == "word" else ""  # glued


def encode_inline(
    words: Sequence[str],
    spans: Sequence[TokenSpan],
    label_map: Optional[LabelMap] = None,
    spacing: str = "both",
    record: str = "the sentence",
) -> str:
    """The sentence with ``<Name>`` ... ``</Name>`` around each span (see ``SPACINGS``).

    Spans must not overlap (XLTE005) and must lie within the words (XLTE006); a label's name
    (``label_map.name``) must be a valid tag name (XLTE100) that maps back to the same label
    (XLTE101). Words are written with ``escape_word``.
    """
    _check_spacing(spacing)
    label_map = label_map if label_map is not None else LabelMap()
    ordered = check_spans(spans, len(words), record)
    names = _tag_names(ordered, label_map, record)
    opens = {s.start: names[s.label] for s in ordered}
    closes = {s.end - 1: names[s.label] for s in ordered}
    parts: List[str] = []
    prev = ""
    for i, word in enumerate(words):
        items = []
        if i in opens:
            items.append(("open", f"<{opens[i]}>"))
        items.append(("word", escape_word(word)))
        if i in closes:
            items.append(("close", f"</{closes[i]}>"))
        for kind, text in items:
            if prev:
                parts.append(_separator(prev, kind, spacing))
            parts.append(text)
            prev = kind
    return "".join(parts)


def _context(text: str, pos: int) -> str:
    return text[max(0, pos - 20) : pos + 20]


def _malformed(text: str, pos: int, why: str, record: str) -> XLTError:
    return XLTError(
        Errors.E103.format(record=record, pos=pos, why=why, context=_context(text, pos))
    )


def parse_inline(
    text: str,
    label_map: Optional[LabelMap] = None,
    spacing: str = "both",
    record: str = "the text",
) -> Tuple[List[str], List[TokenSpan]]:
    """The words and spans of inline tagged text; the exact inverse of ``encode_inline``.

    Strict: anything but the canonical encoding under ``spacing`` (or under any supported
    spacing, with ``spacing="any"``) raises XLTE103 (structure, spacing) or XLTE105 (escape).
    Tag names map back to labels with ``label_map.label``.
    """
    _check_spacing(spacing, allow_any=True)
    label_map = label_map if label_map is not None else LabelMap()
    words: List[str] = []
    spans: List[TokenSpan] = []
    open_name: Optional[str] = None
    open_start = 0
    buf: Optional[List[str]] = None  # characters of the word being read
    i, n = 0, len(text)

    def flush() -> None:
        nonlocal buf
        if buf is not None:
            words.append("".join(buf))
            buf = None

    while i < n:
        c = text[i]
        if c == " ":
            flush()
            i += 1
        elif c == "<":
            m = _TAG_RE.match(text, i)
            if m is None:
                raise _malformed(
                    text, i, "'<' that does not begin a tag (write '\\<' in words)", record
                )
            flush()
            name = m.group(2)
            if m.group(1):
                if open_name is None:
                    raise _malformed(
                        text, i, f"closing tag </{name}> without an opening tag", record
                    )
                if name != open_name:
                    raise _malformed(
                        text, i, f"closing tag </{name}> while <{open_name}> is open", record
                    )
                if len(words) == open_start:
                    raise _malformed(text, i, f"empty span <{name}></{name}>", record)
                spans.append(TokenSpan(open_start, len(words), label_map.label(name)))
                open_name = None
            else:
                if open_name is not None:
                    raise _malformed(
                        text,
                        i,
                        f"tag <{name}> inside the open <{open_name}>; spans cannot nest",
                        record,
                    )
                open_name, open_start = name, len(words)
            i = m.end()
        elif c == "\\":
            chars, j = _read_escape(text, i)
            if chars is None:
                raise XLTError(
                    Errors.E105.format(
                        seq=text[i : i + 2], pos=i, record=record, options=_ESCAPE_HELP
                    )
                )
            if buf is None:
                buf = []
            buf.append(chars)
            i = j
        else:
            if buf is None:
                buf = []
            buf.append(c)
            i += 1
    flush()
    if open_name is not None:
        raise _malformed(text, n, f"tag <{open_name}> is never closed", record)
    # The structure is valid; now require the canonical spelling (spaces and escapes).
    spacings = SPACINGS if spacing == "any" else (spacing,)
    expected = ""
    for sp in spacings:
        expected = encode_inline(words, spans, label_map, sp, record)
        if expected == text:
            return words, spans
    pos = next(
        (k for k, (a, b) in enumerate(zip(text, expected)) if a != b), min(len(text), len(expected))
    )
    why = (
        f"not the canonical form for spacing {spacing!r}: expected {_context(expected, pos)!r} here"
    )
    raise _malformed(text, pos, why, record)


def decode_inline(
    text: str,
    words: Optional[Sequence[str]] = None,
    label_map: Optional[LabelMap] = None,
    spacing: str = "both",
    record: str = "the text",
) -> List[TokenSpan]:
    """The spans of inline tagged text, which must tag exactly ``words`` when they are given.

    Raises XLTE103/XLTE105 for text that is not a canonical encoding (see ``parse_inline``)
    and XLTE104 when it tags other words than ``words``.
    """
    found, spans = parse_inline(text, label_map, spacing, record)
    if words is not None:
        words = list(words)
        if found != words:
            if len(found) != len(words):
                why = f"it has {len(found)} words, expected {len(words)}"
            else:
                k = next(k for k, (a, b) in enumerate(zip(found, words)) if a != b)
                why = f"word {k} is {found[k]!r}, expected {words[k]!r}"
            raise XLTError(Errors.E104.format(record=record, why=why))
    return spans


# --- T-Projection forms -------------------------------------------------------------------


def _source_order(spans: Sequence[TokenSpan], n_words: int, record: str) -> List[TokenSpan]:
    ordered = sorted(TokenSpan(*s) for s in spans)
    for span in ordered:
        if not (0 <= span.start < span.end <= n_words):
            raise XLTError(Errors.E006.format(span=tuple(span), n=n_words, record=record))
    return ordered


def tprojection_input(
    words: Sequence[str],
    spans: Sequence[TokenSpan],
    label_map: Optional[LabelMap] = None,
    record: str = "the sentence",
) -> str:
    """The T-Projection generator's input: ``Me encanta Nueva York . <Location>[None]</Location>``.

    Words joined by single spaces, one space, then one ``<Name>[None]</Name>`` per span in
    source order with no separator (so a sentence without spans ends with a space). Words
    are written as they are (the published format has no escaping).
    """
    label_map = label_map if label_map is not None else LabelMap()
    ordered = _source_order(spans, len(words), record)
    names = _tag_names(ordered, label_map, record)
    placeholders = "".join(f"<{names[s.label]}>[None]</{names[s.label]}>" for s in ordered)
    return " ".join(words) + " " + placeholders


def tprojection_target(
    words: Sequence[str],
    spans: Sequence[TokenSpan],
    label_map: Optional[LabelMap] = None,
    record: str = "the sentence",
) -> str:
    """The T-Projection generator's target: ``<Location>New York</Location><Person>Obama</Person>``.

    One ``<Name>span words</Name>`` per span in source order, no separators; "" without spans.
    """
    label_map = label_map if label_map is not None else LabelMap()
    ordered = _source_order(spans, len(words), record)
    names = _tag_names(ordered, label_map, record)
    return "".join(
        f"<{names[s.label]}>{' '.join(words[s.start : s.end])}</{names[s.label]}>" for s in ordered
    )


# --- lenient reading of model output ------------------------------------------------------


@dataclass
class _Segment:
    name: str
    pieces: List[str]  # the words inside the tags
    hint: int  # how many words the output had before this segment


def _segments(text: str, escapes: bool) -> Tuple[List[_Segment], List[Tuple[str, str]]]:
    """Closed tagged segments of free text, and (reason, detail) for broken tags. Never raises."""
    segments: List[_Segment] = []
    dropped: List[Tuple[str, str]] = []
    n_pieces = 0
    current: Optional[_Segment] = None
    buf: Optional[List[str]] = None
    i, n = 0, len(text)

    def flush() -> None:
        nonlocal buf, n_pieces
        if buf is not None:
            if current is not None:
                current.pieces.append("".join(buf))
            n_pieces += 1
            buf = None

    while i < n:
        c = text[i]
        if c.isspace():
            flush()
            i += 1
            continue
        if c == "<":
            m = _LENIENT_TAG_RE.match(text, i)
            if m is not None:
                flush()
                name = m.group(2)
                if m.group(1):  # closing
                    if current is None:
                        dropped.append(("unopened_close", f"</{name}>"))
                    elif current.name != name:
                        dropped.append(
                            ("unclosed_tag", f"<{current.name}>{' '.join(current.pieces)}")
                        )
                        dropped.append(("unopened_close", f"</{name}>"))
                        current = None
                    else:
                        segments.append(current)
                        current = None
                else:
                    if current is not None:
                        dropped.append(
                            ("unclosed_tag", f"<{current.name}>{' '.join(current.pieces)}")
                        )
                    current = _Segment(name, [], n_pieces)
                i = m.end()
                continue
        if c == "\\" and escapes:
            chars, j = _read_escape(text, i)
            if chars is not None:
                buf = [] if buf is None else buf
                buf.append(chars)
                i = j
                continue
        buf = [] if buf is None else buf
        buf.append(c)
        i += 1
    flush()
    if current is not None:
        dropped.append(("unclosed_tag", f"<{current.name}>{' '.join(current.pieces)}"))
    return segments, dropped


def _compact(s: str) -> str:
    return "".join(s.split())


def parse_tprojection_output(
    text: str,
    label_map: Optional[LabelMap] = None,
    known_labels: Optional[Collection[str]] = None,
) -> List[Tuple[str, str]]:
    """(label, span text) for each tagged segment of one generated sequence, in order.

    Tolerant, for beam outputs: spaces around and inside tags, text between tags, broken
    tags and empty segments are skipped; span words are re-joined by single spaces. With
    ``known_labels``, segments of other labels are skipped too.
    """
    label_map = label_map if label_map is not None else LabelMap()
    segments, _ = _segments(text, escapes=False)
    out: List[Tuple[str, str]] = []
    for seg in segments:
        label = label_map.label(seg.name)
        if not seg.pieces or (known_labels is not None and label not in known_labels):
            continue
        out.append((label, " ".join(seg.pieces)))
    return out


@dataclass
class LenientParse:
    """What ``parse_lenient`` recovered: spans on the input words, and what it dropped."""

    spans: List[TokenSpan]
    #: (reason, detail) for each dropped tag or segment; reasons are in ``DROP_REASONS``.
    dropped: List[Tuple[str, str]] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        """Dropped items by reason."""
        return Counter(reason for reason, _ in self.dropped)


class _Words:
    """The input words in the four forms ``_find_runs`` compares (computed once per call)."""

    def __init__(self, words: Sequence[str]):
        self.exact = list(words)
        self.folded = [w.casefold() for w in self.exact]
        self.compact = [_compact(w) for w in self.exact]
        self.compact_folded = [_compact(w) for w in self.folded]


def _find_runs(words: _Words, pieces: Sequence[str]) -> List[Tuple[int, int, int]]:
    """(start, end, quality) of every run of ``words`` that matches ``pieces``.

    Quality 0: the same words; 1: the same up to case; 2: the same characters once
    whitespace is removed (the output split words differently); 3: as 2, up to case.
    """
    n, k = len(words.exact), len(pieces)
    runs: List[Tuple[int, int, int]] = []
    pieces = list(pieces)
    folded = [p.casefold() for p in pieces]
    for i in range(n - k + 1):
        if words.folded[i] != folded[0]:
            continue
        if words.exact[i : i + k] == pieces:
            runs.append((i, i + k, 0))
        elif words.folded[i : i + k] == folded:
            runs.append((i, i + k, 1))
    target = _compact(" ".join(pieces))
    for quality, goal, forms in (
        (2, target, words.compact),
        (3, target.casefold(), words.compact_folded),
    ):
        runs.extend((i, j, quality) for i, j in concatenated_runs(goal, forms))
    return runs


def concatenated_runs(goal: str, forms: Sequence[str]) -> List[Tuple[int, int]]:
    """Runs ``(i, j)`` of tokens whose ``forms`` concatenate exactly to ``goal``.

    Runs begin on a token with a non-empty form; used to place model output that split or
    joined words differently on the input tokens (lenient parsing, T-Projection filtering).
    """
    out: List[Tuple[int, int]] = []
    if not goal:
        return out
    n = len(forms)
    for i in range(n):
        first = forms[i]
        if not first or not goal.startswith(first):
            continue
        size, j = len(first), i + 1
        while size < len(goal) and j < n and goal.startswith(forms[j], size):
            size += len(forms[j])
            j += 1
        if size == len(goal):
            out.append((i, j))
    return out


def parse_lenient(
    text: str,
    words: Sequence[str],
    label_map: Optional[LabelMap] = None,
    known_labels: Optional[Collection[str]] = None,
    escapes: bool = True,
) -> LenientParse:
    """Spans on ``words`` from free-form tagged model output that may drift from the input.

    Each closed ``<Name>`` ... ``</Name>`` segment is placed on the input words as a
    contiguous run: first runs after the previously placed span, then anywhere not yet
    taken; among those, exact words before case-insensitive before whitespace-insensitive
    matches, then the run nearest to where the segment stood in the output. Segments that
    cannot be placed, unknown labels (when ``known_labels``, corpus labels, are given) and
    broken tags are dropped and counted. ``escapes`` reads ``escape_word`` escapes (the
    inline form); turn it off for unescaped text. Never raises on any ``text``.
    """
    label_map = label_map if label_map is not None else LabelMap()
    index = _Words([str(w) for w in words])
    segments, dropped = _segments(str(text), escapes)
    taken = [False] * len(index.exact)
    spans: List[TokenSpan] = []
    cursor = 0
    for seg in segments:
        label = label_map.label(seg.name)
        detail = f"<{seg.name}>{' '.join(seg.pieces)}</{seg.name}>"
        if known_labels is not None and label not in known_labels:
            dropped.append(("unknown_label", detail))
            continue
        if not seg.pieces:
            dropped.append(("empty_span", detail))
            continue
        runs = _find_runs(index, seg.pieces)
        free = [r for r in runs if not any(taken[r[0] : r[1]])]
        if not free:
            dropped.append(("overlap" if runs else "not_in_input", detail))
            continue
        start, end, _ = min(free, key=lambda r: (r[0] < cursor, r[2], abs(r[0] - seg.hint), r[0]))
        for k in range(start, end):
            taken[k] = True
        spans.append(TokenSpan(start, end, label))
        cursor = end
    return LenientParse(sorted(spans), dropped)
