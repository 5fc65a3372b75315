"""Embedding aligners: SimAlign (cosine; argmax, itermax, match) and AWESOME's softmax extraction.

The extraction algorithms are pure numpy functions of one similarity matrix (rows: source
words or pieces, columns: target ones) returning an :data:`~spacy_xlt.ty.Alignment`. The
aligners embed both sides of a batch of pairs in one call to an encoder (any object with
``embed``, e.g. :class:`spacy_xlt.backends.encoder.HFEncoder`) and apply one algorithm per
pair. Words whose vector is all zeros (no tokenizer pieces, or cut by truncation: see the
encoder) are left out of the matrix and so stay unaligned.

As SimAlign does them (``cisnlp/simalign``; METHODS.md "Word-alignment projection"):

* similarity ``(cos + 1) / 2`` in [0, 1] of ``hidden_states[8]`` of mBERT (default), with an
  optional distortion ``sim * (1 - ratio * (j/(n-1) - i/(m-1))**2)``;
* **argmax**: mutual best matches (row argmax == column argmax; ties go to the first index);
* **itermax**: argmax, then up to ``max_iter - 1`` more rounds. Each round multiplies the
  similarity of a pair by 0 where both words are already aligned, by ``alpha`` (0.9) where one
  is, by ``min(1, 2 * alpha)`` where neither is, and adds the mutual best matches of that
  matrix among pairs not both aligned; it stops early when a round adds nothing or every row
  or every column is aligned. Sentences with at most two words on a side keep argmax;
* **match**: a maximum-weight bipartite matching of ``min(m, n)`` pairs (SimAlign's networkx
  ``max_weight_matching(maxcardinality=True)``; ``linear_sum_assignment`` gives the same
  result far faster).

AWESOME extraction (``neulab/awesome-align``): dot products of layer-8 piece vectors
(special tokens excluded), softmax over each row and over each column, a pair kept when
both probabilities exceed ``threshold`` (1e-3); two words are aligned when any of their
pieces are. ``level="word"`` on either aligner uses averaged word vectors instead,
``level="piece"`` aligns pieces and maps them to words (SimAlign's ``token_type="bpe"``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, List, Optional, Sequence

import numpy as np
from spacy.util import registry

from ..errors import Errors, XLTError
from ..ty import Alignment, WordPair

#: SimAlign's extraction methods.
METHODS = ("argmax", "itermax", "match")
#: What the similarity matrix is built from.
LEVELS = ("word", "piece")

#: Config blocks of the two aligners with their published defaults (mBERT, layer 8).
DEFAULT_SIMALIGN_CONFIG = """
[aligner]
@misc = "spacy_xlt.SimAlignAligner.v1"
method = "itermax"

[aligner.encoder]
@misc = "spacy_xlt.HFEncoder.v1"
name = "bert-base-multilingual-cased"
layer = 8
"""

DEFAULT_AWESOME_CONFIG = """
[aligner]
@misc = "spacy_xlt.AwesomeAligner.v1"
threshold = 0.001

[aligner.encoder]
@misc = "spacy_xlt.HFEncoder.v1"
name = "bert-base-multilingual-cased"
layer = 8
"""


# --------------------------------------------------------------------------- algorithms


def _check_sim(sim: Any, *, non_negative: bool = False) -> np.ndarray:
    sim = np.asarray(sim, dtype=np.float64)
    if sim.ndim != 2:
        raise XLTError(Errors.E187.format(what=f"shape {sim.shape}"))
    if not np.isfinite(sim).all():
        raise XLTError(Errors.E187.format(what="NaN or infinite values"))
    if non_negative and sim.size and sim.min() < 0:
        raise XLTError(
            Errors.E187.format(
                what=f"negative values (min {sim.min():.3g}); itermax down-weights by multiplying, "
                "so it needs similarities >= 0, e.g. SimAlign's (cos + 1) / 2"
            )
        )
    return sim


def _pairs(mask: np.ndarray) -> Alignment:
    rows, cols = np.nonzero(mask)
    return list(zip(rows.tolist(), cols.tolist()))


def _mutual_best(sim: np.ndarray) -> np.ndarray:
    """Boolean matrix of the cells that are the argmax of both their row and their column."""
    m, n = sim.shape
    out = np.zeros((m, n), dtype=bool)
    if m == 0 or n == 0:
        return out
    fwd = sim.argmax(axis=1)  # best target per source
    bwd = sim.argmax(axis=0)  # best source per target
    rows = np.flatnonzero(bwd[fwd] == np.arange(m))
    out[rows, fwd[rows]] = True
    return out


def argmax_alignment(sim: Any) -> Alignment:
    """SimAlign's argmax ("inter"): pairs that are each other's best match."""
    return _pairs(_mutual_best(_check_sim(sim)))


def _itermax_mask(sim: np.ndarray, max_iter: int, alpha: float) -> np.ndarray:
    aligned = _mutual_best(sim)
    m, n = sim.shape
    if min(m, n) <= 2:
        return aligned
    for _ in range(max_iter - 1):
        rows_done = aligned.any(axis=1)
        cols_done = aligned.any(axis=0)
        if rows_done.all() or cols_done.all():
            break
        weight = np.clip(alpha * (~rows_done)[:, None] + alpha * (~cols_done)[None, :], 0.0, 1.0)
        new = _mutual_best(sim * weight) & ~(rows_done[:, None] & cols_done[None, :])
        if not new.any():
            break
        aligned |= new
    return aligned


def itermax_alignment(sim: Any, max_iter: int = 2, alpha: float = 0.9) -> Alignment:
    """SimAlign's itermax: argmax plus rounds of mutual best matches touching unaligned words.

    ``sim`` must be >= 0 (SimAlign's ``(cos + 1) / 2``): aligned rows and columns are
    down-weighted by multiplying. ``max_iter`` counts the argmax round (SimAlign: 2).
    """
    if not isinstance(max_iter, int) or max_iter < 1:
        raise XLTError(Errors.E184.format(name="max_iter", value=max_iter, options="an int >= 1"))
    if not 0.0 <= alpha <= 1.0:
        raise XLTError(Errors.E184.format(name="alpha", value=alpha, options="a number in [0, 1]"))
    return _pairs(_itermax_mask(_check_sim(sim, non_negative=True), max_iter, alpha))


def match_alignment(sim: Any) -> Alignment:
    """SimAlign's match ("mwmf"): the maximum-weight matching of ``min(m, n)`` pairs."""
    from scipy.optimize import linear_sum_assignment

    sim = _check_sim(sim)
    if sim.size == 0:
        return []
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return sorted(zip(rows.tolist(), cols.tolist()))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_threshold_alignment(sim_dot: Any, threshold: float = 1e-3) -> Alignment:
    """AWESOME extraction: keep pairs whose row softmax and column softmax both exceed threshold."""
    if not 0.0 <= threshold < 1.0:
        raise XLTError(Errors.E184.format(name="threshold", value=threshold, options="a number in [0, 1)"))
    sim = _check_sim(sim_dot)
    if sim.size == 0:
        return []
    keep = (_softmax(sim, axis=1) > threshold) & (_softmax(sim, axis=0) > threshold)
    return _pairs(keep)


def apply_distortion(sim: Any, ratio: float) -> np.ndarray:
    """SimAlign's distortion: damp pairs far from the diagonal, ``sim * (1 - ratio * d**2)``.

    ``d`` is the difference of the relative positions ``j/(n-1)`` and ``i/(m-1)``; a
    ``ratio`` of 0 (SimAlign's default) or a side of fewer than two words changes nothing.
    """
    sim = _check_sim(sim)
    m, n = sim.shape
    if ratio == 0.0 or m < 2 or n < 2:
        return sim
    d = np.arange(n)[None, :] / (n - 1) - np.arange(m)[:, None] / (m - 1)
    return sim * (1.0 - ratio * d**2)


def cosine_similarity(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cosine similarity of the rows of x and y (rows of zeros give 0)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xn = np.linalg.norm(x, axis=1, keepdims=True)
    yn = np.linalg.norm(y, axis=1, keepdims=True)
    return (x / np.where(xn > 0, xn, 1.0)) @ (y / np.where(yn > 0, yn, 1.0)).T


# --------------------------------------------------------------------------- aligners


def _sentence_lists(pairs: Sequence[WordPair]):
    srcs = [list(src) for src, _ in pairs]
    tgts = [list(tgt) for _, tgt in pairs]
    return srcs, tgts


def _check_vectors(vectors: Any, index: int, n_words: int) -> np.ndarray:
    arr = np.asarray(vectors)
    if arr.ndim != 2 or arr.shape[0] != n_words:
        raise XLTError(Errors.E188.format(got=f"an array of shape {arr.shape}", index=index, n_words=n_words))
    return arr


class _EmbeddingAlignerBase(ABC):
    """Embeds both sides of all pairs at once, then extracts an alignment pair by pair.

    Subclasses say how two sentences' vectors are compared and how links are extracted."""

    default_level = "word"

    def __init__(self, encoder: Any, level: Optional[str] = None) -> None:
        level = self.default_level if level is None else level
        if level not in LEVELS:
            raise XLTError(Errors.E184.format(name="level", value=level, options=", ".join(LEVELS)))
        if not callable(getattr(encoder, "embed", None)):
            raise XLTError(Errors.E189.format(also="", obj=repr(encoder)))
        if level == "piece" and not callable(getattr(encoder, "embed_pieces", None)):
            raise XLTError(Errors.E189.format(also=' and, for level="piece", embed_pieces(word_lists)', obj=repr(encoder)))
        self.encoder = encoder
        self.level = level

    def initialize(self) -> None:
        """Load the encoder if it is a backend that is not loaded yet (the projector's
        ``initialize``, or ``spacy xlt align``, call this: the only steps that may download)."""
        if callable(getattr(self.encoder, "load", None)) and not getattr(self.encoder, "loaded", True):
            self.encoder.load()

    @abstractmethod
    def _similarity(self, x: np.ndarray, y: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _extract(self, sim: np.ndarray) -> Alignment: ...

    def _align_one(self, x, y, x_words: Optional[np.ndarray], y_words: Optional[np.ndarray]) -> Alignment:
        # rows / columns with all-zero vectors: words without pieces, left unaligned
        xi = np.flatnonzero(np.any(x != 0, axis=1))
        yi = np.flatnonzero(np.any(y != 0, axis=1))
        if len(xi) == 0 or len(yi) == 0:
            return []
        sim = self._similarity(x[xi], y[yi])
        links = self._extract(sim)
        if not links:
            return []
        rows, cols = np.asarray(links, dtype=np.int64).T
        rows, cols = xi[rows], yi[cols]
        if x_words is not None:
            rows, cols = x_words[rows], y_words[cols]
        return sorted(set(zip(rows.tolist(), cols.tolist())))

    def align(self, pairs: Sequence[WordPair]) -> List[Alignment]:
        """Word alignments of the pairs; indices are positions in the given word lists."""
        pairs = list(pairs)
        srcs, tgts = _sentence_lists(pairs)
        lists = srcs + tgts
        n = len(pairs)
        if not pairs:
            return []
        out: List[Alignment] = []
        if self.level == "word":
            vectors = self.encoder.embed(lists)
            if len(vectors) != len(lists):
                raise XLTError(Errors.E191.format(got=len(vectors), n=len(lists)))
            vectors = [_check_vectors(v, i, len(words)) for i, (v, words) in enumerate(zip(vectors, lists))]
            for k in range(n):
                out.append(self._align_one(vectors[k], vectors[n + k], None, None))
        else:
            pieces = self.encoder.embed_pieces(lists)
            if len(pieces) != len(lists):
                raise XLTError(Errors.E191.format(got=len(pieces), n=len(lists)))
            for k in range(n):
                (xs, xw), (ys, yw) = pieces[k], pieces[n + k]
                out.append(self._align_one(np.asarray(xs), np.asarray(ys), np.asarray(xw), np.asarray(yw)))
        return out


class EmbeddingAligner(_EmbeddingAlignerBase):
    """SimAlign: cosine similarity of contextual vectors, argmax / itermax / match extraction."""

    def __init__(
        self,
        encoder: Any,
        method: str = "itermax",
        *,
        level: str = "word",
        distortion: float = 0.0,
        max_iter: int = 2,
        alpha: float = 0.9,
    ) -> None:
        super().__init__(encoder, level)
        if method not in METHODS:
            raise XLTError(Errors.E184.format(name="method", value=method, options=", ".join(METHODS)))
        if not 0.0 <= distortion <= 1.0:
            raise XLTError(Errors.E184.format(name="distortion", value=distortion, options="a number in [0, 1]"))
        if not isinstance(max_iter, int) or max_iter < 1:
            raise XLTError(Errors.E184.format(name="max_iter", value=max_iter, options="an int >= 1"))
        if not 0.0 <= alpha <= 1.0:
            raise XLTError(Errors.E184.format(name="alpha", value=alpha, options="a number in [0, 1]"))
        self.method = method
        self.distortion = distortion
        self.max_iter = max_iter
        self.alpha = alpha
        extractors: dict = {
            "argmax": lambda s: _pairs(_mutual_best(s)),
            "itermax": lambda s: _pairs(_itermax_mask(s, self.max_iter, self.alpha)),
            "match": match_alignment,
        }
        self._extractor: Callable[[np.ndarray], Alignment] = extractors[method]

    def __repr__(self) -> str:
        return f"EmbeddingAligner({self.encoder!r}, method={self.method!r}, level={self.level!r})"

    def _similarity(self, x, y):
        sim = (cosine_similarity(x, y) + 1.0) / 2.0
        return apply_distortion(sim, self.distortion) if self.distortion else sim

    def _extract(self, sim):
        return self._extractor(sim)


class SoftmaxAligner(_EmbeddingAlignerBase):
    """AWESOME extraction: dot products, row and column softmax, both above ``threshold``."""

    default_level = "piece"

    def __init__(self, encoder: Any, threshold: float = 1e-3, *, level: str = "piece") -> None:
        super().__init__(encoder, level)
        if not 0.0 <= threshold < 1.0:
            raise XLTError(Errors.E184.format(name="threshold", value=threshold, options="a number in [0, 1)"))
        self.threshold = threshold

    def __repr__(self) -> str:
        return f"SoftmaxAligner({self.encoder!r}, threshold={self.threshold!r}, level={self.level!r})"

    def _similarity(self, x, y):
        return np.asarray(x, dtype=np.float64) @ np.asarray(y, dtype=np.float64).T

    def _extract(self, sim):
        keep = (_softmax(sim, axis=1) > self.threshold) & (_softmax(sim, axis=0) > self.threshold)
        return _pairs(keep)


@registry.misc("spacy_xlt.SimAlignAligner.v1")
def make_simalign_aligner(
    encoder: Any,
    method: str = "itermax",
    level: str = "word",
    distortion: float = 0.0,
) -> EmbeddingAligner:
    """SimAlign aligner over an encoder (``spacy_xlt.HFEncoder.v1``: mBERT layer 8 by default)."""
    return EmbeddingAligner(encoder, method, level=level, distortion=distortion)


@registry.misc("spacy_xlt.AwesomeAligner.v1")
def make_awesome_aligner(encoder: Any, threshold: float = 1e-3, level: str = "piece") -> SoftmaxAligner:
    """AWESOME softmax-threshold aligner; give the encoder an awesome-align checkpoint to use one."""
    return SoftmaxAligner(encoder, threshold, level=level)
