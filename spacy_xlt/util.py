"""Small helpers shared by several layers."""

from __future__ import annotations

import spacy
from spacy.language import Language
from spacy.vocab import Vocab, create_vocab


def vocab(lang: str) -> Vocab:
    """The vocab ``blank(lang)`` would have (the language's lexical attributes, stop words
    and norms), made without a pipeline: what reading and writing DocBins needs.

    A ``Language`` object loads every installed component factory (spaCy imports the
    ``spacy_factories`` entry points when the first one is made: spacy-transformers and so
    transformers, about 3 s of CPU on these machines); commands that only move Docs from
    one file to another need none of them.
    """
    try:
        cls = spacy.util.get_lang_class(lang)
    except ImportError:
        cls = spacy.util.get_lang_class("xx")
    return create_vocab(cls.lang, cls.Defaults)


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
