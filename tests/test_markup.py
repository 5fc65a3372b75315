import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import DEFAULT_LABEL_NAMES, LabelMap, TokenSpan
from spacy_xlt.markup import (
    SPACINGS,
    decode_inline,
    encode_inline,
    escape_word,
    parse_inline,
    parse_lenient,
    parse_tprojection_output,
    tprojection_input,
    tprojection_target,
    unescape_word,
)

T = TokenSpan
OBAMA = "Obama visited France .".split()
OBAMA_SPANS = [T(0, 1, "PER"), T(2, 3, "LOC")]

# Words that break naive tagging: tags, brackets, escapes, whitespace, empty, other scripts.
TRICKY = [
    "<Person>",
    "</Location>",
    "<",
    ">",
    "<>",
    "a<b",
    "<Person",
    "Person>",
    "</",
    "<//x>",
    "x</Person>",
    "<Person>x",
    "\\",
    "\\<Person>",
    "\\e",
    "\\s",
    "\\u0020",
    "",
    " ",
    "  ",
    "\n",
    "a b",
    "\u00a0",
    "\u3000",
    "Обама",
    "東京",
    "عمان",
    "🙂",
    "e\u0301",
    "[None]",
]
LABELS = ["PER", "LOC", "ORG", "MISC", "TARGET", "Claim", "B-X", "x/y", "Ünï", "DATE.v1"]


words_st = st.lists(
    st.one_of(
        st.sampled_from(TRICKY),
        st.text(max_size=6),
        st.from_regex(r"[A-Za-z]{1,6}", fullmatch=True),
    ),
    max_size=12,
)
label_st = st.one_of(
    st.sampled_from(LABELS),
    st.from_regex(r"[A-Za-z\u00c0-\u024f_][\w.:/-]{0,6}", fullmatch=True).filter(
        lambda s: s not in DEFAULT_LABEL_NAMES.values()
    ),
)


@st.composite
def tagged(draw):
    words = draw(words_st)
    n = len(words)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=12, unique=True)))
    spans = [
        T(a, b, draw(label_st))
        for a, b in zip(cuts[::2], cuts[1::2])
        if a < b and draw(st.booleans())
    ]
    return words, spans


# --- inline form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spacing,expected",
    [
        ("both", "<Person> Obama </Person> visited <Location> France </Location> ."),
        ("none", "<Person>Obama</Person> visited <Location>France</Location> ."),
        ("glued", "<Person>Obama</Person>visited<Location>France</Location>."),
    ],
)
def test_encode_inline_spacings(spacing, expected):
    assert encode_inline(OBAMA, OBAMA_SPANS, spacing=spacing) == expected
    assert decode_inline(expected, OBAMA, spacing=spacing) == OBAMA_SPANS
    assert decode_inline(expected, spacing="any") == OBAMA_SPANS
    assert parse_inline(expected, spacing=spacing) == (OBAMA, OBAMA_SPANS)


def test_glued_is_the_sequence_labeling_llms_t5_form():
    words = "Obama went to New York .".split()
    spans = [T(0, 1, "PER"), T(3, 5, "LOC")]
    assert (
        encode_inline(words, spans, spacing="glued")
        == "<Person>Obama</Person>went to<Location>New York</Location>."
    )
    assert (
        encode_inline(words, spans, spacing="both")
        == "<Person> Obama </Person> went to <Location> New York </Location> ."
    )


def test_adjacent_spans_and_whole_sentence():
    words = ["New", "York", "Yankees"]
    spans = [T(0, 2, "LOC"), T(2, 3, "ORG")]
    assert (
        encode_inline(words, spans)
        == "<Location> New York </Location> <Organization> Yankees </Organization>"
    )
    assert (
        encode_inline(words, spans, spacing="none")
        == "<Location>New York</Location> <Organization>Yankees</Organization>"
    )
    assert (
        encode_inline(words, spans, spacing="glued")
        == "<Location>New York</Location><Organization>Yankees</Organization>"
    )
    for spacing in SPACINGS:
        assert (
            decode_inline(encode_inline(words, spans, spacing=spacing), words, spacing=spacing)
            == spans
        )


def test_empty_and_single_word():
    for spacing in SPACINGS:
        assert encode_inline([], [], spacing=spacing) == ""
        assert parse_inline("", spacing=spacing) == ([], [])
        assert (
            encode_inline(["x"], [T(0, 1, "PER")], spacing=spacing).replace(" ", "")
            == "<Person>x</Person>"
        )
        assert (
            decode_inline(encode_inline(["x"], [], spacing=spacing), ["x"], spacing=spacing) == []
        )


def test_labels_through_the_label_map():
    lm = LabelMap({"DATE": "Date"})
    text = encode_inline(["in", "May"], [T(1, 2, "DATE")], lm)
    assert text == "in <Date> May </Date>"
    assert decode_inline(text, label_map=lm) == [T(1, 2, "DATE")]
    # labels outside the map are written as they are
    assert encode_inline(["x"], [T(0, 1, "Claim")]) == "<Claim> x </Claim>"
    assert decode_inline("<Claim> x </Claim>") == [T(0, 1, "Claim")]


@pytest.mark.parametrize(
    "word",
    ["Obama", ">", "Person>", "東京", "Обама", "🙂", "[None]", "a>b", "e\u0301"],
)
def test_ordinary_words_are_not_escaped(word):
    assert escape_word(word) == word


@pytest.mark.parametrize(
    "word,escaped",
    [
        ("<Person>", "\\<Person>"),
        ("<", "\\<"),
        ("a<b", "a\\<b"),
        ("\\", "\\\\"),
        ("", "\\e"),
        (" ", "\\s"),
        ("a b", "a\\sb"),
        ("\n", "\\n"),
        ("\u00a0", "\\u00a0"),
    ],
)
def test_escape_word_examples(word, escaped):
    assert escape_word(word) == escaped
    assert unescape_word(escaped) == word


@given(st.text())
def test_escape_word_round_trip(word):
    escaped = escape_word(word)
    assert unescape_word(escaped) == word
    assert escaped and not any(c.isspace() for c in escaped)
    assert parse_inline(escaped) == ([word], [])  # one word, no tags


def test_tag_like_words_are_ambiguous_without_escaping_but_round_trip():
    # Unescaped, this text has three readings; escaped, one.
    words = ["<Person>", "<Person>", "a", "</Person>"]
    spans = [T(1, 3, "PER")]
    for spacing in SPACINGS:
        text = encode_inline(words, spans, spacing=spacing)
        assert parse_inline(text, spacing=spacing) == (words, spans)
    assert encode_inline(words, spans) == "\\<Person> <Person> \\<Person> a </Person> \\</Person>"


@settings(max_examples=300)
@given(tagged())
def test_inline_round_trip(ws):
    words, spans = ws
    for spacing in SPACINGS:
        text = encode_inline(words, spans, spacing=spacing)
        assert parse_inline(text, spacing=spacing) == (words, sorted(spans))
        assert decode_inline(text, words, spacing=spacing) == sorted(spans)
        assert decode_inline(text, words, spacing="any") == sorted(spans)


@given(tagged())
def test_strict_decoder_rejects_other_words(ws):
    words, spans = ws
    text = encode_inline(words, spans)
    with pytest.raises(XLTError, match="XLTE104"):
        decode_inline(text, words + ["extra"])
    if words:
        other = list(words)
        other[-1] = other[-1] + "x"
        with pytest.raises(XLTError, match="XLTE104"):
            decode_inline(text, other)


def _text_from(pieces):
    return st.lists(pieces, max_size=30).map("".join)


@given(
    _text_from(st.sampled_from(list("<>/\\ Pabnesu0") + ["<Person>", "</Person>", "<X>", "</X>"]))
)
def test_strict_decoder_either_parses_exactly_or_raises_coded_error(text):
    for spacing in SPACINGS:
        try:
            words, spans = parse_inline(text, spacing=spacing)
        except XLTError as err:
            assert str(err).startswith("[XLTE10")
        else:
            assert encode_inline(words, spans, spacing=spacing) == text


@pytest.mark.parametrize(
    "text,spacing,code",
    [
        ("<Person> x", "both", "E103"),  # never closed
        ("x </Person>", "both", "E103"),  # closed without opening
        ("<Person> x </Location>", "both", "E103"),  # closed by another label
        ("<Person> </Person>", "both", "E103"),  # empty span
        ("<A> <B> x </B> </A>", "both", "E103"),  # nested
        ("a  b", "both", "E103"),  # double space
        (" a", "both", "E103"),  # leading space
        ("<Person>x</Person>", "both", "E103"),  # wrong spacing
        ("<Person> x </Person>", "none", "E103"),
        ("a < b", "both", "E103"),  # unescaped '<'
        ("<LOC> x </LOC>", "both", "E103"),  # LOC is written <Location>
        ("a \\q", "both", "E105"),
        ("a\\", "both", "E105"),
        ("\\u12", "both", "E105"),
        ("\\>", "both", "E105"),
        ("\\x3c", "both", "E105"),
        ("a\\sb", "both", None),  # one word "a b"
        ("a\\e", "both", "E103"),  # valid escape, but "a" is written "a"
        ("\\u0020", "both", "E103"),  # a space is written "\\s"
    ],
)
def test_strict_decoder_errors(text, spacing, code):
    if code is None:
        assert parse_inline(text, spacing=spacing) == (["a b"], [])
        return
    with pytest.raises(XLTError, match="XLT" + code):
        parse_inline(text, spacing=spacing)


def test_encode_errors():
    with pytest.raises(XLTError, match="XLTE102"):
        encode_inline(OBAMA, [], spacing="after")
    with pytest.raises(XLTError, match="XLTE102"):
        decode_inline("x", spacing="auto")
    with pytest.raises(XLTError, match="XLTE005"):
        encode_inline(OBAMA, [T(0, 2, "PER"), T(1, 3, "LOC")])
    with pytest.raises(XLTError, match="XLTE006"):
        encode_inline(OBAMA, [T(3, 5, "PER")])
    for bad in ["two words", "a<b", "/x", "a\\b", ""]:
        with pytest.raises(XLTError, match="XLTE100"):
            encode_inline(OBAMA, [T(0, 1, "L")], LabelMap({"L": bad}))
    # a corpus label spelled like another label's name cannot be decoded back
    with pytest.raises(XLTError, match="XLTE101"):
        encode_inline(OBAMA, [T(0, 1, "Location")])


# --- T-Projection forms -----------------------------------------------------------------


@pytest.mark.parametrize(
    "words,spans,source,target",
    [
        (
            "Me encanta Nueva York .",
            [T(2, 4, "LOC")],
            "Me encanta Nueva York . <Location>[None]</Location>",
            "<Location>Nueva York</Location>",
        ),
        (  # source order, whatever the order given
            "Obama went to New York .",
            [T(3, 5, "LOC"), T(0, 1, "PER")],
            "Obama went to New York . <Person>[None]</Person><Location>[None]</Location>",
            "<Person>Obama</Person><Location>New York</Location>",
        ),
        (  # repeated label
            "Paris and London , not Berlin",
            [T(0, 1, "LOC"), T(2, 3, "LOC"), T(5, 6, "LOC")],
            "Paris and London , not Berlin <Location>[None]</Location><Location>[None]</Location><Location>[None]</Location>",
            "<Location>Paris</Location><Location>London</Location><Location>Berlin</Location>",
        ),
        (  # every default name, and a label used as it is
            "EU UN Mary Euro price claim",
            [T(0, 1, "ORG"), T(2, 3, "PER"), T(3, 4, "MISC"), T(4, 5, "TARGET"), T(5, 6, "Claim")],
            "EU UN Mary Euro price claim <Organization>[None]</Organization><Person>[None]</Person>"
            "<Miscellaneous>[None]</Miscellaneous><Target>[None]</Target><Claim>[None]</Claim>",
            "<Organization>EU</Organization><Person>Mary</Person><Miscellaneous>Euro</Miscellaneous>"
            "<Target>price</Target><Claim>claim</Claim>",
        ),
        ("Me encanta Nueva York .", [], "Me encanta Nueva York . ", ""),  # no spans
        ("", [], " ", ""),  # no words
    ],
)
def test_tprojection_forms(words, spans, source, target):
    words = words.split()
    assert tprojection_input(words, spans) == source
    assert tprojection_target(words, spans) == target
    expected = [(s.label, " ".join(words[s.start : s.end])) for s in sorted(spans)]
    assert parse_tprojection_output(target) == expected


def test_tprojection_custom_label_map_and_errors():
    lm = LabelMap({"DATE": "Date"})
    assert tprojection_input(["in", "May"], [T(1, 2, "DATE")], lm) == "in May <Date>[None]</Date>"
    assert tprojection_target(["in", "May"], [T(1, 2, "DATE")], lm) == "<Date>May</Date>"
    with pytest.raises(XLTError, match="XLTE006"):
        tprojection_input(["a"], [T(0, 2, "LOC")])
    with pytest.raises(XLTError, match="XLTE100"):
        tprojection_target(["a"], [T(0, 1, "L")], LabelMap({"L": "a b"}))


@pytest.mark.parametrize(
    "output,expected",
    [
        (
            "<Location>Nueva York</Location><Person>Obama</Person>",
            [("LOC", "Nueva York"), ("PER", "Obama")],
        ),
        (
            "<Location> Nueva  York </Location> <Person>Obama</Person>",
            [("LOC", "Nueva York"), ("PER", "Obama")],
        ),
        (
            "< Location >Nueva York</ Location > junk <Person >Obama</Person>",
            [("LOC", "Nueva York"), ("PER", "Obama")],
        ),
        (
            "<Location>Nueva York</Person><Person>Obama</Person>",
            [("PER", "Obama")],
        ),  # mismatched close
        ("<Location>Nueva <Person>Obama</Person> York</Location>", [("PER", "Obama")]),  # nested
        ("<Location></Location><Claim>x</Claim>", [("Claim", "x")]),  # empty, unknown label kept
        ("<Location>Nueva York", []),  # unclosed
        ("", []),
        ("no tags at all", []),
    ],
)
def test_parse_tprojection_output(output, expected):
    assert parse_tprojection_output(output) == expected


def test_parse_tprojection_output_known_labels():
    out = "<Location>Nueva York</Location><Claim>x</Claim>"
    assert parse_tprojection_output(out, known_labels={"LOC", "PER"}) == [("LOC", "Nueva York")]


# --- lenient parser ---------------------------------------------------------------------


@settings(max_examples=300)
@given(tagged())
def test_lenient_recovers_correct_tagging(ws):
    words, spans = ws
    for spacing in SPACINGS:
        result = parse_lenient(encode_inline(words, spans, spacing=spacing), words)
        assert result.spans == sorted(spans)
        assert result.dropped == []


@settings(max_examples=300)
@given(
    _text_from(
        st.one_of(
            st.characters(),
            st.sampled_from(
                [
                    "<",
                    ">",
                    "/",
                    "\\",
                    " ",
                    "<Person>",
                    "</Person>",
                    "<Location>",
                    "</Location>",
                    "\\u00",
                    "Obama",
                    "New",
                    "York",
                ]
            ),
        )
    ),
    words_st,
    st.one_of(st.none(), st.sets(st.sampled_from(LABELS))),
    st.booleans(),
)
def test_lenient_never_raises_and_returns_valid_spans(text, words, known, escapes):
    result = parse_lenient(text, words, known_labels=known, escapes=escapes)
    ordered = sorted(result.spans)
    assert result.spans == ordered
    for span in ordered:
        assert 0 <= span.start < span.end <= len(words)
        if known is not None:
            assert span.label in known
    for a, b in zip(ordered, ordered[1:]):
        assert a.end <= b.start
    assert all(
        reason
        in {
            "unknown_label",
            "unclosed_tag",
            "unopened_close",
            "empty_span",
            "not_in_input",
            "overlap",
        }
        for reason, _ in result.dropped
    )


def test_lenient_drops_and_counts():
    words = "Obama went to Paris and London .".split()
    out = (
        "<Person>Barack Obama</Person> fue a <Location>París</Location> y "  # translated
        "<Location>london</Location> <Date>hoy</Date> </Organization> <Person>Obama</Person> "
        "<Location>Paris</Location> <Person>Obama"
    )
    result = parse_lenient(out, words, known_labels={"PER", "LOC", "ORG"})
    assert result.spans == [T(0, 1, "PER"), T(3, 4, "LOC"), T(5, 6, "LOC")]
    assert result.counts == {
        "not_in_input": 2,
        "unknown_label": 1,
        "unopened_close": 1,
        "unclosed_tag": 1,
    }
    # a repeated segment finds its words taken
    again = parse_lenient("<Person>Obama</Person> <Person>Obama</Person>", words)
    assert again.spans == [T(0, 1, "PER")] and again.counts == {"overlap": 1}
    assert parse_lenient("<Person></Person>", words).counts == {"empty_span": 1}
    assert parse_lenient("", words).spans == [] and parse_lenient("", []).dropped == []


def test_lenient_placement():
    words = "the bank of the river and the bank".split()
    # repeated words: the position in the output decides
    assert parse_lenient("the bank of the river and <X>the bank</X>", words).spans == [T(6, 8, "X")]
    assert parse_lenient("<X>the bank</X> of the river and the bank", words).spans == [T(0, 2, "X")]
    # a dropped word before the segment still lands on the right occurrence
    assert parse_lenient("bank of the river and <X>the bank</X>", words).spans == [T(6, 8, "X")]
    # the first is placed, the next one left to right after it
    assert parse_lenient("<X>the bank</X> <Y>the bank</Y>", words).spans == [
        T(0, 2, "X"),
        T(6, 8, "Y"),
    ]
    # falls back to an earlier free position when nothing is left after the previous span
    assert parse_lenient("<X>river</X> <Y>of</Y>", words).spans == [T(2, 3, "Y"), T(4, 5, "X")]
    # case-insensitive, then whitespace-insensitive (the model split words differently)
    assert parse_lenient("<Location>NEW YORK.</Location>", ["in", "New", "York", "."]).spans == [
        T(1, 4, "LOC")
    ]
    assert parse_lenient("<Location>NewYork</Location>", ["New", "York"]).spans == [T(0, 2, "LOC")]
    # exact beats case-insensitive
    assert parse_lenient("<X>Apple</X>", ["apple", "Apple"]).spans == [T(1, 2, "X")]


def test_lenient_escapes_switch():
    words = ["\\<Person>", "x"]
    assert parse_lenient("<Claim> \\\\\\<Person> </Claim> x", words).spans == [T(0, 1, "Claim")]
    assert parse_lenient("<Claim> \\<Person> </Claim> x", words, escapes=False).spans == []
