"""Tiny random Hugging Face models with real tokenizers, and generated multilingual text.

Every test, smoke run and benchmark of spacy_xlt uses these instead of downloads::

    from spacy_xlt.testing import get_tiny_model
    path = get_tiny_model("nllb")          # built once per cache folder, then reused
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path)

Kinds: ``mt5``, ``xlmr``, ``bert``, ``nllb``, ``m2m100``, ``causal_lm`` (see ``KINDS``).
From the shell: ``python -m spacy_xlt.testing build DIR --kinds mt5,xlmr``.
Importing this package is cheap; torch and transformers load when a model is built.
"""

from .cache import default_cache_dir, get_tiny_model, model_dirname
from .models import (
    BUILDER_VERSION,
    BUILDERS,
    KINDS,
    MARKER,
    SIZES,
    Shape,
    build_tiny_bert,
    build_tiny_causal_lm,
    build_tiny_m2m100,
    build_tiny_mt5,
    build_tiny_nllb,
    build_tiny_xlmr,
    read_marker,
    resolve_shape,
    train_sentencepiece,
)
from .tables import TableGenerator, TableScorer
from .text import LANGUAGES, ParallelExample, detokenize, generate_corpus, generate_parallel

__all__ = [
    "BUILDER_VERSION",
    "BUILDERS",
    "KINDS",
    "LANGUAGES",
    "MARKER",
    "SIZES",
    "ParallelExample",
    "Shape",
    "TableGenerator",
    "TableScorer",
    "build_tiny_bert",
    "build_tiny_causal_lm",
    "build_tiny_m2m100",
    "build_tiny_mt5",
    "build_tiny_nllb",
    "build_tiny_xlmr",
    "default_cache_dir",
    "detokenize",
    "generate_corpus",
    "generate_parallel",
    "get_tiny_model",
    "model_dirname",
    "read_marker",
    "resolve_shape",
    "train_sentencepiece",
]
