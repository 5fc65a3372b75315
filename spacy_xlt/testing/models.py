"""Builders of tiny random Hugging Face models with real tokenizers, offline.

Each ``build_tiny_X(path, …)`` writes a folder that ``AutoTokenizer.from_pretrained`` and the
matching ``AutoModel…from_pretrained`` load without a network. The tokenizers are real: a
SentencePiece unigram model (or a WordPiece / byte-level BPE vocabulary) trained on
``generate_corpus`` text in seven languages and four scripts, so generated text of any seed
encodes without ``<unk>``. Weights are random: ``seed`` fixes them (a rebuild gives identical
tensors); the tokenizers do not depend on ``seed``.

``size`` picks a shape ("tiny" for tests, "medium" for benchmarks); ``d_model``, ``layers``,
``heads`` and ``ffn`` override single values; ``model_vocab_size`` pads the embedding matrix
beyond the tokenizer (as mT5 has 250112 rows for 250100 tokens).

torch, transformers, sentencepiece and tokenizers are imported inside the builders, so
importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import unicodedata
from dataclasses import asdict, dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from ..about import __version__
from ..errors import Errors, XLTError
from .text import generate_corpus, vocabulary_lines

#: Bump when a builder's output changes, so caches keyed by it rebuild.
BUILDER_VERSION = 1
#: File written last into every built folder: what was built, by which builder version.
MARKER = "spacy_xlt_tiny_model.json"

#: Sentences of generated text the tokenizers are trained on (plus every generator word).
TOKENIZER_SENTENCES = 1000
#: Requested vocabulary; the generated corpus supports about 1,240 SentencePiece pieces
#: (``hard_vocab_limit=False`` stops there).
TOKENIZER_VOCAB = 2000

PathLike = Union[str, Path]

# Builds seed torch's global generator: one build at a time per process.
_BUILD_LOCK = threading.RLock()


@dataclass(frozen=True)
class Shape:
    """Model dimensions shared by the builders (encoder and decoder alike)."""

    d_model: int
    layers: int
    heads: int
    ffn: int


SIZES: Dict[str, Shape] = {
    "tiny": Shape(d_model=32, layers=2, heads=2, ffn=64),
    "small": Shape(d_model=128, layers=2, heads=4, ffn=512),
    "medium": Shape(d_model=512, layers=6, heads=8, ffn=2048),
}


def resolve_shape(
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
) -> Shape:
    """The ``Shape`` of ``size`` with single values overridden; checked for consistency."""
    if size not in SIZES:
        raise XLTError(Errors.E121.format(size=size, options=", ".join(SIZES)))
    overrides = {"d_model": d_model, "layers": layers, "heads": heads, "ffn": ffn}
    shape = replace(SIZES[size], **{k: v for k, v in overrides.items() if v is not None})
    for name, value in asdict(shape).items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise XLTError(
                Errors.E122.format(shape=asdict(shape), why=f"{name} must be a positive integer")
            )
    if shape.d_model % shape.heads:
        raise XLTError(
            Errors.E122.format(shape=asdict(shape), why="d_model must be divisible by heads")
        )
    return shape


# --- tokenizer material ---------------------------------------------------------------


def _require(package: str, why: str) -> None:
    import importlib.util

    if importlib.util.find_spec(package) is None:
        raise XLTError(Errors.E124.format(package=package, why=why))


@lru_cache(maxsize=1)
def tokenizer_training_text() -> tuple:
    """The fixed text all tiny tokenizers are trained on."""
    return tuple(generate_corpus(TOKENIZER_SENTENCES, seed=0) + vocabulary_lines())


#: SentencePiece special-token layouts: T5 (pad 0, eos 1, unk 2) and fairseq (unk 0, bos 1,
#: eos 2; XLM-R, NLLB and M2M100 put <s> <pad> </s> <unk> in front of the pieces 3…).
_SPM_LAYOUTS = {
    "t5": dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1),
    "fairseq": dict(unk_id=0, bos_id=1, eos_id=2, pad_id=-1),
}


@cache
def train_sentencepiece(layout: str = "fairseq") -> bytes:
    """A serialized SentencePiece unigram model trained on the generated text.

    Deterministic (one thread, no sampling of the input); trained once per process and
    layout. Both layouts hold the same pieces from id 3 on.
    """
    _require("sentencepiece", "to train the tiny tokenizers")
    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(tokenizer_training_text()),
        model_writer=buf,
        model_type="unigram",
        vocab_size=TOKENIZER_VOCAB,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        minloglevel=2,
        **_SPM_LAYOUTS[layout],
    )
    return buf.getvalue()


def _spm_pieces(layout: str = "fairseq") -> List[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=train_sentencepiece(layout))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def _write_spm(folder: Path, name: str, layout: str) -> Path:
    path = folder / name
    path.write_bytes(train_sentencepiece(layout))
    return path


# --- building helpers -----------------------------------------------------------------


@contextlib.contextmanager
def _quiet_seeded(seed: int) -> Iterator[None]:
    """Seed torch for one build without touching the caller's RNG state; silence the
    transformers log lines that building from a SentencePiece model prints."""
    import torch
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
        hf_logging.set_verbosity_error()
        torch.manual_seed(seed)
        try:
            yield
        finally:
            hf_logging.set_verbosity(verbosity)


def _vocab_size(n_tokens: int, model_vocab_size: Optional[int]) -> int:
    if model_vocab_size is None:
        return n_tokens
    if model_vocab_size < n_tokens:
        raise XLTError(Errors.E127.format(model_vocab_size=model_vocab_size, n_tokens=n_tokens))
    return model_vocab_size


def _prepare(path: PathLike) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(model: Any, path: Path, kind: str, seed: int, shape: Shape, **info: Any) -> Path:
    model.save_pretrained(path, safe_serialization=True)
    marker = {
        "kind": kind,
        "builder_version": BUILDER_VERSION,
        "spacy_xlt_version": __version__,
        "seed": seed,
        "shape": asdict(shape),
        "vocab_size": model.config.vocab_size,
        **info,
    }
    (path / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf8")
    return path


def read_marker(path: PathLike) -> Optional[Dict[str, Any]]:
    """The build record of a tiny model folder, or None if ``path`` holds none."""
    try:
        data = json.loads((Path(path) / MARKER).read_text(encoding="utf8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- builders -------------------------------------------------------------------------


def build_tiny_mt5(
    path: PathLike,
    *,
    seed: int = 0,
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
    model_vocab_size: Optional[int] = None,
) -> Path:
    """An mT5-like ``MT5ForConditionalGeneration`` + ``T5TokenizerFast`` (pad 0 = decoder
    start, eos 1, unk 2, no sentinel tokens). ``ffn`` is split over mT5's gated feed-forward:
    ``d_ff = ffn // 2``."""
    shape = resolve_shape(size, d_model, layers, heads, ffn)
    _require("google.protobuf", "to convert a SentencePiece model to a fast tokenizer")
    from transformers import MT5Config, MT5ForConditionalGeneration, T5TokenizerFast

    path = _prepare(path)
    with _quiet_seeded(seed):
        spm_path = _write_spm(path, "spiece.model", "t5")
        # legacy=False would drop the leading "▁" of a fast tokenizer built from the .model:
        # add_prefix_space=True keeps it; the key is removed before saving, else every load
        # converts from the slow tokenizer again (and needs protobuf).
        tok = T5TokenizerFast(
            vocab_file=str(spm_path),
            extra_ids=0,
            legacy=False,
            add_prefix_space=True,
            model_max_length=512,
        )
        tok.init_kwargs.pop("add_prefix_space", None)
        tok.save_pretrained(path)
        config = MT5Config(
            vocab_size=_vocab_size(len(tok), model_vocab_size),
            d_model=shape.d_model,
            d_kv=shape.d_model // shape.heads,
            d_ff=max(1, shape.ffn // 2),
            num_layers=shape.layers,
            num_decoder_layers=shape.layers,
            num_heads=shape.heads,
            feed_forward_proj="gated-gelu",
            tie_word_embeddings=False,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
            decoder_start_token_id=tok.pad_token_id,
        )
        model = MT5ForConditionalGeneration(config)
        return _save(model, path, "mt5", seed, shape)


def build_tiny_xlmr(
    path: PathLike,
    *,
    seed: int = 0,
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
    model_vocab_size: Optional[int] = None,
) -> Path:
    """An XLM-R-like encoder: ``XLMRobertaModel`` (``AutoModel``) + ``XLMRobertaTokenizerFast``
    with ``model_max_length=512`` (saved as 1e30 otherwise, which spacy-transformers
    mishandles). Usable as ``name`` of ``spacy-transformers.TransformerModel.v3``."""
    shape = resolve_shape(size, d_model, layers, heads, ffn)
    _require("google.protobuf", "to convert a SentencePiece model to a fast tokenizer")
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    path = _prepare(path)
    with _quiet_seeded(seed):
        spm_path = _write_spm(path, "sentencepiece.bpe.model", "fairseq")
        tok = XLMRobertaTokenizerFast(vocab_file=str(spm_path), model_max_length=512)
        tok.save_pretrained(path)
        config = XLMRobertaConfig(
            vocab_size=_vocab_size(len(tok), model_vocab_size),
            hidden_size=shape.d_model,
            num_hidden_layers=shape.layers,
            num_attention_heads=shape.heads,
            intermediate_size=shape.ffn,
            max_position_embeddings=514,  # 512 + padding_idx + 1, as XLM-R
            type_vocab_size=1,
            pad_token_id=tok.pad_token_id,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
        )
        model = XLMRobertaModel(config)
        return _save(model, path, "xlmr", seed, shape)


def build_tiny_bert(
    path: PathLike,
    *,
    seed: int = 0,
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
    model_vocab_size: Optional[int] = None,
) -> Path:
    """An mBERT-like (cased) ``BertModel`` + ``BertTokenizerFast`` over a WordPiece
    ``vocab.txt``: every character (alone and as ``##`` continuation) plus the SentencePiece
    pieces (word-initial ones as words, the others as ``##`` pieces). Derived from the
    SentencePiece model because the ``tokenizers`` WordPiece trainer is not deterministic."""
    shape = resolve_shape(size, d_model, layers, heads, ffn)
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path = _prepare(path)
    with _quiet_seeded(seed):
        vocab_path = path / "vocab.txt"
        vocab_path.write_text("\n".join(_wordpiece_vocab()) + "\n", encoding="utf8")
        tok = BertTokenizerFast(
            vocab_file=str(vocab_path),
            do_lower_case=False,
            strip_accents=False,
            tokenize_chinese_chars=True,
            model_max_length=512,
        )
        tok.save_pretrained(path)
        config = BertConfig(
            vocab_size=_vocab_size(len(tok), model_vocab_size),
            hidden_size=shape.d_model,
            num_hidden_layers=shape.layers,
            num_attention_heads=shape.heads,
            intermediate_size=shape.ffn,
            max_position_embeddings=512,
            pad_token_id=tok.pad_token_id,
        )
        model = BertModel(config)
        return _save(model, path, "bert", seed, shape)


def _wordpiece_vocab() -> List[str]:
    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    pre = pre_tokenizers.BertPreTokenizer()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted(
        {
            c
            for line in tokenizer_training_text()
            for c in normalizer.normalize_str(line)
            if not c.isspace()
        }
    )
    words = []
    for piece in _spm_pieces("fairseq")[3:]:
        text = unicodedata.normalize("NFC", piece.lstrip("▁"))
        # BERT splits punctuation off before WordPiece: only punctuation-free pieces can match.
        if not text or len(pre.pre_tokenize_str(text)) != 1 or len(text) == 1:
            continue
        words.append(text if piece.startswith("▁") else "##" + text)
    seen = set(vocab)
    for token in chars + ["##" + c for c in chars] + words:
        if token not in seen:
            seen.add(token)
            vocab.append(token)
    return vocab


def build_tiny_nllb(
    path: PathLike,
    *,
    seed: int = 0,
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
    model_vocab_size: Optional[int] = None,
) -> Path:
    """An NLLB-200-like translator: ``M2M100ForConditionalGeneration`` + ``NllbTokenizerFast``
    (which adds the 202 FLORES-200 language codes, e.g. ``hau_Latn``, and ``<mask>``).
    Sources encode as ``[src_lang] … </s>``; generate with
    ``forced_bos_token_id=tok.convert_tokens_to_ids("hau_Latn")``."""
    shape = resolve_shape(size, d_model, layers, heads, ffn)
    _require("google.protobuf", "to convert a SentencePiece model to a fast tokenizer")
    from transformers import M2M100ForConditionalGeneration, NllbTokenizerFast

    path = _prepare(path)
    with _quiet_seeded(seed):
        spm_path = _write_spm(path, "sentencepiece.bpe.model", "fairseq")
        tok = NllbTokenizerFast(
            vocab_file=str(spm_path), src_lang="eng_Latn", model_max_length=1024
        )
        tok.save_pretrained(path)
        config = _m2m100_config(_vocab_size(len(tok), model_vocab_size), shape, tok)
        model = M2M100ForConditionalGeneration(config)
        return _save(model, path, "nllb", seed, shape)


def build_tiny_m2m100(
    path: PathLike,
    *,
    seed: int = 0,
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
    model_vocab_size: Optional[int] = None,
) -> Path:
    """An M2M100-like translator: ``M2M100ForConditionalGeneration`` + the (slow)
    ``M2M100Tokenizer`` (``vocab.json`` + SentencePiece model, 100 ``__xx__`` language
    tokens). The model's vocabulary counts the language tokens and the 8 made-up words:
    ``tok.vocab_size + len(tok.lang_token_to_id) + tok.num_madeup_words``."""
    shape = resolve_shape(size, d_model, layers, heads, ffn)
    from transformers import M2M100ForConditionalGeneration, M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    path = _prepare(path)
    with _quiet_seeded(seed):
        spm_path = _write_spm(path, "sentencepiece.bpe.model", "fairseq")
        # fairseq dictionary order: <s> <pad> </s> <unk>, then the pieces after SentencePiece's
        # own <unk> <s> </s>.
        vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
        for piece in _spm_pieces("fairseq")[3:]:
            vocab.setdefault(piece, len(vocab))
        vocab_path = path / "vocab.json"
        vocab_path.write_text(json.dumps(vocab, ensure_ascii=False, indent=0), encoding="utf8")
        # The language tokens are passed explicitly (as the released tokenizer files do):
        # without them, skip_special_tokens leaves "__en__" in decoded text.
        lang_tokens = [f"__{code}__" for code in FAIRSEQ_LANGUAGE_CODES["m2m100"]]
        tok = M2M100Tokenizer(
            vocab_file=str(vocab_path),
            spm_file=str(spm_path),
            src_lang="en",
            model_max_length=1024,
            additional_special_tokens=lang_tokens,
        )
        tok.save_pretrained(path)
        n_tokens = tok.vocab_size + len(tok.lang_token_to_id) + tok.num_madeup_words
        config = _m2m100_config(_vocab_size(n_tokens, model_vocab_size), shape, tok)
        model = M2M100ForConditionalGeneration(config)
        return _save(model, path, "m2m100", seed, shape)


def _m2m100_config(vocab_size: int, shape: Shape, tok: Any) -> Any:
    from transformers import M2M100Config

    return M2M100Config(
        vocab_size=vocab_size,
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn,
        decoder_ffn_dim=shape.ffn,
        max_position_embeddings=1024,
        scale_embedding=True,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id,
    )


def build_tiny_causal_lm(
    path: PathLike,
    *,
    seed: int = 0,
    size: str = "tiny",
    d_model: Optional[int] = None,
    layers: Optional[int] = None,
    heads: Optional[int] = None,
    ffn: Optional[int] = None,
    model_vocab_size: Optional[int] = None,
) -> Path:
    """A decoder-only ``LlamaForCausalLM`` + byte-level BPE ``PreTrainedTokenizerFast``
    (Qwen/GPT-2 style: NFC, no BOS added, ``<|endoftext|>`` as bos/eos, ``<|pad|>`` pad,
    left padding for generation; returns no ``token_type_ids``)."""
    shape = resolve_shape(size, d_model, layers, heads, ffn)
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = _prepare(path)
    with _quiet_seeded(seed):
        tok = PreTrainedTokenizerFast(
            tokenizer_object=_byte_level_bpe(),
            bos_token="<|endoftext|>",
            eos_token="<|endoftext|>",
            pad_token="<|pad|>",
            model_max_length=512,
            padding_side="left",
            model_input_names=["input_ids", "attention_mask"],
        )
        tok.save_pretrained(path)
        config = LlamaConfig(
            vocab_size=_vocab_size(len(tok), model_vocab_size),
            hidden_size=shape.d_model,
            intermediate_size=shape.ffn,
            num_hidden_layers=shape.layers,
            num_attention_heads=shape.heads,
            num_key_value_heads=shape.heads,
            max_position_embeddings=512,
            tie_word_embeddings=False,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        )
        model = LlamaForCausalLM(config)
        return _save(model, path, "causal_lm", seed, shape)


def _byte_level_bpe() -> Any:
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER_VOCAB,
        special_tokens=["<|endoftext|>", "<|pad|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(tokenizer_training_text()), trainer)
    return tok


#: Builders by kind, as ``get_tiny_model`` and the CLI name them.
BUILDERS: Dict[str, Callable[..., Path]] = {
    "mt5": build_tiny_mt5,
    "xlmr": build_tiny_xlmr,
    "bert": build_tiny_bert,
    "nllb": build_tiny_nllb,
    "m2m100": build_tiny_m2m100,
    "causal_lm": build_tiny_causal_lm,
}
KINDS = tuple(BUILDERS)
