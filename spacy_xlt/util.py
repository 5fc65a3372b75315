"""Small helpers shared by several layers."""

from __future__ import annotations

import spacy
from spacy.language import Language


def blank(lang: str) -> Language:
    """A blank pipeline for ``lang``, or the multi-language one ("xx") where spaCy has none.

    Most MasakhaNER languages (ha, sw, ig, zu, ...) have no spaCy class; their text is
    tokenized with "xx". Languages that do have a class keep it (French elision, Turkish
    apostrophes).
    """
    try:
        return spacy.blank(lang)
    except ImportError:
        return spacy.blank("xx")
