"""Typed protocols for every contract a user may replace (as spacy-llm's ``ty.py``).

Methods and components receive objects satisfying these protocols from registered functions;
they never load models themselves, so a user can register their own aligner, encoder,
generator, translator or text-to-text backend. Each protocol lists exactly the methods and
attributes the layers above call. The package's own implementations:

========================  ==========================================================
protocol                  implementation (registered name)
========================  ==========================================================
``Backend``               ``spacy_xlt.backends.hf.HFBackend`` (every HF backend below)
``Generator``             ``Seq2SeqGenerator`` (``spacy_xlt.Seq2SeqGenerator.v1``),
                          ``CT2Generator`` (``spacy_xlt.CT2Generator.v1``, projection only)
``TranslationScorer``     ``Translator`` (``spacy_xlt.Translator.v1``),
                          ``CT2Translator`` (``spacy_xlt.CT2Translator.v1``)
``TranslatorBackend``     ``Translator``, ``CT2Translator``
``Text2TextBackend``      ``Text2TextModel`` (``spacy_xlt.Text2TextModel.v1``)
``Encoder``               ``HFEncoder`` (``spacy_xlt.HFEncoder.v1``)
``PieceEncoder``          ``HFEncoder``
``Aligner``               ``StatisticalAligner``, ``EmbeddingAligner``, ``SoftmaxAligner``,
                          ``PharaohAlignments`` (``spacy_xlt.*Aligner.v1``,
                          ``spacy_xlt.PharaohAlignments.v1``)
========================  ==========================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import (
    Any,
    List,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Union,
    runtime_checkable,
)

import numpy as np

#: Word alignment of one sentence pair: sorted (source index, target index) pairs.
Alignment = List[Tuple[int, int]]
#: One sentence pair as words: (source words, target words).
WordPair = Tuple[Sequence[str], Sequence[str]]


@runtime_checkable
class Aligner(Protocol):
    """Aligns the words of sentence pairs; indices are positions in the given word lists."""

    def align(self, pairs: Sequence[WordPair]) -> List[Alignment]: ...


@runtime_checkable
class Backend(Protocol):
    """A model that is loaded in ``initialize`` (or from a saved pipeline) and saved inside it."""

    name: str

    @property
    def loaded(self) -> bool: ...

    def load(self, path: Union[str, Path, None] = None) -> None: ...

    def require(self) -> None: ...

    def to_disk(self, path: Union[str, Path], *, reuse: bool = False) -> Path: ...

    def from_disk(self, path: Union[str, Path]) -> Any: ...

    def to_bytes(self) -> bytes: ...

    def from_bytes(self, data: bytes) -> Any: ...


@runtime_checkable
class Generator(Protocol):
    """T-Projection's candidate generator: beam sequences (strings) for each input string."""

    def generate(
        self, inputs: Sequence[str], num_beams: int = 16, num_return_sequences: Optional[int] = None
    ) -> List[List[str]]: ...


@runtime_checkable
class TrainableGenerator(Generator, Protocol):
    """A generator the ``xlt_tprojection`` component can fine-tune (through its trainer)."""

    model: Any  #: the torch module whose parameters the trainer steps
    device: Any

    def loss(self, inputs: Sequence[str], targets: Sequence[str]) -> Any: ...


@runtime_checkable
class TranslationScorer(Protocol):
    """P(target_i | source_i) for each pair, by forced decoding (T-Projection's scorer)."""

    def score(
        self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str
    ) -> Sequence[float]: ...


@runtime_checkable
class TranslatorBackend(TranslationScorer, Protocol):
    """Translates texts between two languages (ISO 639 or the model's own codes)."""

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> List[str]: ...


@runtime_checkable
class Text2TextBackend(Protocol):
    """Token-id generation and loss for the text-to-text tagger (``spacy_xlt.decoding``)."""

    name: str
    tokenizer: Any
    is_encoder_decoder: bool

    @property
    def eos_id(self) -> int: ...

    @property
    def pad_id(self) -> int: ...

    def encode(self, text: str, special: bool = False) -> List[int]: ...

    def encode_input(self, text: str) -> List[int]: ...

    def add_tokens(self, tokens: Sequence[str]) -> int: ...

    def generate_ids(
        self,
        inputs: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        num_beams: int = 1,
        num_return_sequences: int = 1,
        early_stopping: bool = False,
        processor_for: Any = None,
    ) -> List[List[List[int]]]: ...

    def loss_ids(self, inputs: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> Any: ...


class Pieces(NamedTuple):
    """Piece vectors of one sentence, special tokens removed."""

    vectors: np.ndarray  #: (n_pieces, hidden) float32
    word_ids: np.ndarray  #: (n_pieces,) int64: the word each piece belongs to


@runtime_checkable
class Encoder(Protocol):
    """Gives one (n_words, hidden) array of word vectors per word list."""

    def embed(self, word_lists: Sequence[Sequence[str]]) -> List[np.ndarray]: ...


@runtime_checkable
class PieceEncoder(Encoder, Protocol):
    """An encoder that also exposes its subword pieces (for piece-level alignment)."""

    def embed_pieces(self, word_lists: Sequence[Sequence[str]]) -> List[Pieces]: ...
