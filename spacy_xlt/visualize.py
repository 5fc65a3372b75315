"""An HTML page that shows what a projection carried across: each pair rendered with displaCy.

For every parallel pair (a target Doc carrying its source side, see :mod:`spacy_xlt.pairs`)
the page shows the source sentence with its spans above the target sentence with the
projected spans, in the same colour per label on both sides, under a header that counts
source spans, projected spans and lost source spans (those with no projection). With gold
target Docs it adds the gold target and marks each projected span correct or wrong and each
gold span the projection missed.

Lost spans are exact when the pair records them (``doc.user_data["xlt_projection"]``, written
by every projector: its ``unaligned`` and ``conflicts`` source spans, which the source row
marks); otherwise they are counted per label as source spans minus projected spans. A pair
whose markers did not come back intact (``xlt_marker_projector``, EasyProject) says why.

Docs written by ``xlt_translate_test`` with ``save_translation = true`` are pairs too: the
source row is the translation with the source pipeline's predictions (mapped to the target
labels), and a line names the source pipeline and lists its predictions with their original
labels, those the label map dropped marked.

The page is self-contained (inline CSS, no script, nothing fetched) and every text and label
is HTML-escaped.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from spacy import displacy
from spacy.tokens import Doc

from .errors import Errors, XLTError
from .labels import TokenSpan
from .pairs import PROJECTION_KEY, doc_spans, get_source, source_lang, source_spans

#: Where ``xlt_translate_test`` keeps a Doc's translation and source predictions.
TRANSLATE_TEST_KEY = "xlt_translate_test"

#: Fixed colours of the usual labels (displaCy's where it has one); other labels take
#: :data:`EXTRA_COLORS` in sorted order.
LABEL_COLORS: Dict[str, str] = {
    "PER": "#aa9cfc",
    "LOC": "#ff9561",
    "ORG": "#7aecec",
    "MISC": "#bfeeb7",
    "TARGET": "#feca74",
}
EXTRA_COLORS = (
    "#f9a8d4", "#fde047", "#93c5fd", "#c4b5fd", "#fca5a5", "#a7f3d0",
    "#fdba74", "#d9f99d", "#a5b4fc", "#e9d5ff", "#99f6e4", "#fecdd3",
)
RTL_LANGS = {"ar", "he", "fa", "ur", "yi", "ps", "dv", "ckb", "sd", "ug"}

#: Marks: (symbol shown after the label, CSS added to the span, tooltip)
MARKS = {
    "correct": (" \u2713", "outline: 2px solid #1a7f37; outline-offset: 1px;", "correct: same span and label as the gold"),
    "wrong": (" \u2717", "outline: 2px dashed #cf222e; outline-offset: 1px;", "wrong: not a gold span"),
    "missed": (" missed", "outline: 2px dashed #cf222e; outline-offset: 1px; opacity: 0.75;", "missed: gold span the projection did not produce"),
    "unaligned": (" lost", "outline: 2px dashed #6e7781; outline-offset: 1px; opacity: 0.75;", "lost: no target word is aligned to it"),
    "conflict": (" lost", "outline: 2px dashed #6e7781; outline-offset: 1px; opacity: 0.75;", "lost: its target words went to another span"),
    "lost": (" lost", "outline: 2px dashed #6e7781; outline-offset: 1px; opacity: 0.75;", "lost: no projection"),
}

# displaCy's entity template with a mark, extra style and a tooltip (filled from "params").
TPL_ENT = (
    '<mark class="entity" title="{tip}" style="background: {bg}; padding: 0.45em 0.6em; margin: 0 0.25em; '
    'line-height: 1; border-radius: 0.35em; {extra}">{text}<span style="font-size: 0.8em; font-weight: bold; '
    'line-height: 1; border-radius: 0.35em; vertical-align: middle; margin-left: 0.5rem">{label}{mark}{kb_link}'
    "</span></mark>"
)

CSS = """
body { font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif;
       margin: 0; padding: 1.5rem 2rem; color: #1f2328; background: #ffffff; }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem 0; }
.summary { margin: 0 0 1rem 0; }
.legend span.swatch { display: inline-block; padding: 0.15em 0.6em; margin-right: 0.4em;
       border-radius: 0.35em; font-size: 0.85em; font-weight: bold; }
.pair { border: 1px solid #d0d7de; border-radius: 8px; margin: 0 0 1rem 0; padding: 0.6rem 1rem; }
.pair h2 { font-size: 1rem; margin: 0 0 0.3rem 0; }
.pair h2 .id { color: #656d76; font-weight: normal; margin-left: 0.5em; }
.counts { font-size: 0.9em; color: #424a53; margin: 0 0 0.4rem 0; }
.counts b.bad { color: #cf222e; } .counts b.good { color: #1a7f37; }
.side { display: flex; align-items: baseline; gap: 0.8rem; border-top: 1px solid #eaeef2; }
.side .lang { flex: 0 0 7.5rem; font-size: 0.8em; color: #656d76; text-transform: uppercase; letter-spacing: 0.04em; }
.side .entities, .side .spans { flex: 1 1 auto; }
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def label_colors(labels: Iterable[str], colors: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """One colour per label: ``colors`` first, then :data:`LABEL_COLORS`, then the extra palette."""
    given = {**LABEL_COLORS, **(colors or {})}
    out: Dict[str, str] = {}
    extra = iter(EXTRA_COLORS * (1 + len(set(labels)) // len(EXTRA_COLORS) + 1))
    for label in sorted(set(labels)):
        out[label] = given.get(label) or given.get(label.upper()) or next(extra)
    return out


@dataclass
class PairSummary:
    """The counts in a pair's header."""

    index: int
    n_source: int
    n_projected: int
    #: lost source spans per label
    lost: Dict[str, int]
    #: the lost source spans and why (unaligned / conflict), where the pair records them
    lost_spans: Optional[List[Tuple[TokenSpan, str]]] = None
    n_gold: Optional[int] = None
    correct: List[TokenSpan] = field(default_factory=list)
    wrong: List[TokenSpan] = field(default_factory=list)
    missed: List[TokenSpan] = field(default_factory=list)

    @property
    def n_lost(self) -> int:
        return sum(self.lost.values())


def _recorded_lost(doc: Doc) -> Optional[List[Tuple[TokenSpan, str]]]:
    record = doc.user_data.get(PROJECTION_KEY)
    if not isinstance(record, dict) or ("unaligned" not in record and "conflicts" not in record):
        return None
    out = []
    for key, reason in (("unaligned", "unaligned"), ("conflicts", "conflict")):
        for item in record.get(key) or []:
            try:
                s, e, label = item
                out.append((TokenSpan(int(s), int(e), str(label)), reason))
            except (TypeError, ValueError):
                return None  # not a record we understand: fall back to counts
    return sorted(out)


def _check_gold(pair: Doc, gold: Doc, index: int) -> None:
    words, gold_words = [t.text for t in pair], [t.text for t in gold]
    if words != gold_words:
        pos = next((i for i, (a, b) in enumerate(zip(words, gold_words)) if a != b), min(len(words), len(gold_words)))
        raise XLTError(Errors.E203.format(
            index=index, position=pos,
            pred=" ".join(words[max(0, pos - 2):pos + 3]), gold=" ".join(gold_words[max(0, pos - 2):pos + 3]),
        ))


def pair_summary(pair: Doc, index: int = 0, gold: Optional[Doc] = None, spans_key: Optional[str] = None) -> PairSummary:
    """Source, projected and lost span counts of one pair (and its comparison with ``gold``)."""
    src = source_spans(pair, index)
    proj = doc_spans(pair, spans_key)
    recorded = _recorded_lost(pair)
    if recorded is not None:
        lost = Counter(span.label for span, _ in recorded)
    else:
        n_src, n_proj = Counter(s.label for s in src), Counter(s.label for s in proj)
        lost = Counter({label: n - n_proj[label] for label, n in n_src.items() if n > n_proj[label]})
    summary = PairSummary(index, len(src), len(proj), dict(sorted(lost.items())), recorded)
    if gold is not None:
        _check_gold(pair, gold, index)
        gold_spans = set(doc_spans(gold, spans_key))
        summary.n_gold = len(gold_spans)
        summary.correct = sorted(set(proj) & gold_spans)
        summary.wrong = sorted(set(proj) - gold_spans)
        summary.missed = sorted(gold_spans - set(proj))
    return summary


def _render_doc(doc: Doc, spans: Sequence[TokenSpan], marks: Dict[TokenSpan, str], colors: Dict[str, str],
                lang: str, span_style: bool) -> str:
    """displaCy markup of ``doc`` with ``spans``; ``marks`` maps a span to a key of :data:`MARKS`."""
    direction = "rtl" if lang in RTL_LANGS else "ltr"
    settings = {"lang": lang or "xx", "direction": direction}
    # labels are escaped here (displaCy escapes text but not labels); colours are keyed alike
    disp_colors = {}
    for label, color in colors.items():
        disp_colors[_esc(label)] = color
        for mark in MARKS.values():
            disp_colors[_esc(label) + mark[0]] = color
    if span_style:
        parsed = {
            "text": doc.text,
            "tokens": [t.text for t in doc],
            "spans": [
                {"start_token": s.start, "end_token": s.end,
                 "label": _esc(s.label) + (MARKS[marks[s]][0] if s in marks else "")}
                for s in spans
            ],
            "settings": settings,
        }
        return displacy.render(parsed, style="span", manual=True, jupyter=False, options={"colors": disp_colors})
    ents = []
    for s in spans:
        mark = MARKS.get(marks.get(s, ""), ("", "", ""))
        ents.append({
            "start": doc[s.start:s.end].start_char,
            "end": doc[s.start:s.end].end_char,
            "label": _esc(s.label),
            "params": {"mark": _esc(mark[0]), "extra": mark[1], "tip": _esc(mark[2] or s.label)},
        })
    parsed = {"text": doc.text, "ents": ents, "title": None, "settings": settings}
    return displacy.render(parsed, style="ent", manual=True, jupyter=False,
                           options={"colors": disp_colors, "template": TPL_ENT})


def _side(name: str, lang: str, markup: str) -> str:
    return f'<div class="side"><div class="lang">{_esc(name)}{" &middot; " + _esc(lang) if lang else ""}</div>{markup}</div>'


def _counts(summary: PairSummary) -> str:
    parts = [f"source spans <b>{summary.n_source}</b>", f"projected <b>{summary.n_projected}</b>"]
    lost = ", ".join(f"{n} {_esc(label)}" for label, n in summary.lost.items())
    cls = ' class="bad"' if summary.n_lost else ""
    parts.append(f"lost <b{cls}>{summary.n_lost}</b>" + (f" ({lost})" if lost else ""))
    if summary.n_gold is not None:
        parts.append(f"gold <b>{summary.n_gold}</b>")
        parts.append(f'correct <b class="good">{len(summary.correct)}</b>')
        parts.append(f"wrong <b{' class=bad' if summary.wrong else ''}>{len(summary.wrong)}</b>")
        parts.append(f"missed <b{' class=bad' if summary.missed else ''}>{len(summary.missed)}</b>")
    return '<p class="counts">' + " &middot; ".join(parts) + "</p>"


def _notes(doc: Doc, src: Doc) -> str:
    """Lines for a pair's own records: markers that did not come back intact, and the
    translate-test record (source pipeline, its predictions with their original labels)."""
    out = []
    projection = doc.user_data.get(PROJECTION_KEY)
    if isinstance(projection, dict) and projection.get("broken"):
        out.append(
            f'markers <b class="bad">broken</b> ({_esc(projection["broken"])}): the translation\'s markers '
            "did not come back intact, nothing projected"
        )
    record = doc.user_data.get(TRANSLATE_TEST_KEY)
    if isinstance(record, dict):
        dropped = {tuple(x) for x in record.get("dropped") or []}
        items = []
        for item in record.get("predictions") or []:
            try:
                start, end, label = item
                text = src[int(start) : int(end)].text
            except (TypeError, ValueError, IndexError):
                continue
            mark = " <small>(dropped by the label map)</small>" if tuple(item) in dropped else ""
            items.append(f"{_esc(text)} <b>{_esc(label)}</b>{mark}")
        pipeline = record.get("pipeline") or "?"
        out.append(
            f"translate-test: translated into {_esc(record.get('source_lang') or '?')}, tagged by "
            f"{_esc(pipeline)}: {len(items)} predictions" + (": " + "; ".join(items) if items else "")
        )
    return "".join(f'<p class="counts">{line}</p>' for line in out)


def _prf(correct: int, n_pred: int, n_gold: int) -> Tuple[float, float, float]:
    p = correct / n_pred if n_pred else 0.0
    r = correct / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def render_pairs(
    pairs: Sequence[Doc],
    gold: Optional[Sequence[Doc]] = None,
    *,
    spans_key: Optional[str] = None,
    limit: Optional[int] = None,
    title: str = "spacy-xlt: projected annotations",
    colors: Optional[Dict[str, str]] = None,
) -> str:
    """A self-contained HTML page rendering each pair (source above, target below) with displaCy.

    pairs: target Docs carrying their source side, with the projected spans in ``doc.ents``
        (or ``doc.spans[spans_key]``: then displaCy's "span" style, which shows overlaps).
    gold: gold target Docs, one per pair, with the same words; adds a gold row and marks.
    limit: render only the first ``limit`` pairs (the totals count the rendered ones).
    colors: colours for some labels; every other label gets a fixed palette colour.
    """
    pairs = list(pairs)
    if limit is not None and limit <= 0:
        raise XLTError(Errors.E204.format(limit=limit))
    if gold is not None:
        gold = list(gold)
        if len(gold) != len(pairs):
            raise XLTError(Errors.E202.format(n_gold=len(gold), n_pairs=len(pairs)))
    n_total = len(pairs)
    shown = pairs if limit is None else pairs[:limit]
    summaries = [pair_summary(doc, i, gold[i] if gold is not None else None, spans_key) for i, doc in enumerate(shown)]
    sources = [get_source(doc, index=i) for i, doc in enumerate(shown)]
    labels = set()
    for i, doc in enumerate(shown):
        labels.update(s.label for s in source_spans(doc, i))
        labels.update(s.label for s in doc_spans(doc, spans_key))
        if gold is not None:
            labels.update(s.label for s in doc_spans(gold[i], spans_key))
    palette = label_colors(labels, colors)
    span_style = spans_key is not None

    blocks = []
    for i, (doc, src, summary) in enumerate(zip(shown, sources, summaries)):
        src_lang = source_lang(doc) or ""
        tgt_lang = doc.lang_ or ""
        src_marks = {span: reason for span, reason in (summary.lost_spans or [])}
        proj = doc_spans(doc, spans_key)
        proj_marks: Dict[TokenSpan, str] = {}
        if gold is not None:
            proj_marks = {s: "correct" for s in summary.correct}
            proj_marks.update({s: "wrong" for s in summary.wrong})
        source_name = "translation" if isinstance(doc.user_data.get(TRANSLATE_TEST_KEY), dict) else "source"
        rows = [
            _side(source_name, src_lang, _render_doc(src, source_spans(doc, i), src_marks, palette, src_lang, span_style)),
            _side("projected", tgt_lang, _render_doc(doc, proj, proj_marks, palette, tgt_lang, span_style)),
        ]
        if gold is not None:
            gold_doc = gold[i]
            gold_marks = {s: "missed" for s in summary.missed}
            rows.append(_side("gold", tgt_lang, _render_doc(gold_doc, doc_spans(gold_doc, spans_key), gold_marks,
                                                            palette, tgt_lang, span_style)))
        doc_id = doc.user_data.get("id")
        head = f'<h2>#{i + 1}{f"<span class=id>{_esc(doc_id)}</span>" if doc_id is not None else ""}</h2>'
        blocks.append(f'<section class="pair" id="pair-{i + 1}">{head}{_counts(summary)}{_notes(doc, src)}{"".join(rows)}</section>')

    n_src = sum(s.n_source for s in summaries)
    n_proj = sum(s.n_projected for s in summaries)
    n_lost = sum(s.n_lost for s in summaries)
    lines = [
        f"<b>{len(shown)}</b> of {n_total} pairs shown &middot; source spans <b>{n_src}</b> &middot; "
        f"projected <b>{n_proj}</b> &middot; lost <b>{n_lost}</b>"
    ]
    if gold is not None:
        correct = sum(len(s.correct) for s in summaries)
        n_gold = sum(s.n_gold or 0 for s in summaries)
        p, r, f = _prf(correct, n_proj, n_gold)
        lines.append(
            f"gold spans <b>{n_gold}</b> &middot; correct <b>{correct}</b> &middot; wrong "
            f"<b>{sum(len(s.wrong) for s in summaries)}</b> &middot; missed <b>{sum(len(s.missed) for s in summaries)}</b>"
            f" &middot; exact-match P {100 * p:.1f} R {100 * r:.1f} F1 <b>{100 * f:.1f}</b>"
        )
    legend = " ".join(
        f'<span class="swatch" style="background: {_esc(color)}">{_esc(label)}</span>' for label, color in palette.items()
    )
    notes = "lost = source spans with no projection"
    if any(s.lost_spans is None for s in summaries):
        notes += " (per label: source minus projected, where the pair does not record which spans)"
    if gold is not None:
        notes += "; \u2713 correct, \u2717 wrong (projected spans); missed (gold spans)"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_esc(title)}</h1>\n"
        f'<div class="summary">{"<br>".join(lines)}<br><span class="legend">{legend}</span> '
        f'<small>{_esc(notes)}</small></div>\n'
        + "\n".join(blocks)
        + "\n</body>\n</html>\n"
    )
