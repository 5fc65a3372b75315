"""``spacy package`` of the two components whose weights are Hugging Face backends
(``xlt_text2text_tagger``, ``xlt_tprojection``): the package installs into a fresh virtual
environment, every model folder the pipeline was built from is deleted, and ``spacy.load``
of the installed package predicts exactly what the original pipeline did, offline (slow).

The fresh environment has no pip and no packages of its own: a ``.pth`` file lends it this
interpreter's site-packages (spaCy, torch, spacy_xlt; nothing of the pipeline), and the pipeline package is installed
into it with this pip (``--python``, no dependencies), so the test costs seconds, not a
1.6 GB install.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, set_doc_spans
from spacy_xlt.testing import generate_parallel

pytestmark = pytest.mark.slow

PREDICT = """
import json, sys
import spacy
from spacy.tokens import Doc
from spacy_xlt.pairs import make_pair, set_doc_spans
from spacy_xlt.labels import TokenSpan

nlp = spacy.load(sys.argv[1])
data = json.loads(open(sys.argv[2], encoding="utf8").read())
out = []
for item in data:
    doc = Doc(nlp.vocab, words=item["words"])
    if "source" in item:
        src = Doc(nlp.vocab, words=item["source"]["words"])
        set_doc_spans(src, [TokenSpan(*s) for s in item["source"]["spans"]])
        doc = make_pair(src, doc, source_lang="en")
    out.append(doc)
print(json.dumps([[[e.start, e.end, e.label_] for e in d.ents] for d in nlp.pipe(out)]))
"""


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    return env


def _fresh_venv(path: Path) -> Path:
    """A new venv without pip whose only packages are this interpreter's (via a .pth)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    inner = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # addsitedir (not a plain path line) so that the lent folders' own .pth files, such as
    # an editable install of spacy_xlt, are read too
    lines = [f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()]
    (Path(inner) / "_lent_packages.pth").write_text("\n".join(lines) + "\n")
    return python


def _package_and_install(pipeline: Path, name: str, tmp: Path) -> Path:
    """``spacy package`` the folder, pip-install it into a fresh venv; the venv's python."""
    dist = tmp / "dist"
    dist.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "spacy", "package", str(pipeline), str(dist),
         "--name", name, "--version", "0.0.1", "--build", "none", "--force"],
        capture_output=True, text=True, env=_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (package_dir,) = [p for p in dist.iterdir() if p.is_dir()]
    python = _fresh_venv(tmp / "venv")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-build-isolation", str(package_dir)],
        capture_output=True, text=True, env=_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.rmtree(dist)
    return python


def _predict_installed(python: Path, package: str, data: list, tmp: Path) -> list:
    (tmp / "inputs.json").write_text(json.dumps(data), encoding="utf8")
    (tmp / "predict.py").write_text(PREDICT, encoding="utf8")
    result = subprocess.run(
        [str(python), str(tmp / "predict.py"), package, str(tmp / "inputs.json")],
        capture_output=True, text=True, env=_env(), cwd=tmp,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ents(docs) -> list:
    return [[[e.start, e.end, e.label_] for e in d.ents] for d in docs]


def test_tagger_package_loads_offline_with_identical_predictions(tmp_path, tiny_mt5):
    model = tmp_path / "model"
    shutil.copytree(tiny_mt5, model)
    nlp = spacy.blank("xx")
    nlp.add_pipe(
        "xlt_text2text_tagger",
        config={"model": {"name": str(model)}, "num_beams": 2, "trainer": {"learning_rate": 3e-3}},
    )
    examples = []
    for ex in generate_parallel(8, "en", "es", seed=1):
        ref = set_doc_spans(Doc(nlp.vocab, words=ex.src_words), [TokenSpan(*s) for s in ex.src_spans])
        examples.append(Example(Doc(nlp.vocab, words=ex.src_words), ref))
    nlp.initialize(lambda: examples)
    for _ in range(3):
        nlp.update(examples)
    data = [{"words": ex.tgt_words} for ex in generate_parallel(6, "en", "es", seed=4)]
    before = _ents(nlp.pipe([Doc(nlp.vocab, words=d["words"]) for d in data]))
    nlp.to_disk(tmp_path / "pipeline")
    python = _package_and_install(tmp_path / "pipeline", "xlt_test_tagger", tmp_path)
    shutil.rmtree(model)
    shutil.rmtree(tmp_path / "pipeline")
    assert _predict_installed(python, "xx_xlt_test_tagger", data, tmp_path) == before


def test_tprojection_package_loads_offline_with_identical_predictions(tmp_path, tiny_mt5, tiny_nllb):
    """The translator is stored in the pipeline too: with both model folders gone, the
    installed package projects exactly as the original pipeline."""
    gen, trans = tmp_path / "mt5", tmp_path / "nllb"
    shutil.copytree(tiny_mt5, gen)
    shutil.copytree(tiny_nllb, trans)
    nlp = spacy.blank("es")
    nlp.add_pipe(
        "xlt_tprojection",
        config={
            "generator": {"name": str(gen), "max_new_tokens": 12},
            "translator": {"name": str(trans)},
            "trainer": {"optimizer": "adamw", "learning_rate": 1e-2},
            "num_beams": 3,
        },
    )
    examples = []
    for ex in generate_parallel(8, "en", "es", seed=1):
        ref = set_doc_spans(Doc(nlp.vocab, words=ex.src_words), [TokenSpan(*s) for s in ex.src_spans])
        examples.append(Example(Doc(nlp.vocab, words=ex.src_words), ref))
    spacy.util.fix_random_seed(0)
    nlp.initialize(lambda: examples)
    data = [
        {"words": ex.tgt_words, "source": {"words": ex.src_words, "spans": [list(s) for s in ex.src_spans]}}
        for ex in generate_parallel(6, "en", "es", seed=4)
    ]

    def project():
        pairs = []
        for d in data:
            src = set_doc_spans(Doc(nlp.vocab, words=d["source"]["words"]), [TokenSpan(*s) for s in d["source"]["spans"]])
            pairs.append(make_pair(src, Doc(nlp.vocab, words=d["words"]), source_lang="en"))
        return _ents(nlp.pipe(pairs))

    # train until the tiny generator proposes spans that survive filtering (a run of 60
    # updates did not always get there: training on a CPU is not bit-reproducible)
    for _ in range(10):
        for _ in range(20):
            nlp.update(examples)
        before = project()
        if any(before):
            break
    assert any(before)  # something was projected
    nlp.to_disk(tmp_path / "pipeline")
    python = _package_and_install(tmp_path / "pipeline", "xlt_test_tproj", tmp_path)
    shutil.rmtree(gen)
    shutil.rmtree(trans)
    shutil.rmtree(tmp_path / "pipeline")
    assert _predict_installed(python, "es_xlt_test_tproj", data, tmp_path) == before
