"""Generated multilingual text for tiny tokenizers and tests: no downloads, no datasets.

Seven "languages" in four scripts share one set of concepts (nouns, verbs, adjectives) and
one set of names, so the same sentence plan renders in every language. English uses a small
list of real words; the others use pseudo-words built from each language's own letters
(Spanish and Hausa/Yoruba-like Latin with diacritics, Cyrillic, Greek, Ethiopic). The word
lists are fixed (they do not depend on ``seed``); ``seed`` only picks the sentences.

``generate_corpus`` gives plain sentences (some in inline ``<Label>…</Label>`` markup, some
``[None]``) to train tokenizers on; ``generate_parallel`` gives sentence pairs with gold
word alignments and entity spans, for aligner and projector tests.
"""

from __future__ import annotations

import random
import unicodedata
import zlib
from functools import cache
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..errors import Errors, XLTError

#: Language codes of the generated text, with their script.
LANGUAGES: Dict[str, str] = {
    "en": "Latin",
    "es": "Latin",
    "ha": "Latin",
    "yo": "Latin",
    "ru": "Cyrillic",
    "el": "Greek",
    "am": "Ethiopic",
}

#: Inline tag names used in the markup sentences (as ``spacy_xlt.labels`` names them).
TAG_NAMES = {"PER": "Person", "LOC": "Location", "ORG": "Organization", "DATE": "Date"}

N_NOUNS, N_VERBS, N_ADJS = 16, 10, 8

_EN_NOUNS = (
    "river city market house school book child farmer road water village teacher letter "
    "bridge song field"
).split()
_EN_VERBS = "saw visited built found sold wrote opened carried crossed painted".split()
_EN_ADJS = "big old new small green quiet long bright".split()

#: Function words per language: determiner ("" where the language has none), "in",
#: "and", "with", "of". Short and common; the content words are generated.
_FUNCTION: Dict[str, Tuple[str, str, str, str, str]] = {
    "en": ("the", "in", "and", "with", "of"),
    "es": ("el", "en", "y", "con", "de"),
    "ha": ("", "a", "da", "tare", "na"),
    "yo": ("", "ní", "àti", unicodedata.normalize("NFC", "pẹ̀lú"), "ti"),
    "ru": ("", "в", "и", "с", "из"),
    "el": ("το", "στο", "και", "με", "του"),
    "am": ("", "በ", "እና", "ከ", "የ"),
}

#: Word order: adjective after noun, verb at the end (SOV).
_ORDER = {
    "en": (False, False),
    "es": (True, False),
    "ha": (True, False),
    "yo": (True, False),
    "ru": (False, False),
    "el": (False, False),
    "am": (False, True),
}

_FULL_STOP = {"am": "።"}
_COMMA = {"am": "፣"}

# Syllable inventories (onsets x vowels) of the pseudo-word languages.
_ONSETS = {
    "es": "b c d f g l m n p r s t v ll ch ñ j qu".split(),
    "ha": "b ɓ d ɗ k ƙ g s sh ts y ƴ m n r t z w h f".split(),
    "yo": "b d f g gb j k l m n p r s ṣ t w y".split(),
    "ru": "б в г д ж з к л м н п р с т ф х ц ч ш".split(),
    "el": "β γ δ ζ θ κ λ μ ν ξ π ρ σ τ φ χ ψ".split(),
}
_VOWELS = {
    "es": "a e i o u a e o".split(),
    "ha": "a e i o u a a".split(),
    "yo": "a e ẹ i o ọ u".split(),
    "ru": "а е и о у ы я ю".split(),
    "el": "α ε η ι ο υ ω".split(),
}
_CODAS = {
    "es": ["", "", "", "n", "s", "r", "l"],
    "ha": ["", "", "", "n", "r"],
    "ru": ["", "", "", "н", "т", "й", "ь"],
}
_ACUTE = str.maketrans("aeiouαεηιουω", "áéíóúάέήίόύώ")
_YO_TONES = ("\u0300", "\u0301", "")  # grave (low), acute (high), none (mid)

# Names are sequences of consonant-vowel syllables, written in each script.
_NAME_CONS = "b d f g h k l m n r s t w y z".split()
_NAME_VOWELS = "a e i o u".split()
_CYRILLIC = dict(zip(_NAME_CONS + _NAME_VOWELS, "б д ф г х к л м н р с т в й з а е и о у".split()))
_GREEK = dict(zip(_NAME_CONS + _NAME_VOWELS, "μπ ντ φ γκ χ κ λ μ ν ρ σ τ β γ ζ α ε ι ο ου".split()))
# Ethiopic is syllabic: one character per consonant-vowel syllable (row base + vowel order).
_ETHIOPIC_ROWS = dict(
    zip(
        _NAME_CONS,
        (
            0x1260,
            0x12F0,
            0x1348,
            0x1308,
            0x1200,
            0x12A8,
            0x1208,
            0x1218,
            0x1290,
            0x1228,
            0x1230,
            0x1270,
            0x12C8,
            0x12E8,
            0x12D8,
        ),
    )
)
_ETHIOPIC_ORDER = {"a": 3, "e": 4, "i": 2, "o": 6, "u": 1}


def _rng(*key: object) -> random.Random:
    """A random generator seeded by a stable hash of ``key`` (``hash()`` is salted per run)."""
    return random.Random(zlib.crc32(repr(key).encode("utf8")))


def _syllable_word(lang: str, rng: random.Random) -> str:
    if lang == "am":
        n = rng.choice((2, 2, 3))
        return "".join(
            chr(rng.choice(list(_ETHIOPIC_ROWS.values())) + rng.choice((0, 1, 2, 3, 4, 5, 6)))
            for _ in range(n)
        )
    n = rng.choice((1, 2, 2, 3))
    sylls = [rng.choice(_ONSETS[lang]) + rng.choice(_VOWELS[lang]) for _ in range(n)]
    if lang == "yo":
        sylls = [s + rng.choice(_YO_TONES) for s in sylls]
    if lang in _CODAS:
        sylls[-1] += rng.choice(_CODAS[lang])
    if lang == "es" and n > 1 and rng.random() < 0.3:
        sylls[-1] = sylls[-1].translate(_ACUTE)
    if lang == "el":
        i = rng.randrange(n)
        sylls[i] = (
            sylls[i].translate(_ACUTE) if not any(c in sylls[i] for c in "άέήίόύώ") else sylls[i]
        )
    word = "".join(sylls)
    if lang == "el" and word.endswith("σ"):
        word = word[:-1] + "ς"
    return unicodedata.normalize("NFC", word)


@cache
def lexicon(lang: str) -> Dict[str, Tuple[str, ...]]:
    """The fixed word lists of ``lang``: ``nouns``, ``verbs``, ``adjs`` (by concept index)
    and ``function`` (determiner, "in", "and", "with", "of")."""
    _check_lang(lang)
    if lang == "en":
        return {
            "nouns": tuple(_EN_NOUNS),
            "verbs": tuple(_EN_VERBS),
            "adjs": tuple(_EN_ADJS),
            "function": _FUNCTION[lang],
        }
    rng = _rng("lexicon", lang)
    seen = {w for w in _FUNCTION[lang] if w}
    words: List[str] = []
    while len(words) < N_NOUNS + N_VERBS + N_ADJS:
        word = _syllable_word(lang, rng)
        if word not in seen and len(word) > 1:
            seen.add(word)
            words.append(word)
    return {
        "nouns": tuple(words[:N_NOUNS]),
        "verbs": tuple(words[N_NOUNS : N_NOUNS + N_VERBS]),
        "adjs": tuple(words[N_NOUNS + N_VERBS :]),
        "function": _FUNCTION[lang],
    }


# Name plans: tuples of (consonant, vowel) syllables, the same person in every language.
def _name_plans(kind: str, n: int) -> Tuple[Tuple[Tuple[str, str], ...], ...]:
    rng = _rng("names", kind)
    plans, seen = [], set()
    while len(plans) < n:
        plan = tuple(
            (rng.choice(_NAME_CONS), rng.choice(_NAME_VOWELS)) for _ in range(rng.choice((2, 3)))
        )
        if plan not in seen:
            seen.add(plan)
            plans.append(plan)
    return tuple(plans)


_PERSONS = _name_plans("person", 12)
_SURNAMES = _name_plans("surname", 8)
_PLACES = _name_plans("place", 10)
_ORGS = _name_plans("org", 6)


def render_name(plan: Sequence[Tuple[str, str]], lang: str) -> str:
    """A name plan written in the script of ``lang`` (capitalised where the script has case)."""
    script = LANGUAGES[lang]
    if script == "Ethiopic":
        return "".join(chr(_ETHIOPIC_ROWS[c] + _ETHIOPIC_ORDER[v]) for c, v in plan)
    if script == "Cyrillic":
        word = "".join(_CYRILLIC[c] + _CYRILLIC[v] for c, v in plan)
    elif script == "Greek":
        word = "".join(_GREEK[c] + _GREEK[v] for c, v in plan)
        word = word[:-1] + word[-1].translate(_ACUTE)
    else:
        word = "".join(c + v for c, v in plan)
    return word[:1].upper() + word[1:]


def _org_word(lang: str) -> str:
    return {
        "en": "Group",
        "es": "Grupo",
        "ha": "Kamfani",
        "yo": "Ẹgbẹ́",
        "ru": "Союз",
        "el": "Όμιλος",
        "am": "ድርጅት",
    }[lang]


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise XLTError(Errors.E125.format(lang=lang, options=", ".join(LANGUAGES)))


class ParallelExample(NamedTuple):
    """A generated sentence pair: words, gold entity spans (token start, end, label) per
    side, and the gold word alignment as (source index, target index) pairs."""

    src_words: List[str]
    tgt_words: List[str]
    src_spans: List[Tuple[int, int, str]]
    tgt_spans: List[Tuple[int, int, str]]
    alignment: List[Tuple[int, int]]


# A sentence plan is a list of items (kind, value); rendering maps each item to words.
_Item = Tuple[str, object]


def _plan_sentence(rng: random.Random) -> List[List[_Item]]:
    """A sentence plan as a list of phrases; each phrase is a list of items."""
    person = (
        "PER",
        (rng.choice(_PERSONS),) + ((rng.choice(_SURNAMES),) if rng.random() < 0.4 else ()),
    )
    place = ("LOC", (rng.choice(_PLACES),))
    noun_phrase = [("DET", None), ("ADJ", rng.randrange(N_ADJS)), ("N", rng.randrange(N_NOUNS))]
    if rng.random() < 0.4:
        noun_phrase = [("DET", None), ("N", rng.randrange(N_NOUNS))]
    verb = [("V", rng.randrange(N_VERBS))]
    template = rng.randrange(5)
    if template == 0:  # Amina saw the old river in Kado.
        phrases = [[person], verb, noun_phrase, [("F", 1), place], [("P", ".")]]
    elif template == 1:  # In 1984, Amina and Tunde built the house.
        year = ("DATE", str(rng.randint(1950, 2024)))
        other = ("PER", (rng.choice(_PERSONS),))
        phrases = [
            [("F", 1), year, ("P", ",")],
            [person, ("F", 2), other],
            verb,
            noun_phrase,
            [("P", ".")],
        ]
    elif template == 2:  # Sodu Group sold 12 books with Amina!
        org = ("ORG", (rng.choice(_ORGS),))
        num = ("NUM", str(rng.randint(2, 99)))
        phrases = [
            [org],
            verb,
            [num, ("N", rng.randrange(N_NOUNS))],
            [("F", 3), person],
            [("P", rng.choice("!."))],
        ]
    elif template == 3:  # Amina crossed the bridge of Kado (3,5 %)?
        num = ("NUM", f"{rng.randint(1, 9)},{rng.randint(0, 9)}")
        phrases = [
            [person],
            verb,
            noun_phrase + [("F", 4), place],
            [("P", "("), num, ("P", "%"), ("P", ")"), ("P", "?")],
        ]
    else:  # "The new school", Amina wrote: Kado.
        phrases = [
            [("P", '"')] + noun_phrase + [("P", '"'), ("P", ",")],
            [person],
            verb,
            [("P", ":"), place, ("P", ".")],
        ]
    return phrases


def _render(
    phrases: List[List[_Item]], lang: str
) -> Tuple[List[str], List[Optional[Tuple[int, ...]]], List[Tuple[int, int, str]]]:
    """Words, the item id of each word (for alignment) and entity spans of a plan in ``lang``."""
    lex = lexicon(lang)
    adj_after, verb_final = _ORDER[lang]
    order = list(range(len(phrases)))
    if verb_final:  # move the verb phrase before the final punctuation
        verb_i = next(i for i, p in enumerate(phrases) if p[0][0] == "V")
        order.remove(verb_i)
        order.insert(len(order) - 1, verb_i)
    words: List[str] = []
    ids: List[Optional[Tuple[int, ...]]] = []
    spans: List[Tuple[int, int, str]] = []
    for pi in order:
        items = list(enumerate(phrases[pi]))
        if adj_after:  # noun before adjective
            for k in range(len(items) - 1):
                if items[k][1][0] == "ADJ" and items[k + 1][1][0] == "N":
                    items[k], items[k + 1] = items[k + 1], items[k]
        for ii, (kind, value) in items:
            key = (pi, ii)
            if kind in ("PER", "LOC", "ORG"):
                start = len(words)
                for plan in value:
                    words.append(render_name(plan, lang))
                    ids.append(key)
                if kind == "ORG":
                    words.append(_org_word(lang))
                    ids.append(key)
                spans.append((start, len(words), kind))
            elif kind == "DATE":
                spans.append((len(words), len(words) + 1, kind))
                words.append(value)
                ids.append(key)
            elif kind == "DET":
                if lex["function"][0]:
                    words.append(lex["function"][0])
                    ids.append(key)
            elif kind in ("N", "V", "ADJ"):
                words.append(lex[{"N": "nouns", "V": "verbs", "ADJ": "adjs"}[kind]][value])
                ids.append(key)
            elif kind == "F":
                words.append(lex["function"][value])
                ids.append(key)
            elif kind == "P":
                p = {".": _FULL_STOP, ",": _COMMA}.get(value, {}).get(lang, value)
                words.append(p)
                ids.append(key)
            else:  # NUM
                words.append(value)
                ids.append(key)
    if words and words[0][:1].islower():
        words[0] = words[0][:1].upper() + words[0][1:]
    return words, ids, spans


def detokenize(words: Sequence[str]) -> str:
    """Join words with spaces, attaching punctuation the way the generated text writes it."""
    out = ""
    quote_open = glue_next = False
    for i, w in enumerate(words):
        if w == '"':
            glue = quote_open  # a closing quote sticks to the word before it
            quote_open = not quote_open
        else:
            glue = w in _CLOSING
        out += w if i == 0 or glue or glue_next else " " + w
        glue_next = w == "(" or (w == '"' and quote_open)
    return out


_CLOSING = {".", ",", "!", "?", ":", ")", "%", "።", "፣"}


def _markup(words: Sequence[str], spans: Sequence[Tuple[int, int, str]]) -> str:
    """Inline tagged form ``<Person>Amina</Person> saw …`` (``[None]`` when no spans)."""
    if not spans:
        return "[None]"
    out = list(words)
    for start, end, label in sorted(spans, reverse=True):
        name = TAG_NAMES[label]
        out[end - 1] = f"{out[end - 1]}</{name}>"
        out[start] = f"<{name}>{out[start]}"
    return detokenize(out)


def generate_corpus(
    n: int = 400, seed: int = 0, langs: Optional[Sequence[str]] = None
) -> List[str]:
    """``n`` generated sentences in ``langs`` (default: all of ``LANGUAGES``, in turn).

    Deterministic for a given ``seed``. About one sentence in eight is written in inline
    markup (``<Person>Amina</Person> saw …``) and one in twenty is ``[None]``, so that a
    tokenizer trained on the corpus encodes tagged text in few pieces.
    """
    if n < 0:
        raise XLTError(Errors.E126.format(n=n))
    langs = list(langs) if langs is not None else list(LANGUAGES)
    for lang in langs:
        _check_lang(lang)
    rng = random.Random(seed)
    out: List[str] = []
    for i in range(n):
        lang = langs[i % len(langs)]
        words, _, spans = _render(_plan_sentence(rng), lang)
        r = rng.random()
        if r < 0.125:
            out.append(_markup(words, spans))
        elif r < 0.175:
            out.append(_markup(words, []) + " " + detokenize(words))
        else:
            out.append(detokenize(words))
    return out


def generate_parallel(
    n: int = 100, src: str = "en", tgt: str = "es", seed: int = 0
) -> List[ParallelExample]:
    """``n`` generated sentence pairs (same plan in ``src`` and ``tgt``) with gold spans and
    word alignments. Word order differs by language (adjective placement, verb-final "am")."""
    if n < 0:
        raise XLTError(Errors.E126.format(n=n))
    _check_lang(src)
    _check_lang(tgt)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        plan = _plan_sentence(rng)
        s_words, s_ids, s_spans = _render(plan, src)
        t_words, t_ids, t_spans = _render(plan, tgt)
        alignment = sorted(
            (i, j)
            for i, a in enumerate(s_ids)
            for j, b in enumerate(t_ids)
            if a == b and _same_part(s_words, s_ids, i, t_words, t_ids, j)
        )
        out.append(ParallelExample(s_words, t_words, s_spans, t_spans, alignment))
    return out


def _same_part(s_words, s_ids, i, t_words, t_ids, j) -> bool:
    """Multi-word items (names with surnames, organisations) align word by word."""
    si = [k for k, x in enumerate(s_ids) if x == s_ids[i]].index(i)
    ti = [k for k, x in enumerate(t_ids) if x == t_ids[j]].index(j)
    return si == ti


def vocabulary_lines() -> List[str]:
    """Every word, name, digit and punctuation mark the generator can produce, one language
    per line: added to tokenizer training text so that no generated text maps to <unk>."""
    lines = []
    for lang in LANGUAGES:
        lex = lexicon(lang)
        words = [w for key in ("nouns", "verbs", "adjs", "function") for w in lex[key] if w]
        names = [
            render_name(p, lang) for group in (_PERSONS, _SURNAMES, _PLACES, _ORGS) for p in group
        ]
        lines.append(" ".join(words + names + [_org_word(lang)]))
        lines.append(
            " ".join(w.lower() for w in words + names)
            + " "
            + " ".join(w[:1].upper() + w[1:] for w in words)
        )
    lines.append("0 1 2 3 4 5 6 7 8 9 10 25 1984 2024 3,5 12.5 45% . , ! ? : ; ( ) \" ' - ። ፣")
    tags = " ".join(f"<{t}> </{t}>" for t in TAG_NAMES.values())
    lines.append(f"{tags} < > </ [None] [ ]")
    return lines
