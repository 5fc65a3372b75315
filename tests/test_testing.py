"""spacy_xlt.testing: generated text, tiny offline models, the build cache and its CLI."""

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from spacy_xlt.errors import XLTError
from spacy_xlt.testing import (
    BUILDER_VERSION,
    BUILDERS,
    KINDS,
    LANGUAGES,
    MARKER,
    build_tiny_mt5,
    generate_corpus,
    generate_parallel,
    get_tiny_model,
    model_dirname,
    read_marker,
    resolve_shape,
)
from spacy_xlt.testing.__main__ import main as cli_main
from spacy_xlt.testing.cache import _install

SCRIPTS = {
    "Latin diacritics": "ñáéóúɓɗƙƴẹọṣ",
    "Cyrillic": "абвгдежзиклмнопрстуфхцчшыюя",
    "Greek": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ",
    "Ethiopic": "".join(chr(c) for c in range(0x1200, 0x1380)),
}


@pytest.fixture(scope="module")
def tiny_paths(tiny_mt5, tiny_xlmr, tiny_bert, tiny_nllb, tiny_m2m100, tiny_causal_lm):
    return {
        "mt5": tiny_mt5,
        "xlmr": tiny_xlmr,
        "bert": tiny_bert,
        "nllb": tiny_nllb,
        "m2m100": tiny_m2m100,
        "causal_lm": tiny_causal_lm,
    }


def _auto_model_class(kind):
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    return {
        "mt5": AutoModelForSeq2SeqLM,
        "nllb": AutoModelForSeq2SeqLM,
        "m2m100": AutoModelForSeq2SeqLM,
        "causal_lm": AutoModelForCausalLM,
    }.get(kind, AutoModel)


# --- generated text -------------------------------------------------------------------


def test_generate_corpus_is_deterministic_and_multiscript():
    corpus = generate_corpus(200, seed=0)
    assert corpus == generate_corpus(200, seed=0)
    assert corpus != generate_corpus(200, seed=1)
    assert len(corpus) == 200 and generate_corpus(0) == []
    text = "\n".join(corpus)
    for script, chars in SCRIPTS.items():
        assert any(c in text for c in chars), script
    for needle in ("<", ">", "</", "[None]", "<Person>", "</Location>", ",", "?", "(", "።"):
        assert needle in text, needle
    assert any(c.isdigit() for c in text)
    assert all(
        s == unicodedata.normalize("NFC", s) and s.strip() == s and "  " not in s for s in corpus
    )
    # capitalised names in every cased script
    assert any(
        w[:1].isupper() and w[:1] in "АБВГДЕЗИКЛМНОПРСТУФХЙ" for s in corpus for w in s.split()
    )
    assert any(s.endswith("።") for s in generate_corpus(10, langs=["am"]))


def test_generate_corpus_rejects_bad_input():
    with pytest.raises(XLTError, match="XLTE126"):
        generate_corpus(-1)
    with pytest.raises(XLTError, match="XLTE125"):
        generate_corpus(3, langs=["xx"])


@pytest.mark.parametrize("tgt", ["es", "am", "ru"])
def test_generate_parallel_spans_and_alignments(tgt):
    examples = generate_parallel(50, "en", tgt, seed=3)
    assert examples == generate_parallel(50, "en", tgt, seed=3)
    for ex in examples:
        assert ex.src_spans and len(ex.src_spans) == len(ex.tgt_spans)
        for (s0, s1, sl), (t0, t1, tl) in zip(ex.src_spans, ex.tgt_spans):
            assert (
                sl == tl and 0 <= s0 < s1 <= len(ex.src_words) and 0 <= t0 < t1 <= len(ex.tgt_words)
            )
            # every word of a source entity aligns into the matching target entity
            for i in range(s0, s1):
                assert [j for a, j in ex.alignment if a == i] and all(
                    t0 <= j < t1 for a, j in ex.alignment if a == i
                )
        assert all(
            0 <= i < len(ex.src_words) and 0 <= j < len(ex.tgt_words) for i, j in ex.alignment
        )


# --- shapes and errors ----------------------------------------------------------------


def test_resolve_shape():
    assert resolve_shape("medium").d_model == 512 and resolve_shape("medium").layers == 6
    assert resolve_shape("tiny", d_model=64, layers=1).d_model == 64
    with pytest.raises(XLTError, match="XLTE121"):
        resolve_shape("huge")
    with pytest.raises(XLTError, match="XLTE122"):
        resolve_shape("tiny", d_model=33)
    with pytest.raises(XLTError, match="XLTE122"):
        resolve_shape("tiny", layers=0)


# --- every tiny model -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_tiny_model_loads_offline_and_encodes_every_script(tiny_paths, kind):
    import torch
    from transformers import AutoTokenizer

    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    path = tiny_paths[kind]
    marker = read_marker(path)
    assert marker["kind"] == kind and marker["builder_version"] == BUILDER_VERSION
    tok = AutoTokenizer.from_pretrained(path)
    model = _auto_model_class(kind).from_pretrained(path).eval()
    assert tok.model_max_length == (1024 if kind in ("nllb", "m2m100") else 512)
    assert model.config.vocab_size >= len(tok)
    for lang in LANGUAGES:
        for text in generate_corpus(8, seed=123, langs=[lang]):
            ids = tok(text).input_ids
            assert tok.unk_token_id is None or tok.unk_token_id not in ids, (lang, text)
            decoded = tok.decode(ids, skip_special_tokens=True)
            if kind == "bert":  # BERT decoding puts spaces around punctuation
                assert decoded.replace(" ", "") == text.replace(" ", "")
            else:
                assert decoded == text, (lang, text, decoded)
    batch = tok(generate_corpus(3, seed=7), return_tensors="pt", padding=True)
    with torch.no_grad():
        if kind in ("xlmr", "bert"):
            out = model(**batch).last_hidden_state
            assert out.shape == (*batch.input_ids.shape, 32)
        else:
            generated = model.generate(**batch, max_new_tokens=4, num_beams=2, do_sample=False)
            assert generated.shape[0] == 3


def test_tiny_mt5_details(tiny_mt5):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_mt5)
    config = AutoModelForSeq2SeqLM.from_pretrained(tiny_mt5).config
    assert type(tok).__name__ == "T5TokenizerFast"
    assert config.decoder_start_token_id == config.pad_token_id == tok.pad_token_id == 0
    assert tok.eos_token_id == 1 and config.d_model == 32
    assert tok.convert_ids_to_tokens(tok("Amina saw").input_ids)[0].startswith("▁")
    assert "add_prefix_space" not in json.loads((tiny_mt5 / "tokenizer_config.json").read_text())


def test_model_vocab_size_pads_embeddings(tmp_path):
    path = build_tiny_mt5(tmp_path / "padded", model_vocab_size=1248)
    assert json.loads((path / "config.json").read_text())["vocab_size"] == 1248
    with pytest.raises(XLTError, match="XLTE127"):
        build_tiny_mt5(tmp_path / "small", model_vocab_size=10)


def test_tiny_nllb_language_codes_and_forced_bos(tiny_nllb):
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_nllb, src_lang="eng_Latn")
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_nllb).eval()
    assert type(tok).__name__ == "NllbTokenizerFast"
    codes = [
        "eng_Latn",
        "hau_Latn",
        "yor_Latn",
        "amh_Ethi",
        "rus_Cyrl",
        "ell_Grek",
        "spa_Latn",
        "zul_Latn",
    ]
    ids = tok.convert_tokens_to_ids(codes)
    assert tok.unk_token_id not in ids and len(set(ids)) == len(ids)
    assert max(ids) < model.config.vocab_size
    enc = tok(["Amina saw the river."], return_tensors="pt")
    assert enc.input_ids[0, 0] == ids[0] and enc.input_ids[0, -1] == tok.eos_token_id
    hau = tok.convert_tokens_to_ids("hau_Latn")
    with torch.no_grad():
        out = model.generate(**enc, forced_bos_token_id=hau, max_new_tokens=5)
    assert out[0, 0] == model.config.decoder_start_token_id == tok.eos_token_id
    assert out[0, 1] == hau
    tok.src_lang = "hau_Latn"
    assert tok("Amina").input_ids[0] == hau


def test_tiny_m2m100_vocab_and_language_tokens(tiny_m2m100):
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_m2m100, src_lang="en")
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_m2m100).eval()
    assert type(tok).__name__ == "M2M100Tokenizer"
    assert (
        model.config.vocab_size == tok.vocab_size + len(tok.lang_token_to_id) + tok.num_madeup_words
    )
    ha = tok.get_lang_id("ha")
    assert ha == tok.convert_tokens_to_ids("__ha__") < model.config.vocab_size
    enc = tok(["Amina saw the river."], return_tensors="pt")
    assert enc.input_ids[0, 0] == tok.get_lang_id("en") and enc.input_ids[0, -1] == tok.eos_token_id
    with torch.no_grad():
        out = model.generate(**enc, forced_bos_token_id=ha, max_new_tokens=5)
    assert out[0, 1] == ha
    assert "__" not in tok.decode(out[0], skip_special_tokens=True)


def test_tiny_causal_lm_tokenizer(tiny_causal_lm):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_causal_lm)
    assert (
        tok.pad_token == "<|pad|>"
        and tok.eos_token == "<|endoftext|>"
        and tok.padding_side == "left"
    )
    assert "token_type_ids" not in tok("Amina saw")
    assert tok.pad_token_id != tok.eos_token_id


def test_tiny_xlmr_in_spacy_transformers(tiny_xlmr):
    import spacy

    nlp = spacy.blank("xx")
    config = {
        "model": {
            "@architectures": "spacy-transformers.TransformerModel.v3",
            "name": str(tiny_xlmr),
        }
    }
    nlp.add_pipe("transformer", config=config)
    nlp.initialize()
    doc = nlp("Amina saw the old river in Kado. Ρεχό λίβο το ψί. ራባፉ ኪዬ።")
    tensors = doc._.trf_data.tensors
    assert tensors[0].shape[-1] == 32 and len(doc._.trf_data.align) == len(doc)
    assert doc._.trf_data.wordpieces.strings[0][0] == "<s>"


# --- determinism ----------------------------------------------------------------------


def _state_dict(path, kind):
    return _auto_model_class(kind).from_pretrained(path).state_dict()


@pytest.mark.parametrize("kind", KINDS)
def test_rebuild_is_identical(tiny_paths, tmp_path, kind):
    import torch

    again = BUILDERS[kind](tmp_path / kind)
    first = tiny_paths[kind]
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in first.iterdir())
    for file in again.iterdir():  # tokenizer files, configs and weights byte for byte
        assert file.read_bytes() == (first / file.name).read_bytes(), file.name
    a, b = _state_dict(first, kind), _state_dict(again, kind)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_seed_changes_weights_not_tokenizer(tiny_paths, tmp_path):
    import torch

    other = BUILDERS["xlmr"](tmp_path / "xlmr1", seed=1)
    first = tiny_paths["xlmr"]
    assert (other / "tokenizer.json").read_bytes() == (first / "tokenizer.json").read_bytes()
    a, b = _state_dict(first, "xlmr"), _state_dict(other, "xlmr")
    assert not torch.equal(
        a["embeddings.word_embeddings.weight"], b["embeddings.word_embeddings.weight"]
    )


def test_build_leaves_global_rng_alone(tmp_path):
    import torch

    torch.manual_seed(1234)
    expected = torch.rand(3)
    torch.manual_seed(1234)
    BUILDERS["bert"](tmp_path / "bert", seed=5)
    assert torch.equal(torch.rand(3), expected)


# --- cache and CLI --------------------------------------------------------------------


def test_get_tiny_model_builds_once(tmp_path):
    path = get_tiny_model("bert", tmp_path)
    assert path == tmp_path / "bert"
    mtime = (path / MARKER).stat().st_mtime_ns
    assert get_tiny_model("bert", tmp_path) == path
    assert (path / MARKER).stat().st_mtime_ns == mtime
    assert get_tiny_model("bert", tmp_path, seed=2, layers=1).name == "bert-seed2-layers1"
    assert model_dirname("mt5", size="medium") == "mt5-medium"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folders left
    with pytest.raises(XLTError, match="XLTE120"):
        get_tiny_model("gpt5", tmp_path)


def test_get_tiny_model_outdated_and_foreign_folders(tmp_path):
    path = get_tiny_model("bert", tmp_path)
    marker = json.loads((path / MARKER).read_text())
    (path / MARKER).write_text(json.dumps({**marker, "builder_version": 0}))
    assert get_tiny_model("bert", tmp_path) == path
    assert read_marker(path)["builder_version"] == BUILDER_VERSION
    (tmp_path / "xlmr").mkdir()
    (tmp_path / "xlmr" / "mine.txt").write_text("not a model")
    with pytest.raises(XLTError, match="XLTE123"):
        get_tiny_model("xlmr", tmp_path)
    assert (tmp_path / "xlmr" / "mine.txt").exists()


def test_install_race_keeps_the_first_build(tmp_path):
    first = get_tiny_model("bert", tmp_path / "a")
    loser = BUILDERS["bert"](tmp_path / "a" / ".bert.tmp2")
    expected = {"kind": "bert", "builder_version": BUILDER_VERSION}
    assert _install(loser, first, expected) == first
    assert not loser.exists() and read_marker(first)["kind"] == "bert"


@pytest.mark.slow  # two fresh interpreters importing spaCy and transformers
def test_two_processes_build_the_same_model(tmp_path):
    code = "import sys; from spacy_xlt.testing import get_tiny_model; print(get_tiny_model('causal_lm', sys.argv[1]))"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, env=env, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == [str(tmp_path / "causal_lm")] * 2
    assert [p.name for p in tmp_path.iterdir()] == ["causal_lm"]
    assert read_marker(tmp_path / "causal_lm")["kind"] == "causal_lm"


def test_cli_build(tmp_path, capsys):
    assert cli_main(["build", str(tmp_path), "--kinds", "bert,m2m100"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["bert", "m2m100"]
    assert Path(lines[1].split("\t")[2]) == tmp_path / "m2m100"
    assert read_marker(tmp_path / "m2m100")["kind"] == "m2m100"
    with pytest.raises(SystemExit):
        cli_main(["build", str(tmp_path), "--kinds", "gpt5"])
