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

REPO = Path(__file__).resolve().parent.parent
PROJECTS = REPO / "projects"
# what a checkout of a project holds; generated folders are left behind
PROJECT_FILES = ["project.yml", "configs", "requirements.txt"]
# the repositories whose files CRLF line ends were removed from in the shared copy
CRLF_SOURCES = ("ikergarcia1996/Easy-Label-Projection",)
METHODS = ["zeroshot", "statistical", "statistical_en", "tprojection", "tprojection_en",
               "tagger_constrained", "tagger_unconstrained"]


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
        else:
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
    for line in printed:
        assert "models/" not in line, line  # real model names outside the smoke run


@pytest.mark.parametrize("name", ["masakhaner", "ote"])
def test_assets_pinned_with_checksums_of_the_data(name, data_dir):
    """Every asset is pinned to a commit and its md5 is that of the file it names. The shared
    copy of Easy-Label-Projection's files had their CRLF line ends removed (data README)."""
    config = _config(name)
    assert config["assets"]
    for asset in config["assets"]:
        assert asset["dest"].startswith("assets/")
        assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{12,40}/", asset["url"]), asset["url"]
        local = data_dir / asset["dest"][len("assets/"):]
        assert local.is_file(), local
        data = local.read_bytes()
        if any(source in asset["url"] for source in CRLF_SOURCES):
            data = data.replace(b"\n", b"\r\n")
        assert hashlib.md5(data).hexdigest() == asset["checksum"], asset["dest"]
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


def _smoke(name: str, tmp_path: Path, data_dir: Path) -> Path:
    project = _copy_project(name, tmp_path / name)
    result = _run(["run", "smoke", str(project), "--vars.smoke_data_dir", str(data_dir)], cwd=str(project), timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return project


@pytest.mark.slow
def test_masakhaner_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    project = _smoke("masakhaner", tmp_path, data_dir)
    _check_table(project / "results", project / "metrics", ["hau"], METHODS, n_docs=50)


@pytest.mark.slow
def test_ote_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    project = _smoke("ote", tmp_path, data_dir)
    _check_table(project / "results", project / "metrics", ["ru"], METHODS, n_docs=50)
    methods = ["statistical", "tprojection", "awesome", "simalign", "fast_align"]
    rows = _check_table(project / "results" / "projection", project / "metrics" / "projection", ["es"], methods, n_docs=676)
    # the published alignments are real: the whole hand-projected test set through our span step
    scores = dict(zip(methods, (float(cell) for cell in rows[0][1:])))
    assert scores["awesome"] > 90 and scores["simalign"] > 85 and scores["fast_align"] > 70, scores
