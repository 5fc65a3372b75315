"""The weasel projects under projects/: dry runs list every command with its vars filled in,
the asset checksums match the data they name, and the smoke workflows (slow; `make smoke`)
run end to end on tiny models with the results tables read back from the metrics files."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from spacy_xlt.pairs import read_docs

REPO = Path(__file__).resolve().parent.parent
PROJECTS = REPO / "projects"
# what a checkout of a project holds (those it has); generated folders are left behind
PROJECT_FILES = ["project.yml", "configs", "scripts", "requirements.txt"]
#: every project with data assets
ASSET_PROJECTS = ["masakhaner", "ote", "abstrct", "europarl"]
# the repositories whose files CRLF line ends were removed from in the shared copy
CRLF_SOURCES = ("ikergarcia1996/Easy-Label-Projection",)
METHODS = ["zeroshot", "statistical", "statistical_en", "tprojection", "tprojection_en",
           "easyproject", "easyproject_en", "codec", "codec_en", "translate_test",
           "tagger_constrained", "tagger_unconstrained"]
#: the columns of the smoke runs: two of the four marker routes (the other two train the same way)
SMOKE_METHODS = [m for m in METHODS if m not in ("easyproject", "codec_en")]


def _env() -> dict:
    env = dict(os.environ)
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    # `python` in the project's commands must be this interpreter (the one with spacy_xlt)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _config(name: str) -> dict:
    return yaml.safe_load((PROJECTS / name / "project.yml").read_text(encoding="utf8"))


def _copy_project(name: str, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for item in PROJECT_FILES:
        path = PROJECTS / name / item
        if path.is_dir():
            shutil.copytree(path, dst / item)
        elif path.is_file():
            shutil.copy2(path, dst / item)
    return dst


def _run(args, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "weasel", *args], capture_output=True, text=True, env=_env(),
        cwd=cwd, timeout=timeout,
    )


@pytest.mark.parametrize("name", ["masakhaner", "ote"])
def test_dry_run_lists_every_command(tmp_path, name):
    project = _copy_project(name, tmp_path / name)
    result = _run(["run", "all", str(project), "--dry"])
    assert result.returncode == 0, result.stdout + result.stderr
    config = _config(name)
    stdout = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    listed = re.findall(r"^=+ (\S+) =+$", stdout, flags=re.M)
    assert listed == config["workflows"]["all"]
    commands = {c["name"]: c for c in config["commands"]}
    printed = [line[len("Running command: "):] for line in stdout.splitlines() if line.startswith("Running command: ")]
    n_lines = sum(len(commands[step]["script"]) for step in config["workflows"]["all"])
    assert len(printed) == n_lines
    assert "${vars." not in stdout
    assert any("spacy xlt translate" in line for line in printed)
    assert any("--pipeline training/tprojection/model-best" in line for line in printed)
    # translate-train with and without the English data added
    assert any(re.search(r"subset '?corpus/silver/tprojection/\{lang\}\.spacy'? corpus/en_train\.spacy", line) for line in printed)
    # the marker projectors (translate-train) with the EasyProject checkpoint, and translate-test
    for method in ("easyproject", "codec"):
        line = next(line for line in printed if f"--method {method}" in line)
        assert "spacy xlt project" in line and "translator.name=ychenNLP/nllb-200-3.3B-easyproject" in line
        assert any(re.search(rf"subset '?corpus/silver/{method}/\{{lang\}}\.spacy'? corpus/en_train\.spacy", line) for line in printed)
    test_line = next(line for line in printed if "spacy xlt translate-test" in line)
    assert "--pipeline training/zeroshot/model-best" in test_line and "--projector codec" in test_line
    assert "--marker-model ychenNLP/nllb-200-3.3B-easyproject" in test_line and "translate_test/{lang}.json" in test_line
    # every silver set is trained and scored, every method is a column of the table
    assert config["vars"]["methods"].split(",") == METHODS
    assert set(config["vars"]["silver_methods"].split(",")) == set(METHODS) - {"zeroshot", "translate_test", "tagger_constrained", "tagger_unconstrained"}
    # one var switches the translator backend of translate and translate-test
    assert _backends(printed) == {"translate": "hf", "translate-test": "hf"}
    ct2 = _run(["run", "all", str(project), "--dry", "--vars.translate_backend", "ct2", "--vars.translate_compute_type", "int8"])
    assert ct2.returncode == 0, ct2.stdout + ct2.stderr
    ct2_printed = [line[len("Running command: "):] for line in re.sub(r"\x1b\[[0-9;]*m", "", ct2.stdout).splitlines() if line.startswith("Running command: ")]
    assert _backends(ct2_printed) == {"translate": "ct2", "translate-test": "ct2"}
    assert all("--compute-type int8" in line for line in ct2_printed if "--backend" in line)
    for line in printed:
        assert "models/" not in line, line  # real model names outside the smoke run


def _backends(printed) -> dict:
    """The --backend of the `spacy xlt translate` and `translate-test` command lines."""
    out = {}
    for line in printed:
        found = re.search(r"spacy xlt (translate(?:-test)?) .*--backend (\S+)", line)
        if found:
            assert found.group(1) not in out, line
            out[found.group(1)] = found.group(2)
    return out


def _dry(name: str, workflow: str, tmp_path: Path, *args: str):
    """The commands a dry run of ``workflow`` prints (steps, command lines), every step and
    script line of the workflow accounted for and every var filled in."""
    project = _copy_project(name, tmp_path / name)
    result = _run(["run", workflow, str(project), "--dry", *args])
    assert result.returncode == 0, result.stdout + result.stderr
    config = _config(name)
    stdout = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    listed = re.findall(r"^=+ (\S+) =+$", stdout, flags=re.M)
    assert listed == config["workflows"][workflow]
    commands = {c["name"]: c for c in config["commands"]}
    printed = [line[len("Running command: "):] for line in stdout.splitlines() if line.startswith("Running command: ")]
    assert len(printed) == sum(len(commands[step]["script"]) for step in listed)
    assert "${vars." not in stdout
    for line in printed:
        assert "models/" not in line, line  # no tiny models outside the smoke runs
    return printed


#: (project, workflow): the CPU workflows with real downstream figures
REAL_WORKFLOWS = [("ote", "real"), ("abstrct", "all"), ("europarl", "all")]
#: the transformer variant of each: the same commands with another config, encoder and GPU
GPU_VARS = {
    ("ote", "real"): ["--vars.real_config", "configs/ner.cfg", "--vars.real_gpu_id", "0"],
    ("abstrct", "all"): ["--vars.config", "configs/ner_trf.cfg", "--vars.gpu_id", "0"],
    ("europarl", "all"): ["--vars.config", "configs/ner_trf.cfg", "--vars.gpu_id", "0"],
}


@pytest.mark.parametrize("name,workflow", REAL_WORKFLOWS)
def test_dry_run_real_workflows(tmp_path, name, workflow):
    """The CPU workflows: spaCy's CNN config on the CPU, every route trained and scored from
    the evaluation files; their transformer variant changes only the config, encoder and GPU."""
    printed = _dry(name, workflow, tmp_path / "cpu")
    trains = [line for line in printed if "spacy train" in line]
    assert trains and all("configs/ner_cnn.cfg" in line and "--gpu-id -1" in line for line in trains)
    assert any("spacy xlt results" in line for line in printed)
    assert not any("spacy xlt translate " in line for line in printed)  # the translations are given
    gpu = _dry(name, workflow, tmp_path / "gpu", *GPU_VARS[(name, workflow)])
    assert len(gpu) == len(printed)
    changed = [(a, b) for a, b in zip(printed, gpu) if a != b]
    assert changed and all("spacy train" in a or "--gpu-id" in a for a, _ in changed)
    for line in (b for _, b in changed if "spacy train" in b):
        assert "configs/ner" in line and "ner_cnn" not in line and "--gpu-id 0" in line
        assert "--paths.encoder xlm-roberta-large" in line
    joined = "\n".join(printed)
    if name in ("ote", "abstrct"):
        # translate-train (statistical, + en, filtered by the projection records), the oracle
        assert re.search(r"--config '?configs/projector_\{method\}\.cfg'?", joined) and "--gold" in joined
        assert re.search(r"subset '?corpus/(real/)?train/\{method\}/\{lang\}\.spacy'? '?corpus/(real/)?train/\{method\}_filtered/\{lang\}\.spacy'? --drop-lost", joined)
        assert "oracle" in joined and "_en/{lang}.spacy" in joined
        # dev sets: silver or hand projection of the English dev set's translation, not target gold
        for line in trains:
            assert "test" not in line.split("--paths.dev")[1].split()[0], line
    if name == "ote":
        assert "--system.seed '{seed}'" in joined or "--system.seed {seed}" in joined
        assert "es-seed{seed}" in joined
    if name == "abstrct":
        assert printed[0].endswith("--langs es,fr,it") and "scripts/repair.py" in printed[0]
    if name == "europarl":
        assert re.search(r"spacy xlt predict \S+ '?corpus/pairs/\{lang\}\.spacy'? \S+ --side source", joined)
        assert re.search(r"--gold '?corpus/europarl/\{lang\}\.spacy'?", joined)


@pytest.mark.parametrize("name", ["ote", "abstrct", "europarl"])
def test_cnn_and_transformer_configs_share_paths(name):
    """One command line fits either pipeline config: the same [paths], the encoder among them."""
    from thinc.api import Config

    configs = sorted((PROJECTS / name / "configs").glob("ner*.cfg"))
    assert len(configs) == 2
    paths = [set(Config().from_disk(path, interpolate=False)["paths"]) for path in configs]
    assert paths[0] == paths[1] and "encoder" in paths[0]
    trf = Config().from_disk(next(p for p in configs if "cnn" not in p.name), interpolate=False)
    assert trf["components"]["transformer"]["model"]["name"] == "${paths.encoder}"


@pytest.mark.parametrize("name", ASSET_PROJECTS)
def test_assets_pinned_with_checksums_of_the_data(name, data_dir):
    """Every asset is pinned to a commit and its md5 is that of the file it names. The shared
    copy of Easy-Label-Projection's files had their CRLF line ends removed (data README):
    only some of them had any (the French manual projections), so the checksum of such a file
    is that of the shared copy as it is or with CRLF restored, whichever the repository holds."""
    config = _config(name)
    assert config["assets"]
    for asset in config["assets"]:
        assert asset["dest"].startswith("assets/")
        assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{12,40}/", asset["url"]), asset["url"]
        local = data_dir / asset["dest"][len("assets/"):]
        assert local.is_file(), local
        data = local.read_bytes()
        checksums = {hashlib.md5(data).hexdigest()}
        if any(source in asset["url"] for source in CRLF_SOURCES):
            checksums.add(hashlib.md5(data.replace(b"\n", b"\r\n")).hexdigest())
        assert asset["checksum"] in checksums, asset["dest"]
        if "abstrct" not in name:  # multilingual-abstrct names its files by language and split
            assert local.name in asset["url"]


def _table(path: Path):
    rows = [line for line in path.read_text(encoding="utf8").splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| Language |")
    return [[c.strip() for c in row.split("|")[1:-1]] for row in rows[1:]]


def _check_table(results: Path, metrics: Path, langs, methods, n_docs=None):
    rows = _table(results / "results.md")
    assert [row[0] for row in rows] == [*langs, "**Average**"]
    for row in rows[: len(langs)]:
        lang = row[0]
        for method, cell in zip(methods, row[1:]):
            data = json.loads((metrics / method / f"{lang}.json").read_text(encoding="utf8"))
            if n_docs is not None:
                assert data["n_docs"] == n_docs
            assert cell == f"{100 * data['default']['micro']['f']:.1f}", (method, lang)
    assert (results / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return rows


def _smoke(name: str, tmp_path: Path, data_dir: Path, output: list = None) -> Path:
    project = _copy_project(name, tmp_path / name)
    result = _run(["run", "smoke", str(project), "--vars.smoke_data_dir", str(data_dir)], cwd=str(project), timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    if output is not None:
        output.append(re.sub(r"\x1b\[[0-9;]*m", "", result.stdout))
    return project


def _check_backends(stdout: str, expected: dict) -> None:
    """The nested `weasel run all` ran translate and translate-test with these backends."""
    printed = [line[len("Running command: "):] for line in stdout.splitlines() if line.startswith("Running command: ")]
    assert _backends(printed) == expected


@pytest.mark.slow
def test_masakhaner_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    output = []
    project = _smoke("masakhaner", tmp_path, data_dir, output)
    _check_table(project / "results", project / "metrics", ["hau"], SMOKE_METHODS, n_docs=50)
    # translate-test through CTranslate2 (int8), translate-train through transformers
    _check_backends(output[0], {"translate": "hf", "translate-test": "ct2"})
    assert "--compute-type int8" in next(line for line in output[0].splitlines() if "spacy xlt translate-test" in line)
    assert len(list(read_docs(project / "predictions" / "translate_test" / "hau.spacy"))) == 50


@pytest.mark.slow
def test_ote_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    output = []
    project = _smoke("ote", tmp_path, data_dir, output)
    _check_table(project / "results", project / "metrics", ["ru"], SMOKE_METHODS, n_docs=50)
    # translate-train through CTranslate2, translate-test through transformers
    _check_backends(output[0], {"translate": "ct2", "translate-test": "hf"})
    assert len(list(read_docs(project / "corpus" / "translated" / "ru.spacy"))) == 100
    methods = ["statistical", "tprojection", "awesome", "simalign", "fast_align"]
    rows = _check_table(project / "results" / "projection", project / "metrics" / "projection", ["es"], methods, n_docs=676)
    # the published alignments are real: the whole hand-projected test set through our span step
    scores = dict(zip(methods, (float(cell) for cell in rows[0][1:])))
    assert scores["awesome"] > 90 and scores["simalign"] > 85 and scores["fast_align"] > 70, scores


@pytest.mark.slow
def test_ote_real_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    project = _copy_project("ote", tmp_path / "ote")
    result = _run(["run", "smoke-real", str(project), "--vars.smoke_data_dir", str(data_dir)], cwd=str(project), timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    methods = ["zeroshot", "statistical_filtered", "oracle_en"]
    _check_table(project / "results" / "real", project / "metrics" / "real", ["es"], methods, n_docs=40)
    _check_table(project / "results" / "real_seeds", project / "metrics" / "real", ["es", "es-seed1"], methods, n_docs=40)
    _check_table(project / "results" / "real_projection", project / "metrics" / "real_projection", ["es"], ["statistical"], n_docs=60)


@pytest.mark.slow
def test_abstrct_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    project = _smoke("abstrct", tmp_path, data_dir)
    methods = ["zeroshot", "statistical_filtered", "oracle_en"]
    for test in ("glaucoma_test", "mixed_test"):
        _check_table(project / "results" / test, project / "metrics" / test, ["fr", "it"], methods, n_docs=40)
    _check_table(project / "results" / "projection", project / "metrics" / "projection", ["fr", "it"], ["statistical"], n_docs=60)
    # the repaired French dev set: the lost byte of `à` restored, every sentence kept
    text = (project / "corpus" / "raw" / "fr" / "neoplasm_dev.tsv").read_text(encoding="utf8")
    assert text.count("\n\n") + 1 == 679 and "\ufffd" not in text
    italian = (project / "corpus" / "raw" / "it" / "neoplasm_train.tsv").read_text(encoding="utf8")
    assert italian.count("\n\n") + 1 == 4404


@pytest.mark.slow
def test_europarl_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    project = _smoke("europarl", tmp_path, data_dir)
    methods = ["zeroshot", "translate_test_statistical", "gold_statistical"]
    _check_table(project / "results", project / "metrics", ["es", "de"], methods, n_docs=60)
    rows = _check_table(project / "results" / "english", project / "metrics" / "english", ["conll_test", "europarl_en"], ["en_pipeline"])
    assert len(rows) == 3
    for lang in ("es", "de"):  # predict --side source scored the English side of the pairs
        source = json.loads((project / "metrics" / "source" / f"{lang}.json").read_text(encoding="utf8"))
        assert source["side"] == "source" and source["n_docs"] == 60
        english = json.loads((project / "metrics" / "english" / "en_pipeline" / "europarl_en.json").read_text(encoding="utf8"))
        assert source["default"]["micro"] == english["default"]["micro"]
