"""The weasel projects under projects/: dry runs list every command; the smoke workflow of
projects/masakhaner runs end to end on tiny models and the results table is read back."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MASAKHANER = REPO / "projects" / "masakhaner"
# what a checkout of the project holds; generated folders are left behind
PROJECT_FILES = ["project.yml", "configs", "scripts", "requirements.txt"]


def _env() -> dict:
    env = dict(os.environ)
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    # `python` in the project's commands must be this interpreter (the one with spacy_xlt)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _copy_project(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in PROJECT_FILES:
        path = src / name
        if path.is_dir():
            shutil.copytree(path, dst / name)
        else:
            shutil.copy2(path, dst / name)
    return dst


def test_masakhaner_dry_run_lists_every_command(tmp_path):
    project = _copy_project(MASAKHANER, tmp_path / "masakhaner")
    result = subprocess.run(
        [sys.executable, "-m", "weasel", "run", "all", str(project), "--dry"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    import yaml

    config = yaml.safe_load((MASAKHANER / "project.yml").read_text(encoding="utf8"))
    stdout = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    listed = re.findall(r"^=+ (\S+) =+$", stdout, flags=re.M)
    assert listed == config["workflows"]["all"]
    # every script line of the workflow is printed with its vars filled in
    assert "spacy xlt translate" in stdout
    assert "--method tprojection" in stdout
    assert "${vars." not in stdout


@pytest.mark.slow
def test_masakhaner_smoke_workflow_writes_results_from_metrics(tmp_path, data_dir):
    project = _copy_project(MASAKHANER, tmp_path / "masakhaner")
    result = subprocess.run(
        [sys.executable, "-m", "weasel", "run", "smoke", str(project), "--vars.data_dir", str(data_dir)],
        capture_output=True, text=True, env=_env(), cwd=str(project), timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    table = (project / "results" / "results.md").read_text(encoding="utf8")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| Language |")
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["hau", "swa", "**Average**"]
    methods = ["zeroshot", "statistical", "tprojection", "tagger_constrained", "tagger_unconstrained"]
    # each cell is the micro F1 of the evaluation file that `spacy xlt evaluate` wrote
    for row in rows[1:3]:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        lang = cells[0]
        for method, cell in zip(methods, cells[1:]):
            data = json.loads((project / "metrics" / method / f"{lang}.json").read_text(encoding="utf8"))
            assert data["n_docs"] == 50
            assert cell == f"{100 * data['default']['micro']['f']:.1f}", (method, lang)
    png = project / "results" / "results.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
