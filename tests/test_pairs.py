"""Parallel pairs: `spacy xlt pair` and the pairs it writes, on fixtures and on real gold pairs."""

from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.cli.pair import pair_files, target_format
from spacy_xlt.corpora import read_conll, read_corpus
from spacy_xlt.errors import XLTError
from spacy_xlt.pairs import (
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
