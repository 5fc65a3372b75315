"""The sample of parallel sentences shipped with the package (English -> Spanish, gold NER on both sides).

``spacy_xlt/data/en_es_sample.jsonl`` holds 445 sentence pairs about travel, sport, politics,
business, science and culture, written for this package (``examples/make_sample.py`` generates
it from hand-written translation templates). Each line is one pair::

    {"id": "en-es-0001", "domain": "sport", "template": 17,
     "source": {"words": [...], "spaces": [...], "spans": [[start, end, "LABEL"], ...]},
     "target": {"words": [...], "spaces": [...], "spans": [[start, end, "LABEL"], ...]}}

Spans are token offsets (end exclusive) with labels PER, LOC, ORG and MISC; the target spans
are the gold projection of the source spans (same labels). Words are spaCy's tokenization of
each side ("en" and "es" tokenizers); ``spaces`` is optional (default: a space after every word).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional, Tuple, Union

from spacy.tokens import Doc

from .errors import Errors, XLTError
from .io import read_lines
from .labels import TokenSpan, check_spans
from .pairs import make_pair, set_doc_spans
from .util import vocab as lang_vocab

DATA_DIR = Path(__file__).parent / "data"
#: Bundled samples by target language.
SAMPLES = {"es": DATA_DIR / "en_es_sample.jsonl"}
SAMPLE_LABELS = ("PER", "LOC", "ORG", "MISC")


def sample_path(lang: str = "es") -> Path:
    """The path of the bundled sample whose target language is ``lang``."""
    if lang not in SAMPLES:
        raise XLTError(Errors.E201.format(lang=lang, options=", ".join(sorted(SAMPLES))))
    return SAMPLES[lang]


def _side(rec: dict, name: str, path: Path, line: int) -> Tuple[List[str], List[bool], List[TokenSpan]]:
    side = rec.get(name)
    if not isinstance(side, dict):
        raise XLTError(Errors.E200.format(path=path, line=line, why=f"no {name!r} object"))
    words = side.get("words")
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
        raise XLTError(Errors.E200.format(path=path, line=line, why=f"{name}.words must be a non-empty list of non-empty strings"))
    spaces = side.get("spaces", [True] * len(words))
    if not isinstance(spaces, list) or len(spaces) != len(words):
        raise XLTError(Errors.E200.format(path=path, line=line, why=f"{name}.spaces must have one entry per word"))
    try:
        spans = [TokenSpan(int(s), int(e), str(lab)) for s, e, lab in side.get("spans", [])]
    except (TypeError, ValueError) as err:
        raise XLTError(Errors.E200.format(path=path, line=line, why=f"{name}.spans: {err}")) from err
    spans = check_spans(sorted(spans), len(words), record=f"{path}:{line} ({name})")
    return words, [bool(x) for x in spaces], spans


def read_sample(path: Optional[Union[str, Path]] = None, lang: str = "es") -> List[dict]:
    """The records of a sample file (default: the bundled one for ``lang``), validated.

    Each record is the JSON object of its line with ``source`` and ``target`` normalised to
    ``{"words", "spaces", "spans": [TokenSpan, ...]}``.
    """
    path = Path(path) if path is not None else sample_path(lang)
    records = []
    # spacy_xlt.io: a missing file, a folder, a bad byte (by line and column) are coded errors
    for line_no, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            why = f"not JSON: {err.msg} at column {err.colno}"
            raise XLTError(Errors.E200.format(path=path, line=line_no, why=why)) from None
        if not isinstance(rec, dict):
            raise XLTError(Errors.E200.format(path=path, line=line_no, why="not a JSON object"))
        for name in ("source", "target"):
            words, spaces, spans = _side(rec, name, path, line_no)
            rec[name] = {"words": words, "spaces": spaces, "spans": spans}
        rec.setdefault("id", f"{path.stem}-{line_no}")
        records.append(rec)
    return records


def load_sample_pairs(
    path: Optional[Union[str, Path]] = None,
    lang: str = "es",
    *,
    source_lang: str = "en",
    spans_key: Optional[str] = None,
) -> Tuple[List[Doc], List[Doc]]:
    """The sample as parallel pairs to project, and the gold target Docs to score them against.

    ``pairs``: target-language Docs (vocab of ``lang``) with NO spans, each carrying its source
    sentence and the source spans (:func:`spacy_xlt.pairs.make_pair`); ``gold_targets``:
    separate Docs with the same target words and the gold target spans. Spans go to
    ``doc.ents``, or to ``doc.spans[spans_key]`` when it is given. ``doc.user_data["id"]``
    holds the record's id on both.
    """
    records = read_sample(path, lang)
    src_vocab = lang_vocab(source_lang)
    tgt_vocab = lang_vocab(lang)
    pairs: List[Doc] = []
    gold: List[Doc] = []
    for rec in records:
        src, tgt = rec["source"], rec["target"]
        source = Doc(src_vocab, words=src["words"], spaces=src["spaces"])
        set_doc_spans(source, src["spans"], spans_key)
        target = Doc(tgt_vocab, words=tgt["words"], spaces=tgt["spaces"])
        target.user_data["id"] = rec["id"]
        pairs.append(make_pair(source, target, source_lang=source_lang, spans_key=spans_key))
        gold_doc = Doc(tgt_vocab, words=tgt["words"], spaces=tgt["spaces"])
        gold_doc.user_data["id"] = rec["id"]
        gold.append(set_doc_spans(gold_doc, tgt["spans"], spans_key))
    return pairs, gold
