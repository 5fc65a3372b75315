import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
#: Real public datasets kept beside the checkout (../shared/data); tests skip where absent.
DATA_DIR = Path(os.environ.get("SPACY_XLT_DATA", REPO.parent / "shared" / "data"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.exists():
        pytest.skip(f"real data folder {DATA_DIR} not found (set SPACY_XLT_DATA)")
    return DATA_DIR


# Tiny random Hugging Face models with real tokenizers (spacy_xlt.testing), built once per
# pytest session under its base temp folder and shared by every test that asks for them.
@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "tiny_models"


def _tiny(kind: str, cache_dir: Path) -> Path:
    from spacy_xlt.testing import get_tiny_model

    return get_tiny_model(kind, cache_dir)


@pytest.fixture(scope="session")
def tiny_mt5(tiny_models_dir) -> Path:
    """mT5-like seq2seq (MT5ForConditionalGeneration + T5TokenizerFast)."""
    return _tiny("mt5", tiny_models_dir)


@pytest.fixture(scope="session")
def tiny_xlmr(tiny_models_dir) -> Path:
    """XLM-R-like encoder (XLMRobertaModel + XLMRobertaTokenizerFast); works in spacy-transformers."""
    return _tiny("xlmr", tiny_models_dir)


@pytest.fixture(scope="session")
def tiny_bert(tiny_models_dir) -> Path:
    """mBERT-like cased encoder (BertModel + WordPiece BertTokenizerFast)."""
    return _tiny("bert", tiny_models_dir)


@pytest.fixture(scope="session")
def tiny_nllb(tiny_models_dir) -> Path:
    """NLLB-like translator (M2M100ForConditionalGeneration + NllbTokenizerFast, FLORES codes)."""
    return _tiny("nllb", tiny_models_dir)


@pytest.fixture(scope="session")
def tiny_m2m100(tiny_models_dir) -> Path:
    """M2M100 translator (M2M100ForConditionalGeneration + slow M2M100Tokenizer, __xx__ codes)."""
    return _tiny("m2m100", tiny_models_dir)


@pytest.fixture(scope="session")
def tiny_causal_lm(tiny_models_dir) -> Path:
    """Decoder-only LM (LlamaForCausalLM + byte-level BPE tokenizer, left padding)."""
    return _tiny("causal_lm", tiny_models_dir)


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module's tests (``pytestmark =
    pytest.mark.usefixtures("one_torch_thread")``): on a shared CPU the default pool makes tiny
    models 10x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
