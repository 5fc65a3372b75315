"""Parallel pairs: `spacy xlt pair` and the pairs it writes, on fixtures and on real gold pairs."""

from pathlib import Path

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.cli.pair import pair_files, target_format
from spacy_xlt.corpora import read_conll, read_corpus
from spacy_xlt.errors import XLTError
from spacy_xlt.pairs import (
    SOURCE_KEY,
    build_pairs,
    doc_spans,
    get_source,
    read_docs,
    source_lang,
    source_spans,
    source_words,
    write_pairs,
)

SOURCE = """Maria B-PER
flew O
to O
New B-LOC
York I-LOC

The O
Acme B-ORG
board I-ORG
met O

It O
rained O
"""
TARGET_TEXT = "María voló a Nueva York\nLa junta de Acme se reunió\nLlovió\n"
TARGET_GOLD = """María\tB-PER
voló\tO
a\tO
Nueva\tB-LOC
York\tI-LOC

La\tO
junta\tB-ORG
de\tI-ORG
Acme\tI-ORG
se\tO
reunió\tO

Llovió\tO
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf8")
    return path


def flat(output: str) -> str:
    return " ".join(output.split())


def invoke(*args):
    return CliRunner().invoke(xlt_cli, ["pair", *map(str, args)])


def spans(items):
    return [tuple(s) for s in items]


def test_pair_cli_text_target_round_trip(tmp_path):
    src = write(tmp_path / "en.conll", SOURCE)
    tgt = write(tmp_path / "es.txt", TARGET_TEXT)
    out = tmp_path / "pairs.spacy"
    run = invoke(src, tgt, out, "--target-lang", "es")
    assert run.exit_code == 0, run.output
    assert "Wrote 3 pairs" in flat(run.output)
    assert "3 source spans; target (text): 0 gold spans" in flat(run.output)
    pairs = list(read_docs(out))
    gold = read_conll(src)
    assert [[t.text for t in d] for d in pairs] == [
        ["María", "voló", "a", "Nueva", "York"],
        ["La", "junta", "de", "Acme", "se", "reunió"],
        ["Llovió"],
    ]
    for i, (pair, sentence) in enumerate(zip(pairs, gold)):
        assert source_words(pair, i) == sentence.words
        assert source_spans(pair, i) == sentence.spans
        assert not pair.ents
        assert source_lang(pair) == "en"
        source = get_source(pair)
        assert source.text == " ".join(sentence.words)
        assert doc_spans(source) == sentence.spans


def test_pair_cli_gold_target_and_spans_key(tmp_path):
    src = write(tmp_path / "en.conll", SOURCE)
    tgt = write(tmp_path / "es.tsv", TARGET_GOLD)
    out = tmp_path / "pairs.spacy"
    run = invoke(src, tgt, out, "-t", "es", "--source-lang", "en", "--spans-key", "sc")
    assert run.exit_code == 0, run.output
    assert "3 source spans; target (conll): 3 gold spans" in flat(run.output)
    pairs = list(read_docs(out, spacy.blank("es").vocab))
    # the target keeps its gold spans (to score a projection later), the source keeps its own
    assert [spans(doc_spans(p, "sc")) for p in pairs] == [
        [(0, 1, "PER"), (3, 5, "LOC")],
        [(1, 4, "ORG")],
        [],
    ]
    assert [spans(source_spans(p)) for p in pairs] == [
        [(0, 1, "PER"), (3, 5, "LOC")],
        [(1, 3, "ORG")],
        [],
    ]
    source = get_source(pairs[1])
    assert [s.text for s in source.spans["sc"]] == ["Acme board"]
    # a .spacy source (from `convert`) pairs the same
    binary = tmp_path / "en.spacy"
    run = CliRunner().invoke(xlt_cli, ["convert", str(src), str(binary), "--spans-key", "sc"])
    assert run.exit_code == 0, run.output
    run = invoke(binary, tgt, tmp_path / "again.spacy", "-t", "es", "-k", "sc")
    assert run.exit_code == 0, run.output
    again = list(read_docs(tmp_path / "again.spacy"))
    assert [source_spans(p) for p in again] == [source_spans(p) for p in pairs]


def test_pair_count_mismatch_and_empty_lines(tmp_path):
    src = write(tmp_path / "en.conll", SOURCE)
    short = write(tmp_path / "short.txt", "María voló\nLlovió\n")
    run = invoke(src, short, tmp_path / "p.spacy", "-t", "es")
    assert run.exit_code == 1 and "E040" in run.output
    assert "3 source docs" in flat(run.output) and "2 target records" in flat(run.output)
    assert not (tmp_path / "p.spacy").exists()

    gappy = write(tmp_path / "gappy.txt", "María voló a Nueva York\n   \nLlovió\n")
    run = invoke(src, gappy, tmp_path / "p.spacy", "-t", "es")
    assert run.exit_code == 1 and "E041" in run.output and f"{gappy}:2" in flat(run.output)
    run = invoke(src, gappy, tmp_path / "p.spacy", "-t", "es", "--skip-empty")
    assert run.exit_code == 0, run.output
    assert "Skipped 1 pairs with an empty target sentence" in flat(run.output)
    assert "Wrote 2 pairs" in flat(run.output)
    pairs = list(read_docs(tmp_path / "p.spacy"))
    assert [p.text for p in pairs] == ["María voló a Nueva York", "Llovió"]
    assert [source_words(p)[0] for p in pairs] == ["Maria", "It"]


def test_pair_formats_and_errors(tmp_path):
    # MasakhaNER-style .txt files are CoNLL; plain .txt and unknown endings are text
    assert target_format(write(tmp_path / "dev.txt", "Kano B-LOC\nni O\n\n")) == "conll"
    assert target_format(write(tmp_path / "plain.txt", TARGET_TEXT)) == "text"
    assert target_format(write(tmp_path / "train.es", TARGET_TEXT)) == "text"
    assert target_format(write(tmp_path / "proj.tsv", "sopa\tB-TARGET\tHighQuality\n")) == "quality"
    # lines that only happen to end in tag-like words: ask, do not guess
    sbahn = write(tmp_path / "sbahn.de", "Nimm die S-Bahn\nEr flog B-52\nDas ist O\n")
    with pytest.raises(XLTError, match="XLTE349.*sbahn.de.*--target-format"):
        target_format(sbahn)
    src = write(tmp_path / "en.conll", SOURCE)
    with pytest.raises(XLTError, match="E025"):
        pair_files(src, tmp_path / "plain.txt", tmp_path / "o.spacy", "es", target_fmt="json")
    with pytest.raises(XLTError, match="E025"):
        pair_files(src, tmp_path / "plain.txt", tmp_path / "o.spacy", "es", source_fmt="text")
    with pytest.raises(XLTError, match="E021"):
        pair_files(src, tmp_path / "none.txt", tmp_path / "o.spacy", "es")
    # a language without a spaCy class is tokenized by "xx" and recorded as given
    result = pair_files(src, tmp_path / "plain.txt", tmp_path / "o.spacy", "sw", source_lang="en")
    assert result["n_pairs"] == 3 and result["source_spans"] == {"LOC": 1, "ORG": 1, "PER": 1}


def test_build_pairs_and_write_pairs_round_trip(tmp_path):
    nlp = spacy.blank("es")
    sources = read_corpus(write(tmp_path / "en.conll", SOURCE), lang="en")
    pairs, skipped = build_pairs(sources, TARGET_TEXT.splitlines(), nlp.tokenizer, source_lang="en")
    assert skipped == 0
    assert write_pairs(pairs, tmp_path / "p.spacy") == 3
    back = list(read_docs(tmp_path / "p.spacy"))
    for a, b in zip(pairs, back):
        assert [t.text for t in a] == [t.text for t in b]
        assert source_words(a) == source_words(b) and source_spans(a) == source_spans(b)


def test_pair_real_gold_pairs(data_dir, tmp_path):
    """The OTE en->es test pairs: English gold source, hand-projected Spanish gold target."""
    src = data_dir / "ote" / "original" / "en" / "en.absa.test.tsv"
    tgt = data_dir / "ote" / "manual_projections" / "en2es" / "DeepL.Iker.test.tsv"
    if not (src.exists() and tgt.exists()):
        pytest.skip("OTE test files not found")
    out = tmp_path / "ote.spacy"
    run = invoke(src, tgt, out, "-t", "es")
    assert run.exit_code == 0, run.output
    text = flat(run.output)
    assert (
        "Wrote 676 pairs" in text and "612 source spans; target (quality): 605 gold spans" in text
    )
    pairs = list(read_docs(out))
    assert len(pairs) == 676
    assert sum(len(source_spans(p)) for p in pairs) == 612
    assert sum(len(p.ents) for p in pairs) == 605
    assert source_words(pairs[0]) == read_conll(src)[0].words


# pair files: spaCy's DocBin layout, user data packed and decoded once per file (issue 15)


def tuples(value):
    """``value`` as a DocBin reads user data back: lists as tuples (``use_list=False``)."""
    if isinstance(value, dict):
        return {k: tuples(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(tuples(v) for v in value)
    return value


def doc_state(doc):
    """Everything a pair file keeps of a Doc, comparable across readers."""
    return {
        "words": [t.text for t in doc],
        "spaces": [t.whitespace_ for t in doc],
        "ents": [(e.start, e.end, e.label_) for e in doc.ents],
        "spans": {k: [(s.start, s.end, s.label_) for s in g] for k, g in doc.spans.items()},
        "cats": dict(doc.cats),
    }


def make_rich_pairs():
    """Pairs with entities, overlapping span groups, a spans_key source, projection records
    and other user data (a sentence id, an extension attribute, nested values, numpy)."""
    import numpy
    from spacy.tokens import Doc, Span

    from spacy_xlt.corpora import SENTENCE_ID_KEY
    from spacy_xlt.pairs import PROJECTION_KEY, make_pair

    en, es = spacy.blank("en"), spacy.blank("es")
    if not Doc.has_extension("xlt_test_note"):
        Doc.set_extension("xlt_test_note", default=None)
    a_src = Doc(en.vocab, words=["Maria", "flew", "to", "New", "York", "."], spaces=[1, 1, 1, 1, 0, 0])
    a_src.ents = [Span(a_src, 0, 1, "PER"), Span(a_src, 3, 5, "LOC")]
    a = Doc(es.vocab, words=["María", "voló", "a", "Nueva", "York", "."], spaces=[1, 1, 1, 1, 0, 1])
    a.ents = [Span(a, 0, 1, "PER"), Span(a, 3, 5, "LOC")]
    a.spans["sc"] = [Span(a, 0, 2, "X"), Span(a, 1, 5, "Y")]  # overlapping: a span group may
    a.cats = {"travel": 1.0}
    make_pair(a_src, a, source_lang="en")
    a.user_data[PROJECTION_KEY] = {"method": "alignment", "unaligned": [], "conflicts": [[0, 1, "PER"]]}
    a.user_data[SENTENCE_ID_KEY] = "r1:0"
    a._.xlt_test_note = ["kept", 1, {"x": None}]
    a.user_data["scores"] = numpy.arange(3, dtype="float32")
    b_src = Doc(en.vocab, words=["the", "soup"], spaces=[1, 0])
    b_src.spans["ote"] = [Span(b_src, 1, 2, "TARGET")]
    b = Doc(es.vocab, words=["la", "sopa"], spaces=[1, 0])
    make_pair(b_src, b, spans_key="ote")
    b.user_data["nested"] = {"a": [1, [2, 3.5]], "b": b"\x00bytes", "c": True}
    c = Doc(es.vocab, words=["sin", "fuente"])  # a plain Doc among pairs: no user data
    return [a, b, c]


def same_user_data(read, written):
    """The read user data is the written one (lists as tuples, numpy arrays compared)."""
    import numpy

    assert set(read) == set(written)
    for key, value in written.items():
        if isinstance(value, numpy.ndarray):
            assert isinstance(read[key], numpy.ndarray) and read[key].dtype == value.dtype
            assert numpy.array_equal(read[key], value)
        else:
            assert read[key] == tuples(value), key


def test_pair_file_exact_round_trip(tmp_path):
    from spacy.tokens import DocBin

    from spacy_xlt.pairs import PROJECTION_KEY, write_docs

    docs = make_rich_pairs()
    path = tmp_path / "pairs.spacy"
    assert write_docs(docs, path) == 3
    back = list(read_docs(path, spacy.blank("es").vocab))
    assert [doc_state(d) for d in back] == [doc_state(d) for d in docs]
    for read, written in zip(back, docs):
        same_user_data(read.user_data, written.user_data)
    # the source side, as a Doc, is the original source
    assert doc_state(back[0]._.xlt_source)["ents"] == [(0, 1, "PER"), (3, 5, "LOC")]
    assert doc_state(back[0]._.xlt_source)["spaces"] == [" ", " ", " ", " ", "", ""]
    assert doc_state(back[1]._.xlt_source)["spans"] == {"ote": [(1, 2, "TARGET")]}
    assert back[2]._.xlt_source is None and not back[2].user_data
    assert source_lang(back[0]) == "en" and back[0]._.xlt_test_note == ("kept", 1, {"x": None})
    assert back[0].user_data[PROJECTION_KEY]["conflicts"] == ((0, 1, "PER"),)
    # the bytes are those spaCy writes itself; spaCy's reader gives the same Docs
    assert path.read_bytes() == DocBin(docs=docs, store_user_data=True).to_bytes()
    theirs = list(DocBin().from_disk(path).get_docs(spacy.blank("es").vocab))
    assert [doc_state(d) for d in theirs] == [doc_state(d) for d in back]
    for a, b in zip(theirs, back):
        same_user_data(a.user_data, b.user_data)


def test_plain_docs_write_a_plain_docbin(tmp_path):
    from spacy.tokens import Doc, DocBin

    from spacy_xlt.pairs import write_docs

    vocab = spacy.blank("en").vocab
    docs = [Doc(vocab, words=["a", "b"]), Doc(vocab, words=["c"])]
    write_docs(docs, tmp_path / "plain.spacy")
    assert (tmp_path / "plain.spacy").read_bytes() == DocBin(docs=docs).to_bytes()
    assert [d.text for d in read_docs(tmp_path / "plain.spacy")] == ["a b ", "c "]


def test_old_pair_files_still_read(tmp_path):
    """Files written the old way (spaCy packing each Doc's user data), DocBins some of whose
    Docs have no user data, and DocBins without user data at all."""
    from spacy.tokens import DocBin

    docs = make_rich_pairs()
    old = tmp_path / "old.spacy"
    DocBin(docs=docs, store_user_data=True).to_disk(old)  # as write_docs wrote pairs before
    back = list(read_docs(old))
    assert [doc_state(d) for d in back] == [doc_state(d) for d in docs]
    for read, written in zip(back, docs):
        same_user_data(read.user_data, written.user_data)
    assert source_spans(back[0]) == source_spans(docs[0])
    # user data for only some Docs (None entries), or a shorter list
    db = DocBin(docs=docs, store_user_data=True)
    db.user_data[1] = None
    db.to_disk(tmp_path / "gaps.spacy")
    gaps = list(read_docs(tmp_path / "gaps.spacy"))
    assert not gaps[1].user_data and gaps[0].user_data[SOURCE_KEY] == tuples(docs[0].user_data[SOURCE_KEY])
    DocBin(docs=docs, store_user_data=False).to_disk(tmp_path / "none.spacy")
    assert [d.user_data for d in read_docs(tmp_path / "none.spacy")] == [{}, {}, {}]


def test_spacy_reads_a_pair_file(tmp_path):
    """spaCy's own DocBin and Corpus read a pairs file: target Docs with their user data, so
    the source side too (``spacy train`` trains on the targets)."""
    from spacy.tokens import DocBin
    from spacy.training import Corpus

    from spacy_xlt.pairs import write_pairs

    docs = make_rich_pairs()
    path = tmp_path / "pairs.spacy"
    write_pairs(docs, path)
    theirs = list(DocBin().from_disk(path).get_docs(spacy.blank("es").vocab))
    assert [d.text for d in theirs] == [d.text for d in docs]
    assert doc_state(theirs[0]._.xlt_source) == doc_state(docs[0]._.xlt_source)
    nlp = spacy.blank("es")
    examples = list(Corpus(path)(nlp))
    assert [eg.reference.text for eg in examples] == [d.text for d in docs]
    assert [(e.start, e.end, e.label_) for e in examples[0].reference.ents] == [(0, 1, "PER"), (3, 5, "LOC")]
    assert source_words(examples[0].reference) == source_words(docs[0])


@pytest.mark.parametrize(
    "blob,why",
    [
        (b"\x81\xa1a\x01\x01", "1 bytes after its data"),
        (b"\x92\x01\x02", "a tuple, not a dict"),
        (b"\x82\xa1a", "OutOfData"),
        (b"", "OutOfData"),
    ],
)
def test_damaged_user_data_is_a_coded_error(tmp_path, blob, why):
    from spacy.tokens import DocBin

    db = DocBin(docs=make_rich_pairs(), store_user_data=True)
    db.user_data[1] = blob
    db.to_disk(tmp_path / "bad.spacy")
    with pytest.raises(XLTError, match=f"XLTE430.*bad.spacy.*doc 1 .*{why}"):
        list(read_docs(tmp_path / "bad.spacy"))


def test_pair_corpus_reader_keeps_the_source(tmp_path):
    from spacy_xlt.pairs import create_pair_corpus, write_pairs

    docs = make_rich_pairs()
    write_pairs(docs, tmp_path / "pairs.spacy")
    reader = create_pair_corpus(tmp_path / "pairs.spacy")
    nlp = spacy.blank("es")
    for _ in range(2):  # spacy train reads a dev corpus again at every evaluation
        examples = list(reader(nlp))
        assert [source_words(eg.predicted) for eg in examples[:2]] == [source_words(d) for d in docs[:2]]
        assert SOURCE_KEY not in examples[2].predicted.user_data


words_st = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=6),
    min_size=1,
    max_size=8,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def pair_docs(draw):
    from spacy.tokens import Doc

    from spacy_xlt.labels import TokenSpan
    from spacy_xlt.pairs import PROJECTION_KEY, make_pair, set_doc_spans

    def spans(n):
        cuts = sorted(draw(st.sets(st.integers(0, n), max_size=4)))
        pairs_ = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
        return [TokenSpan(s, e, draw(st.sampled_from(["PER", "LOC", "ORG"]))) for s, e in pairs_]

    en, es = spacy.blank("en").vocab, spacy.blank("es").vocab
    docs = []
    for _ in range(draw(st.integers(1, 4))):
        sw, tw = draw(words_st), draw(words_st)
        source = Doc(en, words=sw, spaces=draw(st.lists(st.booleans(), min_size=len(sw), max_size=len(sw))))
        target = Doc(es, words=tw, spaces=draw(st.lists(st.booleans(), min_size=len(tw), max_size=len(tw))))
        key = draw(st.sampled_from([None, "sc"]))
        set_doc_spans(source, spans(len(sw)), key)
        set_doc_spans(target, spans(len(tw)))
        if draw(st.booleans()):
            make_pair(source, target, spans_key=key)
            target.user_data[PROJECTION_KEY] = {"method": "m", "unaligned": [list(s) for s in spans(len(sw))]}
        target.user_data.update(draw(st.dictionaries(st.text(max_size=6), values, max_size=3)))
        docs.append(target)
    return docs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair_docs())
def test_pair_file_round_trip_property(tmp_path, docs):
    from spacy.tokens import DocBin

    from spacy_xlt.pairs import write_docs

    path = tmp_path / "p.spacy"
    write_docs(docs, path)
    back = list(read_docs(path, spacy.blank("es").vocab))
    assert [doc_state(d) for d in back] == [doc_state(d) for d in docs]
    assert [d.user_data for d in back] == [tuples(d.user_data) for d in docs]
    for read, written in zip(back, docs):
        if SOURCE_KEY in written.user_data:
            assert doc_state(read._.xlt_source) == doc_state(written._.xlt_source)
            assert source_spans(read) == source_spans(written)
    theirs = DocBin().from_disk(path).get_docs(spacy.blank("es").vocab)
    assert [d.user_data for d in theirs] == [d.user_data for d in back]
