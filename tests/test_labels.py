import pytest
from hypothesis import given
from hypothesis import strategies as st

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import LabelMap, TokenSpan, spans_to_tags, tags_to_spans, to_iob2


@pytest.mark.parametrize(
    "tags,scheme,expected",
    [
        (["I-PER", "I-PER", "O", "I-LOC"], "iob1", ["B-PER", "I-PER", "O", "B-LOC"]),
        (["I-PER", "B-PER", "I-PER"], "iob1", ["B-PER", "B-PER", "I-PER"]),
        (["B-PER", "E-PER", "S-LOC", "O"], "bioes", ["B-PER", "I-PER", "B-LOC", "O"]),
        (["S-LOC", "S-LOC"], "bioes", ["B-LOC", "B-LOC"]),
        (["U-LOC", "B-ORG", "L-ORG"], "auto", ["B-LOC", "B-ORG", "I-ORG"]),
        (["B-LOC", "I-LOC", "I-PER"], "auto", ["B-LOC", "I-LOC", "B-PER"]),
        (["O", "B-TARGET"], "iob2", ["O", "B-TARGET"]),
    ],
)
def test_to_iob2(tags, scheme, expected):
    assert to_iob2(tags, scheme) == expected


@pytest.mark.parametrize(
    "tags,scheme",
    [(["X-PER"], "auto"), (["B"], "auto"), (["O", "I-PER"], "iob2"), (["S-PER"], "iob2"), (["U-PER"], "bioes")],
)
def test_to_iob2_rejects(tags, scheme):
    with pytest.raises(XLTError, match="XLTE001"):
        to_iob2(tags, scheme, record="line 3")


@pytest.mark.parametrize(
    "tags,scheme,expected",
    [
        (["PERSON"], "auto", "expected O, or a prefix B-, I-, E-, S-, L- or U- and a label"),
        (["b-PER"], "auto", "prefixes and O are upper case"),
        (["O", "I-PER"], "iob2", "I-PER continues a span, so it must follow B-PER or I-PER, not 'O'"),
        (["I-PER"], "iob2", "not the start of the sentence"),
        (["B-LOC", "I-PER"], "iob2", "not 'B-LOC'"),
        (["S-PER"], "iob2", "the iob2 scheme expects O, B-LABEL or I-LABEL (strict IOB2: a span starts with B-); E-/S- tags are BIOES"),
        (["U-PER"], "iob1", "the iob1 scheme expects O, B-LABEL or I-LABEL (IOB1: an I- tag may start a span); L-/U- tags are BILOU"),
        (["L-PER"], "bioes", "the bioes scheme expects O, B-LABEL, I-LABEL, E-LABEL or S-LABEL; L-/U- tags are BILOU"),
        (["X-PER"], "bioes", "the bioes scheme expects O, B-LABEL, I-LABEL, E-LABEL or S-LABEL."),
    ],
)
def test_rejections_say_what_the_scheme_expects(tags, scheme, expected):
    """The message lists the tags of the scheme in use, not those of every scheme."""
    with pytest.raises(XLTError) as err:
        to_iob2(tags, scheme, record="line 3")
    message = str(err.value)
    assert message.startswith("[XLTE001] Invalid tag") and expected in message
    if scheme != "auto":
        assert "L- or U-" not in message


def test_unknown_scheme():
    with pytest.raises(XLTError, match="XLTE002"):
        to_iob2(["O"], "bilou2")


def test_spans_overlap_error():
    with pytest.raises(XLTError, match="XLTE005"):
        spans_to_tags([TokenSpan(0, 2, "A"), TokenSpan(1, 3, "B")], 4)
    with pytest.raises(XLTError, match="XLTE006"):
        spans_to_tags([TokenSpan(2, 5, "A")], 4)


@st.composite
def spans_and_length(draw):
    n = draw(st.integers(0, 30))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=12, unique=True)))
    spans = []
    labels = st.sampled_from(["PER", "LOC", "ORG", "MISC", "TARGET", "B-X", "Claim"])
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a < b and draw(st.booleans()):
            spans.append(TokenSpan(a, b, draw(labels)))
    return spans, n


@given(spans_and_length())
def test_tags_spans_round_trip(sl):
    spans, n = sl
    tags = spans_to_tags(spans, n)
    assert tags_to_spans(tags) == sorted(spans)
    assert to_iob2(tags, "iob2") == tags


def test_label_map():
    lm = LabelMap()
    assert lm.name("LOC") == "Location" and lm.label("Location") == "LOC"
    assert lm.name("Claim") == "Claim" and lm.label("Claim") == "Claim"
    lm2 = LabelMap.from_strings(["DATE=Date", "LOC=Place"])
    assert lm2.name("LOC") == "Place" and lm2.label("Place") == "LOC" and lm2.name("DATE") == "Date"
    with pytest.raises(XLTError, match="XLTE003"):
        LabelMap.from_strings(["LOC"])
    with pytest.raises(XLTError, match="XLTE004"):
        LabelMap({"A": "Person"})
