"""Corpus readers (CoNLL/IOB, quality TSV, SemEval XML, DocBin), the registered [corpora]
readers and `spacy xlt convert`, on small fixtures and on every real corpus file."""

import configparser
import random
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.util import registry
from thinc.api import Config
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.corpora import (
    QUALITY_KEY,
    SENTENCE_ID_KEY,
    conll_to_docs,
    count_spans,
    detect_format,
    read_conll,
    read_corpus,
    read_quality_tsv,
    read_semeval_xml,
    read_tagged,
    sniff_text,
)
from spacy_xlt.errors import XLTError
from spacy_xlt.pairs import doc_spans

REPO = Path(__file__).resolve().parent.parent


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode("utf8"))
    return path


def spans_of(doc, spans_key=None):
    return [(s.start, s.end, s.label) for s in doc_spans(doc, spans_key)]


# --- CoNLL -----------------------------------------------------------------------------------

TWO_DOCS = """-DOCSTART- O

Maria B-PER
flew O
to O
Lagos B-LOC
. O

Acme B-ORG
Corp I-ORG
grew O

-DOCSTART- O

Hello O
Tunde B-PER"""  # no final newline, no final blank line


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_read_conll_docstart_blank_lines_missing_final_blank_crlf(tmp_path, newline):
    path = write(tmp_path / "two.conll", TWO_DOCS, newline)
    sentences = read_conll(path)
    assert [s.words for s in sentences] == [
        ["Maria", "flew", "to", "Lagos", "."],
        ["Acme", "Corp", "grew"],
        ["Hello", "Tunde"],
    ]
    assert [s.line for s in sentences] == [3, 9, 15]
    assert [s.document for s in sentences] == [1, 1, 2]
    assert sentences[1].tags == ["B-ORG", "I-ORG", "O"]
    assert [tuple(s) for s in sentences[0].spans] == [(0, 1, "PER"), (3, 4, "LOC")]
    assert sentences[0].extra == [()] * 5
    assert sentences[0].qualities is None


def test_read_conll_bom_many_blank_lines_tabs_and_spaces(tmp_path):
    # a BOM, runs of blank (or whitespace-only) lines, tab lines whose words hold spaces
    text = "\ufeffNew York\tB-LOC\nis  O\n \n\n\t\nbig\tO\n\n\n"
    sentences = read_conll(write(tmp_path / "mixed.tsv", text))
    assert [s.words for s in sentences] == [["New York", "is"], ["big"]]
    assert [s.line for s in sentences] == [1, 6]


def test_read_conll_three_and_four_columns(tmp_path):
    four = "Ada NNP B-NP I-PER\nsang VBD B-VP O\n\nin IN B-PP O\nOslo NNP B-NP B-LOC\n"
    sentences = read_conll(write(tmp_path / "four.conll", four))
    assert [s.tags for s in sentences] == [["B-PER", "O"], ["O", "B-LOC"]]
    assert sentences[0].extra == [("NNP", "B-NP"), ("VBD", "B-VP")]
    # the tag in another column
    three = "Ada\tB-PER\tx\nsang\tO\ty\n"
    (sentence,) = read_conll(write(tmp_path / "three.tsv", three), tag_col=1)
    assert sentence.tags == ["B-PER", "O"] and sentence.extra == [("x",), ("y",)]


def test_issue11_raw_tags_are_kept_as_written(tmp_path):
    """Strict scoring of tag files reads the tags as written: ``raw_tags`` keeps them."""
    text = "Ada I-PER\nLovelace I-PER\nin O\nRome S-LOC\n\nBob B-PER\nGil I-LOC\n"
    first, second = read_conll(write(tmp_path / "raw.conll", text))
    assert first.raw_tags == ["I-PER", "I-PER", "O", "S-LOC"]
    assert first.tags == ["B-PER", "I-PER", "O", "B-LOC"]
    assert second.raw_tags == ["B-PER", "I-LOC"] and second.tags == ["B-PER", "B-LOC"]
    # token k of a sentence is on line `line + k`
    assert (first.line, second.line) == (1, 6)
    tsv = "Ada\tI-PER\tHighQuality\nvive\tO\t-\n"
    (quality,) = read_quality_tsv(write(tmp_path / "q.tsv", tsv))
    assert quality.raw_tags == ["I-PER", "O"] and quality.tags == ["B-PER", "O"]


def test_scheme_normalisation_iob1_bioes(tmp_path):
    iob1 = "Ada I-PER\nLovelace I-PER\nand O\nBob I-PER\nCarl B-PER\nin O\nRome I-LOC\n"
    (s,) = read_conll(write(tmp_path / "iob1.conll", iob1), scheme="iob1")
    assert s.tags == ["B-PER", "I-PER", "O", "B-PER", "B-PER", "O", "B-LOC"]
    bioes = "S-PER\nB-LOC\nI-LOC\nE-LOC\nO\nB-ORG\nE-ORG\nS-ORG\n"
    path = write(
        tmp_path / "bioes.conll", "".join(f"w{i} {t}\n" for i, t in enumerate(bioes.split()))
    )
    (s,) = read_conll(path, scheme="bioes")
    assert s.tags == ["B-PER", "B-LOC", "I-LOC", "I-LOC", "O", "B-ORG", "I-ORG", "B-ORG"]
    (doc,) = conll_to_docs(path, "xx", scheme="auto")
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [
        (0, 1, "PER"),
        (1, 4, "LOC"),
        (5, 7, "ORG"),
        (7, 8, "ORG"),
    ]


@pytest.mark.parametrize(
    "text,scheme,line,fragment",
    [
        ("Ada B-PER\nsang\n", "auto", 2, "one column only"),
        ("Ada B-PER\n\nsang O\nwell PERSON\n", "auto", 4, "PERSON"),
        ("Ada B-PER\nsang O x\n", "auto", 2, "3 columns, but line 1 has 2"),
        ("Ada\tB-PER\n\tO\n", "auto", 2, "column 1 is empty"),
        ("Ada O\nLovelace I-PER\n", "iob2", 2, "I-PER"),
        ("Ada B-PER\nLovelace L-PER\n", "bioes", 2, "L-PER"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, text, scheme, line, fragment):
    path = write(tmp_path / "bad.conll", text)
    with pytest.raises(XLTError, match="E020") as err:
        read_conll(path, scheme=scheme)
    assert f"{path}:{line}:" in str(err.value)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "text,fmt,why",
    [
        # CoNLL: WORD ... TAG rows, one column count, one scheme, blank lines end sentences
        ("Kano B-LOC\nni O\n\nAbuja B-LOC\n", "conll", "2 columns, IOB tags"),
        ("-DOCSTART- O\n\nKano NNP B-LOC\nni VB O\n", "conll", "3 columns"),
        ("Ada S-PER\nsang O\n\nNew B-LOC\nYork E-LOC\n", "conll", "BIOES tags"),
        ("sopa\tB-TARGET\tHighQuality\nfría\tO\t-\n", "quality", "WORD<TAB>TAG<TAB>QUALITY"),
        # most quality values right: the quality reader names the bad line
        ("a\tO\t-\nb\tB-T\tHighQuality\nc\tI-T\tGood\n", "quality", ""),
        # text: some line is no WORD ... TAG row
        ("Ana canta .\nBob corre\n", "text", "line 1 ('Ana canta .')"),
        ("Ich fahre mit der S-Bahn\nEr flog B-52\n", "text", "line 1"),
        ("Ana cantó .\n\nBob corrió .\n", "text", "line 1"),
        # ambiguous: lines that only happen to end in tag-like words
        ("Nimm die S-Bahn\nEr flog B-52\nDas ist O\n", None, "line 3 ('Das ist O') ends in 'O', but the BIOES span before it has no E- tag"),
        ("Nimm die S-Bahn\nDas ist O\nEr sagt O\n", None, "no blank line ends a sentence"),
        ("Nimm die S-Bahn\n\nDas ist O\n", None, "no sentence has more than one token line"),
        ("Nimm S-Bahn\nEr flog B-52\n\n", None, "line 2 has 3 words or columns and line 1 has 2"),
        ("Ada S-PER\nx L-PER\n\n", None, "line 2 ('x L-PER') ends in 'L-PER', which is no BIOES tag"),
        # a CoNLL file with a bad line is not silently read as text
        ("Kano B-LOC\nni O\n\nBob B_PER\nran O\nx O\n\n", None, "line 4 ('Bob B_PER') is not one"),
    ],
)
def test_sniff_text_decides_only_where_unambiguous(tmp_path, text, fmt, why):
    sniff = sniff_text(write(tmp_path / "x.txt", text))
    assert sniff.fmt == fmt, sniff
    assert why in sniff.why


def test_detect_format_of_txt_files_by_content(tmp_path):
    assert detect_format(write(tmp_path / "dev.txt", "Kano B-LOC\nni O\n\n")) == "conll"
    with pytest.raises(XLTError, match="XLTE350.*plain.txt does not look like a CoNLL/IOB file"):
        detect_format(write(tmp_path / "plain.txt", "Ana canta .\n"))
    with pytest.raises(XLTError, match="XLTE349.*sbahn.txt.*Pass --format"):
        detect_format(write(tmp_path / "sbahn.txt", "Nimm die S-Bahn\nEr flog B-52\nDas ist O\n"))
    # a .conll name is CoNLL whatever its content; the reader then names the bad line
    assert detect_format(write(tmp_path / "x.conll", "Ana canta .\n")) == "conll"
    # a bad quality value on line 3 is reported on line 3, not as a CoNLL tag on line 1
    bad = write(tmp_path / "q.tsv", "a\tO\t-\nb\tB-T\tHighQuality\nc\tI-T\tGood\n")
    with pytest.raises(XLTError, match=r"XLTE020\] .*q.tsv:3: .*quality 'Good'"):
        read_corpus(bad)


def test_errors_for_files_schemes_and_columns(tmp_path):
    with pytest.raises(XLTError, match="E021"):
        read_conll(tmp_path / "missing.conll")
    with pytest.raises(XLTError, match="E027"):
        read_conll(tmp_path)
    with pytest.raises(XLTError, match="E022"):
        read_conll(write(tmp_path / "empty.conll", "\n-DOCSTART- O\n\n"))
    latin1 = tmp_path / "latin1.conll"
    latin1.write_bytes("Ada B-PER\n\ncaf\xe9 O\n".encode("latin-1"))
    with pytest.raises(XLTError, match=r"E028\].*latin1.conll:3:4: .*byte 0xe9.*Re-encode"):
        read_conll(latin1)
    good = write(tmp_path / "good.conll", "Ada B-PER\n")
    with pytest.raises(XLTError, match="E002"):
        read_conll(good, scheme="bilou2")
    with pytest.raises(XLTError, match="E020.*no column 5"):
        read_conll(good, tag_col=5)


def test_conll_to_docs_spaces_and_spans_key(tmp_path):
    path = write(tmp_path / "two.conll", TWO_DOCS)
    docs = conll_to_docs(path, "en")
    assert len(docs) == 3 and docs[0].lang_ == "en"
    assert [bool(t.whitespace_) for t in docs[0]] == [True, True, True, True, False]
    assert docs[0].text == "Maria flew to Lagos ."
    assert spans_of(docs[1]) == [(0, 2, "ORG")]
    keyed = conll_to_docs(read_conll(path), spacy.blank("xx").vocab, spans_key="sc")
    assert not keyed[0].ents and spans_of(keyed[0], "sc") == [(0, 1, "PER"), (3, 4, "LOC")]


# --- quality TSV ------------------------------------------------------------------------------

QUALITY = (
    "La\tO\t-\nsopa\tB-TARGET\tHighQuality\nde\tI-TARGET\tHighQuality\nmiso\tI-TARGET\tHighQuality\n"
    "y\tO\t-\nel\tO\t-\nté\tB-TARGET\tLowQuality\n\nBien\tO\t-\n"
)


def test_read_quality_tsv(tmp_path):
    path = write(tmp_path / "proj.tsv", QUALITY)
    assert detect_format(path) == "quality"
    sentences = read_quality_tsv(path)
    assert sentences[0].qualities == [
        "-",
        "HighQuality",
        "HighQuality",
        "HighQuality",
        "-",
        "-",
        "LowQuality",
    ]
    assert sentences[0].span_qualities() == [(1, 4, "HighQuality"), (6, 7, "LowQuality")]
    assert read_tagged(path)[0].qualities == sentences[0].qualities
    docs = read_corpus(path, lang="es")
    assert spans_of(docs[0]) == [(1, 4, "TARGET"), (6, 7, "TARGET")]
    assert docs[0].user_data[QUALITY_KEY] == [[1, 4, "HighQuality"], [6, 7, "LowQuality"]]
    assert docs[1].user_data[QUALITY_KEY] == []
    # read as plain CoNLL, the last column is no tag: an error that points to the right reader
    with pytest.raises(XLTError, match="E020.*quality TSV"):
        read_conll(path)
    bad = write(tmp_path / "bad.tsv", "sopa\tB-TARGET\tGood\n")
    with pytest.raises(XLTError, match="E020.*'Good'"):
        read_quality_tsv(bad)


# --- SemEval XML ------------------------------------------------------------------------------

SEMEVAL = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Reviews>
    <Review rid="r1">
        <sentences>
            <sentence id="r1:0">
                <text>The garlic naan and the mango lassi were superb.</text>
                <Opinions>
                    <Opinion target="garlic naan" category="FOOD#QUALITY" polarity="positive" from="4" to="15"/>
                    <Opinion target="garlic naan" category="FOOD#PRICES" polarity="neutral" from="4" to="15"/>
                    <Opinion target="mango lassi" category="DRINKS#QUALITY" polarity="positive" from="24" to="35"/>
                    <Opinion target="lassi" category="DRINKS#QUALITY" polarity="positive" from="30" to="35"/>
                    <Opinion target="NULL" category="RESTAURANT#GENERAL" polarity="positive" from="0" to="0"/>
                </Opinions>
            </sentence>
            <sentence id="r1:1" OutOfScope="TRUE">
                <text>We came back on Tuesday.</text>
            </sentence>
        </sentences>
    </Review>
    <Review rid="r2">
        <sentences>
            <sentence id="r2:0">
                <text>Those dumplings, wow!</text>
                <Opinions>
                    <Opinion target="dumpling" category="FOOD#QUALITY" polarity="positive" from="6" to="14"/>
                    <Opinion target="NULL" category="SERVICE#GENERAL" polarity="negative" from="0" to="0"/>
                </Opinions>
            </sentence>
        </sentences>
    </Review>
</Reviews>
"""


def test_read_semeval_xml(tmp_path):
    path = write(tmp_path / "rest.xml", SEMEVAL)
    docs, stats = read_semeval_xml(path, "en")
    assert [d.text for d in docs] == [
        "The garlic naan and the mango lassi were superb.",
        "We came back on Tuesday.",
        "Those dumplings, wow!",
    ]
    assert [d.user_data[SENTENCE_ID_KEY] for d in docs] == ["r1:0", "r1:1", "r2:0"]
    assert [[s.text for s in d.ents] for d in docs] == [
        ["garlic naan", "mango lassi"],
        [],
        ["dumplings"],
    ]
    assert {e.label_ for d in docs for e in d.ents} == {"TARGET"}
    assert stats == {
        "sentences": 3,
        "out_of_scope": 1,
        "opinions": 7,
        "targets": 3,
        "null_targets": 2,
        "duplicates": 1,
        "overlapping": 1,
        "expanded": 1,
        "mismatched": 0,
    }
    # span group instead of ents, an nlp object's tokenizer, another label
    docs, _ = read_semeval_xml(path, spacy.blank("en"), spans_key="ote", label="ASPECT")
    assert not docs[0].ents and [s.label_ for s in docs[0].spans["ote"]] == ["ASPECT", "ASPECT"]
    assert [len(d) for d in read_corpus(path, lang="en")] == [len(d) for d in docs]


def test_read_semeval_2014_aspect_terms(tmp_path):
    xml = """<sentences>
    <sentence id="7">
        <text>Great sushi, slow waiters.</text>
        <aspectTerms>
            <aspectTerm term="sushi" polarity="positive" from="6" to="11"/>
            <aspectTerm term="waiters" polarity="negative" from="18" to="25"/>
        </aspectTerms>
    </sentence>
</sentences>"""
    (doc,), stats = read_semeval_xml(write(tmp_path / "2014.xml", xml), "en")
    assert [e.text for e in doc.ents] == ["sushi", "waiters"]
    assert stats["opinions"] == 2 and stats["targets"] == 2


def test_semeval_xml_errors(tmp_path):
    wrong = SEMEVAL.replace('target="mango lassi"', 'target="mango juice"')
    path = write(tmp_path / "wrong.xml", wrong)
    with pytest.raises(XLTError, match="E024.*r1:0.*mango juice"):
        read_semeval_xml(path)
    _, stats = read_semeval_xml(path, check_targets=False)
    assert stats["mismatched"] == 1
    with pytest.raises(XLTError, match="E029.*r1:0.*offsets"):
        read_semeval_xml(
            write(
                tmp_path / "range.xml", SEMEVAL.replace('from="24" to="35"', 'from="24" to="99"', 1)
            )
        )
    with pytest.raises(XLTError, match="E023"):
        read_semeval_xml(write(tmp_path / "broken.xml", SEMEVAL[:300]))
    with pytest.raises(XLTError, match="E029.*no <text>"):
        read_semeval_xml(write(tmp_path / "notext.xml", '<Reviews><sentence id="x"/></Reviews>'))


# --- any format -------------------------------------------------------------------------------


def test_read_corpus_dispatch_and_errors(tmp_path):
    conll = write(tmp_path / "a.iob", TWO_DOCS)
    assert detect_format(conll) == "conll"
    docs = read_corpus(conll, lang="en", spans_key="sc")
    assert spans_of(docs[0], "sc") == [(0, 1, "PER"), (3, 4, "LOC")]
    binary = tmp_path / "a.spacy"
    DocBin(docs=docs, store_user_data=True).to_disk(binary)
    again = read_corpus(binary)
    assert [d.text for d in again] == [d.text for d in docs]
    assert [spans_of(d, "sc") for d in again] == [spans_of(d, "sc") for d in docs]
    # an explicit format wins over the file name
    odd = write(tmp_path / "corpus.data", TWO_DOCS)
    with pytest.raises(XLTError, match="E080"):
        read_corpus(odd)
    assert len(read_corpus(odd, fmt="conll")) == 3
    with pytest.raises(XLTError, match="E025"):
        read_corpus(conll, fmt="json")
    with pytest.raises(XLTError, match="E021"):
        read_corpus(tmp_path / "nothing.conll")
    with pytest.raises(XLTError, match="E027"):
        read_corpus(tmp_path)
    assert count_spans(docs, "sc") == {"LOC": 1, "ORG": 1, "PER": 2}


# --- registered readers ---------------------------------------------------------------------

READER_CONFIG = """
[nlp]
lang = "en"

[corpora]

[corpora.train]
@readers = "spacy_xlt.ConllCorpus.v1"
path = {path}
limit = 2
shuffle = true

[corpora.dev]
@readers = "spacy_xlt.SemEvalCorpus.v1"
path = {xml}
spans_key = "ote"
"""


def test_registered_readers_resolve_and_yield_examples(tmp_path):
    conll = write(tmp_path / "train.conll", TWO_DOCS)
    xml = write(tmp_path / "dev.xml", SEMEVAL)
    config = Config().from_str(READER_CONFIG.format(path=f'"{conll}"', xml=f'"{xml}"'))
    corpora = registry.resolve(config["corpora"])
    nlp = spacy.blank("en")
    random.seed(0)
    train = list(corpora["train"](nlp))
    assert len(train) == 2 and all(isinstance(eg, Example) for eg in train)
    assert sorted(eg.reference.text for eg in train) == ["Acme Corp grew", "Maria flew to Lagos ."]
    for eg in train:
        assert [t.text for t in eg.predicted] == [t.text for t in eg.reference]
        assert not eg.predicted.ents and eg.reference.ents
        assert eg.predicted.vocab is nlp.vocab
    dev = list(corpora["dev"](nlp))
    assert [len(eg.reference.spans["ote"]) for eg in dev] == [2, 0, 1]
    assert [eg.predicted.text for eg in dev][0].startswith("The garlic naan")
    # a second epoch gives the same examples (the file is read once)
    assert sorted(eg.reference.text for eg in corpora["train"](nlp)) == sorted(
        eg.reference.text for eg in train
    )


def test_readers_listed_as_entry_points():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    readers = cfg["options.entry_points"]["spacy_readers"]
    assert "spacy_xlt.ConllCorpus.v1 = spacy_xlt.corpora:create_conll_corpus" in readers
    assert "spacy_xlt.SemEvalCorpus.v1 = spacy_xlt.corpora:create_semeval_corpus" in readers
    assert registry.readers.get("spacy_xlt.SemEvalCorpus.v1").__name__ == "create_semeval_corpus"


def test_reader_bad_scheme_and_missing_file(tmp_path):
    create = registry.readers.get("spacy_xlt.ConllCorpus.v1")
    with pytest.raises(XLTError, match="E030"):
        create(write(tmp_path / "a.conll", "Ada B-PER\n"), scheme="bilou")
    with pytest.raises(XLTError, match="E021"):
        create(tmp_path / "none.conll")
    with pytest.raises(XLTError, match="E021"):
        registry.readers.get("spacy_xlt.SemEvalCorpus.v1")(tmp_path / "none.xml")


# --- `spacy xlt convert` ------------------------------------------------------------------------


def flat(output: str) -> str:
    """CLI output with line wrapping undone."""
    return " ".join(output.split())


def invoke(*args):
    return CliRunner().invoke(xlt_cli, ["convert", *map(str, args)])


def test_convert_cli_fixtures(tmp_path):
    xml = write(tmp_path / "rest.xml", SEMEVAL)
    out = tmp_path / "rest.spacy"
    run = invoke(xml, out, "--lang", "en", "--spans-key", "ote")
    assert run.exit_code == 0, run.output
    text = flat(run.output)
    assert "(xml): 3 sentences, 3 spans" in text
    assert (
        "2 NULL targets skipped, 1 duplicate targets merged, 1 overlapping targets dropped" in text
    )
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    assert [len(d.spans["ote"]) for d in docs] == [2, 0, 1]
    assert docs[0].user_data[SENTENCE_ID_KEY] == "r1:0"

    iob1 = write(tmp_path / "iob1.conll", "Ada I-PER\nLovelace I-PER\nin O\nRome I-LOC\n")
    run = invoke(iob1, tmp_path / "iob1.spacy", "--scheme", "iob2")
    assert run.exit_code == 1 and "E020" in run.output
    run = invoke(iob1, tmp_path / "iob1.spacy", "--scheme", "iob1")
    assert run.exit_code == 0 and "1 sentences, 2 spans" in flat(run.output)

    bad = write(tmp_path / "bad.conll", "Ada B-PER\n\nsang\n")
    run = invoke(bad, tmp_path / "bad.spacy")
    assert run.exit_code == 1 and "E020" in run.output and f"{bad}:3" in flat(run.output)
    assert not (tmp_path / "bad.spacy").exists()
    assert "E025" in invoke(iob1, tmp_path / "x.spacy", "--format", "json").output
    assert "E002" in invoke(iob1, tmp_path / "x.spacy", "--scheme", "bilou2").output
    assert "E021" in invoke(tmp_path / "missing.conll", tmp_path / "x.spacy").output


def test_convert_cli_folder(tmp_path):
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    write(src / "a" / "one.conll", TWO_DOCS)
    write(src / "two.tsv", QUALITY)
    write(src / "README.md", "# not a corpus\n")
    run = invoke(src, tmp_path / "out")
    assert run.exit_code == 0, run.output
    text = flat(run.output)
    assert "skipped" in text and "README.md" in text
    assert "2 files: 5 sentences, 6 spans" in text
    assert sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.spacy")
    ) == [
        "a/one.spacy",
        "two.spacy",
    ]


# --- the real corpora ------------------------------------------------------------------------


def independent_counts(path: Path, tag_col: int = 1):
    """Sentences and spans of a CoNLL-style file, counted without the package's reader.

    A sentence is a run of non-blank lines that is not a -DOCSTART- line; a span starts at a
    B- tag or at an I- tag whose previous tag is not of the same type.
    """
    sentences = spans = 0
    labels = {}
    in_sentence = False
    prev = "O"
    for line in path.read_text(encoding="utf8").split("\n"):
        if not line.strip() or line.startswith("-DOCSTART-"):
            sentences += in_sentence
            in_sentence, prev = False, "O"
            continue
        in_sentence = True
        tag = (line.split("\t") if "\t" in line else line.split())[tag_col]
        if tag.startswith("B-") or (tag.startswith("I-") and prev[2:] != tag[2:]):
            spans += 1
            labels[tag[2:]] = labels.get(tag[2:], 0) + 1
        prev = tag
    sentences += in_sentence
    return sentences, spans, labels


REAL_SETS = {
    # folder under the data dir: (expected file count, expected format of each)
    "conll/en": (3, "conll"),
    "ote": (16, None),
    "europarl-ner": (3, "conll"),
}


@pytest.mark.parametrize("folder", sorted(REAL_SETS))
def test_convert_real_corpora_counts(data_dir, tmp_path, folder):
    """`spacy xlt convert` of every CoNLL-2003 en, OTE (original and manual projection) and
    Europarl NER file: its sentence and span counts equal the ones counted from the raw file."""
    src = data_dir / folder
    if not src.exists():
        pytest.skip(f"{src} not found")
    run = invoke(src, tmp_path)
    assert run.exit_code == 0, run.output
    text = flat(run.output)
    n_files, fmt = REAL_SETS[folder]
    outputs = sorted(tmp_path.rglob("*.spacy"))
    assert len(outputs) == n_files
    vocab = spacy.blank("xx").vocab
    total_sentences = total_spans = 0
    for out in outputs:
        raw = src / out.relative_to(tmp_path).with_suffix(".tsv")
        if not raw.exists():
            raw = raw.with_suffix(".conll02")
        n_sentences, n_spans, labels = independent_counts(raw)
        docs = list(DocBin().from_disk(out).get_docs(vocab))
        assert len(docs) == n_sentences, raw
        assert sum(len(d.ents) for d in docs) == n_spans, raw
        assert count_spans(docs) == dict(sorted(labels.items())), raw
        expected = fmt or ("quality" if "manual_projections" in str(raw) else "conll")
        assert f"{raw} ({expected}): {n_sentences} sentences, {n_spans} spans" in text
        total_sentences += n_sentences
        total_spans += n_spans
        if "manual_projections" in str(raw):
            assert all(
                q in ("HighQuality", "LowQuality")
                for d in docs
                for _, _, q in d.user_data[QUALITY_KEY]
            )
    assert f"{n_files} files: {total_sentences} sentences, {total_spans} spans" in text


def test_real_conll_sizes_match_the_data_readme(data_dir):
    sizes = {
        name: len(read_conll(data_dir / "conll" / "en" / f"en.conll.{name}.tsv"))
        for name in ("train", "dev", "test")
    }
    assert sizes == {"train": 14041, "dev": 3250, "test": 3453}


@pytest.mark.slow
def test_convert_masakhaner_counts(data_dir, tmp_path):
    src = data_dir / "masakhaner2"
    if not src.exists():
        pytest.skip(f"{src} not found")
    run = invoke(src, tmp_path)
    assert run.exit_code == 0, run.output
    outputs = sorted(tmp_path.rglob("*.spacy"))
    assert len(outputs) == 40
    vocab = spacy.blank("xx").vocab
    for out in outputs:
        n_sentences, n_spans, _ = independent_counts(
            src / out.relative_to(tmp_path).with_suffix(".txt")
        )
        docs = list(DocBin().from_disk(out).get_docs(vocab))
        assert (len(docs), sum(len(d.ents) for d in docs)) == (n_sentences, n_spans), out


def test_words_are_kept_exactly(tmp_path):
    # words with characters str.split() would break on, or str.splitlines() would split at
    words = ["caf\u00e9\u00a0bar", "k\u025bk\u025b\u200b", "a\x85b", "x\u2028y"]
    path = write(tmp_path / "odd.conll", "".join(f"{w} O\n" for w in words))
    (sentence,) = read_conll(path)
    assert sentence.words == words
    (doc,) = conll_to_docs([sentence])
    assert isinstance(doc, Doc) and [t.text for t in doc] == words


@pytest.mark.slow
def test_spacy_train_with_conll_corpus(data_dir, tmp_path):
    """`spacy train` of a small NER pipeline reads its corpora through spacy_xlt.ConllCorpus.v1."""
    from spacy.cli.init_config import init_config
    from spacy.cli.train import train

    train_path = data_dir / "conll" / "en" / "en.conll.train.tsv"
    if not train_path.exists():
        pytest.skip(f"{train_path} not found")
    config = init_config(lang="en", pipeline=["ner"], optimize="efficiency")
    for name, limit in (("train", 200), ("dev", 50)):
        config["corpora"][name] = {
            "@readers": "spacy_xlt.ConllCorpus.v1",
            "path": "${paths." + name + "}",
            "limit": limit,
        }
    config["training"]["max_steps"] = 20
    config["training"]["eval_frequency"] = 10
    config_path = tmp_path / "config.cfg"
    config.to_disk(config_path)
    train(
        config_path,
        tmp_path / "out",
        overrides={"paths.train": str(train_path), "paths.dev": str(train_path)},
    )
    nlp = spacy.load(tmp_path / "out" / "model-last")
    assert set(nlp.get_pipe("ner").labels) == {"LOC", "MISC", "ORG", "PER"}
