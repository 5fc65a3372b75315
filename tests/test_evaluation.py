"""Evaluation: seqeval scores in both modes, through tags, Docs, projections and the CLI."""

import json
import random
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2
from spacy.cli._util import app
from spacy.tokens import Doc
from spacy.vocab import Vocab
from typer.testing import CliRunner

import spacy_xlt.cli  # noqa: F401  (adds `xlt` to spaCy's app)
from spacy_xlt.errors import XLTError
from spacy_xlt.evaluation import (
    MODES,
    docs_to_tags,
    evaluate_docs,
    evaluate_files,
    evaluate_projection,
    evaluate_tags,
    projection_coverage,
)
from spacy_xlt.labels import tags_to_spans, to_iob2
from spacy_xlt.pairs import make_pair, set_doc_spans

SEQEVAL_KWARGS = {"strict": {"mode": "strict", "scheme": IOB2}, "default": {}}


def perturb(tags_list, seed=0, labels=("LOC", "PER", "ORG")):
    """Drop spans, shift boundaries, relabel, and start spans with an ill-formed I- tag."""
    rng = random.Random(seed)
    out = []
    for tags in tags_list:
        new = list(tags)
        for start, end, label in tags_to_spans(tags):
            r = rng.random()
            if r < 0.15:  # drop
                new[start:end] = ["O"] * (end - start)
            elif r < 0.3 and end < len(new) and new[end] == "O":  # extend right
                new[end] = "I-" + label
            elif r < 0.4 and end - start > 1:  # cut the last token
                new[end - 1] = "O"
            elif r < 0.5 and end - start > 1:  # start one token later
                new[start] = "O"
                new[start + 1] = "B-" + label
            elif r < 0.65 and (start == 0 or new[start - 1] == "O"):  # ill-formed start
                new[start] = "I-" + label
            elif r < 0.75:  # relabel
                other = rng.choice([x for x in labels if x != label] or [label])
                new[start:end] = ["B-" + other] + ["I-" + other] * (end - start - 1)
        out.append(new)
    return out


def random_tags(n_sentences=200, seed=1, labels=("LOC", "PER", "ORG")):
    rng = random.Random(seed)
    corpus = []
    for _ in range(n_sentences):
        tags = []
        length = rng.randint(0, 25)
        while len(tags) < length:
            if rng.random() < 0.25:
                label = rng.choice(labels)
                span = rng.randint(1, 4)
                tags += ["B-" + label] + ["I-" + label] * (span - 1)
            else:
                tags.append("O")
        corpus.append(to_iob2(tags[:length], "iob2"))  # cutting a span keeps it well-formed
    return corpus


def seqeval_direct(gold, pred, mode):
    kw = SEQEVAL_KWARGS[mode]
    report = classification_report(gold, pred, output_dict=True, zero_division=0, **kw)
    micro = {
        "p": precision_score(gold, pred, zero_division=0, **kw),
        "r": recall_score(gold, pred, zero_division=0, **kw),
        "f": f1_score(gold, pred, zero_division=0, **kw),
    }
    return micro, report


def assert_matches_seqeval(result, gold, pred, mode):
    micro, report = seqeval_direct(gold, pred, mode)
    assert result["mode"] == mode
    for key in ("p", "r", "f"):
        assert result["micro"][key] == pytest.approx(micro[key])
        assert result["macro"][key] == pytest.approx(
            report["macro avg"][{"p": "precision", "r": "recall", "f": "f1-score"}[key]]
        )
    assert result["micro"]["support"] == report["micro avg"]["support"]
    labels = {k for k in report if not k.endswith(" avg")}
    assert set(result["per_label"]) == labels
    for label in labels:
        assert result["per_label"][label]["f"] == pytest.approx(report[label]["f1-score"])
        assert result["per_label"][label]["p"] == pytest.approx(report[label]["precision"])
        assert result["per_label"][label]["r"] == pytest.approx(report[label]["recall"])
        assert result["per_label"][label]["support"] == report[label]["support"]


# --- tags ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["strict", "default"])
def test_evaluate_tags_equals_seqeval_on_perturbed_prediction(mode):
    gold = random_tags()
    pred = perturb(gold)
    assert any(
        t.startswith("I-") and (i == 0 or p[i - 1] == "O") for p in pred for i, t in enumerate(p)
    )
    result = evaluate_tags(gold, pred, mode)
    assert_matches_seqeval(result, gold, pred, mode)
    assert result["n_sentences"] == len(gold)
    assert 0 < result["micro"]["f"] < 1


def test_modes_differ_on_ill_formed_starts():
    gold = random_tags()
    pred = perturb(gold)
    strict = evaluate_tags(gold, pred, "strict")
    default = evaluate_tags(gold, pred, "default")
    # strict opens no span at an I- after O; conlleval does, and those spans are right
    assert strict["micro"]["r"] < default["micro"]["r"]
    assert strict["micro"]["support"] == default["micro"]["support"]


def test_per_label_numbers():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O", "B-ORG", "I-ORG"]]
    pred = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O", "B-ORG", "O"]]
    result = evaluate_tags(gold, pred, "strict")
    assert result["per_label"]["PER"] == {"p": 1.0, "r": 1.0, "f": 1.0, "support": 1}
    assert result["per_label"]["LOC"] == {"p": 1.0, "r": 1.0, "f": 1.0, "support": 2}
    assert result["per_label"]["ORG"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 1}
    assert result["micro"] == {"p": 0.75, "r": 0.75, "f": 0.75, "support": 4}
    assert result["macro"]["f"] == pytest.approx(2 / 3)
    assert list(result["per_label"]) == ["LOC", "ORG", "PER"]


def test_strict_vs_default_on_one_sentence():
    gold = [["B-X", "I-X", "O", "B-Y"]]
    pred = [["I-X", "I-X", "O", "B-Y"]]
    assert evaluate_tags(gold, pred, "default")["micro"]["f"] == 1.0
    strict = evaluate_tags(gold, pred, "strict")
    assert strict["micro"]["r"] == 0.5 and strict["micro"]["p"] == 1.0
    assert strict["per_label"]["X"]["f"] == 0.0


@pytest.mark.parametrize("mode", ["strict", "default"])
@pytest.mark.parametrize("gold,pred", [([], []), ([[]], [[]]), ([["O", "O"]], [["O", "O"]])])
def test_no_entities_scores_zero(mode, gold, pred, recwarn):
    result = evaluate_tags(gold, pred, mode)
    zero = {"p": 0.0, "r": 0.0, "f": 0.0, "support": 0}
    assert result["micro"] == zero and result["macro"] == zero
    assert result["per_label"] == {}
    assert result["n_sentences"] == len(gold)
    json.dumps(result, allow_nan=False)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_prediction_without_entities():
    result = evaluate_tags([["B-X", "O"]], [["O", "O"]], "strict")
    assert result["micro"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 1}


def test_tag_errors():
    with pytest.raises(XLTError, match="E060"):
        evaluate_tags([["O"]], [["O"], ["O"]])
    with pytest.raises(XLTError, match=r"E064.*Sentence 1 has 2 gold tags but 1"):
        evaluate_tags([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(XLTError, match=r"E063.*'S-X' at token 1 of predicted sentence 0"):
        evaluate_tags([["O", "O"]], [["O", "S-X"]])
    with pytest.raises(XLTError, match="E063"):
        evaluate_tags([["B-"]], [["O"]])
    with pytest.raises(XLTError, match="E062"):
        evaluate_tags([["O"]], [["O"]], mode="conll")


# --- Docs ---------------------------------------------------------------------------


@pytest.fixture
def vocab():
    return Vocab()


def make_doc(vocab, words, tags, spans_key=None):
    doc = Doc(vocab, words=words)
    return set_doc_spans(doc, tags_to_spans(tags), spans_key)


@pytest.mark.parametrize("spans_key", [None, "sc"])
@pytest.mark.parametrize("mode", ["strict", "default"])
def test_evaluate_docs_equals_seqeval(vocab, mode, spans_key):
    gold_tags = random_tags(seed=3)
    pred_tags = [to_iob2(t) for t in perturb(gold_tags, seed=4)]
    words = [[f"w{i}" for i in range(len(t))] for t in gold_tags]
    gold = [make_doc(vocab, w, t, spans_key) for w, t in zip(words, gold_tags)]
    pred = [make_doc(vocab, w, t, spans_key) for w, t in zip(words, pred_tags)]
    assert docs_to_tags(gold, pred, spans_key) == (gold_tags, pred_tags)
    result = evaluate_docs(gold, pred, spans_key, mode)
    assert_matches_seqeval(result, gold_tags, pred_tags, mode)
    # Docs hold well-formed spans only, on which the two modes agree
    other = evaluate_docs(gold, pred, spans_key, "default" if mode == "strict" else "strict")
    assert {**other, "mode": mode} == result


def test_evaluate_docs_against_itself(vocab):
    tags = random_tags(seed=5)
    docs = [make_doc(vocab, [f"w{i}" for i in range(len(t))], t) for t in tags]
    result = evaluate_docs(docs, docs)
    assert result["micro"]["f"] == 1.0 and result["macro"]["f"] == 1.0
    assert all(s["f"] == 1.0 for s in result["per_label"].values())


def test_evaluate_docs_empty(vocab):
    empty = Doc(vocab, words=[])
    plain = Doc(vocab, words=["no", "names"])
    for gold, pred in [([], []), ([empty], [empty]), ([plain, empty], [plain, empty])]:
        result = evaluate_docs(gold, pred)
        assert result["micro"]["f"] == 0.0 and result["micro"]["support"] == 0
        assert result["n_sentences"] == len(gold)


def test_evaluate_docs_length_mismatch(vocab):
    doc = Doc(vocab, words=["a"])
    with pytest.raises(XLTError, match=r"E060.*2 gold vs 1 predicted"):
        evaluate_docs([doc, doc], [doc])


def test_evaluate_docs_token_mismatch(vocab):
    same = Doc(vocab, words=["Sirvo", "un", "plato"])
    gold = Doc(vocab, words=["El", "pulpo", "a", "la", "gallega", "estaba", "frío", "."])
    pred = Doc(vocab, words=["El", "pulpo", "a", "la", "Gallega", "estaba", "frío", "."])
    with pytest.raises(XLTError, match="E061") as err:
        evaluate_docs([same, gold], [same, pred])
    message = str(err.value)
    assert "document 1 at token 4" in message
    assert "'pulpo a la gallega estaba frío .'" in message
    assert "'pulpo a la Gallega estaba frío .'" in message
    # different token counts are an error even without the token check
    shorter = Doc(vocab, words=["El", "pulpo"])
    with pytest.raises(XLTError, match="E061.*document 0 at token 2"):
        evaluate_docs([gold], [shorter], require_same_tokens=False)
    # same count, different texts: allowed when asked
    assert evaluate_docs([gold], [pred], require_same_tokens=False)["n_sentences"] == 1


def test_evaluate_docs_bad_mode_before_reading(vocab):
    with pytest.raises(XLTError, match="E062"):
        evaluate_docs([Doc(vocab, words=["a"])], [], mode="both")


# --- projections ----------------------------------------------------------------------


def test_evaluate_projection_counts_unprojected_source_spans(vocab):
    words = ["Ana", "vive", "en", "Lima", "con", "Luis"]
    src1 = make_doc(
        vocab,
        ["Ana", "lives", "in", "Lima", "with", "Luis"],
        ["B-PER", "O", "O", "B-LOC", "O", "B-PER"],
    )
    src2 = make_doc(vocab, ["Hello", "Bob"], ["O", "B-PER"])
    gold1 = make_doc(vocab, words, ["B-PER", "O", "O", "B-LOC", "O", "B-PER"])
    gold2 = make_doc(vocab, ["Hola", "Bob"], ["O", "B-PER"])
    # doc 1: Luis missed, Lima projected as PER (counted by label: PER 2 of 2, LOC 0 of 1);
    # doc 2: nothing projected (PER 0 of 1)
    proj1 = make_pair(src1, make_doc(vocab, words, ["B-PER", "O", "O", "B-PER", "O", "O"]))
    proj2 = make_pair(src2, make_doc(vocab, ["Hola", "Bob"], ["O", "O"]))
    result = evaluate_projection([gold1, gold2], [proj1, proj2])
    assert result["projection"] == {
        "n_source_spans": 4,
        "n_projected_spans": 2,
        "n_unprojected_source_spans": 2,
    }
    assert result["micro"]["p"] == 0.5 and result["micro"]["r"] == 0.25
    # plain Docs: scores only
    plain = evaluate_projection([gold1], [make_doc(vocab, words, ["O"] * 6)])
    assert "projection" not in plain
    assert projection_coverage([gold1, gold2]) is None


def test_projection_coverage_mixed_pairs(vocab):
    src = make_doc(vocab, ["Bob"], ["B-PER"])
    pair = make_pair(src, make_doc(vocab, ["Bob"], ["B-PER"]))
    plain = make_doc(vocab, ["Bob"], ["B-PER"])
    with pytest.raises(XLTError, match=r"E065.*document 1 has no source side while document 0"):
        projection_coverage([pair, plain])


def test_evaluate_projection_needs_same_tokens(vocab):
    gold = Doc(vocab, words=["a", "b"])
    pred = make_pair(Doc(vocab, words=["x"]), Doc(vocab, words=["a", "c"]))
    with pytest.raises(XLTError, match="E061"):
        evaluate_projection([gold], [pred])


# --- CLI ------------------------------------------------------------------------------


def ote_test_file(data_dir):
    path = data_dir / "ote" / "manual_projections" / "en2es" / "DeepL.Iker.test.tsv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def test_cli_file_against_itself(data_dir, tmp_path):
    """The done-when: `spacy xlt evaluate` of the en2es manual projection test file against itself."""
    gold = ote_test_file(data_dir)
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "xlt",
            "evaluate",
            str(gold),
            str(gold),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    for header in MODES.values():
        assert header in proc.stdout
    assert "100.00" in proc.stdout
    result = json.loads(out.read_text())
    assert set(result) == {"gold", "pred", "spans_key", "n_docs", "strict", "default"}
    assert result["n_docs"] == 676
    for mode in ("strict", "default"):
        assert set(result[mode]) == {"mode", "micro", "macro", "per_label", "n_sentences"}
        assert result[mode]["micro"] == {"p": 1.0, "r": 1.0, "f": 1.0, "support": 605}
        assert result[mode]["macro"]["f"] == 1.0
        assert set(result[mode]["per_label"]) == {"TARGET"}
        assert set(result[mode]["per_label"]["TARGET"]) == {"p", "r", "f", "support"}


def test_cli_perturbed_prediction_equals_seqeval(data_dir, tmp_path):
    """A perturbed prediction written as a CoNLL file: the CLI's JSON equals seqeval on its
    tags as written, in both modes (issue 11: the ill-formed I- starts the perturbation
    writes open spans in the default mode and none in the strict mode)."""
    from spacy_xlt.corpora import read_corpus

    gold_path = ote_test_file(data_dir)
    gold_docs = read_corpus(gold_path, lang="es")
    gold_tags, _ = docs_to_tags(gold_docs, gold_docs)
    pred_tags = perturb(gold_tags, seed=7, labels=("TARGET", "ASPECT"))
    assert [to_iob2(t) for t in pred_tags] != pred_tags
    pred_path = tmp_path / "pred.conll"
    with pred_path.open("w", encoding="utf8") as f:
        for doc, tags in zip(gold_docs, pred_tags):
            for token, tag in zip(doc, tags):
                f.write(f"{token.text}\t{tag}\n")
            f.write("\n")
    out = tmp_path / "results.json"
    run = CliRunner().invoke(
        app,
        ["xlt", "evaluate", str(gold_path), str(pred_path), "--lang", "es", "--output", str(out)],
    )
    assert run.exit_code == 0, run.output
    result = json.loads(out.read_text())
    assert_matches_seqeval(result["default"], gold_tags, pred_tags, "default")
    assert_matches_seqeval(result["strict"], gold_tags, pred_tags, "strict")
    assert result["strict"]["micro"]["r"] < result["default"]["micro"]["r"]
    assert 0.2 < result["strict"]["micro"]["f"] < 0.95
    assert set(result["default"]["per_label"]) == {"TARGET", "ASPECT"}


def test_cli_single_mode_and_errors(data_dir, tmp_path):
    gold = ote_test_file(data_dir)
    out = tmp_path / "strict.json"
    run = CliRunner().invoke(
        app, ["xlt", "evaluate", str(gold), str(gold), "--mode", "strict", "-o", str(out)]
    )
    assert run.exit_code == 0, run.output
    assert MODES["strict"] in run.output and MODES["default"] not in run.output
    assert "strict" in json.loads(out.read_text()) and "default" not in json.loads(out.read_text())
    run = CliRunner().invoke(app, ["xlt", "evaluate", str(gold), str(gold), "--mode", "lenient"])
    assert run.exit_code == 1 and "E062" in run.output
    # a prediction with other sentences: a clear error, no traceback
    other = tmp_path / "other.conll"
    other.write_text("Una\tO\nfrase\tO\n\n", encoding="utf8")
    run = CliRunner().invoke(app, ["xlt", "evaluate", str(gold), str(other)])
    assert run.exit_code == 1 and "E060" in run.output


# --- tag files: raw tags (issue 11) ------------------------------------------------------


def write_tags(path, words, tags, style="conll"):
    """A tag file: ``conll`` (WORD TAG), ``tabs`` (WORD<TAB>POS<TAB>TAG) or ``quality``."""
    with open(path, "w", encoding="utf8") as f:
        for ws, ts in zip(words, tags):
            for w, t in zip(ws, ts):
                if style == "quality":
                    f.write(f"{w}\t{t}\t{'-' if t == 'O' else 'HighQuality'}\n")
                elif style == "tabs":
                    f.write(f"{w}\tX\t{t}\n")
                else:
                    f.write(f"{w} {t}\n")
            f.write("\n")
    return path


def seqeval_on(gold, pred, mode, scheme=IOB2):
    """evaluate_tags' numbers, from seqeval called directly (macro 0 where no labels)."""
    kw = {"mode": "strict", "scheme": scheme} if mode == "strict" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = classification_report(gold, pred, output_dict=True, zero_division=0, **kw)
    labels = sorted(k for k in report if not k.endswith(" avg"))

    def row(r):
        return (r["precision"], r["recall"], r["f1-score"], r["support"])

    macro = row(report["macro avg"]) if labels else (0.0, 0.0, 0.0, 0)
    return row(report["micro avg"]), macro, {label: row(report[label]) for label in labels}


def numbers(result):
    def row(s):
        return (s["p"], s["r"], s["f"], s["support"])

    per_label = {label: row(s) for label, s in result["per_label"].items()}
    return row(result["micro"]), row(result["macro"]), per_label


def assert_same_numbers(result, expected):
    got = numbers(result)
    assert got[0] == pytest.approx(expected[0])
    assert got[1] == pytest.approx(expected[1])
    assert got[2].keys() == expected[2].keys()
    for label in got[2]:
        assert got[2][label] == pytest.approx(expected[2][label])


ILL_GOLD = pytest.mark.filterwarnings("ignore:.*continues no span:UserWarning")


@pytest.mark.parametrize("style", ["conll", "tabs", "quality"])
def test_issue11_strict_file_scores_read_raw_tags(tmp_path, style):
    words = [["Ana", "vive", "en", "Nueva", "York"], ["Hola", "Luis", "Gil"]]
    gold = [["B-PER", "O", "O", "B-LOC", "I-LOC"], ["O", "B-PER", "I-PER"]]
    # I- after O: seqeval strict opens no span there, the default mode does
    pred = [["B-PER", "O", "O", "I-LOC", "I-LOC"], ["O", "I-PER", "I-PER"]]
    suffix = ".tsv" if style == "quality" else ".conll"
    gold_path = write_tags(tmp_path / f"gold{suffix}", words, gold, style)
    pred_path = write_tags(tmp_path / "pred.conll", words, pred)
    result = evaluate_files(gold_path, pred_path)
    assert set(result) == {"gold", "pred", "spans_key", "n_docs", "strict", "default"}
    assert result["n_docs"] == 2
    assert_same_numbers(result["strict"], seqeval_on(gold, pred, "strict"))
    assert_same_numbers(result["default"], seqeval_on(gold, pred, "default"))
    assert result["strict"]["micro"]["r"] == pytest.approx(1 / 3)
    assert result["default"]["micro"]["f"] == 1.0
    assert result["strict"]["micro"] != result["default"]["micro"]
    assert result["strict"]["mode"] == "strict" and result["strict"]["n_sentences"] == 2
    # the Docs reader repairs the I- starts: with a .spacy side both modes see spans
    from spacy_xlt.corpora import read_corpus
    from spacy_xlt.pairs import write_docs

    spacy_pred = tmp_path / "pred.spacy"
    write_docs(read_corpus(pred_path), spacy_pred)
    docs = evaluate_files(gold_path, spacy_pred)
    assert docs["strict"]["micro"] == docs["default"]["micro"] == result["default"]["micro"]
    # the CLI's --mode strict on the files gives the same numbers
    out = tmp_path / "strict.json"
    run = CliRunner().invoke(
        app, ["xlt", "evaluate", str(gold_path), str(pred_path), "-m", "strict", "-o", str(out)]
    )
    assert run.exit_code == 0, run.output
    assert json.loads(out.read_text()) == json.loads(
        json.dumps(evaluate_files(gold_path, pred_path, modes=("strict",)))
    )
    assert "33.33" in run.output


def test_issue11_file_token_and_sentence_checks(tmp_path):
    words = [["Ana", "vive"], ["en", "Lima", "hoy"]]
    tags = [["B-PER", "O"], ["O", "B-LOC", "O"]]
    gold = write_tags(tmp_path / "gold.conll", words, tags)
    other = write_tags(tmp_path / "other.conll", [["Ana", "vive"], ["en", "Quito", "hoy"]], tags)
    with pytest.raises(XLTError, match="E066") as err:
        evaluate_files(gold, other)
    message = str(err.value)
    assert "Sentence 1 differs" in message and "at token 1" in message
    assert f"{gold}:5 has 'Lima'" in message and f"{other}:5 has 'Quito'" in message
    short = write_tags(
        tmp_path / "short.conll", [["Ana", "vive"], ["en", "Lima"]], [t[:2] for t in tags]
    )
    with pytest.raises(
        XLTError, match=r"E066.*at token 2.*has 'hoy'.*has no token \(the sentence has 2\)"
    ):
        evaluate_files(gold, short)
    one = write_tags(tmp_path / "one.conll", words[:1], tags[:1])
    with pytest.raises(XLTError, match=r"E060.*2 gold vs 1 predicted"):
        evaluate_files(gold, one)
    with pytest.raises(XLTError, match="E062"):
        evaluate_files(gold, gold, modes=("lenient",))
    with pytest.raises(XLTError, match="E025"):
        evaluate_files(gold, gold, fmt="csv")


def test_issue11_bioes_and_bilou_files_are_strict_in_their_scheme(tmp_path):
    from seqeval.scheme import BILOU, IOBES

    words = [["a", "b", "c", "d", "e"], ["f", "g", "h"]]
    gold = [["S-PER", "O", "B-LOC", "I-LOC", "E-LOC"], ["B-ORG", "E-ORG", "O"]]
    # a B- without its E-: no entity for strict IOBES; conlleval reads one
    pred = [["S-PER", "O", "B-LOC", "I-LOC", "O"], ["B-ORG", "E-ORG", "O"]]
    g = write_tags(tmp_path / "gold.bioes", words, gold)
    p = write_tags(tmp_path / "pred.bioes", words, pred)
    result = evaluate_files(g, p)
    assert_same_numbers(result["strict"], seqeval_on(gold, pred, "strict", IOBES))
    assert_same_numbers(result["default"], seqeval_on(gold, pred, "default"))
    assert result["strict"]["per_label"]["LOC"]["p"] == 0.0
    assert result["default"]["per_label"]["LOC"]["p"] == 0.0  # LOC b-d, not b-e
    # well-formed BIOES against itself: as its IOB2 reading (what the Docs path scores)
    same = evaluate_files(g, g)
    assert same["strict"]["micro"]["f"] == same["default"]["micro"]["f"] == 1.0
    # BILOU: strict in BILOU, default reads U-/L- as S-/E-
    swap = {"S": "U", "E": "L"}
    gold_bilou = [[swap.get(t[0], t[0]) + t[1:] for t in s] for s in gold]
    pred_bilou = [[swap.get(t[0], t[0]) + t[1:] for t in s] for s in pred]
    g2 = write_tags(tmp_path / "gold2.conll", words, gold_bilou)
    p2 = write_tags(tmp_path / "pred2.conll", words, pred_bilou)
    result2 = evaluate_files(g2, p2)
    assert_same_numbers(result2["strict"], seqeval_on(gold_bilou, pred_bilou, "strict", BILOU))
    assert numbers(result2["default"]) == numbers(result["default"])
    assert numbers(result2["strict"]) == numbers(result["strict"])
    # a tag of another scheme than the gold's is an error naming file and line
    iob = write_tags(tmp_path / "iob.conll", words, [to_iob2(t) for t in gold])
    with pytest.raises(
        XLTError, match=rf"E067.*{p}:1: the predicted tag 'S-PER' is not of the IOB2"
    ):
        evaluate_files(iob, p)
    with pytest.raises(
        XLTError, match=r"E067.*mixed.conll:8: the gold tag 'E-ORG' is not of the BILOU"
    ):
        evaluate_files(write_tags(tmp_path / "mixed.conll", words, [gold_bilou[0], gold[1]]), p2)
    # the default mode alone needs no common scheme
    assert evaluate_files(iob, p, modes=("default",))["default"]["micro"]["f"] == pytest.approx(
        seqeval_on([to_iob2(t) for t in gold], pred, "default")[0][2]
    )
    # a gold file without spans takes the prediction's scheme
    empty = write_tags(tmp_path / "empty.conll", words, [["O"] * 5, ["O"] * 3])
    assert evaluate_files(empty, p)["strict"]["micro"]["support"] == 0


def test_issue11_iob1_gold_warns_in_strict_mode(tmp_path):
    words = [["Ana", "Gil", "vive", "en", "Lima"]]
    gold = [["I-PER", "I-PER", "O", "O", "I-LOC"]]
    g = write_tags(tmp_path / "gold.iob1.conll", words, gold)
    with pytest.warns(
        UserWarning, match=rf"{g}:1: the gold tag 'I-PER' continues no span.*\(2 such"
    ):
        result = evaluate_files(g, g)
    assert_same_numbers(result["strict"], seqeval_on(gold, gold, "strict"))
    assert result["strict"]["micro"]["support"] == 0
    assert result["default"]["micro"]["f"] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate_files(g, g, modes=("default",))


LABELS = ("PER", "LOC")
TAGS = ("O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC")


@st.composite
def tag_corpora(draw):
    """Gold and predicted tag sequences over the same words, each well- or ill-formed."""
    lengths = draw(st.lists(st.integers(1, 7), min_size=1, max_size=5))
    words = [[f"w{i}{j}" for j in range(n)] for i, n in enumerate(lengths)]
    sides = []
    for _ in range(2):
        tags = [draw(st.lists(st.sampled_from(TAGS), min_size=n, max_size=n)) for n in lengths]
        if draw(st.booleans()):
            tags = [to_iob2(t) for t in tags]  # well-formed
        sides.append(tags)
    style = draw(st.sampled_from(["conll", "tabs", "quality"]))
    return words, sides[0], sides[1], style


@ILL_GOLD
@settings(max_examples=60, deadline=None)
@given(tag_corpora())
def test_issue11_file_scores_equal_seqeval_on_raw_tags(corpus):
    words, gold, pred, style = corpus
    with tempfile.TemporaryDirectory() as tmp:
        suffix = ".tsv" if style == "quality" else ".conll"
        g = write_tags(Path(tmp) / f"gold{suffix}", words, gold, style)
        p = write_tags(Path(tmp) / "pred.conll", words, pred)
        result = evaluate_files(g, p)
    assert result["n_docs"] == len(words)
    for mode in ("strict", "default"):
        assert_same_numbers(result[mode], seqeval_on(gold, pred, mode))
