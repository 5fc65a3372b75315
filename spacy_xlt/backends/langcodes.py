"""Language codes of translation models: ISO 639 -> NLLB-200 (``hau_Latn``) and M2M100 (``ha``).

Covers every MasakhaNER 2.0 language and every SemEval-2016 OTE language, plus German,
Amharic and Greek. Importing this module is cheap (no torch, no transformers).

A language a model family does not cover is an error that says so (M2M100 has no Bambara;
NLLB-200 has neither Ghomálá' nor Nigerian Pidgin) rather than a silent fallback: the user
may still pass the model's own code explicitly (``eng_Latn``, ``en``) to translate a
language through a related one.
"""

from __future__ import annotations

import re
from typing import Dict, NamedTuple, Optional

from ..errors import Errors, XLTError

STYLES = ("nllb", "m2m100", "plain")


class Language(NamedTuple):
    """One language: ISO 639-3, ISO 639-1 (or None), NLLB-200 code, M2M100 code, name."""

    iso3: str
    iso1: Optional[str]
    nllb: Optional[str]
    m2m100: Optional[str]
    name: str


#: MasakhaNER 2.0 (20 languages), OTE (en es fr nl ru tr), German, Amharic, Greek.
LANGUAGES = (
    Language("bam", "bm", "bam_Latn", None, "Bambara"),
    Language("bbj", None, None, None, "Ghomálá'"),
    Language("ewe", "ee", "ewe_Latn", None, "Ewe"),
    Language("fon", None, "fon_Latn", None, "Fon"),
    Language("hau", "ha", "hau_Latn", "ha", "Hausa"),
    Language("ibo", "ig", "ibo_Latn", "ig", "Igbo"),
    Language("kin", "rw", "kin_Latn", None, "Kinyarwanda"),
    Language("lug", "lg", "lug_Latn", "lg", "Luganda"),
    Language("luo", None, "luo_Latn", None, "Dholuo"),
    Language("mos", None, "mos_Latn", None, "Mossi"),
    Language("nya", "ny", "nya_Latn", None, "Chichewa"),
    Language("pcm", None, None, None, "Nigerian Pidgin"),
    Language("sna", "sn", "sna_Latn", None, "chiShona"),
    Language("swa", "sw", "swh_Latn", "sw", "Kiswahili"),
    Language("tsn", "tn", "tsn_Latn", "tn", "Setswana"),
    Language("twi", "tw", "twi_Latn", None, "Twi"),
    Language("wol", "wo", "wol_Latn", "wo", "Wolof"),
    Language("xho", "xh", "xho_Latn", "xh", "isiXhosa"),
    Language("yor", "yo", "yor_Latn", "yo", "Yorùbá"),
    Language("zul", "zu", "zul_Latn", "zu", "isiZulu"),
    Language("eng", "en", "eng_Latn", "en", "English"),
    Language("spa", "es", "spa_Latn", "es", "Spanish"),
    Language("fra", "fr", "fra_Latn", "fr", "French"),
    Language("nld", "nl", "nld_Latn", "nl", "Dutch"),
    Language("rus", "ru", "rus_Cyrl", "ru", "Russian"),
    Language("tur", "tr", "tur_Latn", "tr", "Turkish"),
    Language("deu", "de", "deu_Latn", "de", "German"),
    Language("amh", "am", "amh_Ethi", "am", "Amharic"),
    Language("ell", "el", "ell_Grek", "el", "Greek"),
)

#: Every accepted spelling (ISO 639-3, ISO 639-1, and the model codes) -> its Language.
_BY_CODE: Dict[str, Language] = {}
for _lang in LANGUAGES:
    for _code in (_lang.iso3, _lang.iso1, _lang.nllb, _lang.m2m100):
        if _code:
            _BY_CODE.setdefault(_code, _lang)
_BY_CODE.setdefault("swh", _BY_CODE["swa"])  # NLLB's Swahili is the individual language swh

_NLLB_RE = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")
_M2M_RE = re.compile(r"__([a-z]{2,3})__")


def lookup(lang: str) -> Optional[Language]:
    """The ``Language`` of any accepted spelling of ``lang``, or None."""
    if not isinstance(lang, str):
        return None
    text = lang.strip()
    m = _M2M_RE.fullmatch(text)
    if m:
        text = m.group(1)
    return _BY_CODE.get(text if _NLLB_RE.fullmatch(text) else text.lower())


def model_code(lang: str, style: str) -> str:
    """The code a model of ``style`` uses for ``lang`` (``hau_Latn`` / ``ha``).

    ``lang`` may be ISO 639-1 or 639-3, or already the model's code: any well-formed NLLB
    code (``xxx_Xxxx``) passes through for NLLB, and any 2-3 letter code for M2M100, so that
    languages outside the table work; the translator then checks the code is in its
    tokenizer. A known language the family does not cover, or a malformed code, raises
    XLTE281. ``plain`` models (one fixed direction, e.g. Marian) take any code.
    """
    if style not in STYLES:
        raise XLTError(Errors.E280.format(style=style, options=", ".join(STYLES)))
    if style == "plain":
        return str(lang)
    entry = lookup(lang)
    text = str(lang).strip() if isinstance(lang, str) else repr(lang)
    if entry is not None:
        code = entry.nllb if style == "nllb" else entry.m2m100
        if code is not None:
            return code
        if style == "nllb" and _NLLB_RE.fullmatch(text):
            return text
        raise XLTError(
            Errors.E281.format(
                lang=lang,
                style=style,
                why=f"{entry.name} is not among the languages of {style} models",
            )
        )
    if style == "nllb" and _NLLB_RE.fullmatch(text):
        return text
    m = _M2M_RE.fullmatch(text)
    if style == "m2m100" and (m or re.fullmatch(r"[a-z]{2,3}", text)):
        return m.group(1) if m else text
    raise XLTError(
        Errors.E281.format(
            lang=lang,
            style=style,
            why="not a known ISO 639 code and not a "
            + (
                "FLORES-200 code like hau_Latn"
                if style == "nllb"
                else "2-3 letter M2M100 code like ha"
            ),
        )
    )
