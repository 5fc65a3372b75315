"""Scale-out on Ray (``spacy_xlt.distributed``, ``--ray``): translate, project and predict on a
local Ray with 2 CPUs write the single-process run's output byte for byte, and a Ray run that
was interrupted continues without Ray (and the other way round) to the same bytes.

Every Ray run starts its actors afresh (each imports spaCy and torch and loads its models:
10-20 s on a shared 2-core machine), so the tests that start a Ray are marked slow
(``pytest --runslow tests/test_ray.py``, about 2-3 minutes) and skipped where ray is not
installed (``pip install -e ".[ray]"``). The coded error for a missing ray needs no Ray.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import spacy
from cli_helpers import (
    alignments_file,
    count_rows,
    crash_on_call,
    flat,
    gold_file,
    invoke,
    pairs_file,
    sources_file,
    translate_args,
)

from spacy_xlt.errors import XLTError
from spacy_xlt.pairs import read_docs
from spacy_xlt.resume import read_resume_file, resume_path


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray with 2 CPUs for the module (the commands use a Ray already initialized)."""
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install -e '.[ray]'")
    pytest.importorskip("ray.data", reason="ray[data] is not installed: pip install -e '.[ray]'")
    from ray import cloudpickle

    # the test translators below travel to the actors by value (tests/ is no package)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ---------------------------------------------------------------------------------------
# no Ray needed


def test_options_are_checked_and_a_missing_ray_says_to_install_the_extra(tmp_path, monkeypatch):
    from spacy_xlt.distributed import gpus_for, import_ray, ray_options, wants_gpu

    assert ray_options("auto", 2, 0.5, 2).gpus_per_actor == 0.5
    for kwargs, name in [
        ({"address": " "}, "--ray"),
        ({"actors": -1}, "--ray-actors"),
        ({"gpus_per_actor": -1}, "--ray-gpus-per-actor"),
        ({"cpus_per_actor": 0}, "--ray-cpus-per-actor"),
    ]:
        with pytest.raises(XLTError, match=f"XLTE522.*{name}"):
            ray_options(**kwargs)
    assert [wants_gpu(d) for d in ("cpu", "cuda", "cuda:1", 0, -1, "-1", None)] == [False, True, True, True, False, False, False]
    assert gpus_for(ray_options(), True) == 1.0 and gpus_for(ray_options(gpus_per_actor=0), True) == 0.0
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    with pytest.raises(XLTError, match=r'XLTE520.*pip install "spacy-xlt\[ray\]"'):
        import_ray()
    src = sources_file(tmp_path / "src.spacy", 2)
    result = invoke("translate", src, tmp_path / "out.spacy", "--model", "x", "--tgt", "es", "--ray", "auto")
    assert result.exit_code == 1 and "XLTE520" in result.output and "spacy-xlt[ray]" in flat(result.output)
    pairs = pairs_file(tmp_path / "pairs.spacy", 2)
    result = invoke("project", pairs, tmp_path / "proj.spacy", "--ray", "auto")
    assert result.exit_code == 1 and "XLTE520" in result.output
    assert not resume_path(tmp_path / "out.spacy").exists() and not (tmp_path / "out.spacy").exists()


def test_predict_without_ray_installed_fails_at_once(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    loads = []
    monkeypatch.setattr(spacy, "load", lambda *a, **k: loads.append(a))
    gold = gold_file(tmp_path / "gold.spacy")
    out = tmp_path / "out.spacy"
    result = invoke("predict", tmp_path / "no-model", gold, out, "--ray", "local")
    assert result.exit_code == 1 and "XLTE520" in result.output
    assert "spacy xlt predict --ray" in flat(result.output) and "spacy-xlt[ray]" in flat(result.output)
    assert not loads and not out.exists() and not resume_path(out).exists()


# ---------------------------------------------------------------------------------------
# translate


@pytest.mark.slow
def test_translate_on_ray_writes_the_single_process_output(tmp_path, tiny_nllb, ray_cluster):
    src = sources_file(tmp_path / "src.spacy", 7)
    single, on_ray = tmp_path / "single.spacy", tmp_path / "ray.spacy"
    plain = invoke(*translate_args(src, single, tiny_nllb))
    assert plain.exit_code == 0, plain.output
    result = invoke(*translate_args(src, on_ray, tiny_nllb, "--ray", "auto"))
    assert result.exit_code == 0, result.output
    assert "Translated on Ray by 2 actors" in flat(result.output)
    assert on_ray.read_bytes() == single.read_bytes() and not resume_path(on_ray).exists()
    # a language the model lacks: the actors' coded error, and nothing left behind
    bad = invoke(*translate_args(src, tmp_path / "bad.spacy", tiny_nllb, "--ray", "auto")[:6], "bbj", "--ray", "auto")
    assert bad.exit_code == 1 and "XLTE281" in bad.output
    assert not resume_path(tmp_path / "bad.spacy").exists()


class Reverser:
    """A translator that reverses the words; fails on the text ``fail_on`` (a crash)."""

    def __init__(self, fail_on=None):
        self.fail_on, self.counts = fail_on, {}

    def translate(self, texts, src, tgt):
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("simulated crash")
        self.counts["translated"] = self.counts.get("translated", 0) + len(texts)
        return [" ".join(reversed(t.split())) for t in texts]


@pytest.mark.slow
def test_an_interrupted_ray_run_continues_without_ray_and_the_other_way_round(tmp_path, ray_cluster):
    from spacy_xlt.distributed import ray_options
    from spacy_xlt.translation import translate_docs

    src = sources_file(tmp_path / "src.spacy", 9)  # 10 docs: chunks of 2 at 0, 2, 4, 6, 8
    texts = [d.text for d in read_docs(src)]
    kwargs = dict(model="reverser", src="en", tgt="es", chunk_size=2, progress=False)
    full = tmp_path / "full.spacy"
    counts = translate_docs(src, full, translator=Reverser(), **kwargs)
    assert counts["translator_counts"] == {"translated": 9}
    ray = ray_options("auto")
    # a Ray run that fails in the chunk at 6: the chunks before it are kept, in order
    out = tmp_path / "out.spacy"
    with pytest.raises(RuntimeError, match="simulated crash"):
        translate_docs(src, out, translator=Reverser(fail_on=texts[6]), ray=ray, **kwargs)
    assert [(r.start, r.n) for r in read_resume_file(out).records] == [(0, 2), (2, 2), (4, 2)]
    assert not out.exists()
    again = translate_docs(src, out, translator=Reverser(), **kwargs)  # without Ray
    assert again["resumed"] == 6 and again["translator_counts"] == {"translated": 9}
    assert out.read_bytes() == full.read_bytes() and not resume_path(out).exists()
    # a run without Ray that failed at 4 continues on Ray
    other = tmp_path / "other.spacy"
    with pytest.raises(RuntimeError):
        translate_docs(src, other, translator=Reverser(fail_on=texts[4]), **kwargs)
    assert read_resume_file(other).done == 4
    on_ray = translate_docs(src, other, translator=Reverser(), ray=ray, **kwargs)
    assert on_ray["resumed"] == 4 and on_ray["ray_actors"] == 2
    assert on_ray["translator_counts"] == {"translated": 9}
    assert other.read_bytes() == full.read_bytes() and not resume_path(other).exists()


# ---------------------------------------------------------------------------------------
# project


@pytest.mark.slow
def test_project_tprojection_on_ray_writes_the_single_process_output(tmp_path, tiny_mt5, tiny_nllb, ray_cluster):
    pairs = pairs_file(tmp_path / "pairs.spacy", 7)

    def args(output, *extra):
        return ["project", pairs, output, "--generator", tiny_mt5, "--set", f"translator.name={tiny_nllb}",
                "--set", "num_beams=2", "--set", "generator.max_new_tokens=8", "--set", "batch_size=2",
                "--set", "save_candidates=true", "--lang", "es", *extra]  # fmt: skip

    single = invoke(*args(tmp_path / "single.spacy"))
    assert single.exit_code == 0, single.output
    result = invoke(*args(tmp_path / "ray.spacy", "--ray", "auto"))
    assert result.exit_code == 0, result.output
    assert "Projected on Ray by 2 actors" in flat(result.output)
    assert (tmp_path / "ray.spacy").read_bytes() == (tmp_path / "single.spacy").read_bytes()
    assert count_rows(result.output) == count_rows(single.output) and count_rows(result.output)


@pytest.mark.slow
def test_project_alignments_and_statistical_on_ray(tmp_path, ray_cluster):
    pairs = pairs_file(tmp_path / "pairs.spacy", 7)
    links = alignments_file(tmp_path / "links.talp", 7)
    base = ["project", pairs, None, "--alignments", links, "--set", "batch_size=2"]
    single = invoke(*[tmp_path / "single.spacy" if a is None else a for a in base])
    assert single.exit_code == 0, single.output
    result = invoke(*[tmp_path / "ray.spacy" if a is None else a for a in base], "--ray", "auto")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ray.spacy").read_bytes() == (tmp_path / "single.spacy").read_bytes()
    assert count_rows(result.output) == count_rows(single.output) and int(count_rows(result.output)[2][1]) > 0
    # the statistical aligner needs every pair at once: one task on one actor, same bytes
    stat = ["project", pairs, None, "--set", "batch_size=2"]
    single = invoke(*[tmp_path / "stat_single.spacy" if a is None else a for a in stat])
    assert single.exit_code == 0, single.output
    result = invoke(*[tmp_path / "stat_ray.spacy" if a is None else a for a in stat], "--ray", "auto")
    assert result.exit_code == 0, result.output
    assert "cannot be split" in flat(result.output) and "Projected on Ray by 1 actor" in flat(result.output)
    assert (tmp_path / "stat_ray.spacy").read_bytes() == (tmp_path / "stat_single.spacy").read_bytes()
    assert count_rows(result.output) == count_rows(single.output)


# ---------------------------------------------------------------------------------------
# predict


def _pipeline(path: Path, words=()) -> Path:
    """A small saved pipeline: an entity ruler (Tomi, Vessa and ``words``), then a (randomly
    initialized) NER that adds what it finds (a model that runs, deterministic once saved)."""
    nlp = spacy.blank("xx")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.add_pipe("ner", config={"model": {"tok2vec": {"width": 8, "embed_size": 50, "depth": 1}, "hidden_width": 8}})
    nlp.get_pipe("ner").add_label("ORG")
    nlp.initialize()
    ruler.add_patterns([{"label": "PER", "pattern": "Tomi"}, {"label": "LOC", "pattern": "Vessa"}])
    ruler.add_patterns([{"label": "MISC", "pattern": w} for w in words])
    nlp.to_disk(path)
    return path


@pytest.mark.slow
def test_predict_on_ray_writes_the_single_process_output(tmp_path, ray_cluster, monkeypatch):
    import spacy_xlt.prediction as predict
    from spacy_xlt.distributed import predict_file, ray_options

    pairs = pairs_file(tmp_path / "pairs.spacy", 7)
    words = [next(read_docs(pairs))._.xlt_source[0].text]
    model, gold = _pipeline(tmp_path / "model", words), gold_file(tmp_path / "gold.spacy")
    job = predict.predict_job(str(model), {})
    single = tmp_path / "single.spacy"
    nlp = predict.load_pipeline(str(model))
    plain = predict.predict_file(nlp, gold, single, job=job, chunk_size=2)
    on_ray = tmp_path / "ray.spacy"
    result = predict_file(ray_options("auto"), str(model), {}, gold, on_ray, job=job, chunk_size=2)
    assert on_ray.read_bytes() == single.read_bytes() and result["actors"] == 2
    assert plain["labels"]["PER"] == 3 and plain["labels"]["LOC"] == 2
    assert {k: result[k] for k in plain} == {**plain, "output": str(on_ray)}
    # interrupted after the first chunk without Ray: continued on Ray, the same bytes
    out = tmp_path / "out.spacy"
    monkeypatch.setattr(predict, "_docbin_text", crash_on_call(predict._docbin_text, 2))
    with pytest.raises(RuntimeError):
        predict.predict_file(nlp, gold, out, job=job, chunk_size=2)
    monkeypatch.undo()
    again = predict_file(ray_options("auto", actors=1), str(model), {}, gold, out, job=job, chunk_size=2)
    assert again["resumed"] == 2 and again["actors"] == 1
    assert out.read_bytes() == single.read_bytes() and not resume_path(out).exists()
    # --side source: the source sides of pairs, annotated on the actors
    source = predict.predict_file(nlp, pairs, tmp_path / "source.spacy", job=job, chunk_size=3, side="source")
    assert source["labels"].get("MISC")
    result = predict_file(ray_options("auto"), str(model), {}, pairs, tmp_path / "source_ray.spacy", job=job, chunk_size=3, side="source")
    assert (tmp_path / "source_ray.spacy").read_bytes() == (tmp_path / "source.spacy").read_bytes()
    assert result["labels"] == source["labels"]


@pytest.mark.slow
def test_predict_command_on_ray_writes_the_single_process_output(tmp_path, ray_cluster):
    pairs = pairs_file(tmp_path / "pairs.spacy", 7)
    words = [next(read_docs(pairs))._.xlt_source[0].text]
    model, gold = _pipeline(tmp_path / "model", words), gold_file(tmp_path / "gold.spacy")
    for name, source, extra in [("target", gold, []), ("source", pairs, ["--side", "source"])]:
        single, on_ray = tmp_path / f"{name}_single.spacy", tmp_path / f"{name}_ray.spacy"
        plain = invoke("predict", model, source, single, "--chunk-size", "2", *extra)
        assert plain.exit_code == 0, plain.output
        result = invoke("predict", model, source, on_ray, "--chunk-size", "2", *extra, "--ray", "auto")
        assert result.exit_code == 0, result.output
        assert "Predicted on Ray by 2 actors" in flat(result.output)
        assert on_ray.read_bytes() == single.read_bytes() and not resume_path(on_ray).exists()
        counts = [line for line in result.output.splitlines() if "predicted" in line]
        assert counts == [line.replace("ray.spacy", "single.spacy") for line in plain.output.splitlines() if "predicted" in line]
    # a single-process run interrupted after its first chunk: the command on Ray continues it
    import spacy_xlt.prediction as predict

    out = tmp_path / "out.spacy"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(predict, "_docbin_text", crash_on_call(predict._docbin_text, 2))
        crashed = invoke("predict", model, gold, out, "--chunk-size", "2")
    assert isinstance(crashed.exception, RuntimeError) and read_resume_file(out).done == 2
    again = invoke("predict", model, gold, out, "--chunk-size", "2", "--ray", "auto", "--ray-actors", "1")
    assert again.exit_code == 0, again.output
    assert "Resumed after 2 finished docs" in again.output and "by 1 actor" in flat(again.output)
    assert out.read_bytes() == (tmp_path / "target_single.spacy").read_bytes()


def test_the_driver_and_the_actors_build_the_projector_of_the_same_job(tmp_path, tiny_mt5, tiny_nllb):
    """With --ray the driver builds the projector uninitialized (no model loaded) for the job
    and the counts, and each actor builds it again from its recipe: both have the job of a
    run without Ray, so either run continues the other's resume file."""
    from spacy_xlt.projectors import (
        apply_overrides,
        build_from_recipe,
        build_projector,
        method_config,
        projection_job,
        projector_recipe,
    )

    pairs = pairs_file(tmp_path / "pairs.spacy", 2)
    links = alignments_file(tmp_path / "links.talp", 2)
    configs = [
        method_config("statistical"),
        apply_overrides(method_config("alignments"), {"aligner.path": str(links), "max_gap": 3}),
        apply_overrides(method_config("tprojection"), {"generator.name": str(tiny_mt5), "translator.name": str(tiny_nllb), "num_beams": 2}),
    ]
    for config in configs:
        plain = projection_job(*build_projector(config, lang="es", spans_key="sc"), pairs)
        nlp, pipe = build_projector(config, lang="es", spans_key="sc", initialize=False)
        assert projection_job(nlp, pipe, pairs) == plain
        recipe = projector_recipe(nlp, pipe)
        assert json.loads(json.dumps(recipe)) == recipe  # plain data, for any actor
        assert projection_job(*build_from_recipe(recipe), pairs) == plain
