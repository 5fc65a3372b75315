"""Label names and tag schemes: IOB1 / IOB2 / BIOES tags <-> token spans, label-name maps.

Everything here works on plain Python data (lists of tag strings, ``TokenSpan`` tuples),
so that corpora, projectors and taggers share one definition of what a span is.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence

from .errors import Errors, XLTError

SCHEMES = ("auto", "iob1", "iob2", "bioes")

#: Label names used by T-Projection and the text-to-text taggers (the published formats).
DEFAULT_LABEL_NAMES: Dict[str, str] = {
    "LOC": "Location",
    "PER": "Person",
    "ORG": "Organization",
    "MISC": "Miscellaneous",
    "TARGET": "Target",
}


class TokenSpan(NamedTuple):
    """A labelled span of tokens: ``start`` inclusive, ``end`` exclusive."""

    start: int
    end: int
    label: str


#: The tags each scheme of :func:`to_iob2` reads, as its messages state them.
SCHEME_TAGS = {
    "auto": "O, or a prefix B-, I-, E-, S-, L- or U- and a label (any of IOB1, IOB2, BIOES and BILOU is read)",
    "iob1": "O, B-LABEL or I-LABEL (IOB1: an I- tag may start a span)",
    "iob2": "O, B-LABEL or I-LABEL (strict IOB2: a span starts with B-)",
    "bioes": "O, B-LABEL, I-LABEL, E-LABEL or S-LABEL",
}
#: Where a prefix that a scheme lacks belongs.
_OTHER_SCHEME = {
    "E": "E-/S- tags are BIOES",
    "S": "E-/S- tags are BIOES",
    "L": "L-/U- tags are BILOU",
    "U": "L-/U- tags are BILOU",
}


def _bad_tag(tag: str, index: int, record: str, why: str) -> XLTError:
    return XLTError(Errors.E001.format(tag=tag, index=index, record=record, why=why))


def _split_tag(tag: str, index: int, record: str, scheme: str = "auto") -> tuple:
    if tag == "O":
        return "O", None
    prefix, sep, label = tag.partition("-")
    if not sep or not label or prefix not in {"B", "I", "E", "S", "L", "U"}:
        hint = ""
        if tag.upper() == "O" or (sep and label and prefix.upper() in {"B", "I", "E", "S", "L", "U"}):
            hint = "; prefixes and O are upper case"
        elif not sep and tag[:1] in {"B", "I", "E", "S", "L", "U"} and len(tag) == 1:
            hint = "; a prefix needs a label, as in B-PER"
        expected = f"expected {SCHEME_TAGS[scheme]}" if scheme == "auto" else f"the {scheme} scheme expects {SCHEME_TAGS[scheme]}"
        raise _bad_tag(tag, index, record, f"{expected}{hint}.")
    return prefix, label


def _describe_previous(tags: Sequence[str], i: int) -> str:
    return "the start of the sentence" if i == 0 else repr(tags[i - 1])


def to_iob2(tags: Sequence[str], scheme: str = "auto", record: str = "the sentence") -> List[str]:
    """Normalise IOB1, IOB2, BIOES or BILOU tags to IOB2.

    ``auto`` accepts any mix: S-/U- become B-, E-/L- become I-, and an I- that does not
    continue a span of the same label starts one (the IOB1 reading, which also repairs
    ill-formed IOB2). ``iob2`` is strict: only O/B-/I- are allowed, and an I- tag that does
    not continue a span is an error. An error says which tags the scheme expects there.
    """
    if scheme not in SCHEMES:
        raise XLTError(Errors.E002.format(scheme=scheme, options=", ".join(SCHEMES)))
    out: List[str] = []
    prev_label: Optional[str] = None
    for i, tag in enumerate(tags):
        prefix, label = _split_tag(tag, i, record, scheme)
        if prefix == "O":
            out.append("O")
            prev_label = None
            continue
        if scheme in ("iob1", "iob2") and prefix not in ("B", "I"):
            why = (
                f"the {scheme} scheme expects {SCHEME_TAGS[scheme]}; {_OTHER_SCHEME[prefix]} "
                f"(read them with --scheme {'bioes or ' if prefix in 'ES' else ''}auto)."
            )
            raise _bad_tag(tag, i, record, why)
        if scheme == "bioes" and prefix in ("L", "U"):
            why = (
                f"the bioes scheme expects {SCHEME_TAGS['bioes']}; {_OTHER_SCHEME[prefix]} "
                f"(read them with --scheme auto)."
            )
            raise _bad_tag(tag, i, record, why)
        begins = prefix in ("B", "S", "U") or prev_label != label
        if scheme == "iob2" and prefix == "I" and prev_label != label:
            why = (
                f"in strict IOB2 an I-{label} continues a span, so it must follow B-{label} or "
                f"I-{label}, not {_describe_previous(tags, i)}. Start the span with B-{label}, "
                f"or read IOB1 tags (an I- tag may start a span) with --scheme iob1 or auto."
            )
            raise _bad_tag(tag, i, record, why)
        out.append(("B-" if begins else "I-") + label)
        # a span closed by E-/S-/L-/U- cannot be continued by a following I-
        prev_label = None if prefix in ("E", "S", "L", "U") else label
    return out


def tags_to_spans(tags: Sequence[str], record: str = "the sentence") -> List[TokenSpan]:
    """Spans of IOB2 tags (any scheme is normalised first)."""
    spans: List[TokenSpan] = []
    start = None
    label = None
    for i, tag in enumerate(to_iob2(tags, "auto", record)):
        if tag == "O" or tag.startswith("B-"):
            if start is not None:
                spans.append(TokenSpan(start, i, label))
                start = label = None
            if tag != "O":
                start, label = i, tag[2:]
    if start is not None:
        spans.append(TokenSpan(start, len(tags), label))
    return spans


def check_spans(spans: Iterable[TokenSpan], n_tokens: int, record: str = "the sentence") -> List[TokenSpan]:
    """Sorted spans; an error if one lies outside ``n_tokens`` or two overlap."""
    ordered = sorted(TokenSpan(*s) for s in spans)
    for span in ordered:
        if not (0 <= span.start < span.end <= n_tokens):
            raise XLTError(Errors.E006.format(span=tuple(span), n=n_tokens, record=record))
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise XLTError(Errors.E005.format(record=record, a=tuple(a), b=tuple(b)))
    return ordered


def spans_to_tags(spans: Iterable[TokenSpan], n_tokens: int, record: str = "the sentence") -> List[str]:
    """IOB2 tags for non-overlapping spans over ``n_tokens`` tokens."""
    tags = ["O"] * n_tokens
    for start, end, label in check_spans(spans, n_tokens, record):
        tags[start] = "B-" + label
        for i in range(start + 1, end):
            tags[i] = "I-" + label
    return tags


class LabelMap:
    """A one-to-one map between corpus labels (``LOC``) and the names models read (``Location``).

    Labels missing from the map are used as they are, in both directions, as the published
    T-Projection code does (AbstRCT's ``Claim`` stays ``Claim``).
    """

    def __init__(self, names: Optional[Mapping[str, str]] = None, use_defaults: bool = True):
        merged: Dict[str, str] = dict(DEFAULT_LABEL_NAMES) if use_defaults else {}
        if names:
            # a user entry replaces the default for that label
            merged.update(names)
        seen: Dict[str, str] = {}
        for label, name in merged.items():
            if name in seen:
                raise XLTError(Errors.E004.format(side="name", name=name))
            seen[name] = label
        self._to_name = merged
        self._to_label = seen

    @classmethod
    def from_strings(cls, entries: Iterable[str], use_defaults: bool = True) -> LabelMap:
        """Parse ``["LOC=Location", "PER=Person"]`` (the CLI form)."""
        names: Dict[str, str] = {}
        for entry in entries:
            label, sep, name = entry.partition("=")
            if not sep or not label.strip() or not name.strip():
                raise XLTError(Errors.E003.format(entry=entry))
            names[label.strip()] = name.strip()
        return cls(names, use_defaults=use_defaults)

    def name(self, label: str) -> str:
        """The model-facing name of a corpus label."""
        return self._to_name.get(label, label)

    def label(self, name: str) -> str:
        """The corpus label of a model-facing name."""
        if name in self._to_label:
            return self._to_label[name]
        return name

    def to_dict(self) -> Dict[str, str]:
        return dict(self._to_name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelMap) and self._to_name == other._to_name

    def __repr__(self) -> str:
        return f"LabelMap({self._to_name!r})"
