"""Encoder backend: contextual word vectors from layer k of any Hugging Face encoder.

The embedding aligners (``spacy_xlt.projection.embedding``) never load a model: they receive
an object with ``embed(word_lists)`` (and, for piece-level alignment, ``embed_pieces``), built
here by the registered ``spacy_xlt.HFEncoder.v1``. Loading (in the projector's ``initialize``
or from a saved pipeline), device, dtype, batching and saving are
:class:`~spacy_xlt.backends.hf.HFBackend`'s. Words are passed to the fast tokenizer
pre-split (``is_split_into_words=True``) and pieces are mapped back to words through
``word_ids()``, never by matching strings, so the vectors line up with spaCy tokens.

Two edge cases, decided once:

* A word the tokenizer encodes to zero pieces (whitespace tokens spaCy keeps, zero-width or
  control characters) gets a zero vector and is counted in ``counts["empty_words"]``; the
  aligners leave zero-vector words unaligned. Raising would make one odd character fail a
  whole corpus, and there is nothing in the encoder to align such a word with.
* A sentence longer than ``max_length`` pieces (special tokens included; capped at the
  tokenizer's ``model_max_length``, 512 for BERT and XLM-R) is, with ``on_long="window"``
  (the default), embedded in overlapping windows of whole words that fit (each window with
  the model's own special tokens, consecutive windows sharing half a window) and every
  word's vector (or pieces) is taken from the window that gives it the most context (the
  most pieces on its shorter side; a side at the sentence's edge counts as unlimited): the
  vector is the model's own for that word in a window, not a blend of windows that saw it
  with less context, and a sentence that fits gets exactly the vectors it got before. No
  word is lost; counted in ``windowed_sentences`` and ``windows`` (a word with more pieces
  than a window holds keeps its first pieces, counted in ``window_cut_words``). With
  ``on_long="error"`` such a sentence raises an error naming it; with ``"truncate"`` the
  first pieces are kept, words that lose all their pieces get zero vectors, and both the
  sentences and the words are counted (``truncated_sentences``, ``truncated_words``).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from spacy.util import registry

from ..errors import Errors, XLTError
from ..ty import Encoder, PieceEncoder, Pieces  # noqa: F401 (re-exported)
from .hf import HFBackend
from .util import DTYPES, check_min_ints, resolve_device, resolve_dtype  # noqa: F401 (re-exported)
from .windows import plan_windows, window_owners

logger = logging.getLogger("spacy_xlt")

#: What to do with a sentence longer than ``max_length`` pieces (``window``, the default,
#: loses no word).
ON_LONG = ("window", "error", "truncate")


def pool_pieces(pieces: Pieces, n_words: int) -> np.ndarray:
    """Average piece vectors per word: (n_words, hidden); words without pieces get zeros."""
    hidden = pieces.vectors.shape[1] if pieces.vectors.ndim == 2 else 0
    out = np.zeros((n_words, hidden), dtype=np.float32)
    if len(pieces.word_ids):
        counts = np.bincount(pieces.word_ids, minlength=n_words).astype(np.float32)
        np.add.at(out, pieces.word_ids, pieces.vectors)
        out /= np.maximum(counts, 1.0)[:, None]
    return out


def _preview(words: Sequence[str], n: int = 8) -> str:
    text = " ".join(words[:n])
    return text + (" ..." if len(words) > n else "")


class HFEncoder(HFBackend):
    """Word (or piece) vectors from ``hidden_states[layer]`` of a Hugging Face encoder.

    ``name`` is a model name on the hub or a local folder (AutoTokenizer, fast, and
    AutoModel: BERT, XLM-R and awesome-align's fine-tuned BERT checkpoints all load).
    Sentences are sorted by length, encoded ``batch_size`` at a time under
    ``torch.inference_mode`` and returned in the input order. Layers above ``layer`` are
    never run (``skip_upper_layers``), as awesome-align does: same vectors, less time.
    """

    role = "encoder"

    def __init__(
        self,
        name: str,
        layer: int = 8,
        *,
        revision: Optional[str] = None,
        device: Union[str, int, None] = "cpu",
        dtype: str = "float32",
        batch_size: int = 32,
        max_length: int = 512,
        on_long: str = "window",
        skip_upper_layers: bool = True,
    ) -> None:
        if on_long not in ON_LONG:
            raise XLTError(Errors.E184.format(name="on_long", value=on_long, options=", ".join(ON_LONG)))
        if not isinstance(layer, int) or isinstance(layer, bool):
            raise XLTError(Errors.E184.format(name="layer", value=layer, options="an int (negative: from the top)"))
        check_min_ints((("max_length", max_length, 3),))
        super().__init__(
            name,
            revision=revision,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            max_length=max_length,
        )
        self.requested_layer = layer
        self.layer = layer
        self.on_long = on_long
        self.skip_upper_layers = bool(skip_upper_layers)
        self._warned = False

    def _tokenizer_kwargs(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        return {"use_fast": True}

    def _setup(self, config: Any, saved: Dict[str, Any]) -> None:
        """Check the layer and the tokenizer, drop the layers above ``layer``, cap
        ``max_length`` at the model's positions."""
        import torch

        n_layers = getattr(config, "num_hidden_layers", None)
        if n_layers is None:
            raise XLTError(Errors.E320.format(role=self.role, name=self.name, why="its config has no num_hidden_layers; is it an encoder?"))
        if "layer" in saved:  # a saved encoder holds the layers up to its resolved layer
            self.layer = int(saved["layer"])
        else:
            layer = self.requested_layer
            if not -(n_layers + 1) <= layer <= n_layers:
                raise XLTError(Errors.E181.format(layer=layer, name=self.name, n_layers=n_layers, n_states=n_layers + 1))
            self.layer = layer % (n_layers + 1)
        if not getattr(self.tokenizer, "is_fast", False):
            raise XLTError(Errors.E182.format(name=self.name, cls=type(self.tokenizer).__name__))
        if self.skip_upper_layers:
            stack = getattr(getattr(self.model, "encoder", None), "layer", None)
            if isinstance(stack, torch.nn.ModuleList) and len(stack) == n_layers and self.layer < n_layers:
                self.model.encoder.layer = stack[: self.layer]
                self.model.config.num_hidden_layers = self.layer  # what to_disk saves
        # never feed more pieces than the model has positions for (BERT, XLM-R: 512)
        limit = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(limit, int) and 3 <= limit < self.max_length:
            self.max_length = limit
        self.hidden_size = int(config.hidden_size)

    def settings(self) -> Dict[str, Any]:
        return {**super().settings(), "layer": self.layer}

    def __repr__(self) -> str:
        return f"HFEncoder({self.name!r}, layer={self.layer}, device={str(self.device)!r}, dtype={self.dtype!r})"

    # ------------------------------------------------------------------ tokenization

    def _tokenize(self, word_lists: Sequence[Sequence[str]]):
        """Piece ids and word ids per sentence, truncated or checked against max_length."""
        self.require()
        todo = []
        for index, words in enumerate(word_lists):
            for position, word in enumerate(words):
                if not isinstance(word, str):
                    raise XLTError(Errors.E190.format(index=index, position=position, word=word))
            if len(words):
                todo.append(index)
        ids: List[List[int]] = [[] for _ in word_lists]
        wids: List[List[Optional[int]]] = [[] for _ in word_lists]
        if todo:
            enc = self.tokenizer(
                [list(word_lists[i]) for i in todo],
                is_split_into_words=True,
                add_special_tokens=True,
                truncation=False,
                return_attention_mask=False,
                return_token_type_ids=False,
                verbose=False,
            )
            for k, index in enumerate(todo):
                ids[index] = list(enc["input_ids"][k])
                wids[index] = list(enc.word_ids(k))
        empty = 0
        for index, words in enumerate(word_lists):
            has_piece = np.zeros(len(words), dtype=bool)
            has_piece[[w for w in wids[index] if w is not None]] = True
            empty += int((~has_piece).sum())
            if len(ids[index]) <= self.max_length or self.on_long == "window":
                continue  # windows: cut in _rows
            if self.on_long == "error":
                raise XLTError(
                    Errors.E183.format(index=index, preview=_preview(words), n_pieces=len(ids[index]), max_length=self.max_length)
                )
            # keep the final special token (e.g. [SEP], </s>) where there is one
            tail = 1 if wids[index][-1] is None else 0
            keep = self.max_length - tail
            ids[index] = ids[index][:keep] + ids[index][len(ids[index]) - tail :]
            wids[index] = wids[index][:keep] + wids[index][len(wids[index]) - tail :]
            kept = np.zeros(len(words), dtype=bool)
            kept[[w for w in wids[index] if w is not None]] = True
            self.counts["truncated_sentences"] += 1
            self.counts["truncated_words"] += int((has_piece & ~kept).sum())
        if empty:
            self.counts["empty_words"] += empty
            if not self._warned:
                self._warned = True
                logger.warning(
                    "%s: %d word(s) have no tokenizer pieces (whitespace, zero-width or control "
                    "characters); they get zero vectors and stay unaligned. See .counts.",
                    self,
                    empty,
                )
        return ids, wids

    # ------------------------------------------------------------------ windows

    def _rows(self, index: int, ids: List[int], wids: List[Optional[int]], n_words: int) -> list:
        """The model inputs of one sentence: itself, or (longer than ``max_length`` pieces,
        ``on_long="window"``) overlapping windows of whole words, each with the sentence's
        special tokens. A row is (sentence, ids, word ids local to the row, first word,
        words in the row, the local words whose vectors the row gives)."""
        if len(ids) <= self.max_length or self.on_long != "window":
            return [(index, ids, wids, 0, n_words, None)]
        head = 0
        while head < len(wids) and wids[head] is None:
            head += 1
        tail = 0
        while tail < len(wids) - head and wids[len(wids) - 1 - tail] is None:
            tail += 1
        body = range(head, len(ids) - tail)
        # pieces of each word, in order (word ids of pre-split words never decrease)
        costs = [0] * n_words
        for p in body:
            if wids[p] is not None:
                costs[wids[p]] += 1
        starts = [0] * (n_words + 1)
        for w in range(n_words):
            starts[w + 1] = starts[w] + costs[w]
        budget = self.max_length - head - tail
        windows = plan_windows(costs, budget, overlap=0.5)
        owners = window_owners(costs, windows)
        rows = []
        for k, (a, b) in enumerate(windows):
            lo, hi = head + starts[a], head + starts[b]
            if hi - lo > budget:  # one word with more pieces than a window holds
                hi = lo + budget
                self.counts["window_cut_words"] += 1
            row_ids = ids[:head] + ids[lo:hi] + ids[len(ids) - tail :]
            row_wids = [None] * head + [None if w is None else w - a for w in wids[lo:hi]] + [None] * tail
            owned = np.asarray([w - a for w in range(a, b) if owners[w] == k], dtype=np.int64)
            rows.append((index, row_ids, row_wids, a, b - a, owned))
        self.counts["windowed_sentences"] += 1
        self.counts["windows"] += len(rows)
        return rows

    # ------------------------------------------------------------------ running the model

    def _run(self, word_lists: Sequence[Sequence[str]], pool: bool) -> list:
        import torch

        word_lists = [list(words) for words in word_lists]
        ids, wids = self._tokenize(word_lists)
        hidden = self.hidden_size
        rows = []
        for i in range(len(word_lists)):
            if ids[i]:
                rows.extend(self._rows(i, ids[i], wids[i], len(word_lists[i])))
        row_out: list = [None] * len(rows)
        with torch.inference_mode():
            for batch in self.sorted_batches([len(row[1]) for row in rows]):
                width = max(len(rows[r][1]) for r in batch)
                input_ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.int64)
                # piece -> word index in the row (-1 for special tokens and padding)
                piece_word = np.full((len(batch), width), -1, dtype=np.int64)
                for j, r in enumerate(batch):
                    _, row_ids, row_wids = rows[r][:3]
                    n = len(row_ids)
                    input_ids[j, :n] = row_ids
                    mask[j, :n] = 1
                    piece_word[j, :n] = [-1 if w is None else w for w in row_wids]
                out = self.model(
                    input_ids=torch.from_numpy(input_ids).to(self.device),
                    attention_mask=torch.from_numpy(mask).to(self.device),
                    output_hidden_states=True,
                    return_dict=True,
                )
                states = out.hidden_states[self.layer].float()  # (B, L, H)
                if pool:
                    vectors = self._pool_batch(states, piece_word, [rows[r][4] for r in batch])
                    for j, r in enumerate(batch):
                        row_out[r] = vectors[j]
                else:
                    states = states.cpu().numpy()
                    for j, r in enumerate(batch):
                        keep = piece_word[j] >= 0
                        row_out[r] = Pieces(np.ascontiguousarray(states[j, keep]), piece_word[j, keep])
        results: list = [None] * len(word_lists)
        for i in range(len(word_lists)):
            if not ids[i]:
                results[i] = (
                    np.zeros((0, hidden), np.float32)
                    if pool
                    else Pieces(np.zeros((0, hidden), np.float32), np.zeros(0, np.int64))
                )
        parts: dict = {}
        for row, got in zip(rows, row_out):
            if row[5] is None:
                results[row[0]] = got
            else:
                parts.setdefault(row[0], []).append((row, got))
        for i, pieces_of in parts.items():
            results[i] = self._join(pieces_of, len(word_lists[i]), pool)
        self.counts["sentences"] += len(word_lists)
        return results

    def _join(self, parts: list, n_words: int, pool: bool):
        """One sentence's vectors (or pieces) from its windows: each word from its owner."""
        if pool:
            out = np.zeros((n_words, self.hidden_size), dtype=np.float32)
            for (_, _, _, first, _, owned), vectors in parts:
                out[first + owned] = vectors[owned]
            return out
        vecs, words = [], []
        for (_, _, _, first, _, owned), (vectors, word_ids) in parts:
            keep = np.isin(word_ids, owned)
            vecs.append(vectors[keep])
            words.append(word_ids[keep] + first)
        word_ids = np.concatenate(words)
        order = np.argsort(word_ids, kind="stable")
        return Pieces(np.ascontiguousarray(np.concatenate(vecs)[order]), word_ids[order])

    def _pool_batch(self, states, piece_word, n_words_per_row) -> List[np.ndarray]:
        """Average pieces per word on the device: one (B, W, L) x (B, L, H) product."""
        import torch

        n_words = max(n_words_per_row)
        b, width = piece_word.shape
        pool = np.zeros((b, n_words, width), dtype=np.float32)
        rows, cols = np.nonzero(piece_word >= 0)
        pool[rows, piece_word[rows, cols], cols] = 1.0
        counts = pool.sum(axis=2, keepdims=True)
        pool /= np.maximum(counts, 1.0)
        vectors = torch.bmm(torch.from_numpy(pool).to(states.device), states).cpu().numpy()
        return [np.ascontiguousarray(vectors[j, :n]) for j, n in enumerate(n_words_per_row)]

    # ------------------------------------------------------------------ public API

    def embed(self, word_lists: Sequence[Sequence[str]]) -> List[np.ndarray]:
        """One float32 array (n_words, hidden) per word list: piece vectors averaged per word."""
        return self._run(word_lists, pool=True)

    def embed_pieces(self, word_lists: Sequence[Sequence[str]]) -> List[Pieces]:
        """Piece vectors (special tokens removed) with the word index of each piece."""
        return self._run(word_lists, pool=False)


@registry.misc("spacy_xlt.HFEncoder.v1")
def make_hf_encoder(
    name: str = "bert-base-multilingual-cased",
    layer: int = 8,
    revision: Optional[str] = None,
    device: Union[str, int] = "cpu",
    dtype: str = "float32",
    batch_size: int = 32,
    max_length: int = 512,
    on_long: str = "window",
) -> HFEncoder:
    """Registered constructor of :class:`HFEncoder` (defaults as SimAlign: mBERT, layer 8)."""
    return HFEncoder(
        name,
        layer,
        revision=revision,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        on_long=on_long,
    )
