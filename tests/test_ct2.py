"""CTranslate2 backends (``spacy_xlt.CT2Translator.v1``, ``spacy_xlt.CT2Generator.v1``) against
the Hugging Face ones on the same tiny random weights: translations and beam candidates
identical, scores within 1e-6 (float32; measured: at most 1e-8 apart), pipelines that save the
converted model and load offline."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, set_doc_spans
from spacy_xlt.pipes.util import PROJECTION_KEY
from spacy_xlt.testing import generate_parallel

pytest.importorskip("ctranslate2", reason="CTranslate2 is not installed (pip install spacy-xlt[ct2])")

from spacy_xlt.backends.ct2 import CT2Generator, CT2Translator  # noqa: E402
from spacy_xlt.backends.generator import Seq2SeqGenerator  # noqa: E402
from spacy_xlt.backends.translator import Translator  # noqa: E402

#: Scores of the two engines on float32 weights differ by float rounding only.
SCORE_ATOL = 1e-6

TEXTS = [
    "Hello world.",
    "The cat sat on the mat and looked at me for a long time.",
    "Barack Obama visited Madrid in 2010.",
    "a",
    "",
    "</s> <pad> are words here",
    "one two three four five six seven",
]
GENERATOR_INPUTS = [
    "El gato de <Person>[None]</Person> se sentó.",
    "Barack Obama visitó Madrid <Person>[None]</Person><Location>[None]</Location>",
    "x",
    "Un dos tres cuatro cinco seis siete ocho",
]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _eos_biased(src, dst, scale):
    """A copy of a tiny model whose end id is likelier (its output row pushed along a random
    direction): beams finish at different lengths, so beam search's stopping and length
    normalisation are compared too, not only sequences cut at max_new_tokens."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    model = AutoModelForSeq2SeqLM.from_pretrained(src)
    tok = AutoTokenizer.from_pretrained(src)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        head = model.get_output_embeddings().weight
        head[tok.eos_token_id] += scale * head.std() * torch.randn(head.shape[1], generator=gen)
    model.save_pretrained(dst)
    tok.save_pretrained(dst)
    return dst


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_nllb, tiny_m2m100, tiny_mt5, tiny_models_dir):
    """name -> model folder: the tiny models, eos-biased copies, and the medium NLLB."""
    from spacy_xlt.testing import get_tiny_model

    root = tmp_path_factory.mktemp("ct2_models")
    return {
        "nllb": tiny_nllb,
        "m2m100": tiny_m2m100,
        "mt5": tiny_mt5,
        "nllb-eos": _eos_biased(tiny_nllb, root / "nllb-eos", 1.5),
        "m2m100-eos": _eos_biased(tiny_m2m100, root / "m2m100-eos", 1.5),
        "mt5-eos": _eos_biased(tiny_mt5, root / "mt5-eos", 5.0),
        "nllb-medium": get_tiny_model("nllb", tiny_models_dir, size="medium"),
    }


@pytest.fixture(scope="module")
def translators(models):
    """name -> (HF Translator, CT2Translator float32), loaded on the same weights."""
    cache = {}

    def get(name, **settings):
        key = (name, tuple(sorted(settings.items())))
        if key not in cache:
            hf = Translator(str(models[name]), max_new_tokens=20, **settings)
            ct = CT2Translator(
                str(models[name]), max_new_tokens=20, compute_type="float32", intra_threads=1, **settings
            )
            hf.load()
            ct.load()
            cache[key] = (hf, ct)
        return cache[key]

    return get


@pytest.mark.parametrize("name", ["nllb", "m2m100", "nllb-eos", "m2m100-eos", "nllb-medium"])
@pytest.mark.parametrize("num_beams", [1, 4])
def test_translate_equals_hf(translators, name, num_beams):
    hf, ct = translators(name)
    before_hf, before_ct = dict(hf.counts), dict(ct.counts)
    expected = hf.translate(TEXTS, "en", "es", num_beams=num_beams)
    assert ct.translate(TEXTS, "en", "es", num_beams=num_beams) == expected
    # the same work counted: batches, unfinished sequences, special-token strings
    delta_hf = {k: v - before_hf.get(k, 0) for k, v in hf.counts.items()}
    delta_ct = {k: v - before_ct.get(k, 0) for k, v in ct.counts.items()}
    assert delta_ct == delta_hf


def test_eos_biased_models_finish_some_translations(translators):
    """The eos-biased copies exercise ended beams: some translations end before max_new_tokens."""
    for name in ("nllb-eos", "m2m100-eos"):
        hf, ct = translators(name)
        before = ct.counts["unfinished"]
        ct.translate(TEXTS, "en", "fr", num_beams=4)
        assert ct.counts["unfinished"] - before < len(TEXTS), name


@pytest.mark.parametrize("name", ["nllb", "m2m100", "nllb-eos", "nllb-medium"])
@pytest.mark.parametrize("score_style", ["tprojection", "nmtscore"])
def test_score_equals_hf(translators, name, score_style):
    hf, ct = translators(name, score_style=score_style)
    targets = TEXTS[::-1]
    expected = hf.score(TEXTS, targets, "en", "es")
    got = ct.score(TEXTS, targets, "en", "es")
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=SCORE_ATOL)
    assert ct.score([], [], "en", "es").shape == (0,)
    with pytest.raises(XLTError, match="XLTE285"):
        ct.score(["a"], [], "en", "es")


def test_long_inputs_are_chunked_and_cut_as_hf(translators):
    """Translator's chunking (translate) and cutting (score) are shared: same texts, same counts."""
    hf, ct = translators("nllb", max_length=12)
    long = [" ".join(["The cat sat on the mat."] * 6), "short"]
    assert ct.translate(long, "en", "es", num_beams=2) == hf.translate(long, "en", "es", num_beams=2)
    assert ct.counts["chunked"] == hf.counts["chunked"] >= 1
    np.testing.assert_allclose(ct.score(long, long, "en", "es"), hf.score(long, long, "en", "es"), atol=SCORE_ATOL)
    assert ct.counts["score_truncated"] == hf.counts["score_truncated"] >= 1


def test_language_errors_are_translators(translators):
    _, ct = translators("m2m100")
    with pytest.raises(XLTError, match="XLTE281"):
        ct.translate(["a"], "en", "bam")


@pytest.mark.parametrize("name", ["mt5", "mt5-eos"])
@pytest.mark.parametrize("beams", [(1, 1), (4, 4), (4, 2), (8, 8)])
def test_generator_candidates_equal_hf(models, name, beams):
    """Same beams, same order (best first), same unfinished counts."""
    num_beams, n_return = beams
    hf = Seq2SeqGenerator(str(models[name]), max_new_tokens=16)
    ct = CT2Generator(str(models[name]), max_new_tokens=16, compute_type="float32", intra_threads=1)
    hf.load()
    ct.load()
    expected = hf.generate(GENERATOR_INPUTS, num_beams, n_return)
    assert ct.generate(GENERATOR_INPUTS, num_beams, n_return) == expected
    assert all(len(rows) == n_return for rows in expected)
    assert ct.counts == hf.counts
    assert ct.input_lengths(GENERATOR_INPUTS) == hf.input_lengths(GENERATOR_INPUTS)
    if name == "mt5-eos" and num_beams > 1:
        assert hf.counts["unfinished"] < hf.counts["sequences"]  # some beams ended


def test_generator_cannot_train(models):
    ct = CT2Generator(str(models["mt5"]), intra_threads=1)
    ct.load()
    with pytest.raises(XLTError, match="XLTE448"):
        ct.loss(["a"], ["b"])
    with pytest.raises(XLTError, match="XLTE448"):
        ct.add_tokens(["<never-seen-token>"])
    assert ct.add_tokens(["</s>"]) == 0


def test_int8_runs_close_to_float32(translators, models):
    hf, _ = translators("nllb-medium")
    q = CT2Translator(str(models["nllb-medium"]), max_new_tokens=20, compute_type="int8", intra_threads=1)
    q.load()
    out = q.translate(TEXTS, "en", "es", num_beams=2)
    assert len(out) == len(TEXTS) and all(isinstance(t, str) for t in out)
    np.testing.assert_allclose(q.score(TEXTS, TEXTS, "en", "es"), hf.score(TEXTS, TEXTS, "en", "es"), rtol=0.1)


# --- settings, errors, registry ---------------------------------------------------------------


def test_loading_keeps_torchs_thread_count(models):
    """CTranslate2 sets the OpenMP thread count of the thread that builds it (torch's too);
    the backend puts torch's back, so the HF models beside it keep their threads."""
    import torch

    ct = CT2Translator(str(models["nllb"]), intra_threads=3)
    ct.load()
    ct.translate(["a"], "en", "es")
    assert torch.get_num_threads() == 1


def test_registry_resolves_both(models):
    from spacy.util import registry

    made = registry.resolve(
        {
            "t": {"@misc": "spacy_xlt.CT2Translator.v1", "name": str(models["nllb"]), "compute_type": "int8"},
            "g": {"@misc": "spacy_xlt.CT2Generator.v1", "name": str(models["mt5"]), "intra_threads": 1},
        }
    )
    assert isinstance(made["t"], CT2Translator) and made["t"].compute_type == "int8"
    assert isinstance(made["g"], CT2Generator) and made["g"].intra_threads == 1
    assert not made["t"].loaded and not made["g"].loaded  # nothing converted before initialize


@pytest.mark.parametrize(
    "settings,code",
    [
        ({"compute_type": "int4"}, "XLTE441"),
        ({"compute_type": None}, "XLTE441"),
        ({"device": "mps"}, "XLTE443"),
        ({"device": "tpu"}, "XLTE443"),
        ({"inter_threads": 0}, "XLTE283"),
        ({"intra_threads": -1}, "XLTE283"),
        ({"batch_size": 0}, "XLTE283"),
        ({"score_style": "x"}, "XLTE283"),
        ({"style": "x"}, "XLTE280"),
    ],
)
def test_bad_settings_are_coded_errors(models, settings, code):
    with pytest.raises(XLTError, match=code):
        CT2Translator(str(models["nllb"]), **settings)


def test_compute_type_the_device_lacks_is_an_error_at_load(models):
    import ctranslate2

    missing = [c for c in ("float16", "bfloat16", "int8_float16") if c not in ctranslate2.get_supported_compute_types("cpu")]
    if not missing:
        pytest.skip("this CPU computes every compute type")
    ct = CT2Translator(str(models["nllb"]), compute_type=missing[0])
    with pytest.raises(XLTError, match="XLTE442"):
        ct.load()


def test_cuda_without_a_gpu_is_an_error_at_load(models):
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a CUDA device is present")
    ct = CT2Translator(str(models["nllb"]), device="cuda:0")
    with pytest.raises(XLTError, match="XLTE444"):
        ct.load()


def test_use_before_load_is_xlte321(models):
    ct = CT2Translator(str(models["nllb"]))
    gen = CT2Generator(str(models["mt5"]))
    for call in (
        lambda: ct.translate(["a"], "en", "es"),
        lambda: ct.score(["a"], ["b"], "en", "es"),
        lambda: ct.to_disk("never"),
        lambda: gen.generate(["a"]),
        lambda: gen.to_bytes(),
    ):
        with pytest.raises(XLTError, match="XLTE321"):
            call()


def test_a_model_that_does_not_load_is_xlte320(tmp_path):
    with pytest.raises(XLTError, match="XLTE320"):
        CT2Translator(str(tmp_path / "nothing")).load()


def test_missing_ctranslate2_is_a_coded_error(models, monkeypatch):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # import ctranslate2 -> ImportError
    with pytest.raises(XLTError, match=r"XLTE440.*spacy-xlt\[ct2\]"):
        CT2Translator(str(models["nllb"]))
    from spacy.util import registry

    with pytest.raises(XLTError, match="XLTE440"):
        registry.resolve({"g": {"@misc": "spacy_xlt.CT2Generator.v1", "name": str(models["mt5"])}})


def test_pipelines_without_ct2_never_import_it():
    code = (
        "import sys, spacy, spacy_xlt\n"
        "nlp = spacy.blank('es')\n"
        "nlp.add_pipe('xlt_tprojection')\n"
        "nlp.add_pipe('xlt_alignment_projector')\n"
        "assert 'ctranslate2' not in sys.modules, 'imported'\n"
        "assert 'spacy_xlt.backends.ct2' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- backends saved and loaded ----------------------------------------------------------------


def test_backend_to_disk_and_bytes_round_trip(tmp_path, translators, models):
    _, ct = translators("nllb")
    expected = ct.translate(TEXTS, "en", "es")
    scores = ct.score(TEXTS, TEXTS, "en", "es")
    folder = ct.to_disk(tmp_path / "t")
    assert (folder / "ct2" / "model.bin").exists() and (folder / "xlt_backend.json").exists()
    assert not list(folder.glob("*.safetensors"))
    back = CT2Translator("unused", max_new_tokens=20, compute_type="float32", intra_threads=1).from_disk(folder)
    assert back.translate(TEXTS, "en", "es") == expected
    np.testing.assert_array_equal(back.score(TEXTS, TEXTS, "en", "es"), scores)
    again = CT2Translator("unused", max_new_tokens=20, compute_type="float32", intra_threads=1).from_bytes(back.to_bytes())
    assert again.translate(TEXTS, "en", "es") == expected
    # reuse: a folder that holds this backend is left as it is
    stamp = (folder / "ct2" / "model.bin").stat().st_mtime_ns
    back.to_disk(folder, reuse=True)
    assert (folder / "ct2" / "model.bin").stat().st_mtime_ns == stamp
    back.to_disk(folder)  # the folder it reads from: written in place, still loads
    assert CT2Translator("unused", max_new_tokens=20, compute_type="float32").from_disk(folder).translate(TEXTS[:2], "en", "es") == expected[:2]


def test_from_disk_converts_a_saved_hf_backend(tmp_path, translators):
    """A folder the Hugging Face backend wrote is converted where it is read, offline."""
    hf, ct = translators("m2m100")
    folder = hf.to_disk(tmp_path / "hf")
    other = CT2Translator("unused", max_new_tokens=20, compute_type="float32", intra_threads=1).from_disk(folder)
    assert other.style == "m2m100"
    assert other.translate(TEXTS, "en", "es") == hf.translate(TEXTS, "en", "es")


def test_deleted_source_folder_is_a_coded_error_on_save(tmp_path, translators):
    _, ct = translators("nllb")
    folder = ct.to_disk(tmp_path / "t")
    back = CT2Translator("unused").from_disk(folder)
    shutil.rmtree(folder)
    with pytest.raises(XLTError, match="XLTE450"):
        back.to_disk(tmp_path / "elsewhere")


# --- xlt_tprojection with CTranslate2 ---------------------------------------------------------


def _gold(nlp, words, spans):
    return set_doc_spans(Doc(nlp.vocab, words=words), [TokenSpan(*s) for s in spans])


def _pairs(nlp, n=10):
    return [
        make_pair(_gold(nlp, ex.src_words, ex.src_spans), Doc(nlp.vocab, words=ex.tgt_words), source_lang="en")
        for ex in generate_parallel(n, "en", "es", seed=99)
    ]


def _records(nlp, n=10):
    docs = list(nlp.pipe(_pairs(nlp, n)))
    return [(d.to_json()["ents"], d.user_data[PROJECTION_KEY]) for d in docs]


def _assert_same_projections(got, expected, exact=True):
    """Same spans, candidates and links; with ``exact`` False the scores may differ by
    float rounding (another engine), else everything is equal (the same engine reloaded).
    Compared as JSON (a record read back from a file has lists for tuples)."""
    got, expected = json.loads(json.dumps(got)), json.loads(json.dumps(expected))
    if exact:
        assert got == expected
        return
    assert [g[0] for g in got] == [e[0] for e in expected]  # the projected spans
    for (_, a), (_, b) in zip(got, expected):
        assert a.keys() == b.keys()
        for key in a:
            if key not in ("links", "scores"):
                assert a[key] == b[key], key
        assert [link[:2] for link in a["links"]] == [link[:2] for link in b["links"]]
        close = [np.isclose(x[2], y[2], rtol=1e-5, atol=SCORE_ATOL) for x, y in zip(a["links"], b["links"]) if x[2] is not None]
        assert all(close)
        assert a["scores"].keys() == b["scores"].keys()
        for key, value in a["scores"].items():
            assert np.isclose(value, b["scores"][key], rtol=1e-5, atol=SCORE_ATOL), key


PROJECTOR = {"num_beams": 4, "target_lang": "es", "save_candidates": True}


@pytest.fixture(scope="module")
def trained_hf_pipeline(tmp_path_factory, tiny_mt5, tiny_nllb):
    """A Hugging Face T-Projection pipeline whose generator learnt enough in 80 steps to
    propose spans that match the targets, saved; (folder, its projections)."""
    import random

    import torch

    torch.manual_seed(0)
    nlp = spacy.blank("es")
    nlp.add_pipe(
        "xlt_tprojection",
        config={
            "generator": {"@misc": "spacy_xlt.Seq2SeqGenerator.v1", "name": str(tiny_mt5), "max_new_tokens": 16, "batch_size": 32},
            "translator": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb)},
            "trainer": {"@misc": "spacy_xlt.Trainer.v1", "optimizer": "adamw", "learning_rate": 5e-3},
            **PROJECTOR,
        },
    )
    train = [
        Example(Doc(nlp.vocab, words=ex.src_words), _gold(nlp, ex.src_words, ex.src_spans))
        for ex in generate_parallel(200, "en", "es", seed=11)
    ]
    nlp.initialize(lambda: train)
    rng = random.Random(0)
    for _ in range(80):
        nlp.update(rng.sample(train, 16), sgd=True)
    folder = tmp_path_factory.mktemp("hf_pipeline") / "pipeline"
    nlp.to_disk(folder)
    records = _records(nlp)
    assert any(ents for ents, _ in records)  # something projected: candidates were scored
    return folder, records


def test_tprojection_with_ct2_equals_hf_and_round_trips_offline(tmp_path, trained_hf_pipeline, tiny_nllb):
    hf_folder, expected = trained_hf_pipeline
    generator = tmp_path / "generator"  # copies: deleted below, before the saved pipeline loads
    translator = tmp_path / "nllb"
    shutil.copytree(hf_folder / "xlt_tprojection" / "generator", generator)
    shutil.copytree(tiny_nllb, translator)
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe(
        "xlt_tprojection",
        config={
            "generator": {"@misc": "spacy_xlt.CT2Generator.v1", "name": str(generator), "max_new_tokens": 16, "compute_type": "float32", "intra_threads": 1},
            "translator": {"@misc": "spacy_xlt.CT2Translator.v1", "name": str(translator), "compute_type": "float32", "intra_threads": 1},
            **PROJECTOR,
        },
    )
    nlp.initialize(lambda: [])
    assert isinstance(pipe.generator, CT2Generator) and isinstance(pipe.translator, CT2Translator)
    first = _records(nlp)
    _assert_same_projections(first, expected, exact=False)
    nlp.to_disk(tmp_path / "ct2_pipeline")
    shutil.rmtree(generator)
    shutil.rmtree(translator)
    saved = tmp_path / "ct2_pipeline" / "xlt_tprojection"
    for part in ("generator", "translator"):
        assert (saved / part / "ct2" / "model.bin").exists()
        assert not list((saved / part).glob("*.safetensors"))
    loaded = spacy.load(tmp_path / "ct2_pipeline")
    assert isinstance(loaded.get_pipe("xlt_tprojection").translator, CT2Translator)
    _assert_same_projections(_records(loaded), first)
    from_bytes = spacy.util.load_model_from_config(loaded.config)  # built, nothing loaded
    from_bytes.from_bytes(loaded.to_bytes())
    _assert_same_projections(_records(from_bytes), first)


def test_saved_hf_pipeline_switches_to_ct2_with_one_override(trained_hf_pipeline):
    """spacy.load with the @misc lines overridden converts the stored HF weights at load."""
    from spacy_xlt.projectors import load_projector_pipeline

    folder, expected = trained_hf_pipeline
    _, pipe = load_projector_pipeline(
        str(folder),
        {
            "translator.@misc": "spacy_xlt.CT2Translator.v1",
            "translator.compute_type": "float32",
            "generator.@misc": "spacy_xlt.CT2Generator.v1",
            "generator.compute_type": "float32",
        },
    )
    assert isinstance(pipe.translator, CT2Translator) and isinstance(pipe.generator, CT2Generator)
    docs = list(pipe.pipe(_pairs(spacy.blank("es"))))
    got = [(d.to_json()["ents"], d.user_data[PROJECTION_KEY]) for d in docs]
    _assert_same_projections(got, expected, exact=False)


def test_projector_config_with_a_fine_tuned_ct2_generator(trained_hf_pipeline, tiny_nllb):
    """The projector block a user writes for `spacy xlt project --config`: the generator
    folder of a trained pipeline, run on CTranslate2."""
    from spacy_xlt.projectors import build_projector

    folder, expected = trained_hf_pipeline
    config = {
        "projector": {
            "factory": "xlt_tprojection",
            **PROJECTOR,
            "generator": {"@misc": "spacy_xlt.CT2Generator.v1", "name": str(folder / "xlt_tprojection" / "generator"), "max_new_tokens": 16, "compute_type": "float32"},
            "translator": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb)},
        }
    }
    nlp, pipe = build_projector(config, lang="es")
    assert isinstance(pipe.generator, CT2Generator)
    _assert_same_projections(_records(nlp), expected)  # HF translator: scores identical too


def test_project_cli_switches_with_config_lines(tmp_path, trained_hf_pipeline, tiny_nllb):
    """`spacy xlt project`: a --config whose [projector.generator] names the trained
    generator's folder on CTranslate2, and --pipeline with the @misc lines overridden."""
    from spacy.tokens import DocBin
    from typer.testing import CliRunner

    from spacy_xlt.cli import xlt_cli
    from spacy_xlt.pairs import read_docs

    folder, expected = trained_hf_pipeline
    nlp = spacy.blank("es")
    db = DocBin(store_user_data=True)
    for doc in _pairs(nlp):
        db.add(doc)
    db.to_disk(tmp_path / "pairs.spacy")
    generator = folder / "xlt_tprojection" / "generator"
    (tmp_path / "projector.cfg").write_text(
        f"""
[projector]
factory = "xlt_tprojection"
num_beams = 4
target_lang = "es"
save_candidates = true

[projector.generator]
@misc = "spacy_xlt.CT2Generator.v1"
name = "{generator}"
max_new_tokens = 16

[projector.translator]
@misc = "spacy_xlt.CT2Translator.v1"
name = "{tiny_nllb}"
compute_type = "float32"
""",
        encoding="utf8",
    )
    runner = CliRunner()
    common = [str(tmp_path / "pairs.spacy")]
    result = runner.invoke(xlt_cli, ["project", *common, str(tmp_path / "a.spacy"), "--config", str(tmp_path / "projector.cfg"), "--lang", "es"])
    assert result.exit_code == 0, result.output
    switched = [
        "project", *common, str(tmp_path / "b.spacy"), "--pipeline", str(folder), "--lang", "es",
        "--set", "generator.@misc=spacy_xlt.CT2Generator.v1",
        "--set", "translator.@misc=spacy_xlt.CT2Translator.v1",
    ]  # fmt: skip
    result = runner.invoke(xlt_cli, switched)
    assert result.exit_code == 0, result.output
    for name in ("a.spacy", "b.spacy"):
        got = [(d.to_json()["ents"], d.user_data[PROJECTION_KEY]) for d in read_docs(tmp_path / name)]
        _assert_same_projections(got, expected, exact=False)


def test_protocols_and_a_trainer_that_binds(translators, models):
    from spacy_xlt.backends.trainer import Trainer
    from spacy_xlt.ty import Backend, Generator, TranslatorBackend

    _, ct = translators("nllb")
    assert isinstance(ct, TranslatorBackend) and isinstance(ct, Backend)
    gen = CT2Generator(str(models["mt5"]), intra_threads=1)
    gen.load()
    assert isinstance(gen, Generator) and isinstance(gen, Backend)
    # xlt_tprojection binds its trainer to the generator when it loads (projection only here)
    Trainer(gradient_checkpointing=True).bind(gen)


def test_training_a_ct2_generator_is_a_coded_error(models, tiny_nllb):
    nlp = spacy.blank("es")
    nlp.add_pipe(
        "xlt_tprojection",
        config={
            "generator": {"@misc": "spacy_xlt.CT2Generator.v1", "name": str(models["mt5"])},
            "translator": {"@misc": "spacy_xlt.CT2Translator.v1", "name": str(tiny_nllb)},
            "target_lang": "es",
        },
    )
    examples = [
        Example(Doc(nlp.vocab, words=ex.src_words), _gold(nlp, ex.src_words, ex.src_spans))
        for ex in generate_parallel(4, "en", "es", seed=1)
    ]
    nlp.initialize(lambda: examples)
    assert nlp.get_pipe("xlt_tprojection").trainer.backend is None  # nothing bound to train
    with pytest.raises(XLTError, match="XLTE327"):
        nlp.update(examples)


def test_translate_docs_with_a_ct2_translator(tmp_path, translators):
    """The translate command's library call takes any translator: CTranslate2's too."""
    from spacy.tokens import DocBin

    from spacy_xlt.pairs import read_docs
    from spacy_xlt.translation import translate_docs

    hf, ct = translators("nllb")
    nlp = spacy.blank("en")
    texts = ["Hello world .", "The cat sat on the mat ."]
    DocBin(docs=[nlp(t) for t in texts]).to_disk(tmp_path / "en.spacy")
    counts = translate_docs(tmp_path / "en.spacy", tmp_path / "pairs.spacy", model=ct.name, src="en", tgt="es", lang="xx", translator=ct, progress=False)
    assert counts["docs"] == 2
    assert [d.text for d in read_docs(tmp_path / "pairs.spacy")] == [
        spacy.blank("xx")(t).text for t in hf.translate(texts, "en", "es")
    ]


def test_translate_command_backend_ct2(tmp_path, tiny_nllb):
    """`spacy xlt translate --backend ct2` converts the model when it loads it and writes the
    pairs the HF backend writes (float32, greedy)."""
    from spacy.tokens import DocBin
    from typer.testing import CliRunner

    from spacy_xlt.cli import xlt_cli

    nlp = spacy.blank("en")
    DocBin(docs=[nlp(t) for t in ("Hello world .", "The cat sat on the mat .")]).to_disk(tmp_path / "en.spacy")
    runner = CliRunner()
    outputs = {}
    for backend in ("hf", "ct2"):
        out = tmp_path / f"{backend}.spacy"
        args = ["translate", str(tmp_path / "en.spacy"), str(out), "--model", str(tiny_nllb), "--tgt", "es",
                "--num-beams", "1", "--max-new-tokens", "8", "--backend", backend]  # fmt: skip
        result = runner.invoke(xlt_cli, args)
        assert result.exit_code == 0, result.output
        outputs[backend] = out.read_bytes()
    assert outputs["hf"] == outputs["ct2"]
    bad = runner.invoke(xlt_cli, ["translate", str(tmp_path / "en.spacy"), str(tmp_path / "x.spacy"), "--model", str(tiny_nllb), "--tgt", "es", "--backend", "onnx"])
    assert bad.exit_code == 1 and "XLTE283" in bad.output


def test_translate_test_command_backend_ct2(tmp_path, tiny_nllb):
    """`spacy xlt translate-test --backend ct2` builds the component's translator with
    CTranslate2 and writes what the HF backend writes (float32, greedy)."""
    from spacy.tokens import DocBin
    from typer.testing import CliRunner

    from spacy_xlt.cli import xlt_cli

    source = spacy.blank("en")
    ruler = source.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": [{"IS_TITLE": True}]}])
    source.to_disk(tmp_path / "source")
    nlp = spacy.blank("xx")
    docs = [nlp(t) for t in ("Amina met Kado in Lagos .", "Tunde left Accra .")]
    DocBin(docs=docs).to_disk(tmp_path / "gold.spacy")
    runner = CliRunner()
    outputs = {}
    for backend in ("hf", "ct2"):
        out = tmp_path / f"{backend}.spacy"
        args = ["translate-test", str(tmp_path / "gold.spacy"), str(out), "--pipeline", str(tmp_path / "source"),
                "--model", str(tiny_nllb), "--tgt", "yo", "--lang", "xx", "--projector", "statistical",
                "--num-beams", "1", "--max-new-tokens", "8", "--keep-unmapped", "--backend", backend,
                "--compute-type", "default" if backend == "hf" else "float32"]  # fmt: skip
        result = runner.invoke(xlt_cli, args)
        assert result.exit_code == 0, result.output
        outputs[backend] = out.read_bytes()
    assert outputs["hf"] == outputs["ct2"]
    bad = runner.invoke(xlt_cli, ["translate-test", str(tmp_path / "gold.spacy"), str(tmp_path / "x.spacy"), "--pipeline", str(tmp_path / "source"),
                                  "--model", str(tiny_nllb), "--tgt", "yo", "--backend", "onnx"])  # fmt: skip
    assert bad.exit_code == 1 and "XLTE283" in bad.output
