"""Translator backend: language codes, batched translate, forced-decoding score."""

import math

import numpy as np
import pytest

from spacy_xlt.backends.langcodes import LANGUAGES, lookup, model_code
from spacy_xlt.errors import XLTError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


MASAKHANER = (
    "bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul".split()
)
OTE = "en es fr nl ru tr".split()


def test_every_masakhaner_and_ote_language_is_known():
    for lang in MASAKHANER + OTE + ["de"]:
        assert lookup(lang) is not None, lang
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES as M2M
    from transformers.models.nllb.tokenization_nllb_fast import FAIRSEQ_LANGUAGE_CODES as NLLB

    for entry in LANGUAGES:
        assert entry.nllb is None or entry.nllb in NLLB, entry
        assert entry.m2m100 is None or entry.m2m100 in M2M["m2m100"], entry


@pytest.mark.parametrize(
    "lang,nllb,m2m",
    [
        ("ha", "hau_Latn", "ha"),
        ("hau", "hau_Latn", "ha"),
        ("swa", "swh_Latn", "sw"),
        ("sw", "swh_Latn", "sw"),
        ("ru", "rus_Cyrl", "ru"),
        ("hau_Latn", "hau_Latn", "ha"),
        ("__ha__", "hau_Latn", "ha"),
        ("de", "deu_Latn", "de"),
    ],
)
def test_model_codes(lang, nllb, m2m):
    assert model_code(lang, "nllb") == nllb
    assert model_code(lang, "m2m100") == m2m


def test_unknown_or_uncovered_languages_are_errors():
    with pytest.raises(XLTError, match=r"XLTE281.*Bambara"):
        model_code("bam", "m2m100")
    with pytest.raises(XLTError, match=r"XLTE281.*Nigerian Pidgin"):
        model_code("pcm", "nllb")
    with pytest.raises(XLTError, match="XLTE281"):
        model_code("klingon", "nllb")
    with pytest.raises(XLTError, match="XLTE280"):
        model_code("en", "marian")
    # explicit model codes pass through (translating pcm through English, say)
    assert model_code("eng_Latn", "nllb") == "eng_Latn"
    assert model_code("xyz_Latn", "nllb") == "xyz_Latn"


@pytest.fixture(scope="module", params=["nllb", "m2m100"])
def translator(request, tiny_nllb, tiny_m2m100):
    from spacy_xlt.backends.translator import Translator

    path = tiny_nllb if request.param == "nllb" else tiny_m2m100
    translator = Translator(str(path), batch_size=2, num_beams=2, max_new_tokens=4)
    translator.load()
    return translator


SOURCES = ["Amina saw the old river in Kado.", "Kado", "Sodu Group sold 12 books with Amina!", ""]
TARGETS = ["Amina", "Kado Group ní", "", "the river"]


def test_style_and_codes(translator):
    assert translator.style in ("nllb", "m2m100")
    assert translator.code("ha") == ("hau_Latn" if translator.style == "nllb" else "ha")
    with pytest.raises(XLTError, match="XLTE281"):
        translator.code("bbj")


def test_score_batched_equals_one_by_one(translator):
    batched = translator.score(SOURCES, TARGETS, "en", "ha")
    single = [translator.score([s], [t], "en", "ha")[0] for s, t in zip(SOURCES, TARGETS)]
    np.testing.assert_allclose(batched, single, rtol=1e-5)
    assert ((batched > 0) & (batched <= 1)).all()


def test_score_is_two_to_the_minus_mean_cross_entropy(translator):
    """Independent check through the model's own loss (language token masked out; the
    default score style scores one extra </s>, as T-Projection's NMTScore fork)."""
    import torch

    tok, model = translator.tokenizer, translator.model
    tok.src_lang = translator.code("en")
    tok.tgt_lang = translator.code("ha")
    enc = tok("Amina saw the old river in Kado.", text_target="Kado Group ní", return_tensors="pt")
    from transformers.models.m2m_100.modeling_m2m_100 import shift_tokens_right

    assert translator.score_style == "tprojection"
    eos = torch.tensor([[tok.eos_token_id]])
    enc["labels"] = torch.cat([enc["labels"], eos], dim=1)
    decoder_input_ids = shift_tokens_right(
        enc["labels"], tok.pad_token_id, model.config.decoder_start_token_id
    )
    labels = enc["labels"].clone()
    labels[0, 0] = -100  # the forced target-language token is not scored
    with torch.no_grad():
        out = model(
            input_ids=enc["input_ids"],
            attention_mask=enc["attention_mask"],
            decoder_input_ids=decoder_input_ids,
        )
    loss = torch.nn.functional.cross_entropy(out.logits[0], labels[0], ignore_index=-100)
    expected = 2 ** (-loss.item())
    got = translator.score(["Amina saw the old river in Kado."], ["Kado Group ní"], "en", "ha")[0]
    assert got == pytest.approx(expected, rel=1e-5)


def test_score_styles(tiny_nllb):
    """The default scores the extra </s> of T-Projection's NMTScore fork; "nmtscore" is
    upstream NMTScore (the target's own </s> only)."""
    from spacy_xlt.backends.translator import Translator

    default, upstream = Translator(str(tiny_nllb)), Translator(str(tiny_nllb), score_style="nmtscore")
    assert default.score_style == "tprojection"
    default.load()
    upstream.load()
    a = upstream.score(["Kado"], ["Amina"], "en", "ha")[0]
    b = default.score(["Kado"], ["Amina"], "en", "ha")[0]
    assert a != pytest.approx(b)
    assert math.isfinite(b) and 0 < b <= 1


def test_used_before_load_and_saved_offline(tiny_nllb, tmp_path):
    """Nothing loads on first use (only initialize or the translate command may reach a
    hub); to_bytes/to_disk carry weights and tokenizer, so a copy scores identically."""
    import shutil

    from spacy_xlt.backends.translator import Translator

    copy = tmp_path / "model"
    shutil.copytree(tiny_nllb, copy)
    translator = Translator(str(copy))
    with pytest.raises(XLTError, match="XLTE321"):
        translator.score(["a"], ["b"], "en", "ha")
    with pytest.raises(XLTError, match="XLTE321"):
        translator.translate(["a"], "en", "ha")
    translator.load()
    expected = translator.score(SOURCES, TARGETS, "en", "ha")
    data = translator.to_bytes()
    translator.to_disk(tmp_path / "saved")
    shutil.rmtree(copy)
    for restored in (
        Translator("gone").from_bytes(data),
        Translator("gone").from_disk(tmp_path / "saved"),
    ):
        assert restored.style == "nllb"
        np.testing.assert_allclose(restored.score(SOURCES, TARGETS, "en", "ha"), expected, rtol=1e-6)
    with pytest.raises(XLTError, match="XLTE322"):
        Translator("x").from_disk(tmp_path)


def test_translate_batched_equals_one_by_one(translator):
    texts = SOURCES[:3]
    batched = translator.translate(texts, "en", "ha")
    single = [translator.translate([t], "en", "ha")[0] for t in texts]
    assert batched == single
    assert all(isinstance(t, str) for t in batched)
    assert translator.counts["translated"] >= 6


def test_bad_inputs(translator):
    with pytest.raises(XLTError, match="XLTE285"):
        translator.score(["a"], [], "en", "ha")
    with pytest.raises(XLTError, match="XLTE284"):
        translator.score([None], ["a"], "en", "ha")
    assert translator.score([], [], "en", "ha").shape == (0,)


def test_registered_and_bad_settings(tiny_nllb):
    from spacy.util import registry

    from spacy_xlt.backends.translator import Translator

    made = registry.resolve({"t": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb)}})["t"]
    assert isinstance(made, Translator) and not made.loaded
    made.load()
    assert made.style == "nllb"
    with pytest.raises(XLTError, match="XLTE283"):
        Translator(str(tiny_nllb), batch_size=0)
    with pytest.raises(XLTError, match="XLTE180"):
        Translator(str(tiny_nllb), dtype="fp8")
    with pytest.raises(XLTError, match="XLTE283"):
        Translator(str(tiny_nllb), score_style="fork")
    with pytest.raises(XLTError, match="XLTE320"):
        Translator("/nonexistent/model/folder").load()
