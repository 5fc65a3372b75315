"""The commands weasel projects share: spacy xlt predict / results / subset and
python -m spacy_xlt.foreach. Tiny hand-made corpora and a deterministic saved pipeline."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import spacy
from cli_helpers import crash_on_call
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.cli._util import parse_overrides
from spacy_xlt.cli.results import KNOWN_METHODS, build_results, parse_methods
from spacy_xlt.errors import XLTError
from spacy_xlt.pairs import has_source, make_pair, source_spans

runner = CliRunner()
LABELER = "xlt_test_word_labeler"


class WordLabeler:
    """Labels each token whose text is in ``words`` as a one-token entity ``label``; all
    its state is config, so ``--set`` overrides change what it predicts after spacy.load."""

    def __init__(self, words: List[str], label: str):
        self.words = set(words)
        self.label = label

    def __call__(self, doc: Doc) -> Doc:
        doc.ents = [Span(doc, t.i, t.i + 1, label=self.label) for t in doc if t.text in self.words]
        return doc


if not Language.has_factory(LABELER):

    @Language.factory(LABELER, default_config={"words": [], "label": "PER"})
    def make_word_labeler(nlp: Language, name: str, words: List[str], label: str) -> WordLabeler:
        return WordLabeler(words, label)


def save_model(path: Path, words: List[str], label: str = "PER") -> Path:
    nlp = spacy.blank("xx")
    nlp.add_pipe(LABELER, name="labeler", config={"words": words, "label": label})
    nlp.to_disk(path)
    return path


def make_doc(vocab, words, ents=(), spaces=None, default="outside") -> Doc:
    doc = Doc(vocab, words=words, spaces=spaces)
    doc.set_ents([Span(doc, s, e, label=lab) for s, e, lab in ents], default=default)
    return doc


def write_docs(path: Path, docs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def read_docs(path: Path) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab))


def ents(doc: Doc):
    return [(e.start, e.end, e.label_) for e in doc.ents]


def invoke(*args):
    return runner.invoke(xlt_cli, [str(a) for a in args])


def flat(result) -> str:
    """The command's output with wasabi's line wrapping undone."""
    return " ".join(result.output.split())


# ---------------------------------------------------------------------------------------
# predict


def gold_docs(vocab):
    """Gold: 3 spans (PER, PER, LOC). The labeler with words Tomi, Bela predicts Tomi and
    Bela in doc 0 and Bela (wrongly) in doc 1: TP 2, FP 1, FN 1 (the LOC)."""
    return [
        make_doc(
            vocab, ["Tomi", "ran", "home", "."], [(0, 1, "PER")], spaces=[True, True, False, False]
        ),
        make_doc(vocab, ["Bela", "saw", "Kurno", "near", "Vessa"], [(4, 5, "LOC")]),
        make_doc(vocab, ["Bela", "left"], [(0, 1, "PER")]),
    ]


@pytest.fixture
def gold(tmp_path) -> Path:
    return write_docs(tmp_path / "gold.spacy", gold_docs(spacy.blank("xx").vocab))


@pytest.fixture
def model(tmp_path) -> Path:
    return save_model(tmp_path / "model", ["Tomi", "Bela"])


def test_predict_writes_gold_tokens_and_predicted_ents(tmp_path, gold, model):
    out = tmp_path / "pred" / "out.spacy"
    result = invoke("predict", model, gold, out)
    assert result.exit_code == 0, result.output
    assert "3 docs, 3 predicted spans" in flat(result)
    pred, ref = read_docs(out), read_docs(gold)
    assert [[t.text for t in d] for d in pred] == [[t.text for t in d] for d in ref]
    assert [[t.whitespace_ for t in d] for d in pred] == [[t.whitespace_ for t in d] for d in ref]
    # gold spans are gone (no LOC), predicted ones are there
    assert [ents(d) for d in pred] == [[(0, 1, "PER")], [(0, 1, "PER")], [(0, 1, "PER")]]


def test_predict_metrics_equal_evaluate_files(tmp_path, gold, model):
    from spacy_xlt.evaluation import evaluate_files

    out, metrics = tmp_path / "pred.spacy", tmp_path / "metrics" / "m.json"
    result = invoke("predict", model, gold, out, "--metrics", metrics)
    assert result.exit_code == 0, result.output
    written = json.loads(metrics.read_text(encoding="utf8"))
    expected = evaluate_files(gold, out, modes=("strict", "default"))
    assert written == json.loads(json.dumps(expected))
    for mode in ("strict", "default"):
        micro = written[mode]["micro"]
        assert micro["p"] == pytest.approx(2 / 3)
        assert micro["r"] == pytest.approx(2 / 3)
        assert micro["f"] == pytest.approx(2 / 3)
        assert micro["support"] == 3
        assert written[mode]["per_label"]["PER"]["r"] == pytest.approx(1.0)
        assert written[mode]["per_label"]["LOC"]["support"] == 1
        assert written[mode]["per_label"]["LOC"]["f"] == 0.0


def test_predict_langs_loads_one_pipeline_per_model(tmp_path, monkeypatch):
    vocab = spacy.blank("xx").vocab
    for lang in ("aa", "bb"):
        write_docs(tmp_path / "gold" / f"{lang}.spacy", gold_docs(vocab))
    save_model(tmp_path / "model_aa", ["Tomi"])
    save_model(tmp_path / "model_bb", ["Kurno"], label="ORG")
    loads = []
    real_load = spacy.load

    def counting_load(name, **kwargs):
        loads.append(str(name))
        return real_load(name, **kwargs)

    monkeypatch.setattr(spacy, "load", counting_load)
    gold, out, metrics = (
        tmp_path / "gold/{lang}.spacy",
        tmp_path / "pred/{lang}.spacy",
        tmp_path / "m/{lang}.json",
    )
    # one model for every language: loaded once
    result = invoke(
        "predict", tmp_path / "model_aa", gold, out, "--langs", "aa, bb", "--metrics", metrics
    )
    assert result.exit_code == 0, result.output
    assert loads == [str(tmp_path / "model_aa")]
    for lang in ("aa", "bb"):
        assert [ents(d) for d in read_docs(tmp_path / f"pred/{lang}.spacy")] == [
            [(0, 1, "PER")],
            [],
            [],
        ]
        assert (tmp_path / f"m/{lang}.json").is_file()
    # {lang} in MODEL: each language's own pipeline
    loads.clear()
    result = invoke("predict", tmp_path / "model_{lang}", gold, out, "--langs", "aa,bb")
    assert result.exit_code == 0, result.output
    assert loads == [str(tmp_path / "model_aa"), str(tmp_path / "model_bb")]
    assert [ents(d) for d in read_docs(tmp_path / "pred/aa.spacy")] == [[(0, 1, "PER")], [], []]
    assert [ents(d) for d in read_docs(tmp_path / "pred/bb.spacy")] == [[], [(2, 3, "ORG")], []]


def test_predict_set_overrides_config(tmp_path, gold, model):
    out = tmp_path / "pred.spacy"
    result = invoke(
        "predict", model, gold, out, "--set", "components.labeler.label=ORG",
        "--set", 'components.labeler.words=["Kurno", "left"]',
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [ents(d) for d in read_docs(out)] == [[], [(2, 3, "ORG")], [(1, 2, "ORG")]]


def test_parse_overrides():
    assert parse_overrides(["a.b=false", "a.c=3", "a.d=x=y", 'a.e=["p"]', "a.f="]) == {
        "a.b": False,
        "a.c": 3,
        "a.d": "x=y",
        "a.e": ["p"],
        "a.f": "",
    }
    for bad in ("a.b", "nodot=1", "a..b=1", "=1"):
        with pytest.raises(XLTError, match="XLTE082"):
            parse_overrides([bad], dotted=True)
    # spacy xlt project reads keys inside the projector block: no dot needed there
    assert parse_overrides(["max_gap=3", "aligner.seed=1"]) == {"max_gap": 3, "aligner.seed": 1}
    for bad in ("max_gap", "a..b=1", "=1"):
        with pytest.raises(XLTError, match="XLTE082"):
            parse_overrides([bad])


@pytest.mark.parametrize(
    "args,code",
    [
        (["{model}x", "{gold}", "{out}"], "XLTE083"),  # no such pipeline
        (["{model}", "{tmp}/none.spacy", "{out}"], "XLTE021"),  # no such input
        (["{model}", "{gold}", "{out}", "--set", "components.labeler"], "XLTE082"),
        (["{model}", "{gold}", "{out}", "--set", "components.labeler.nope=1"], "XLTE084"),
        (["{model}", "{gold}", "{out}", "--set", "components.other.x=1"], "XLTE084"),
        (["{model}", "{gold}", "{tmp}/{{lang}}.spacy"], "XLTE085"),  # {lang} without --langs
        (["{model}", "{gold}", "{out}", "--langs", "aa,bb"], "XLTE086"),  # same OUTPUT twice
        (["{model}", "{gold}", "{out}", "--langs", " , "], "XLTE087"),
    ],
)
def test_predict_errors(tmp_path, gold, model, args, code):
    out = tmp_path / "pred.spacy"
    args = [a.format(model=model, gold=gold, out=out, tmp=tmp_path) for a in args]
    result = invoke("predict", *args)
    assert result.exit_code == 1
    assert code in flat(result)
    assert not out.exists()


# ---------------------------------------------------------------------------------------
# results


def write_metrics(metrics_dir: Path, method: str, lang: str, gold, pred) -> dict:
    """An evaluation JSON from real tag sequences, as `spacy xlt evaluate --output` writes."""
    from spacy_xlt.evaluation import evaluate_tags

    data = {"gold": "g", "pred": "p", "spans_key": None, "n_docs": len(gold)}
    for mode in ("strict", "default"):
        data[mode] = evaluate_tags(gold, pred, mode)
    path = metrics_dir / method / f"{lang}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf8")
    return data


GOLD_TAGS = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-LOC", "O"], ["B-PER", "O", "O"]]
PREDICTIONS = {
    "zeroshot": [["B-PER", "I-PER", "O", "O"], ["O", "O", "O"], ["B-PER", "O", "O"]],
    "statistical_en": [["B-PER", "O", "O", "B-LOC"], ["O", "B-LOC", "O"], ["B-PER", "O", "O"]],
    "mine": [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-LOC", "O"], ["B-MISC", "O", "O"]],
    "odd": [["O", "O", "O", "O"], ["O", "B-LOC", "O"], ["O", "O", "O"]],
}


@pytest.fixture
def metrics_dir(tmp_path) -> Path:
    root = tmp_path / "metrics"
    for method, pred in PREDICTIONS.items():
        for j, lang in enumerate(("aa", "bb")):
            # bb: one sentence fewer, so the two languages score differently
            n = 3 - j
            write_metrics(root, method, lang, GOLD_TAGS[:n], pred[:n])
    return root


def table_rows(markdown: str) -> List[List[str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines]


def test_results_table_cells_equal_json_micro_f1(tmp_path, metrics_dir):
    out = tmp_path / "results"
    result = invoke(
        "results", metrics_dir, out, "--methods", "zeroshot,statistical_en,mine=My method,odd",
        "--langs", "aa,bb", "--title", "Tiny run",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    markdown = (out / "results.md").read_text(encoding="utf8")
    assert markdown.startswith("## Tiny run\n")
    rows = table_rows(markdown)
    assert rows[0] == [
        "Language",
        "Zero-shot",
        "Translate-train (statistical) + en",
        "My method",
        "odd",
    ]
    assert rows[1] == ["---", "---:", "---:", "---:", "---:"]
    methods = ["zeroshot", "statistical_en", "mine", "odd"]
    f1 = {
        m: {lang: 100 * json.loads((metrics_dir / m / f"{lang}.json").read_text())["default"]["micro"]["f"]
            for lang in ("aa", "bb")}
        for m in methods
    }  # fmt: skip
    assert rows[2] == ["aa"] + [f"{f1[m]['aa']:.1f}" for m in methods]
    assert rows[3] == ["bb"] + [f"{f1[m]['bb']:.1f}" for m in methods]
    assert rows[4] == ["**Average**"] + [
        f"**{(f1[m]['aa'] + f1[m]['bb']) / 2:.1f}**" for m in methods
    ]
    assert len(set(rows[2][1:])) > 1  # the figures differ, so a column mix-up would show
    note = markdown.split("\n\n")[-1]
    assert "mode default" in note and "(LOC, PER)" in note and str(metrics_dir) in note
    assert "MISC" in note  # predicted by 'mine' only: named as false positives
    data = json.loads((out / "results.json").read_text(encoding="utf8"))
    assert data["scores"]["mine"]["aa"] == pytest.approx(f1["mine"]["aa"])
    assert data["average"]["odd"] == pytest.approx((f1["odd"]["aa"] + f1["odd"]["bb"]) / 2)
    assert data["labels"] == ["LOC", "PER"] and data["predicted_only_labels"] == ["MISC"]
    assert data["methods"]["mine"] == "My method"


def test_results_strict_mode_and_function(metrics_dir):
    results = build_results(metrics_dir, ["statistical_en"], ["aa"], mode="strict")
    data = json.loads((metrics_dir / "statistical_en" / "aa.json").read_text())
    assert results.scores["statistical_en"]["aa"] == pytest.approx(
        100 * data["strict"]["micro"]["f"]
    )
    assert "mode strict" in results.to_markdown()
    assert results.predicted_only_labels == []


def test_results_method_names():
    assert parse_methods(["zeroshot", "tprojection_en", "x=Name = with equals", "new"]) == {
        "zeroshot": "Zero-shot",
        "tprojection_en": "Translate-train (T-Projection) + en",
        "x": "Name = with equals",
        "new": "new",
    }
    assert KNOWN_METHODS["statistical_en"] == "Translate-train (statistical) + en"
    for bad, code in (("=Name", "XLTE091"), ("x=", "XLTE091"), ("a/b", "XLTE091")):
        with pytest.raises(XLTError, match=code):
            parse_methods([bad])
    with pytest.raises(XLTError, match="XLTE088"):
        parse_methods(["zeroshot", "zeroshot=Again"])


def test_results_missing_file_and_score(tmp_path, metrics_dir):
    out = tmp_path / "results"
    result = invoke(
        "results", metrics_dir, out, "--methods", "zeroshot,tagger_constrained", "--langs", "aa"
    )
    assert result.exit_code == 1
    missing = metrics_dir / "tagger_constrained" / "aa.json"
    assert "XLTE089" in flat(result) and "spacy xlt predict" in flat(result)
    assert str(missing) in flat(result)
    assert not (out / "results.md").exists()
    # a file scored in strict mode only has no default score
    path = metrics_dir / "zeroshot" / "aa.json"
    data = json.loads(path.read_text())
    del data["default"]
    path.write_text(json.dumps(data))
    with pytest.raises(XLTError, match="XLTE090.*no default.micro.f"):
        build_results(metrics_dir, ["zeroshot"], ["aa"])
    path.write_text("{not json")
    with pytest.raises(XLTError, match="XLTE090"):
        build_results(metrics_dir, ["zeroshot"], ["aa"], mode="strict")
    result = invoke(
        "results", metrics_dir, out, "--methods", "zeroshot", "--langs", "aa", "--mode", "best"
    )
    assert result.exit_code == 1 and "XLTE062" in flat(result)


def test_results_png(tmp_path, metrics_dir):
    pytest.importorskip("matplotlib")
    out = tmp_path / "results"
    result = invoke("results", metrics_dir, out, "--methods", "zeroshot,mine", "--langs", "aa,bb")
    assert result.exit_code == 0, result.output
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_without_matplotlib_writes_table_only(tmp_path, metrics_dir, monkeypatch):
    out = tmp_path / "results"
    out.mkdir()
    (out / "results.png").write_bytes(b"stale chart of an earlier run")
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    result = invoke("results", metrics_dir, out, "--methods", "zeroshot", "--langs", "aa")
    assert result.exit_code == 0, result.output
    assert "matplotlib is not installed" in flat(result)
    assert (out / "results.md").is_file() and (out / "results.json").is_file()
    assert not (out / "results.png").exists()


# ---------------------------------------------------------------------------------------
# subset


def corpus_a(vocab):
    return [
        make_doc(
            vocab,
            ["Tomi", "met", "Acme", "at", "Fest"],
            [(0, 1, "PER"), (2, 3, "ORG"), (4, 5, "MISC")],
        ),
        make_doc(vocab, ["Fest", "and", "Gala"], [(0, 1, "MISC"), (2, 3, "MISC")]),
        make_doc(vocab, ["Bela", "joined", "Acme"], [(0, 1, "PER"), (2, 3, "ORG")]),
    ]


def corpus_b(vocab):
    """Parallel pairs (source side in user_data); the target's annotation is partly missing."""
    docs = []
    for words, tgt_ents in (
        (["Kurno", "Fest", "x"], [(0, 1, "PER"), (1, 2, "MISC")]),
        (["Vessa", "y"], [(0, 1, "LOC")]),
    ):
        target = make_doc(vocab, words, tgt_ents, default="missing")
        source = make_doc(vocab, ["src"] + words, [(s + 1, e + 1, lab) for s, e, lab in tgt_ents])
        docs.append(make_pair(source, target, source_lang="en"))
    return docs


@pytest.fixture
def corpora(tmp_path):
    vocab = spacy.blank("xx").vocab
    return write_docs(tmp_path / "a.spacy", corpus_a(vocab)), write_docs(
        tmp_path / "b.spacy", corpus_b(vocab)
    )


def test_subset_drops_labels_and_concatenates_in_order(tmp_path, corpora):
    a, b = corpora
    out = tmp_path / "out" / "train.spacy"
    result = invoke("subset", a, b, out, "--keep-labels", "PER,ORG,LOC")
    assert result.exit_code == 0, result.output
    assert "dropped: MISC 3" in flat(result) and "kept: ORG 2, PER 2" in flat(result)
    assert "dropped: MISC 1" in flat(result)
    docs = read_docs(out)
    assert [d.text for d in docs] == [d.text for d in read_docs(a)] + [d.text for d in read_docs(b)]
    assert [ents(d) for d in docs] == [
        [(0, 1, "PER"), (2, 3, "ORG")], [], [(0, 1, "PER"), (2, 3, "ORG")], [(0, 1, "PER")], [(0, 1, "LOC")],
    ]  # fmt: skip
    # dropped entities become O; tokens whose annotation was missing stay missing
    assert [t.ent_iob_ for t in docs[1]] == ["O", "O", "O"]
    assert [t.ent_iob_ for t in docs[3]] == ["B", "O", ""]
    # the pairs keep their source side (user_data), untouched
    assert [has_source(d) for d in docs] == [False, False, False, True, True]
    assert [(s.start, s.end, s.label) for s in source_spans(docs[3])] == [
        (1, 2, "PER"),
        (2, 3, "MISC"),
    ]


def test_subset_limit_and_all_labels(tmp_path, corpora):
    a, b = corpora
    out = tmp_path / "small.spacy"
    result = invoke("subset", b, a, out, "--limit", "1")
    assert result.exit_code == 0, result.output
    docs = read_docs(out)
    assert [d.text for d in docs] == [read_docs(b)[0].text, read_docs(a)[0].text]
    assert ents(docs[1]) == [
        (0, 1, "PER"),
        (2, 3, "ORG"),
        (4, 5, "MISC"),
    ]  # no --keep-labels: all kept
    assert "1 of 2 docs" in flat(result) and "1 of 3 docs" in flat(result)


def test_subset_folder(tmp_path):
    vocab = spacy.blank("xx").vocab
    src = tmp_path / "all"
    write_docs(src / "aa" / "train.spacy", corpus_a(vocab))
    write_docs(src / "bb" / "test.spacy", corpus_a(vocab)[1:])
    (src / "aa" / "README.txt").write_text("not a corpus")
    out = tmp_path / "target"
    result = invoke("subset", src, out, "--keep-labels", "PER", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "aa/train.spacy", "bb/test.spacy",
    ]  # fmt: skip
    assert [ents(d) for d in read_docs(out / "aa" / "train.spacy")] == [[(0, 1, "PER")], []]
    assert [ents(d) for d in read_docs(out / "bb" / "test.spacy")] == [[], [(0, 1, "PER")]]


def test_subset_spans_key(tmp_path):
    vocab = spacy.blank("xx").vocab
    doc = Doc(vocab, words=["Tomi", "met", "Acme"])
    doc.spans["sc"] = [Span(doc, 0, 1, "PER"), Span(doc, 2, 3, "ORG"), Span(doc, 0, 3, "EVENT")]
    doc.spans["other"] = [Span(doc, 1, 2, "X")]
    path = write_docs(tmp_path / "in.spacy", [doc])
    out = tmp_path / "out.spacy"
    result = invoke("subset", path, out, "--keep-labels", "PER,ORG", "--spans-key", "sc")
    assert result.exit_code == 0, result.output
    (got,) = read_docs(out)
    assert [(s.start, s.end, s.label_) for s in got.spans["sc"]] == [(0, 1, "PER"), (2, 3, "ORG")]
    assert [(s.start, s.end, s.label_) for s in got.spans["other"]] == [(1, 2, "X")]


def test_subset_errors(tmp_path, corpora):
    a, b = corpora
    (tmp_path / "empty").mkdir()
    (tmp_path / "outdir").mkdir()
    cases = [
        ([a, tmp_path / "x.spacy", "--limit", "-1"], "XLTE092"),
        ([tmp_path / "empty", tmp_path / "x"], "XLTE093"),
        ([tmp_path / "empty", a, tmp_path / "x.spacy"], "XLTE094"),
        ([a, tmp_path / "outdir"], "XLTE095"),
        ([tmp_path / "none.spacy", tmp_path / "x.spacy"], "XLTE021"),
        ([a, tmp_path / "x.spacy", "--keep-labels", ","], "XLTE087"),
    ]
    for args, code in cases:
        result = invoke("subset", *args)
        assert result.exit_code == 1, (args, result.output)
        assert code in flat(result), (args, result.output)
    assert not (tmp_path / "x.spacy").exists()


# ---------------------------------------------------------------------------------------
# foreach

WRITE_LANG = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
FAIL_ON_BB = "import sys, pathlib; pathlib.Path(sys.argv[1]).touch(); sys.exit(3 if sys.argv[1].endswith('bb') else 0)"


def test_foreach_replaces_lang(tmp_path, capsys):
    from spacy_xlt.foreach import main

    status = main(
        ["aa,bb", "--", "python", "-c", WRITE_LANG, str(tmp_path / "{lang}.txt"), "lang={lang}"]
    )
    assert status == 0
    assert (tmp_path / "aa.txt").read_text() == "lang=aa"
    assert (tmp_path / "bb.txt").read_text() == "lang=bb"
    out = capsys.readouterr().out
    assert out.startswith("$ " + sys.executable)  # `python` runs with this interpreter


def test_foreach_stops_at_first_failure(tmp_path, capsys):
    from spacy_xlt.foreach import main

    status = main(["aa,bb,cc", "--", "python", "-c", FAIL_ON_BB, str(tmp_path / "{lang}")])
    assert status == 3
    assert (tmp_path / "aa").exists() and (tmp_path / "bb").exists()
    assert not (tmp_path / "cc").exists()
    assert "failed for bb (exit status 3)" in capsys.readouterr().err
    assert main(["aa", "--", str(tmp_path / "no-such-program")]) == 127
    assert main(["aa", "python", "-c", "pass"]) == 2  # no --
    assert main([",", "--", "python"]) == 2


def test_foreach_module_exit_status(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy_xlt.foreach",
            "aa,bb,cc",
            "--",
            "python",
            "-c",
            FAIL_ON_BB,
            str(tmp_path / "{lang}"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 3, proc.stderr
    assert "failed for bb" in proc.stderr
    assert not (tmp_path / "cc").exists()


def test_foreach_as_name_nests(tmp_path):
    """--as method fills {method} and leaves {lang} to an inner loop (the silver-train step)."""
    from spacy_xlt.foreach import main

    inner = ["python", "-m", "spacy_xlt.foreach", "aa,bb", "--", "python", "-c", WRITE_LANG,
             str(tmp_path / "{method}-{lang}.txt"), "{method}/{lang}"]
    assert main(["m1,m2", "--as", "method", "--", *inner]) == 0
    for method in ("m1", "m2"):
        for lang in ("aa", "bb"):
            assert (tmp_path / f"{method}-{lang}.txt").read_text() == f"{method}/{lang}"
    assert main(["m1", "--as", "not a name", "--", "python", "-c", "pass"]) == 2


RECORD_MODULE = """
import json, os, sys
from pathlib import Path
out = Path(sys.argv[1])
out.write_text(json.dumps({"pid": os.getpid(), "argv": sys.argv[1:], "name": __name__}))
code = sys.argv[2] if len(sys.argv) < 4 or out.stem == sys.argv[3] else "0"
if code == "raise":
    raise ValueError("broken " + out.name)
if code == "message":
    sys.exit("stopped at " + out.name)
if code != "none":
    sys.exit(int(code))
"""


@pytest.fixture
def record_module(tmp_path, monkeypatch):
    """A module `xlt_record` that writes its pid, argv and __name__ to argv[1] and exits
    with argv[2] (an int, `none` to return, `raise` for an exception, `message`), or with 0
    where argv[1]'s stem is not argv[3]."""
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "xlt_record.py").write_text(RECORD_MODULE)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))  # for --isolate
    return tmp_path


def test_foreach_runs_python_modules_in_this_process(record_module, capsys):
    from spacy_xlt.foreach import main

    argv = list(sys.argv)
    out = record_module / "{lang}.json"
    assert main(["aa,bb", "--", "python", "-m", "xlt_record", str(out), "0"]) == 0
    assert main(["cc", "--", "python", "-m", "xlt_record", str(out), "none"]) == 0
    for lang in ("aa", "bb", "cc"):
        data = json.loads((record_module / f"{lang}.json").read_text())
        assert data["pid"] == os.getpid() and data["name"] == "__main__"
        assert data["argv"][0] == str(record_module / f"{lang}.json")
    assert sys.argv == argv  # restored
    # --isolate: a process of its own, the same files
    assert main(["dd", "--isolate", "--", "python", "-m", "xlt_record", str(out), "0"]) == 0
    assert json.loads((record_module / "dd.json").read_text())["pid"] != os.getpid()
    assert "$ " + sys.executable + " -m xlt_record" in capsys.readouterr().out


@pytest.mark.parametrize("isolate", [False, True])
def test_foreach_module_failures_stop_the_loop(record_module, capfd, isolate):
    from spacy_xlt.foreach import main

    out = str(record_module / "{lang}.json")
    flags = ["--isolate"] if isolate else []
    for code, status, printed in (("4", 4, None), ("raise", 1, "ValueError: broken bb.json"), ("message", 1, "stopped at bb.json")):
        for name in ("aa", "bb", "cc"):
            (record_module / f"{name}.json").unlink(missing_ok=True)
        assert main(["aa,bb,cc", *flags, "--", "python", "-m", "xlt_record", out, code, "bb"]) == status
        err = capfd.readouterr().err
        assert (record_module / "bb.json").exists() and not (record_module / "cc.json").exists()
        assert f"failed for bb (exit status {status})" in err
        if printed:
            assert printed in err
    assert main(["aa", "--bad", "--", "python", "-c", "pass"]) == 2
    assert "unknown option '--bad'" in capfd.readouterr().err


# ---------------------------------------------------------------------------------------
# predict --side source (translate-test: a source pipeline's spans replace the pairs' own)


def source_pairs(vocab):
    """Pairs whose source side has gold spans (Tomi PER, Vessa LOC, Bela PER) and whose
    target has its own gold; pair 1 also carries a projection record, now stale."""
    pairs = []
    for src_words, src_ents, tgt_words, tgt_ents in (
        (["Tomi", "ran", "home", "."], [(0, 1, "PER")], ["Tomi", "corrió", "a", "casa", "."], [(0, 1, "PER")]),
        (["Bela", "saw", "Kurno", "near", "Vessa"], [(4, 5, "LOC")], ["Bela", "vio", "a", "Kurno"], [(0, 1, "PER")]),
        (["Bela", "left"], [(0, 1, "PER")], ["Bela", "salió"], []),
    ):  # fmt: skip
        source = make_doc(vocab, src_words, src_ents, spaces=[True] * len(src_words))
        target = make_doc(vocab, tgt_words, tgt_ents)
        pairs.append(make_pair(source, target, source_lang="en"))
    pairs[1].user_data["xlt_projection"] = {"method": "x", "unaligned": [[4, 5, "LOC"]], "conflicts": []}
    return pairs


def test_predict_source_side_replaces_source_spans(tmp_path, model):
    from spacy_xlt.pairs import get_source

    vocab = spacy.blank("xx").vocab
    pairs = write_docs(tmp_path / "pairs.spacy", source_pairs(vocab))
    out, metrics = tmp_path / "pred.spacy", tmp_path / "m.json"
    result = invoke("predict", model, pairs, out, "--side", "source", "--metrics", metrics)
    assert result.exit_code == 0, result.output
    assert "3 pairs, 3 predicted source spans" in flat(result)
    got, before = read_docs(out), read_docs(pairs)
    # the labeler's spans (Tomi, Bela) are the source spans now; the target is untouched
    assert [[tuple(s) for s in source_spans(d)] for d in got] == [
        [(0, 1, "PER")], [(0, 1, "PER")], [(0, 1, "PER")],
    ]  # fmt: skip
    assert [ents(d) for d in got] == [ents(d) for d in before]
    assert [[t.text for t in d] for d in got] == [[t.text for t in d] for d in before]
    assert all("xlt_projection" not in d.user_data for d in got)  # described the old spans
    src = get_source(got[0])
    assert [t.text for t in src] == ["Tomi", "ran", "home", "."] and ents(src) == [(0, 1, "PER")]
    # --metrics scores the source sides: gold Tomi, Vessa, Bela; predicted Tomi, Bela, Bela
    data = json.loads(metrics.read_text(encoding="utf8"))
    assert data["side"] == "source" and data["n_docs"] == 3
    for mode in ("strict", "default"):
        micro = data[mode]["micro"]
        assert micro["p"] == pytest.approx(2 / 3) and micro["r"] == pytest.approx(2 / 3)
        assert data[mode]["per_label"]["LOC"]["support"] == 1
    # the projector reads the new source spans
    from spacy_xlt.cli import xlt_cli  # noqa: F401 (project is a command of the same app)

    projected = tmp_path / "projected.spacy"
    result = invoke("project", out, projected, "--method", "statistical", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert sum(len(source_spans(d)) for d in read_docs(projected)) == 3


def test_predict_source_side_langs_and_resume(tmp_path, model, monkeypatch):
    """--langs fills {lang} as for targets; a crash after the first chunk resumes to the
    uninterrupted output; a target run's resume file is another job."""
    import spacy_xlt.prediction as predict

    vocab = spacy.blank("xx").vocab
    for lang in ("aa", "bb"):
        write_docs(tmp_path / "pairs" / f"{lang}.spacy", source_pairs(vocab))
    result = invoke(
        "predict", model, tmp_path / "pairs/{lang}.spacy", tmp_path / "out/{lang}.spacy",
        "--side", "source", "--langs", "aa,bb", "--chunk-size", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    whole = (tmp_path / "out/aa.spacy").read_bytes()
    assert whole == (tmp_path / "out/bb.spacy").read_bytes()
    nlp = predict.load_pipeline(str(model))
    job = predict.predict_job(str(model), {})
    out = tmp_path / "again.spacy"
    monkeypatch.setattr(predict, "_docbin_text", crash_on_call(predict._docbin_text, 2))
    with pytest.raises(RuntimeError):
        predict.predict_file(nlp, tmp_path / "pairs/aa.spacy", out, job=job, chunk_size=1, side="source")
    monkeypatch.undo()
    # a target-side run on the same output is another job: refused, nothing lost
    with pytest.raises(XLTError, match="XLTE290"):
        predict.predict_file(nlp, tmp_path / "pairs/aa.spacy", out, job=job, chunk_size=1)
    again = predict.predict_file(nlp, tmp_path / "pairs/aa.spacy", out, job=job, chunk_size=1, side="source")
    assert again["resumed"] == 1 and again["n_docs"] == 3
    assert out.read_bytes() == whole


def test_predict_source_side_errors(tmp_path, gold, model):
    out = tmp_path / "pred.spacy"
    result = invoke("predict", model, gold, out, "--side", "source")  # gold: no pairs
    assert result.exit_code == 1 and "XLTE461" in flat(result) and "doc 0" in flat(result)
    result = invoke("predict", model, gold, out, "--side", "sources")
    assert result.exit_code == 1 and "XLTE460" in flat(result)
    assert not out.exists()


# ---------------------------------------------------------------------------------------
# subset: pair filters by the projection records


def projected_pairs(vocab):
    """Four projected pairs: 0 complete; 1 lost a span (unaligned); 2 lost one in an overlap;
    3 complete by its record but with a MISC target span the source lacks."""
    docs = []
    for src_ents, tgt_ents, unaligned, conflicts in (
        ([(0, 1, "PER"), (2, 3, "ORG")], [(0, 1, "PER"), (2, 3, "ORG")], [], []),
        ([(0, 1, "PER"), (2, 3, "ORG")], [(0, 1, "PER")], [[2, 3, "ORG"]], []),
        ([(0, 1, "PER"), (2, 3, "MISC")], [(0, 1, "PER")], [], [[2, 3, "MISC"]]),
        ([(0, 1, "PER")], [(0, 1, "PER"), (2, 3, "MISC")], [], []),
    ):
        source = make_doc(vocab, ["Tomi", "met", "Acme"], src_ents)
        target = make_doc(vocab, ["Tomi", "vio", "Acme"], tgt_ents)
        pair = make_pair(source, target, source_lang="en")
        pair.user_data["xlt_projection"] = {"method": "p", "unaligned": unaligned, "conflicts": conflicts}
        docs.append(pair)
    return docs


@pytest.fixture
def projected(tmp_path) -> Path:
    return write_docs(tmp_path / "projected.spacy", projected_pairs(spacy.blank("xx").vocab))


def test_subset_drop_lost_and_equal_counts(tmp_path, projected):
    def kept(*args):
        out = tmp_path / "out.spacy"
        result = invoke("subset", projected, out, *args)
        assert result.exit_code == 0, result.output
        return [ents(d) for d in read_docs(out)], flat(result)

    all_ents = [ents(d) for d in read_docs(projected)]
    got, output = kept("--drop-lost")
    assert got == [all_ents[0], all_ents[3]]
    assert "left out 2 pairs (2 with a lost source span, 0 with other span counts" in output
    got, output = kept("--require-equal-counts")
    assert got == [all_ents[0]]
    assert "left out 3 pairs (0 with a lost source span, 3 with other span counts" in output
    got, _ = kept("--drop-lost", "--require-equal-counts")
    assert got == [all_ents[0]]
    got, output = kept("--drop-lost", "--only-dropped")
    assert got == [all_ents[1], all_ents[2]] and "kept only the pairs the filters drop" in output
    # labels left out by --keep-labels count for neither test: pair 2 lost only a MISC span,
    # pair 3's extra span is a MISC one
    got, _ = kept("--drop-lost", "--keep-labels", "PER,ORG")
    assert got == [all_ents[0], [(0, 1, "PER")], [(0, 1, "PER")]]
    got, _ = kept("--require-equal-counts", "--keep-labels", "PER,ORG")
    assert got == [all_ents[0], [(0, 1, "PER")], [(0, 1, "PER")]]
    # --skip/--limit choose by position first, then the filter drops
    got, _ = kept("--skip", "1", "--limit", "2", "--drop-lost")
    assert got == []
    got, _ = kept("--skip", "3")
    assert got == [all_ents[3]]


def test_subset_filter_function_counts(projected):
    from spacy_xlt.cli.subset import PairFilter, subset_docs

    docs, counts = subset_docs(projected, spacy.blank("xx").vocab, pair_filter=PairFilter(drop_lost=True))
    assert len(docs) == 2
    assert counts["dropped_pairs"] == {"n": 2, "lost": 2, "counts": 0}
    assert counts["n_docs"] == 2 and counts["kept"] == {"MISC": 1, "ORG": 1, "PER": 2}
    _, plain = subset_docs(projected, spacy.blank("xx").vocab)
    assert "dropped_pairs" not in plain


def test_subset_filter_errors(tmp_path, corpora, projected):
    a, b = corpora  # a: plain docs; b: pairs without a projection record
    out = tmp_path / "x.spacy"
    cases = [
        ([a, out, "--drop-lost"], "XLTE461"),
        ([a, out, "--require-equal-counts"], "XLTE461"),
        ([b, out, "--drop-lost"], "XLTE462"),
        ([projected, out, "--only-dropped"], "XLTE463"),
        ([projected, out, "--skip", "-1"], "XLTE464"),
    ]
    for args, code in cases:
        result = invoke("subset", *args)
        assert result.exit_code == 1, (args, result.output)
        assert code in flat(result), (args, result.output)
    assert not out.exists()
    # pairs with no record can still be filtered by their counts
    result = invoke("subset", b, out, "--require-equal-counts")
    assert result.exit_code == 0, result.output
    assert len(read_docs(out)) == 2  # each target has its source's spans


# ---------------------------------------------------------------------------------------
# the commands that only move Docs make no pipeline (util.vocab)


@pytest.mark.parametrize("lang", ["en", "fr", "xx", "hau"])
def test_vocab_is_the_blank_pipelines(lang):
    from spacy_xlt import util

    vocab, blank = util.vocab(lang), util.blank(lang).vocab
    assert vocab.lang == blank.lang and vocab.writing_system == blank.writing_system
    for word in ["The", "is", "1,000", "l'homme", "Élan", "ALLCAPS"]:
        a, b = vocab[word], blank[word]
        assert (a.norm_, a.is_stop, a.like_num, a.lang_, a.shape_) == (b.norm_, b.is_stop, b.like_num, b.lang_, b.shape_)


LIGHT_COMMANDS = """
import runpy, sys
for args in ({commands}):
    sys.argv = ["spacy", *args]
    try:
        runpy.run_module("spacy", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        assert not exit.code, (args, exit.code)
print("transformers" in sys.modules)
"""


def test_subset_and_pair_import_no_transformers(tmp_path):
    """A pipeline would load every installed factory (spacy-transformers, and so
    transformers: seconds of CPU in every process); these commands need a vocab only."""
    gold = tmp_path / "gold.spacy"
    DocBin(docs=[make_doc(spacy.blank("xx").vocab, ["Tomi", "ran"], [(0, 1, "PER")])]).to_disk(gold)
    commands = [
        ["xlt", "subset", str(gold), str(tmp_path / "sub.spacy"), "--limit", "1", "--lang", "fr"],
        ["xlt", "pair", str(gold), str(gold), str(tmp_path / "pairs.spacy"), "--target-lang", "es"],
    ]
    proc = subprocess.run(
        [sys.executable, "-c", LIGHT_COMMANDS.format(commands=", ".join(map(repr, commands)) + ",")],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False", proc.stdout
    assert len(read_docs(tmp_path / "pairs.spacy")) == 1
