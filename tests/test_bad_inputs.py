"""Bad inputs to the `spacy xlt` commands (issue 12): every case runs the CLI and must fail
with a coded `[XLTE...]` message that names the file (and the line or record where there is
one), with no traceback, and leave every file that was there before byte-identical (a "good"
output is written first where the case has one), with no temporary file left behind.

The positive cases at the end check what must NOT be an error: a UTF-8 BOM in every kind of
text input, an explicit --target-format for a target that auto-detection calls ambiguous.
"""

import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.pairs import make_pair

runner = CliRunner()

SOURCE = "Ada B-PER\nLovelace I-PER\nsang O\n\nBob B-PER\nran O\nto O\nLima B-LOC\n\nCy B-ORG\nsat O\n"
TARGET = "Ada Lovelace cantó\nBob corrió a Lima\nCy se sentó\n"
ALIGN = "0-0 1-1 2-2\n0-0 1-1 2-2 3-3\n0-0 1-2\n"
#: a one-sentence-per-line text whose lines all end in a tag-like word
SBAHN = "Nimm die S-Bahn\nEr flog B-52\nDas ist O\n"
XML = """<?xml version="1.0" encoding="UTF-8"?>
<Reviews><Review rid="r1"><sentences>
<sentence id="r1:0"><text>Un café con leche</text>
<Opinions><Opinion target="café" category="DRINKS#QUALITY" polarity="positive" from="3" to="7"/></Opinions>
</sentence>
</sentences></Review></Reviews>
"""
METRICS = {
    mode: {
        "micro": {"p": 0.5, "r": 0.5, "f": 0.5, "support": 2},
        "macro": {"p": 0.5, "r": 0.5, "f": 0.5, "support": 2},
        "per_label": {"PER": {"p": 0.5, "r": 0.5, "f": 0.5, "support": 2}},
    }
    for mode in ("strict", "default")
}


def _docs(text: str, lang: str) -> List[Doc]:
    from spacy_xlt.corpora import conll_to_docs, read_conll

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "source.conll"
        path.write_text(text, encoding="utf8")
        return conll_to_docs(read_conll(path), lang)


@cache
def good_bytes() -> Dict[str, bytes]:
    """DocBin bytes written once: plain docs, pairs, gold targets, a DocBin of no docs."""
    sources = _docs(SOURCE, "en")
    nlp = spacy.blank("es")
    targets = [nlp.make_doc(line) for line in TARGET.splitlines()]
    pairs = [make_pair(s, t, source_lang="en") for s, t in zip(sources, targets)]
    gold = []
    for line, spans in zip(TARGET.splitlines(), [[(0, 2, "PER")], [(0, 1, "PER"), (3, 4, "LOC")], [(0, 1, "ORG")]]):
        doc = nlp.make_doc(line)
        doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in spans]
        gold.append(doc)
    return {
        "plain": DocBin(docs=sources).to_bytes(),
        "pairs": DocBin(docs=pairs, store_user_data=True).to_bytes(),
        "gold": DocBin(docs=gold).to_bytes(),
        "none": DocBin().to_bytes(),
    }


class Work:
    """A folder of good inputs; paths are relative to it (the tests run inside it)."""

    def __init__(self, root: Path):
        self.root = root
        self.text("src.conll", SOURCE)
        self.text("tgt.txt", TARGET)
        self.text("align.txt", ALIGN)
        self.text("notes.txt", "a plain file, not a folder\n")
        self.text("corpus/a.conll", SOURCE)
        self.text("corpus/b.conll", "Kano B-LOC\nni O\n\n")
        self.data("a.spacy", good_bytes()["plain"])
        self.data("pairs.spacy", good_bytes()["pairs"])
        self.data("gold.spacy", good_bytes()["gold"])
        self.text("metrics/zeroshot/aa.json", json.dumps(METRICS))

    def data(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return Path(name)

    def text(self, name: str, text: str, encoding: str = "utf8") -> Path:
        return self.data(name, text.encode(encoding))

    def good_output(self, name: str) -> Path:
        """A pre-existing good output, which a failing run must leave as it is."""
        return self.data(name, good_bytes()["pairs"])

    def link(self, name: str, to: str, hard: bool = False) -> Path:
        (os.link if hard else os.symlink)(self.root / to if hard else to, self.root / name)
        return Path(name)


def flat(output: str) -> str:
    """The output with wasabi's line wrapping undone."""
    return " ".join(output.split())


def snapshot(root: Path) -> Dict[str, object]:
    """Every file under ``root``: its bytes (a symbolic link: where it points). The empty
    ``.OUT.lock`` files and the ``OUT.partial.jsonl`` resume files of the resumable commands
    (spacy_xlt.resume: a failed `project` may keep its finished chunks) are no outputs."""
    files: Dict[str, object] = {}
    for folder, dirs, names in os.walk(root):
        for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            if (name.startswith(".") and name.endswith(".lock")) or name.endswith(".partial.jsonl"):
                continue
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            files[rel] = ("link", os.readlink(path)) if path.is_symlink() else path.read_bytes()
    return files


@pytest.fixture
def work(tmp_path, monkeypatch) -> Work:
    monkeypatch.chdir(tmp_path)
    return Work(tmp_path)


Case = Callable[[Work], Tuple[Sequence[object], Sequence[str]]]
CASES: List[Case] = []


def case(fn: Case) -> Case:
    CASES.append(fn)
    return fn


# --- outputs: never over an input, never a folder, never under a file --------------------


@case
def convert_output_is_the_input(w):
    return ["convert", "src.conll", "src.conll"], ["XLTE340", "Output src.conll is the input src.conll"]


@case
def convert_output_is_the_input_spelled_dot_slash(w):
    return ["convert", "src.conll", "./src.conll"], ["XLTE340", "src.conll"]


@case
def convert_output_is_a_hard_link_to_the_input(w):
    w.link("linked.spacy", "src.conll", hard=True)
    return ["convert", "src.conll", "linked.spacy"], ["XLTE340", "linked.spacy", "src.conll"]


@case
def convert_output_is_a_symlink_to_the_input(w):
    w.link("link.spacy", "src.conll")
    return ["convert", "src.conll", "link.spacy"], ["XLTE340", "link.spacy"]


@case
def convert_output_is_a_folder(w):
    (w.root / "out.spacy").mkdir()
    return ["convert", "src.conll", "out.spacy"], ["XLTE342", "out.spacy is a folder"]


@case
def convert_output_under_a_file(w):
    return ["convert", "src.conll", "notes.txt/out.spacy"], ["XLTE341", "notes.txt is a file"]


@case
def convert_folder_output_inside_the_input_folder(w):
    return ["convert", "corpus", "corpus/converted"], ["XLTE348", "inside the input folder corpus"]


@case
def convert_folder_output_is_the_input_folder(w):
    return ["convert", "corpus", "./corpus"], ["XLTE348", "the same folder as the input folder corpus"]


@case
def convert_folder_output_is_a_file(w):
    return ["convert", "corpus", "notes.txt"], ["XLTE342", "notes.txt is a file"]


@case
def convert_folder_output_file_is_a_hard_link_to_an_input(w):
    (w.root / "out").mkdir()
    w.link("out/b.spacy", "corpus/b.conll", hard=True)
    return ["convert", "corpus", "out"], ["XLTE340", "out/b.spacy", "corpus/b.conll"]


@case
def convert_folder_two_inputs_one_output(w):
    w.text("corpus/a.tsv", SOURCE)
    return ["convert", "corpus", "out"], ["XLTE352", "corpus/a.conll and corpus/a.tsv would both be written to out/a.spacy"]


@case
def convert_folder_without_corpus_files(w):
    w.text("docs/readme.md", "# notes\n")
    return ["convert", "docs", "out"], ["XLTE353", "No corpus files in docs"]


@case
def pair_output_is_the_source(w):
    return ["pair", "src.conll", "tgt.txt", "src.conll", "-t", "es"], ["XLTE340", "src.conll"]


@case
def pair_output_is_a_hard_link_to_the_target(w):
    w.link("out.spacy", "tgt.txt", hard=True)
    return ["pair", "src.conll", "tgt.txt", "out.spacy", "-t", "es"], ["XLTE340", "tgt.txt"]


@case
def subset_output_is_one_of_the_inputs(w):
    return ["subset", "a.spacy", "pairs.spacy", "a.spacy"], ["XLTE340", "a.spacy"]


@case
def subset_output_is_a_symlink_to_an_input(w):
    w.link("out.spacy", "pairs.spacy")
    return ["subset", "a.spacy", "pairs.spacy", "out.spacy"], ["XLTE340", "out.spacy", "pairs.spacy"]


@case
def subset_folder_output_inside_the_input_folder(w):
    w.data("docs/a.spacy", good_bytes()["plain"])
    return ["subset", "docs", "docs/small", "--limit", "1"], ["XLTE348", "inside the input folder docs"]


@case
def results_output_folder_is_a_file(w):
    return ["results", "metrics", "notes.txt", "--methods", "zeroshot", "--langs", "aa"], ["XLTE342", "notes.txt"]


@case
def results_output_under_a_file(w):
    args = ["results", "metrics", "notes.txt/results", "--methods", "zeroshot", "--langs", "aa"]
    return args, ["XLTE341", "notes.txt is a file"]


@case
def results_output_is_an_evaluation_file_it_reads(w):
    w.text("metrics/zeroshot/results.json", json.dumps(METRICS))
    args = ["results", "metrics", "metrics/zeroshot", "--methods", "zeroshot", "--langs", "results"]
    return args, ["XLTE340", "results.json"]


@case
def visualize_output_is_the_pairs_file(w):
    return ["visualize", "pairs.spacy", "pairs.spacy"], ["XLTE340", "pairs.spacy"]


@case
def visualize_output_is_the_gold_file(w):
    return ["visualize", "pairs.spacy", "gold.spacy", "--gold", "gold.spacy"], ["XLTE340", "gold.spacy"]


@case
def visualize_output_is_a_folder(w):
    return ["visualize", "pairs.spacy", "corpus"], ["XLTE342", "corpus is a folder"]


@case
def evaluate_output_is_the_gold_file(w):
    return ["evaluate", "gold.spacy", "pairs.spacy", "--output", "gold.spacy"], ["XLTE340", "gold.spacy"]


@case
def evaluate_output_is_a_folder(w):
    return ["evaluate", "gold.spacy", "pairs.spacy", "--output", "metrics"], ["XLTE342", "metrics is a folder"]


@case
def sample_output_folder_is_a_file(w):
    return ["sample", "notes.txt"], ["XLTE342", "notes.txt is a file"]


@case
def sample_output_folder_under_a_file(w):
    return ["sample", "notes.txt/sample"], ["XLTE341", "notes.txt is a file"]


# --- .spacy files: truncated, empty, not a DocBin, or passed as text ---------------------


@case
def subset_of_a_truncated_docbin(w):
    data = good_bytes()["pairs"]
    w.data("half.spacy", data[: len(data) // 2])
    w.good_output("out.spacy")
    return ["subset", "half.spacy", "out.spacy"], ["XLTE344", "half.spacy is not a readable .spacy file", "the file is truncated"]


@case
def visualize_of_a_truncated_docbin(w):
    data = good_bytes()["pairs"]
    w.data("half.spacy", data[: len(data) // 2])
    w.text("page.html", "<html>an earlier page</html>\n")
    return ["visualize", "half.spacy", "page.html"], ["XLTE344", "half.spacy"]


@case
def visualize_of_an_empty_file(w):
    w.data("empty.spacy", b"")
    w.text("page.html", "<html>an earlier page</html>\n")
    return ["visualize", "empty.spacy", "page.html"], ["XLTE344", "empty.spacy", "the file is empty"]


@case
def visualize_of_a_docbin_without_docs(w):
    w.data("none.spacy", good_bytes()["none"])
    return ["visualize", "none.spacy", "page.html"], ["XLTE205", "none.spacy holds no documents"]


@case
def visualize_of_docs_that_are_not_pairs(w):
    return ["visualize", "a.spacy", "page.html"], ["XLTE042", "Doc 0 of a.spacy has no source side"]


@case
def convert_a_text_file_named_spacy(w):
    w.text("text.spacy", SOURCE)
    w.good_output("out.spacy")
    return ["convert", "text.spacy", "out.spacy"], ["XLTE344", "text.spacy", "not zlib-compressed data", "b'Ada B-PER"]


@case
def convert_a_docbin_as_conll(w):
    w.good_output("out.spacy")
    return ["convert", "a.spacy", "out.spacy", "--format", "conll"], ["XLTE346", "a.spacy is binary data", "--format spacy"]


@case
def evaluate_a_truncated_gold_file(w):
    data = good_bytes()["gold"]
    w.data("half.spacy", data[: len(data) // 2])
    return ["evaluate", "half.spacy", "pairs.spacy"], ["XLTE344", "half.spacy"]


# --- text that is not UTF-8: named by line and column -------------------------------------


@case
def convert_bad_byte_early(w):
    w.data("bad.conll", b"Ada B-PER\ncaf\xe9 O\n")
    w.good_output("out.spacy")
    return ["convert", "bad.conll", "out.spacy"], ["XLTE028", "bad.conll:2:4:", "byte 0xe9", "iconv"]


@case
def convert_bad_byte_after_8_kb(w):
    body = "word O\n" * 1500  # 10,500 bytes before the bad line
    w.data("big.conll", body.encode() + "ñaña".encode() + b"\xff O\n")
    return ["convert", "big.conll", "out.spacy"], ["XLTE028", "big.conll:1501:5:", "byte 0xff"]


@case
def pair_latin1_target(w):
    w.text("tgt_latin1.txt", TARGET, encoding="latin-1")
    column = TARGET.index("ó") + 1
    return ["pair", "src.conll", "tgt_latin1.txt", "out.spacy", "-t", "es"], ["XLTE028", f"tgt_latin1.txt:1:{column}:"]


@case
def pair_utf16_target(w):
    w.text("tgt16.txt", TARGET, encoding="utf-16")
    return ["pair", "src.conll", "tgt16.txt", "out.spacy", "-t", "es"], ["XLTE346", "tgt16.txt", "UTF-16"]


@case
def convert_latin1_xml(w):
    w.text("bad.xml", XML, encoding="latin-1")
    line = XML[: XML.index("é")].count("\n") + 1
    column = XML.index("é") - XML.rfind("\n", 0, XML.index("é"))
    return ["convert", "bad.xml", "out.spacy"], ["XLTE028", f"bad.xml:{line}:{column}:"]


@case
def evaluate_latin1_conll(w):
    w.text("latin1.conll", SOURCE.replace("Lima", "Bogotá"), encoding="latin-1")
    return ["evaluate", "src.conll", "latin1.conll"], ["XLTE028", "latin1.conll:8:6:"]


@case
def project_with_a_latin1_pharaoh_file(w):
    w.data("bad_align.txt", b"0-0 1-1 2-2\n0-0 \xe91-1\n0-0\n")
    w.good_output("out.spacy")
    args = ["project", "pairs.spacy", "out.spacy", "--alignments", "bad_align.txt"]
    return args, ["XLTE028", "bad_align.txt:2:5:"]


@case
def results_latin1_metrics_file(w):
    w.data("metrics/zeroshot/aa.json", json.dumps({"title": "é"}).replace("\\u00e9", "\xe9").encode("latin-1"))
    return ["results", "metrics", "out", "--methods", "zeroshot", "--langs", "aa"], ["XLTE028", "aa.json:1:"]


# --- CoNLL / quality / XML content: the line (or sentence) that is wrong -------------------


@case
def conll_line_with_one_column(w):
    w.text("bad.conll", "Ada B-PER\nsang\n")
    return ["convert", "bad.conll", "out.spacy"], ["XLTE020", "bad.conll:2:", "one column only"]


@case
def conll_wrong_number_of_columns(w):
    w.text("bad.conll", "Ada B-PER\nsang NN O\n")
    return ["convert", "bad.conll", "out.spacy"], ["XLTE020", "bad.conll:2:", "3 columns, but line 1 has 2"]


@case
def conll_empty_column(w):
    w.text("bad.conll", "Ada\tB-PER\n\tO\n")
    return ["convert", "bad.conll", "out.spacy"], ["XLTE020", "bad.conll:2:", "column 1 is empty"]


@case
def conll_tag_of_no_scheme(w):
    w.text("bad.conll", "Ada B-PER\n\nBob PERSON\n")
    return ["convert", "bad.conll", "out.spacy"], ["XLTE020", "bad.conll:3:", "'PERSON'", "expected O, or a prefix B-, I-, E-, S-, L- or U- and a label"]


@case
def iob2_inside_tag_after_o(w):
    w.text("bad.conll", "Ada O\nLovelace I-PER\n")
    args = ["convert", "bad.conll", "out.spacy", "--scheme", "iob2"]
    return args, ["XLTE020", "bad.conll:2:", "I-PER continues a span", "must follow B-PER or I-PER, not 'O'", "--scheme iob1 or auto"]


@case
def iob2_bioes_tag(w):
    w.text("bad.conll", "Ada S-PER\nsang O\n")
    args = ["convert", "bad.conll", "out.spacy", "--scheme", "iob2"]
    return args, ["XLTE020", "bad.conll:1:", "the iob2 scheme expects O, B-LABEL or I-LABEL", "E-/S- tags are BIOES"]


@case
def bioes_bilou_tag(w):
    w.text("bad.conll", "Ada B-PER\nLovelace I-PER\n\nBob U-PER\n")
    args = ["convert", "bad.conll", "out.spacy", "--scheme", "bioes"]
    return args, ["XLTE020", "bad.conll:4:", "the bioes scheme expects O, B-LABEL, I-LABEL, E-LABEL or S-LABEL", "L-/U- tags are BILOU"]


@case
def iob1_end_tag(w):
    w.text("bad.conll", "Ada I-PER\nLovelace E-PER\n")
    args = ["convert", "bad.conll", "out.spacy", "--scheme", "iob1"]
    return args, ["XLTE020", "bad.conll:2:", "the iob1 scheme expects O, B-LABEL or I-LABEL"]


@case
def quality_value_wrong_on_line_3(w):
    w.text("proj.tsv", "sopa\tB-TARGET\tHighQuality\nde\tI-TARGET\tHighQuality\nmiso\tI-TARGET\tGood\n")
    w.good_output("out.spacy")
    return ["convert", "proj.tsv", "out.spacy"], ["XLTE020", "proj.tsv:3:", "quality 'Good' is not one of"]


@case
def quality_file_with_two_columns(w):
    w.text("proj.tsv", "sopa\tB-TARGET\n")
    args = ["convert", "proj.tsv", "out.spacy", "--format", "quality"]
    return args, ["XLTE020", "proj.tsv:1:", "a quality TSV has 3"]


@case
def xml_that_does_not_parse(w):
    w.text("bad.xml", '<?xml version="1.0"?>\n<Reviews>\n<sentence id="1"><text>x</sentence>\n')
    return ["convert", "bad.xml", "out.spacy"], ["XLTE023", "bad.xml", "line 3"]


@case
def xml_target_that_is_not_at_its_offsets(w):
    w.text("bad.xml", XML.replace('target="café"', 'target="leche"'))
    return ["convert", "bad.xml", "out.spacy"], ["XLTE024", "bad.xml", "sentence 'r1:0'", "'leche'"]


@case
def convert_missing_file(w):
    return ["convert", "missing.conll", "out.spacy"], ["XLTE021", "missing.conll"]


# --- spacy xlt pair: parallel files and the target format ---------------------------------


@case
def pair_files_of_different_lengths(w):
    w.text("short.txt", "Ada cantó\nBob corrió\n")
    w.good_output("out.spacy")
    args = ["pair", "src.conll", "short.txt", "out.spacy", "-t", "es"]
    return args, ["XLTE040", "3 source docs in src.conll but 2 target records in short.txt"]


@case
def pair_empty_target_line(w):
    w.text("gap.txt", "Ada Lovelace cantó\n\nCy se sentó\n")
    args = ["pair", "src.conll", "gap.txt", "out.spacy", "-t", "es"]
    return args, ["XLTE041", "gap.txt:2:", "--skip-empty"]


@case
def pair_target_that_only_looks_tagged(w):
    w.text("sbahn.txt", SBAHN)
    args = ["pair", "src.conll", "sbahn.txt", "out.spacy", "-t", "de"]
    return args, ["XLTE349", "sbahn.txt", "line 3 ('Das ist O')", "--target-format"]


@case
def pair_tagged_target_without_sentence_breaks(w):
    w.text("tags.txt", "Kano B-LOC\nni O\nna O\n")
    args = ["pair", "src.conll", "tags.txt", "out.spacy", "-t", "ha"]
    return args, ["XLTE349", "tags.txt", "no blank line ends a sentence", "--target-format"]


@case
def pair_source_is_a_folder(w):
    return ["pair", "corpus", "tgt.txt", "out.spacy", "-t", "es"], ["XLTE027", "corpus is a folder"]


@case
def convert_txt_that_only_looks_tagged(w):
    w.text("sbahn.txt", SBAHN)
    return ["convert", "sbahn.txt", "out.spacy"], ["XLTE349", "sbahn.txt", "Pass --format"]


@case
def convert_plain_text(w):
    return ["convert", "tgt.txt", "out.spacy"], ["XLTE350", "tgt.txt does not look like a CoNLL/IOB file", "line 1"]


# --- Pharaoh files: spacy xlt project --alignments ------------------------------------------


def _project(w, text: str):
    w.text("bad.talp", text)
    w.good_output("out.spacy")
    return ["project", "pairs.spacy", "out.spacy", "--alignments", "bad.talp"]


@case
def pharaoh_link_that_is_no_link(w):
    return _project(w, "0-0 1-1\n0-0 1-x\n0-0\n"), ["XLTE140", "bad.talp:2:", "'1-x'"]


@case
def pharaoh_link_with_a_probability(w):
    return _project(w, "0-0-0.9 1-1\n0-0\n0-0\n"), ["XLTE140", "bad.talp:1:", "'0-0-0.9'"]


@case
def pharaoh_link_out_of_range(w):
    return _project(w, "0-0\n0-0 1-9\n0-0\n"), ["XLTE141", "bad.talp:2:", "target word 9"]


@case
def pharaoh_file_with_too_few_lines(w):
    return _project(w, "0-0\n0-0\n"), ["XLTE142", "bad.talp has 2 alignment lines", "3"]


@case
def pharaoh_file_with_too_many_lines(w):
    return _project(w, "0-0\n0-0\n0-0\n0-0\n"), ["XLTE335", "bad.talp has 4 alignment lines"]


# --- spacy xlt results: metrics files -------------------------------------------------------


def _results(w, content: str):
    w.text("metrics/zeroshot/aa.json", content)
    w.text("out/results.md", "an earlier table\n")
    return ["results", "metrics", "out", "--methods", "zeroshot", "--langs", "aa"]


@case
def results_metrics_file_not_json(w):
    return _results(w, '{\n  "default": {micro}\n}\n'), ["XLTE090", "aa.json", "not JSON at line 2, column"]


@case
def results_metrics_file_a_list(w):
    return _results(w, "[1, 2]\n"), ["XLTE090", "aa.json", "no default.micro.f score", "list"]


@case
def results_metrics_file_score_not_a_number(w):
    data = json.loads(json.dumps(METRICS))
    data["default"]["micro"]["f"] = "high"
    return _results(w, json.dumps(data)), ["XLTE090", "aa.json", "default.micro.f is 'high', not a number"]


@case
def results_metrics_file_per_label_not_a_mapping(w):
    data = json.loads(json.dumps(METRICS))
    data["default"]["per_label"] = [1, 2]
    return _results(w, json.dumps(data)), ["XLTE090", "aa.json", "default.per_label is a list, not a mapping"]


@case
def visualize_gold_of_another_length(w):
    db = DocBin().from_bytes(good_bytes()["gold"])
    docs = list(db.get_docs(spacy.blank("es").vocab))[:2]
    w.data("gold2.spacy", DocBin(docs=docs).to_bytes())
    return ["visualize", "pairs.spacy", "page.html", "--gold", "gold2.spacy"], ["XLTE351", "gold2.spacy has 2 documents but pairs.spacy has 3"]


def test_there_are_enough_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("make_case", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input(work, make_case):
    args, fragments = make_case(work)
    before = snapshot(work.root)
    result = runner.invoke(xlt_cli, [str(a) for a in args])
    output = result.output
    assert result.exit_code != 0, output
    # an error the command turned into a message, not one that escaped it
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert "[XLTE" in output, output
    text = flat(output)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    # every file that was there is byte-identical, and nothing was added (no temp file left)
    assert snapshot(work.root) == before


# --- what is not an error ------------------------------------------------------------------

BOM = "\ufeff"


def _read(path: Path, lang: str = "xx") -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(spacy.blank(lang).vocab))


def _ok(args) -> str:
    result = runner.invoke(xlt_cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return flat(result.output)


@pytest.mark.parametrize("kind", ["conll", "quality", "xml"])
def test_bom_is_dropped_by_convert(work, kind):
    text = {
        "conll": SOURCE,
        "quality": "sopa\tB-TARGET\tHighQuality\nfría\tO\t-\n",
        "xml": XML,
    }[kind]
    name = {"conll": "bom.conll", "quality": "bom.tsv", "xml": "bom.xml"}[kind]
    work.text(name, BOM + text)
    _ok(["convert", name, "out.spacy"])
    first = _read(work.root / "out.spacy")[0]
    assert BOM not in first.text
    assert first[0].text == {"conll": "Ada", "quality": "sopa", "xml": "Un"}[kind]
    assert len(first.ents) == 1


def test_bom_is_dropped_from_a_text_target_and_a_pharaoh_file(work):
    work.text("bom.txt", BOM + TARGET)
    text = _ok(["pair", "src.conll", "bom.txt", "bom_pairs.spacy", "-t", "es"])
    assert "bom.txt: read as plain text, one sentence per line" in text
    assert _read(work.root / "bom_pairs.spacy", "es")[0][0].text == "Ada"
    work.text("bom.talp", BOM + ALIGN)
    _ok(["project", "bom_pairs.spacy", "projected.spacy", "--alignments", "bom.talp"])
    assert [(e.start, e.end, e.label_) for e in _read(work.root / "projected.spacy", "es")[0].ents] == [(0, 2, "PER")]


def test_bom_is_dropped_from_a_metrics_file(work):
    work.text("metrics/zeroshot/aa.json", BOM + json.dumps(METRICS))
    _ok(["results", "metrics", "out", "--methods", "zeroshot", "--langs", "aa"])
    assert json.loads((work.root / "out" / "results.json").read_text("utf8"))["scores"] == {"zeroshot": {"aa": 50.0}}


def test_explicit_target_format_reads_what_auto_refuses(work):
    work.text("sbahn.txt", SBAHN)
    _ok(["pair", "src.conll", "sbahn.txt", "out.spacy", "-t", "de", "--target-format", "text"])
    assert [d.text for d in _read(work.root / "out.spacy", "de")] == SBAHN.splitlines()


def test_auto_detection_says_what_it_found(work):
    work.text("tagged.txt", "Ada B-PER\nLovelace I-PER\ncantó O\n\nBob B-PER\ncorrió O\n\nCy B-ORG\nse O\n\n")
    text = _ok(["pair", "src.conll", "tagged.txt", "out.spacy", "-t", "es"])
    assert "tagged.txt: read as conll (every line is WORD ... TAG" in text
    assert "target (conll): 3 gold spans" in text
    text = _ok(["convert", "tagged.txt", "tagged.spacy"])
    assert "(conll: every line is WORD ... TAG" in text


def test_a_failed_run_keeps_the_old_output_and_a_good_run_replaces_it(work):
    work.good_output("out.spacy")
    before = (work.root / "out.spacy").read_bytes()
    result = runner.invoke(xlt_cli, ["convert", "missing.conll", "out.spacy"])
    assert result.exit_code == 1 and (work.root / "out.spacy").read_bytes() == before
    _ok(["convert", "src.conll", "out.spacy"])
    assert len(_read(work.root / "out.spacy")) == 3
    assert sorted(p.name for p in work.root.iterdir() if p.name.endswith(".part")) == []
