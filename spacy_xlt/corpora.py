"""Corpus readers: CoNLL/IOB files, the manual-projection quality TSV, SemEval-2016 ABSA XML
and DocBin files, as Docs; and the readers registered for ``[corpora]`` in training configs.

Labelled spans go to ``doc.ents`` or, with ``spans_key``, to ``doc.spans[spans_key]``; tags
of any scheme are normalised to IOB2 by :func:`spacy_xlt.labels.to_iob2`. Every error names
the file and the line (or the sentence id) it comes from.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans
from spacy.vocab import Vocab

from .errors import Errors, XLTError
from .io import decode_text, read_bytes, read_lines
from .labels import SCHEMES, TokenSpan, tags_to_spans, to_iob2
from .pairs import doc_spans, read_docs, set_doc_spans
from .usererrors import message_reader
from .util import blank
from .util import vocab as lang_vocab

FORMATS = ("auto", "conll", "quality", "xml", "spacy")
#: File name endings read as CoNLL-style ``WORD ... TAG`` files.
CONLL_SUFFIXES = (
    ".conll",
    ".conll02",
    ".conll03",
    ".conllu",
    ".tsv",
    ".txt",
    ".iob",
    ".iob2",
    ".bio",
    ".bioes",
)
#: Of the endings above, those whose content decides whether a file is CoNLL or plain text
#: (MasakhaNER's ``.txt`` files are CoNLL; a translation's ``.txt`` is one sentence per line).
GENERIC_SUFFIXES = (".txt",)
#: Values of the third column of the manual-projection files (``-`` on O tokens).
QUALITY_VALUES = ("HighQuality", "LowQuality", "-")
DOCSTART = "-DOCSTART-"
#: ``doc.user_data`` key of the quality of each span read from a quality TSV: ``[[start, end, quality], ...]``.
QUALITY_KEY = "xlt_span_quality"
#: ``doc.user_data`` key of the SemEval sentence id.
SENTENCE_ID_KEY = "xlt_sentence_id"
#: Label of the spans read from SemEval ABSA XML (the OTE TSV files use it too).
SEMEVAL_LABEL = "TARGET"

_SPACES = re.compile(r" +")
_CODE = re.compile(r"^\[XLT\w+\] ")
_TAG = re.compile(r"^(O|[BIESLU]-\S+)$")

PathLike = Union[str, Path]


@dataclass
class ConllSentence:
    """One sentence of a CoNLL-style file.

    ``tags`` are IOB2; ``line`` is the 1-based line of the first token (token k is on line
    ``line + k``); ``extra`` holds, per token, the columns that are neither the word nor the
    tag; ``qualities`` the per-token quality column of a manual-projection TSV (``None``
    elsewhere); ``document`` counts the ``-DOCSTART-`` lines before the sentence;
    ``raw_tags`` are the tags as the file writes them (any scheme, ill-formed sequences
    kept), which strict scoring of tag files reads.
    """

    words: List[str]
    tags: List[str]
    line: int
    extra: List[Tuple[str, ...]] = field(default_factory=list)
    qualities: Optional[List[str]] = None
    document: int = 0
    raw_tags: Optional[List[str]] = None

    @property
    def spans(self) -> List[TokenSpan]:
        return tags_to_spans(self.tags)

    def span_qualities(self) -> List[Tuple[int, int, str]]:
        """``(start, end, quality)`` per span: LowQuality if any of its tokens is, as written."""
        if self.qualities is None:
            return []
        out = []
        for start, end, _ in self.spans:
            values = set(self.qualities[start:end])
            quality = next((q for q in ("LowQuality", "HighQuality") if q in values), "-")
            out.append((start, end, quality))
        return out


# ---------------------------------------------------------------------------------------------
# CoNLL-style files


def _read_lines(path: PathLike) -> List[str]:
    """Lines of a UTF-8 text file without line ends (LF or CRLF; a BOM is dropped)."""
    return read_lines(path)


def _fields(line: str) -> List[str]:
    """Columns of a token line: tab-separated if it has a tab, else separated by spaces."""
    if "\t" in line:
        parts = [p.strip(" ") for p in line.split("\t")]
        while parts and parts[-1] == "":  # trailing tabs
            parts.pop()
        return parts
    return _SPACES.split(line.strip(" "))


def _is_blank(line: str) -> bool:
    return not line.strip(" \t")


def _is_docstart(line: str) -> bool:
    return _fields(line)[0] == DOCSTART


def _normalise(
    tags: List[str], scheme: str, path: Path, rows: Sequence[Tuple[int, str]], qualities: bool
) -> List[str]:
    try:
        return to_iob2(tags, scheme)
    except XLTError as err:
        # find the first token the scheme rejects, to name its line
        for k in range(len(tags)):
            try:
                to_iob2(tags[: k + 1], scheme)
            except XLTError as err_k:
                why = _CODE.sub("", str(err_k)).replace(" of the sentence", "")
                if tags[k] in QUALITY_VALUES and not qualities:
                    why += " This looks like a quality TSV (WORD TAG QUALITY): read it with read_quality_tsv or --format quality."
                line, text = rows[k]
                raise XLTError(
                    Errors.E020.format(path=path, line=line, text=text, why=why)
                ) from err
        raise


def _read_tagged(
    path: PathLike,
    scheme: str,
    word_col: int,
    tag_col: int,
    quality_col: Optional[int] = None,
) -> List[ConllSentence]:
    if scheme not in SCHEMES:
        raise XLTError(Errors.E002.format(scheme=scheme, options=", ".join(SCHEMES)))
    path = Path(path)
    lines = _read_lines(path)
    sentences: List[ConllSentence] = []
    n_cols: Optional[int] = None
    first_line = 0
    cols: Tuple[int, ...] = ()
    rows: List[Tuple[int, str]] = []
    parsed: List[List[str]] = []
    document = 0

    def error(line_no: int, text: str, why: str) -> XLTError:
        return XLTError(Errors.E020.format(path=path, line=line_no, text=text, why=why))

    def flush() -> None:
        if not parsed:
            return
        raw_tags = [p[cols[1]] for p in parsed]
        tags = _normalise(raw_tags, scheme, path, rows, quality_col is not None)
        sentence = ConllSentence(
            words=[p[cols[0]] for p in parsed],
            tags=tags,
            line=rows[0][0],
            extra=[tuple(v for i, v in enumerate(p) if i not in cols) for p in parsed],
            document=document,
            raw_tags=raw_tags,
        )
        if quality_col is not None:
            sentence.qualities = [p[quality_col] for p in parsed]
        sentences.append(sentence)
        rows.clear()
        parsed.clear()

    for line_no, line in enumerate(lines, start=1):
        if _is_blank(line):
            flush()
            continue
        if _is_docstart(line):
            flush()
            document += 1
            continue
        parts = _fields(line)
        if len(parts) < 2:
            raise error(
                line_no, line, "one column only; expected WORD ... TAG (tab- or space-separated)"
            )
        if n_cols is None:
            n_cols, first_line = len(parts), line_no
            for name, col in (("word", word_col), ("tag", tag_col)):
                if not -n_cols <= col < n_cols:
                    raise error(
                        line_no, line, f"no column {col} ({name}): the line has {n_cols} columns"
                    )
            word_i, tag_i = word_col % n_cols, tag_col % n_cols
            if word_i == tag_i:
                raise error(line_no, line, f"word and tag are the same column ({word_i})")
            cols = (word_i, tag_i)
            if quality_col is not None and n_cols != 3:
                raise error(
                    line_no,
                    line,
                    f"{n_cols} columns; a quality TSV has 3: WORD<TAB>TAG<TAB>QUALITY",
                )
        elif len(parts) != n_cols:
            raise error(line_no, line, f"{len(parts)} columns, but line {first_line} has {n_cols}")
        if "" in parts:
            raise error(line_no, line, f"column {parts.index('') + 1} is empty")
        if quality_col is not None and parts[quality_col] not in QUALITY_VALUES:
            raise error(
                line_no,
                line,
                f"quality {parts[quality_col]!r} is not one of {', '.join(QUALITY_VALUES)}",
            )
        rows.append((line_no, line))
        parsed.append(parts)
    flush()
    if not sentences:
        raise XLTError(
            Errors.E022.format(path=path, fmt="quality" if quality_col is not None else "conll")
        )
    return sentences


def read_conll(
    path: PathLike, *, scheme: str = "auto", word_col: int = 0, tag_col: int = -1
) -> List[ConllSentence]:
    """Sentences of a CoNLL-style file: one token per line, ``WORD ... TAG`` columns.

    Columns are split on tabs where a line has one, else on spaces; every token line must
    have as many columns as the first. Blank lines end sentences, ``-DOCSTART-`` lines end
    documents (and are skipped); a missing final blank line, CRLF line ends and a BOM are
    fine. Tags of ``scheme`` (``auto`` accepts IOB1, IOB2, BIOES and BILOU) become IOB2. A
    malformed line raises :class:`XLTError` naming the file and line.
    """
    return _read_tagged(path, scheme, word_col, tag_col)


def read_quality_tsv(path: PathLike, *, scheme: str = "auto") -> List[ConllSentence]:
    """Sentences of a manual-projection file: ``WORD<TAB>TAG<TAB>QUALITY`` per token.

    The quality is per token: ``HighQuality`` or ``LowQuality`` on B-/I- tokens (the same for
    every token of a span), ``-`` on O tokens; it is kept in ``ConllSentence.qualities``.
    """
    return _read_tagged(path, scheme, 0, 1, quality_col=2)


def _vocab(vocab_or_lang: Union[str, Vocab, Language]) -> Vocab:
    if isinstance(vocab_or_lang, Vocab):
        return vocab_or_lang
    if isinstance(vocab_or_lang, Language):
        return vocab_or_lang.vocab
    return lang_vocab(vocab_or_lang)


def _words_doc(vocab: Vocab, words: Sequence[str]) -> Doc:
    """A Doc of pre-tokenized words, a space after each but the last."""
    spaces = [True] * len(words)
    if spaces:
        spaces[-1] = False
    return Doc(vocab, words=list(words), spaces=spaces)


def read_tagged(path: PathLike, *, scheme: str = "auto") -> List[ConllSentence]:
    """Sentences of a CoNLL-style file or of a quality TSV, whichever ``path`` holds."""
    path = Path(path)
    if path.is_file() and looks_like_quality_tsv(path):
        return read_quality_tsv(path, scheme=scheme)
    return read_conll(path, scheme=scheme)


def conll_to_docs(
    path_or_sentences: Union[PathLike, Iterable[ConllSentence]],
    vocab_or_lang: Union[str, Vocab, Language] = "xx",
    spans_key: Optional[str] = None,
    scheme: str = "auto",
) -> List[Doc]:
    """Docs of CoNLL sentences (or of a CoNLL / quality TSV file), spans in ``doc.ents`` or
    ``doc.spans[spans_key]``. Quality TSV spans keep their quality in
    ``doc.user_data[QUALITY_KEY]`` as ``[[start, end, quality], ...]``.
    """
    if isinstance(path_or_sentences, (str, Path)):
        sentences: Iterable[ConllSentence] = read_tagged(path_or_sentences, scheme=scheme)
    else:
        sentences = path_or_sentences
    vocab = _vocab(vocab_or_lang)
    docs = []
    for sentence in sentences:
        doc = _words_doc(vocab, sentence.words)
        set_doc_spans(doc, sentence.spans, spans_key)
        if sentence.qualities is not None:
            doc.user_data[QUALITY_KEY] = [list(q) for q in sentence.span_qualities()]
        docs.append(doc)
    return docs


# ---------------------------------------------------------------------------------------------
# SemEval-2016 ABSA XML


def _new_xml_stats() -> Dict[str, int]:
    return {
        "sentences": 0,
        "out_of_scope": 0,
        "opinions": 0,
        "targets": 0,
        "null_targets": 0,
        "duplicates": 0,
        "overlapping": 0,
        "expanded": 0,
        "mismatched": 0,
    }


_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _parse_xml(path: Path) -> ET.Element:
    """The root of an XML file, read through :mod:`spacy_xlt.io`: a missing or unreadable
    file, a byte that is not UTF-8 (unless the declaration names another encoding) and XML
    that does not parse are errors naming the file and the line; a BOM is fine."""
    data = read_bytes(path)
    declared = _XML_ENCODING.match(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    if declared is None or declared.group(1).lower() in (b"utf-8", b"utf8"):
        decode_text(data, path)  # a bad byte is reported by line and column, with a hint
    try:
        return ET.fromstring(data)
    except ET.ParseError as err:
        raise XLTError(Errors.E023.format(path=path, why=err)) from None


def read_semeval_xml(
    path: PathLike,
    nlp_or_lang: Union[str, Language] = "xx",
    spans_key: Optional[str] = None,
    *,
    label: str = SEMEVAL_LABEL,
    check_targets: bool = True,
) -> Tuple[List[Doc], Dict[str, int]]:
    """Docs of a SemEval-2016 Task 5 (ABSA) XML file, with the opinion targets as spans.

    ``Reviews/Review/sentences/sentence`` with ``text`` and ``Opinions/Opinion`` elements
    (SemEval-2014's ``aspectTerms/aspectTerm term=...`` too); the text is tokenized by
    ``nlp_or_lang``'s tokenizer and targets come from the ``from``/``to`` character offsets.
    ``NULL`` targets are skipped, the same offsets named by several opinions give one span,
    and of overlapping targets the longest (then the first) is kept, as
    :func:`spacy.util.filter_spans` does. A target that does not start and end on token
    boundaries is expanded to whole tokens. Each of these is counted in the returned stats.
    ``check_targets``: a ``target`` attribute that differs from the text at its offsets is
    an error (else it is counted as ``mismatched`` and the offsets are used).
    """
    path = Path(path)
    root = _parse_xml(path)
    nlp = nlp_or_lang if isinstance(nlp_or_lang, Language) else blank(nlp_or_lang)
    stats = _new_xml_stats()
    docs: List[Doc] = []
    for sentence in root.iter("sentence"):
        sid = sentence.get("id", f"#{stats['sentences'] + 1}")
        text = sentence.findtext("text")
        if text is None:
            raise XLTError(Errors.E029.format(path=path, sid=sid, why="no <text> element"))
        stats["sentences"] += 1
        if sentence.get("OutOfScope", "").upper() == "TRUE":
            stats["out_of_scope"] += 1
        doc = nlp.make_doc(text)
        offsets: List[Tuple[int, int]] = []
        # SemEval-2015/2016 <Opinion target=...>; SemEval-2014 <aspectTerm term=...>
        for opinion in [*sentence.iter("Opinion"), *sentence.iter("aspectTerm")]:
            stats["opinions"] += 1
            target = opinion.get("target", opinion.get("term"))
            if target is None or target == "NULL":
                stats["null_targets"] += 1
                continue
            try:
                start, end = int(opinion.get("from", "")), int(opinion.get("to", ""))
            except ValueError:
                start = end = -1
            if not (0 <= start < end <= len(text)):
                why = f"opinion {dict(opinion.attrib)} has no valid character offsets in a text of {len(text)} characters"
                raise XLTError(Errors.E029.format(path=path, sid=sid, why=why))
            found = text[start:end]
            if found != target:
                if check_targets:
                    raise XLTError(
                        Errors.E024.format(
                            path=path, sid=sid, target=target, start=start, end=end, found=found
                        )
                    )
                stats["mismatched"] += 1
            if not found.strip():
                why = f"opinion {dict(opinion.attrib)} points to whitespace only"
                raise XLTError(Errors.E029.format(path=path, sid=sid, why=why))
            # whitespace at the edges of an offset range belongs to no token
            start += len(found) - len(found.lstrip())
            end -= len(found) - len(found.rstrip())
            offsets.append((start, end))
        spans: List[Span] = []
        seen = set()
        for start, end in offsets:
            span = doc.char_span(start, end, label=label, alignment_mode="strict")
            if span is None:
                span = doc.char_span(start, end, label=label, alignment_mode="expand")
                if span is None:
                    raise XLTError(
                        Errors.E026.format(
                            path=path, sid=sid, target=text[start:end], start=start, end=end
                        )
                    )
                stats["expanded"] += 1
            if (span.start, span.end) in seen:
                stats["duplicates"] += 1
                continue
            seen.add((span.start, span.end))
            spans.append(span)
        kept = filter_spans(spans)
        stats["overlapping"] += len(spans) - len(kept)
        stats["targets"] += len(kept)
        set_doc_spans(doc, sorted(TokenSpan(s.start, s.end, s.label_) for s in kept), spans_key)
        doc.user_data[SENTENCE_ID_KEY] = sid
        docs.append(doc)
    if not docs:
        raise XLTError(Errors.E022.format(path=path, fmt="xml"))
    return docs, stats


# ---------------------------------------------------------------------------------------------
# Any format


def _is_quality_row(parts: List[str]) -> bool:
    return len(parts) == 3 and parts[2] in QUALITY_VALUES and bool(_TAG.match(parts[1]))


def _is_tag_row(parts: List[str]) -> bool:
    """``WORD [COLUMN [COLUMN]] TAG``: 2 to 4 columns, the last a tag."""
    return 2 <= len(parts) <= 4 and bool(_TAG.match(parts[-1]))


class _Row(NamedTuple):
    line: int
    text: str
    fields: List[str]


def _token_rows(lines: Sequence[str]) -> Tuple[List[_Row], List[List[int]], bool]:
    """The token lines (not blank, not ``-DOCSTART-``), their sentences (lists of row
    indices, split at blank and ``-DOCSTART-`` lines), and whether a sentence is ended by such
    a line (as in CoNLL: a blank line after each sentence)."""
    rows: List[_Row] = []
    blocks: List[List[int]] = [[]]
    breaks = False
    for line_no, line in enumerate(lines, start=1):
        if _is_blank(line) or _is_docstart(line):
            if blocks[-1]:
                breaks = True
                blocks.append([])
            breaks = breaks or not _is_blank(line)
            continue
        blocks[-1].append(len(rows))
        rows.append(_Row(line_no, line, _fields(line)))
    return rows, [b for b in blocks if b], breaks


def _quality_shape(rows: Iterable[List[str]]) -> bool:
    """Whether token rows are ``WORD<TAB>TAG<TAB>QUALITY``: three columns, a tag in the
    second, a quality value in the third of most rows (a bad value is then reported, by its
    line, by the quality reader) and not a tag in all of them (then it is a CoNLL file)."""
    n = n_quality = n_tag3 = 0
    for parts in rows:
        if len(parts) != 3 or not _TAG.match(parts[1]):
            return False
        n += 1
        n_quality += parts[2] in QUALITY_VALUES
        n_tag3 += bool(_TAG.match(parts[2]))
    return n > 0 and 2 * n_quality > n and n_tag3 < n


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _scheme_problem(rows: Sequence[_Row], blocks: Sequence[Sequence[int]]) -> Tuple[str, Optional[str]]:
    """The tag scheme of the rows' last columns and, where the tags are not a well-formed
    sequence of one scheme, what is wrong (naming the line). B-/I- tags are read as IOB (IOB1
    and IOB2, in any order); a file with E-/S- tags must be well-formed BIOES, one with L-/U-
    tags well-formed BILOU."""
    prefixes = [r.fields[-1][0] for r in rows if r.fields[-1] != "O"]
    special = next((p for p in prefixes if p not in "BI"), None)
    if special is None:
        return "IOB", None
    scheme, end, single = ("BIOES", "E", "S") if special in "ES" else ("BILOU", "L", "U")
    allowed = {"B", "I", end, single}

    def at(row: _Row, why: str) -> str:
        return f"line {row.line} ({_short(row.text)!r}) {why}"

    for block in blocks:
        inside: Optional[str] = None
        prev = "the start of the sentence"
        for k in block:
            row = rows[k]
            tag = row.fields[-1]
            prefix, _, label = tag.partition("-")
            if tag != "O" and prefix not in allowed:
                return scheme, at(row, f"ends in {tag!r}, which is no {scheme} tag, while other lines end in {scheme} tags")
            if tag == "O" or prefix in ("B", single):
                if inside is not None:
                    return scheme, at(row, f"ends in {tag!r}, but the {scheme} span before it has no {end}- tag")
                inside = label if prefix == "B" else None
            elif inside != label:  # I- or the end tag outside a span of its label
                return scheme, at(row, f"ends in {tag!r}, which cannot follow {prev} in {scheme}")
            elif prefix == end:
                inside = None
            prev = repr(tag)
        if inside is not None:
            return scheme, at(rows[block[-1]], f"ends in {rows[block[-1]].fields[-1]!r}, but its {scheme} span has no {end}- tag")
    return scheme, None


@dataclass
class Sniff:
    """What a text file holds, from its content: ``fmt`` is ``conll``, ``quality``, ``text``
    (one sentence per line) or None where that cannot be told; ``why`` says what decided it."""

    fmt: Optional[str]
    why: str
    #: decided by the file name (with a look at the lines only for quality TSVs)
    by_name: bool = False


def sniff_text(path: PathLike) -> Sniff:
    """Whether a text file is a CoNLL file (one token per line), a quality TSV or plain text
    (one sentence per line), from the whole file, deciding only where that is unambiguous.

    CoNLL: every token line is ``WORD ... TAG`` with the same number of columns (2 to 4), the
    tags are one scheme (IOB1/IOB2, or well-formed BIOES or BILOU), blank lines end the
    sentences (or ``-DOCSTART-`` lines divide the file) and some sentence has two or more
    token lines. Quality: every line is ``WORD<TAB>TAG<TAB>QUALITY``. Text: some line is not a
    ``WORD ... TAG`` row (one word, more than 4, or a last word that is no tag), unless blank
    lines divide a file of mostly such rows (a CoNLL file with bad lines). Anything else -- a
    one-sentence-per-line text whose lines all happen to end in a tag-like word ("S-Bahn",
    "B-52", "O") -- is ambiguous: ``fmt`` None, and the caller asks for the format.
    """
    rows, blocks, breaks = _token_rows(_read_lines(path))
    if not rows:
        return Sniff("text", "it has no line with text")
    if _quality_shape(r.fields for r in rows):
        return Sniff("quality", "every line is WORD<TAB>TAG<TAB>QUALITY")
    n_tagged = sum(_is_tag_row(r.fields) for r in rows)
    bad = next((r for r in rows if not _is_tag_row(r.fields)), None)
    if bad is not None:
        if breaks and 2 * n_tagged > len(rows):
            return Sniff(
                None,
                f"{n_tagged} of its {len(rows)} token lines are WORD ... TAG rows between blank "
                f"lines, as in CoNLL, but line {bad.line} ({_short(bad.text)!r}) is not one",
            )
        return Sniff("text", f"line {bad.line} ({_short(bad.text)!r}) is not a WORD ... TAG row")
    tagged = "every line ends in a tag-like word, as in CoNLL"
    n_cols = len(rows[0].fields)
    other = next((r for r in rows if len(r.fields) != n_cols), None)
    if other is not None:
        return Sniff(
            None,
            f"{tagged}, but line {other.line} has {len(other.fields)} words or columns and "
            f"line {rows[0].line} has {n_cols}",
        )
    scheme, problem = _scheme_problem(rows, blocks)
    if problem is not None:
        return Sniff(None, f"{tagged}, but those words are not the tags of one scheme: {problem}")
    if not breaks:
        return Sniff(None, f"{tagged}, but no blank line ends a sentence (CoNLL has one after each)")
    if max(len(b) for b in blocks) < 2:
        return Sniff(None, f"{tagged}, but no sentence has more than one token line")
    return Sniff(
        "conll",
        f"every line is WORD ... TAG ({n_cols} columns, {scheme} tags) and blank lines end the sentences",
    )


def looks_like_quality_tsv(path: PathLike) -> bool:
    """Whether the token lines are ``WORD<TAB>TAG<TAB>QUALITY`` rows (most with a quality
    value: a bad one is reported by the quality reader, naming its line)."""
    lines = _read_lines(path)
    return _quality_shape(
        _fields(line) for line in lines if not _is_blank(line) and not _is_docstart(line)
    )


def looks_tagged(path: PathLike) -> bool:
    """Whether a text file is unambiguously ``WORD ... TAG`` rows, not plain sentences (see
    :func:`sniff_text`)."""
    return sniff_text(path).fmt in ("conll", "quality")


def sniff_format(path: PathLike) -> Sniff:
    """The corpus format of ``path`` and why: ``spacy`` and ``xml`` from the name, the
    CoNLL endings from the name (``quality`` where the lines are ``WORD TAG QUALITY``), and
    ``.txt`` from the content (:func:`sniff_text`: ``fmt`` may be ``text`` or None). An
    unknown ending is ``fmt`` None."""
    path = Path(path)
    if path.is_dir():
        raise XLTError(Errors.E027.format(path=path))
    if not path.exists():
        raise XLTError(Errors.E021.format(path=path))
    name = path.name.lower()
    if name.endswith(".spacy"):
        return Sniff("spacy", "from its name", by_name=True)
    if name.endswith(".xml"):
        return Sniff("xml", "from its name", by_name=True)
    if name.endswith(GENERIC_SUFFIXES):
        return sniff_text(path)
    if name.endswith(CONLL_SUFFIXES):
        if looks_like_quality_tsv(path):
            return Sniff("quality", "from its name, and every line is WORD<TAB>TAG<TAB>QUALITY", by_name=True)
        return Sniff("conll", "from its name", by_name=True)
    return Sniff(None, f"its name ends in none of .spacy, .xml, {', '.join(CONLL_SUFFIXES)}")


def detect_format(path: PathLike) -> str:
    """``conll``, ``quality``, ``xml`` or ``spacy`` from the file name (and the lines): see
    :func:`sniff_format`. A ``.txt`` file of plain text, or one that cannot be told, and an
    unknown ending are coded errors that ask for the format."""
    return detected_format(path).fmt  # type: ignore[return-value]


def detected_format(path: PathLike, option: str = "--format") -> Sniff:
    """:func:`detect_format` with the reason (for the console); the errors ask for ``option``."""
    path = Path(path)
    sniff = sniff_format(path)
    if sniff.fmt == "text":
        raise XLTError(Errors.E350.format(path=path, why=sniff.why))
    if sniff.fmt is None:
        if path.name.lower().endswith(GENERIC_SUFFIXES):
            raise XLTError(
                Errors.E349.format(
                    path=path, why=sniff.why, option=option, options=", ".join(FORMATS[1:])
                )
            )
        raise XLTError(Errors.E080.format(path=path, options=", ".join(FORMATS[1:])))
    return sniff


def read_corpus(
    path: PathLike,
    fmt: str = "auto",
    lang: Union[str, Language] = "xx",
    spans_key: Optional[str] = None,
    scheme: str = "auto",
) -> List[Doc]:
    """Docs of a corpus file: ``conll`` (CoNLL/IOB), ``quality`` (manual-projection TSV),
    ``xml`` (SemEval-2016 ABSA) or ``spacy`` (DocBin, user data kept); ``auto`` decides
    from the file name, and tells a quality TSV from its third column.
    """
    if fmt not in FORMATS:
        raise XLTError(Errors.E025.format(fmt=fmt, path=path, options=", ".join(FORMATS)))
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "conll":
        return conll_to_docs(read_conll(path, scheme=scheme), lang, spans_key)
    if fmt == "quality":
        return conll_to_docs(read_quality_tsv(path, scheme=scheme), lang, spans_key)
    if fmt == "xml":
        return read_semeval_xml(path, lang, spans_key)[0]
    if Path(path).is_dir():
        raise XLTError(Errors.E027.format(path=path))
    return list(read_docs(path, _vocab(lang)))


def count_spans(docs: Iterable[Doc], spans_key: Optional[str] = None) -> Dict[str, int]:
    """Number of spans per label (``doc.ents`` or ``doc.spans[spans_key]``), labels sorted."""
    counts: Dict[str, int] = {}
    for doc in docs:
        for span in doc_spans(doc, spans_key):
            counts[span.label] = counts.get(span.label, 0) + 1
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------------------------------------
# Readers for training configs


class ExampleReader:
    """Callable ``(nlp) -> Iterator[Example]`` over reference Docs from ``load(nlp)``.

    As spaCy's ``Corpus``: the first ``limit`` documents (0: all), shuffled on every call
    with ``shuffle``. The predicted Doc has the reference's words and spaces and nothing else.
    """

    def __init__(
        self, load: Callable[[Language], List[Doc]], limit: int = 0, shuffle: bool = False
    ):
        self.load = load
        self.limit = limit
        self.shuffle = shuffle

    def __call__(self, nlp: Language) -> Iterator[Example]:
        refs = self.load(nlp)
        if self.limit >= 1:
            refs = refs[: self.limit]
        if self.shuffle:
            refs = list(refs)
            random.shuffle(refs)
        for ref in refs:
            words = [t.text for t in ref]
            spaces = [bool(t.whitespace_) for t in ref]
            yield Example(Doc(nlp.vocab, words=words, spaces=spaces), ref)


def _check_choice(name: str, value: str, options: Sequence[str]) -> None:
    if value not in options:
        raise XLTError(Errors.E030.format(name=name, value=value, options=", ".join(options)))


@spacy.registry.readers("spacy_xlt.ConllCorpus.v1")
@message_reader
def create_conll_corpus(
    path: Path,
    scheme: str = "auto",
    spans_key: Optional[str] = None,
    limit: int = 0,
    shuffle: bool = False,
) -> Callable[[Language], Iterator[Example]]:
    """Training/dev Examples from a CoNLL-style file (or a manual-projection quality TSV).

    The file is read once, when the reader is created; its words are used as they are
    (no tokenizer runs), its spans go to ``doc.ents`` or ``doc.spans[spans_key]``.
    """
    _check_choice("scheme", scheme, SCHEMES)
    sentences = read_tagged(path, scheme=scheme)
    return ExampleReader(lambda nlp: conll_to_docs(sentences, nlp.vocab, spans_key), limit, shuffle)


@spacy.registry.readers("spacy_xlt.SemEvalCorpus.v1")
@message_reader
def create_semeval_corpus(
    path: Path,
    spans_key: Optional[str] = None,
    label: str = SEMEVAL_LABEL,
    limit: int = 0,
    shuffle: bool = False,
) -> Callable[[Language], Iterator[Example]]:
    """Training/dev Examples from a SemEval-2016 ABSA XML file, tokenized by the pipeline's
    tokenizer; opinion targets become spans labelled ``label`` (see :func:`read_semeval_xml`).
    """
    path = Path(path)
    if not path.is_file():
        raise XLTError((Errors.E027 if path.is_dir() else Errors.E021).format(path=path))
    _parse_xml(path)  # a bad file stops spacy train with its message before training starts
    return ExampleReader(
        lambda nlp: read_semeval_xml(path, nlp, spans_key, label=label)[0], limit, shuffle
    )
