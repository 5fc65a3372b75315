"""A compiled collapsed Gibbs sampler for eflomal's alignment model (numba).

The model is the one of Östling & Tiedemann (2016, "Efficient word alignment with Markov
Chain Monte Carlo"): each target word is linked to one source word or to NULL; the cascade
IBM1 (lexical translation only) -> HMM (+ jumps between the source positions of consecutive
non-NULL links) -> fertility (+ the number of target words each source word takes), each
with Dirichlet priors (lexical 0.001, jump 0.5, fertility 0.5, NULL links with probability
``p0``), trained by collapsed Gibbs sampling with several independent sampler chains whose
distributions are summed in a final pass, where each link becomes the argmax of that sum.

This module holds the numeric part only, on integer token ids; the words, the
symmetrisation and the spaCy side live in :mod:`spacy_xlt.projection.statistical`.

What makes it fast: every (source type, target type) pair that co-occurs in a sentence pair
gets a dense index once (``pair_index``), so a lexical count is an array lookup instead of a
hash-map probe; the counts are integers, the normalisers are recomputed from them exactly;
the kernels release the GIL, so the chains and the two directions run in threads. Each
chain has its own seeded generator (xorshift64*), so the result does not depend on the
number of threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, List, Sequence, Tuple

import numpy as np
from numba import njit

JUMP_LEN = 0x800  # jump count array; the last cell holds the sum
JUMP_SUM = JUMP_LEN - 1
JUMP_MID = JUMP_LEN // 2
JUMP_MAX_EST = 100.0  # the prior's share of the jump sum, as in eflomal
FERT_LEN = 8  # fertilities 0..7 per source type (7 stands for 7 or more)
NULL_ALPHA = 0.001
NULL = -1  # a target word linked to nothing


@dataclass
class Params:
    """Hyperparameters (eflomal's names: null_prior is its ``-N``)."""

    null_prior: float = 0.2
    alpha_lex: float = 0.001
    alpha_jump: float = 0.5
    alpha_fertility: float = 0.5


# ------------------------------------------------------------------------------ random


@njit(cache=True, nogil=True)
def _next(state: np.ndarray) -> np.uint64:
    """xorshift64* (Vigna 2016); ``state`` is a uint64 array of one non-zero cell."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@njit(cache=True, nogil=True)
def _uniform(state: np.ndarray) -> float:
    """A float in [0, 1) with 53 random bits."""
    return float(_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def seed_state(seed: int, stream: int) -> np.ndarray:
    """The generator state of chain ``stream`` for ``seed`` (splitmix64 of both)."""
    mask = (1 << 64) - 1
    z = (seed * 0x9E3779B97F4A7C15 + stream * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & mask
    for _ in range(2):
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & mask
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB & mask
        z ^= z >> 31
    return np.array([z or 0x9E3779B97F4A7C15], dtype=np.uint64)


@njit(cache=True, nogil=True)
def _normal(state: np.ndarray) -> float:
    while True:  # Marsaglia's polar method
        u = 2.0 * _uniform(state) - 1.0
        v = 2.0 * _uniform(state) - 1.0
        s = u * u + v * v
        if 0.0 < s < 1.0:
            return u * np.sqrt(-2.0 * np.log(s) / s)


@njit(cache=True, nogil=True)
def _gamma(state: np.ndarray, alpha: float) -> float:
    """Gamma(alpha, 1) by Marsaglia & Tsang (2000); alpha < 1 through alpha + 1."""
    boost = 1.0
    if alpha < 1.0:
        u = _uniform(state)
        while u == 0.0:
            u = _uniform(state)
        boost = u ** (1.0 / alpha)
        alpha += 1.0
    d = alpha - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    while True:
        x = _normal(state)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = _uniform(state)
        if u < 1.0 - 0.0331 * x**4 or np.log(u) < 0.5 * x * x + d * (1.0 - v + np.log(v)):
            return max(d * v * boost, 1e-300)


# ------------------------------------------------------------------------------ corpus


@njit(cache=True, nogil=True)
def _pair_index(e_tok, e_off, f_tok, f_off, n_f_types, k_off, out):  # pragma: no cover
    """Give each distinct (e, f) key ``e * n_f_types + f`` of the corpus' cells a dense
    index in first-seen order (an open-addressing hash table that doubles at half load);
    ``out[k_off[s] + j * len(e_s) + i]`` = the index of cell (i, j) of sentence s. Returns
    the keys by index."""
    size = 1 << 16
    slots = np.full(size, -1, dtype=np.int64)  # key per slot, -1: empty
    where = np.empty(size, dtype=np.int32)  # index per slot
    keys = np.empty(size // 2, dtype=np.int64)
    n = 0
    for s in range(len(e_off) - 1):
        e0, e1, f0, f1 = e_off[s], e_off[s + 1], f_off[s], f_off[s + 1]
        n_e = e1 - e0
        base = k_off[s]
        for j in range(f1 - f0):
            f = np.int64(f_tok[f0 + j])
            for i in range(n_e):
                key = np.int64(e_tok[e0 + i]) * n_f_types + f
                mask = size - 1
                h = (np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)
                slot = np.int64(h) & mask
                while slots[slot] != key and slots[slot] != -1:
                    slot = (slot + 1) & mask
                if slots[slot] == -1:
                    if 2 * (n + 1) > size:  # grow, then find the key's slot again
                        size *= 2
                        mask = size - 1
                        new_slots = np.full(size, -1, dtype=np.int64)
                        new_where = np.empty(size, dtype=np.int32)
                        for x in range(n):
                            hh = (np.uint64(keys[x]) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)
                            t = np.int64(hh) & mask
                            while new_slots[t] != -1:
                                t = (t + 1) & mask
                            new_slots[t] = keys[x]
                            new_where[t] = x
                        slots, where = new_slots, new_where
                        grown = np.empty(size // 2, dtype=np.int64)
                        grown[:n] = keys[:n]
                        keys = grown
                        slot = np.int64(h) & mask
                        while slots[slot] != -1:
                            slot = (slot + 1) & mask
                    slots[slot] = key
                    where[slot] = n
                    keys[n] = key
                    n += 1
                out[base + j * n_e + i] = where[slot]
    return keys[:n].copy()


def offsets(lengths: Sequence[int]) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=out[1:])
    return out


@dataclass
class Corpus:
    """Sentence pairs as token ids (source ids from 1: 0 is NULL; target ids from 0).

    ``pair_index[k_off[s] + j * len(e_s) + i]`` is the dense index of the pair (source
    word i, target word j) of sentence ``s``; ``pair_keys[index]`` is ``e * n_f_types + f``
    (in first-seen order), so the counts of one direction are arrays over ``pair_keys``.
    """

    e_tok: np.ndarray
    e_off: np.ndarray
    f_tok: np.ndarray
    f_off: np.ndarray
    n_e_types: int  # including NULL
    n_f_types: int
    k_off: np.ndarray
    pair_index: np.ndarray
    pair_keys: np.ndarray

    @classmethod
    def build(
        cls,
        e_sents: Sequence[Sequence[int]],
        f_sents: Sequence[Sequence[int]],
        n_e_types: int,
        n_f_types: int,
    ) -> Corpus:
        e_len = [len(s) for s in e_sents]
        f_len = [len(s) for s in f_sents]
        e_off, f_off = offsets(e_len), offsets(f_len)
        e_tok = np.fromiter((t for s in e_sents for t in s), dtype=np.int32, count=int(e_off[-1]))
        f_tok = np.fromiter((t for s in f_sents for t in s), dtype=np.int32, count=int(f_off[-1]))
        k_off = offsets([a * b for a, b in zip(e_len, f_len)])
        pair_index = np.empty(int(k_off[-1]), dtype=np.int32)
        keys = _pair_index(e_tok, e_off, f_tok, f_off, np.int64(n_f_types), k_off, pair_index)
        return cls(e_tok, e_off, f_tok, f_off, n_e_types, n_f_types, k_off, pair_index, keys)

    @property
    def n_sentences(self) -> int:
        return len(self.e_off) - 1


@dataclass
class Direction:
    """One direction's view of a corpus: which side is the source ("e", linked to) and how
    to find the pair index of (source position i, target position j) of a sentence."""

    e_tok: np.ndarray
    e_off: np.ndarray
    f_tok: np.ndarray
    f_off: np.ndarray
    n_e_types: int
    n_f_types: int
    transposed: bool  # True: e is the corpus' target side

    @classmethod
    def of(cls, corpus: Corpus, reverse: bool) -> Direction:
        if not reverse:
            return cls(
                corpus.e_tok,
                corpus.e_off,
                corpus.f_tok,
                corpus.f_off,
                corpus.n_e_types,
                corpus.n_f_types,
                False,
            )
        # reverse: the target side's ids shift by one (0 is NULL), the source side's by -1
        return cls(
            corpus.f_tok + 1,
            corpus.f_off,
            corpus.e_tok - 1,
            corpus.e_off,
            corpus.n_f_types + 1,
            corpus.n_e_types - 1,
            True,
        )


@dataclass
class Chains:
    """The state of ``K`` sampler chains of one direction (row k: chain k)."""

    links: np.ndarray  # int32 [K, target tokens]; NULL = -1
    lex: np.ndarray  # int32 [K, pairs]: n(e, f)
    null: np.ndarray  # int32 [K, f types]: n(NULL, f)
    total: np.ndarray  # int64 [K, e types]: sum_f n(e, f) (index 0: NULL)
    jump: np.ndarray  # float64 [K, JUMP_LEN]
    fert: np.ndarray  # float64 [K, e types * FERT_LEN]: P(phi) / P(phi - 1)
    rng: np.ndarray  # uint64 [K, 1]

    @classmethod
    def new(cls, d: Direction, n_pairs: int, k: int, seed: int, stream: int) -> Chains:
        n_tok = len(d.f_tok)
        return cls(
            np.empty((k, n_tok), dtype=np.int32),
            np.zeros((k, n_pairs), dtype=np.int32),
            np.zeros((k, d.n_f_types), dtype=np.int32),
            np.zeros((k, d.n_e_types), dtype=np.int64),
            np.zeros((k, JUMP_LEN), dtype=np.float64),
            np.ones((k, d.n_e_types * FERT_LEN), dtype=np.float64),
            np.concatenate([seed_state(seed, stream * 1000 + c) for c in range(k)]).reshape(k, 1),
        )


# ------------------------------------------------------------------------------ kernels


@njit(cache=True, nogil=True)
def _jump_index(i: int, j: int) -> int:
    return max(0, min(JUMP_SUM - 1, j - i + JUMP_MID))


@njit(cache=True, nogil=True)
def _randomize(links, e_off, f_off, null_prior, rng):  # pragma: no cover
    for s in range(len(e_off) - 1):
        n_e = e_off[s + 1] - e_off[s]
        for j in range(f_off[s], f_off[s + 1]):
            if _uniform(rng) < null_prior:
                links[j] = NULL
            else:
                links[j] = min(n_e - 1, int(_uniform(rng) * n_e))


@njit(cache=True, nogil=True)
def _make_counts(
    model, links, e_tok, e_off, f_tok, f_off, k_off, pair_index, transposed, n_clean,
    lex, null, total, jump, alpha_jump,
):  # pragma: no cover  # fmt: skip
    lex[:] = 0
    null[:] = 0
    total[:] = 0
    for x in range(JUMP_SUM):
        jump[x] = alpha_jump
    jump[JUMP_SUM] = JUMP_MAX_EST * alpha_jump
    for s in range(n_clean):
        e0, f0 = e_off[s], f_off[s]
        n_e, n_f = e_off[s + 1] - e0, f_off[s + 1] - f0
        base = k_off[s]
        prev = -1
        for j in range(n_f):
            i = links[f0 + j]
            if i == NULL:
                null[f_tok[f0 + j]] += 1
                total[0] += 1
                continue
            p = base + (i * n_f + j if transposed else j * n_e + i)
            lex[pair_index[p]] += 1
            total[e_tok[e0 + i]] += 1
            if model >= 2:
                jump[_jump_index(prev, i)] += 1.0
                jump[JUMP_SUM] += 1.0
                prev = i
        if model >= 2:
            jump[_jump_index(prev, n_e)] += 1.0
            jump[JUMP_SUM] += 1.0


@njit(cache=True, nogil=True)
def _sample_fertility(
    links, e_tok, e_off, f_off, n_clean, n_e_types, alpha_fertility, fert, rng
):  # pragma: no cover
    """Draw each source type's fertility distribution from its posterior; store
    P(phi) / P(phi - 1) at phi (phi >= 1; the last cell almost 0)."""
    counts = np.full(n_e_types * FERT_LEN, alpha_fertility)
    seen = np.zeros(n_e_types, dtype=np.bool_)
    longest = 1
    for s in range(len(e_off) - 1):
        longest = max(longest, e_off[s + 1] - e_off[s])
    phi = np.zeros(longest, dtype=np.int64)
    for s in range(n_clean):
        e0, f0 = e_off[s], f_off[s]
        n_e, n_f = e_off[s + 1] - e0, f_off[s + 1] - f0
        for i in range(n_e):
            phi[i] = 0
        for j in range(n_f):
            if links[f0 + j] != NULL:
                phi[links[f0 + j]] += 1
        for i in range(n_e):
            e = e_tok[e0 + i]
            seen[e] = True
            counts[e * FERT_LEN + min(phi[i], FERT_LEN - 1)] += 1.0
    draw = np.empty(FERT_LEN)
    for e in range(1, n_e_types):
        if not seen[e]:
            continue
        row = e * FERT_LEN
        for x in range(FERT_LEN):
            draw[x] = _gamma(rng, counts[row + x])
        fert[row] = 1.0
        for x in range(1, FERT_LEN - 1):
            fert[row + x] = draw[x] / draw[x - 1]
        fert[row + FERT_LEN - 1] = 1e-10


@njit(cache=True, nogil=True)
def _sweep(
    model, n_chains, first, argmax, links, e_tok, e_off, f_tok, f_off, k_off, pair_index,
    transposed, n_clean, n_f_types, lex, null, total, jump, fert, rng, params,
):  # pragma: no cover  # fmt: skip
    """One Gibbs sweep over every sentence, for chains ``first .. first + n_chains - 1``
    (row indexes of the 2-D state arrays). With ``argmax``, the chains are swept sentence by
    sentence together, their normalised distributions summed, and the last chain (``first``)
    takes the argmax of the sum instead of a sample: eflomal's final pass."""
    null_prior, alpha_lex = params[0], params[1]
    lex_norm = alpha_lex * n_f_types
    longest_e, longest_f, biggest = 1, 1, 1
    for s in range(len(e_off) - 1):
        n_e, n_f = e_off[s + 1] - e_off[s], f_off[s + 1] - f_off[s]
        longest_e = max(longest_e, n_e)
        longest_f = max(longest_f, n_f)
        biggest = max(biggest, n_f * (n_e + 1))
    ps = np.empty(longest_e + 1)
    acc = np.empty(biggest if argmax else 1)
    next_link = np.empty(longest_f, dtype=np.int64)
    phi = np.zeros(longest_e, dtype=np.int64)
    inv = np.empty((n_chains, len(total[0])))
    for c in range(n_chains):
        for e in range(len(total[0])):
            inv[c, e] = 1.0 / (lex_norm + total[first + c, e])
    a = 0
    for s in range(len(e_off) - 1):
        e0, f0 = e_off[s], f_off[s]
        n_e, n_f = e_off[s + 1] - e0, f_off[s + 1] - f0
        if n_e == 0 or n_f == 0:
            continue
        base = k_off[s]
        clean = s < n_clean
        if argmax:
            acc[: n_f * (n_e + 1)] = 0.0
        for c in range(first + n_chains - 1, first - 1, -1):
            final = argmax and c == first
            lk = links[c]
            lx = lex[c]
            nl = null[c]
            tt = total[c]
            jp = jump[c]
            ft = fert[c]
            r = rng[c]
            iv = inv[c - first]
            if model >= 2:
                nxt = n_e
                for j in range(n_f - 1, -1, -1):
                    next_link[j] = nxt
                    if lk[f0 + j] != NULL:
                        nxt = lk[f0 + j]
            if model >= 3:
                for i in range(n_e):
                    phi[i] = 0
                for j in range(n_f):
                    if lk[f0 + j] != NULL:
                        phi[lk[f0 + j]] += 1
            prev = -1
            for j in range(n_f):
                f = f_tok[f0 + j]
                old = lk[f0 + j]
                nxt = next_link[j] if model >= 2 else 0
                row = base + j * n_e  # pair index of (i, j) = row + i * step
                step = 1
                if transposed:
                    row = base + j
                    step = n_f
                skip = _jump_index(prev, nxt)
                if clean:
                    if old == NULL:
                        nl[f] -= 1
                        tt[0] -= 1
                        iv[0] = 1.0 / (lex_norm + tt[0])
                    else:
                        lx[pair_index[row + old * step]] -= 1
                        e = e_tok[e0 + old]
                        tt[e] -= 1
                        iv[e] = 1.0 / (lex_norm + tt[e])
                    if model >= 2:
                        if old == NULL:
                            jp[JUMP_SUM] -= 1.0
                            jp[skip] -= 1.0
                        else:
                            jp[JUMP_SUM] -= 2.0
                            jp[_jump_index(prev, old)] -= 1.0
                            jp[_jump_index(old, nxt)] -= 1.0
                if model >= 3 and old != NULL:
                    phi[old] -= 1
                total_p = 0.0
                if model >= 2:
                    j1 = _jump_index(prev, 0)
                    j2 = _jump_index(0, nxt)
                    for i in range(n_e):
                        e = e_tok[e0 + i]
                        p = (alpha_lex + lx[pair_index[row + i * step]]) * iv[e]
                        p *= jp[j1] * jp[j2]
                        if model >= 3:
                            p *= ft[e * FERT_LEN + min(phi[i] + 1, FERT_LEN - 1)]
                        total_p += p
                        ps[i] = total_p
                        j1 = min(JUMP_SUM - 1, j1 + 1)
                        j2 = max(0, j2 - 1)
                    p_null = null_prior * (NULL_ALPHA + nl[f]) * iv[0]
                    total_p += p_null * jp[JUMP_SUM] * jp[skip]
                else:
                    for i in range(n_e):
                        e = e_tok[e0 + i]
                        total_p += (alpha_lex + lx[pair_index[row + i * step]]) * iv[e]
                        ps[i] = total_p
                    total_p += null_prior * (NULL_ALPHA + nl[f]) * iv[0]
                ps[n_e] = total_p
                if argmax:
                    a = j * (n_e + 1)
                    scale = 1.0 / total_p
                    last = 0.0
                    for i in range(n_e + 1):
                        acc[a + i] += (ps[i] - last) * scale
                        last = ps[i]
                if final:
                    new = 0
                    best = acc[a]
                    for i in range(1, n_e + 1):
                        if acc[a + i] > best:
                            best = acc[a + i]
                            new = i
                else:
                    u = _uniform(r) * total_p
                    new = 0
                    while new < n_e and ps[new] <= u:
                        new += 1
                if new == n_e:
                    new = NULL
                lk[f0 + j] = new
                if model >= 3 and new != NULL:
                    phi[new] += 1
                if clean:
                    if new == NULL:
                        nl[f] += 1
                        tt[0] += 1
                        iv[0] = 1.0 / (lex_norm + tt[0])
                    else:
                        lx[pair_index[row + new * step]] += 1
                        e = e_tok[e0 + new]
                        tt[e] += 1
                        iv[e] = 1.0 / (lex_norm + tt[e])
                    if model >= 2:
                        if new == NULL:
                            jp[JUMP_SUM] += 1.0
                            jp[skip] += 1.0
                        else:
                            jp[JUMP_SUM] += 2.0
                            jp[_jump_index(prev, new)] += 1.0
                            jp[_jump_index(new, nxt)] += 1.0
                if model >= 2 and new != NULL:
                    prev = new


# ------------------------------------------------------------------------------ driver

@dataclass
class Model:
    """One trained direction: the counts of its chain 0 after the final pass (what
    decoding new sentence pairs uses), over the pairs of ``pair_keys`` (``e * n_f_types +
    f``, sorted, only pairs with a count)."""

    model: int  # the last stage trained (1, 2 or 3)
    n_e_types: int
    n_f_types: int
    pair_keys: np.ndarray  # int64
    lex: np.ndarray  # int32
    null: np.ndarray  # int32 [f types]
    total: np.ndarray  # int64 [e types]
    jump: np.ndarray  # float64 [JUMP_LEN]
    fert: np.ndarray  # float64 [e types * FERT_LEN]

    ARRAYS = ("pair_keys", "lex", "null", "total", "jump", "fert")

    def to_arrays(self) -> dict:
        out = {name: getattr(self, name) for name in self.ARRAYS}
        out["shape"] = np.array([self.model, self.n_e_types, self.n_f_types], dtype=np.int64)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict) -> Model:
        model, n_e, n_f = (int(x) for x in arrays["shape"])
        return cls(model, n_e, n_f, *(np.asarray(arrays[name]) for name in cls.ARRAYS))


def _task_runner(n_threads: int) -> Callable[[List[Callable[[], None]]], None]:
    """Run no-argument callables, on ``n_threads`` threads (the kernels release the GIL)."""
    def run_here(tasks: List[Callable[[], None]]) -> None:
        for task in tasks:
            task()

    if n_threads <= 1:
        return run_here

    def run(tasks: List[Callable[[], None]]) -> None:
        with ThreadPoolExecutor(min(n_threads, len(tasks))) as pool:
            for future in [pool.submit(task) for task in tasks]:
                future.result()

    return run


def _counts(model: int, d: Direction, corpus: Corpus, ch: Chains, c: int, n_clean: int,
            params: Params) -> None:  # fmt: skip
    _make_counts(
        model, ch.links[c], d.e_tok, d.e_off, d.f_tok, d.f_off, corpus.k_off,
        corpus.pair_index, d.transposed, n_clean, ch.lex[c], ch.null[c], ch.total[c],
        ch.jump[c], params.alpha_jump,
    )  # fmt: skip


def _sweeps(model: int, d: Direction, corpus: Corpus, ch: Chains, first: int, n_chains: int,
            argmax: bool, n_clean: int, params: Params) -> None:  # fmt: skip
    _sweep(
        model, n_chains, first, argmax, ch.links, d.e_tok, d.e_off, d.f_tok, d.f_off,
        corpus.k_off, corpus.pair_index, d.transposed, n_clean, d.n_f_types, ch.lex, ch.null,
        ch.total, ch.jump, ch.fert, ch.rng, np.array([params.null_prior, params.alpha_lex]),
    )  # fmt: skip


def train(
    corpus: Corpus,
    schedule: Tuple[int, int, int],
    *,
    n_chains: int = 3,
    seed: int = 0,
    params: Params = Params(),
    n_threads: int = 1,
) -> Tuple[List[np.ndarray], List[Model]]:
    """Train the forward (corpus source -> target) and reverse directions, ``n_chains``
    chains each, through ``schedule`` (IBM1, HMM, fertility sweeps), then eflomal's final
    argmax pass over the chains of each direction.

    Returns, per direction, chain 0's links (for each target-side token of the direction,
    the source-side position or -1; concatenated over the sentences) and the :class:`Model`.
    The chains run as tasks on ``n_threads`` threads; each has its own generator, so the
    result is the same for any thread count.
    """
    if n_chains < 1:
        raise ValueError("n_chains must be at least 1")
    n_clean = corpus.n_sentences
    directions = [Direction.of(corpus, reverse) for reverse in (False, True)]
    states = [
        Chains.new(d, len(corpus.pair_keys), n_chains, seed, stream)
        for stream, d in enumerate(directions, 1)
    ]
    last = max([m for m, key in zip((1, 2, 3), schedule) if key > 0] or [1])

    def chain(d: Direction, ch: Chains, c: int) -> Callable[[], None]:
        def task() -> None:
            _randomize(ch.links[c], d.e_off, d.f_off, params.null_prior, ch.rng[c])
            for model, n_iter in zip((1, 2, 3), schedule):
                if n_iter <= 0:
                    continue
                _counts(model, d, corpus, ch, c, n_clean, params)
                for _ in range(n_iter):
                    if model >= 3:
                        _sample_fertility(
                            ch.links[c], d.e_tok, d.e_off, d.f_off, n_clean, d.n_e_types,
                            params.alpha_fertility, ch.fert[c], ch.rng[c],
                        )  # fmt: skip
                    _sweeps(model, d, corpus, ch, c, 1, False, n_clean, params)
            if not any(n > 0 for n in schedule):  # no sweep: counts of the random links
                _counts(1, d, corpus, ch, c, n_clean, params)

        return task

    def final(d: Direction, ch: Chains) -> Callable[[], None]:
        return lambda: _sweeps(last, d, corpus, ch, 0, n_chains, True, n_clean, params)

    run = _task_runner(n_threads)
    run([chain(d, ch, c) for d, ch in zip(directions, states) for c in range(n_chains)])
    run([final(d, ch) for d, ch in zip(directions, states)])
    links, models = [], []
    for d, ch in zip(directions, states):
        links.append(ch.links[0])
        lex = ch.lex[0]
        keep = np.flatnonzero(lex)
        keys = corpus.pair_keys[keep]
        if d.transposed:  # keys of the reverse direction: (f + 1) * (n_e - 1) + (e - 1)
            e, f = np.divmod(keys, corpus.n_f_types)
            keys = (f + 1) * d.n_f_types + (e - 1)
        order = np.argsort(keys)
        keys, keep = keys[order], keep[order]
        models.append(
            Model(
                last, d.n_e_types, d.n_f_types, keys.astype(np.int64), lex[keep].copy(),
                ch.null[0].copy(), ch.total[0].copy(), ch.jump[0].copy(), ch.fert[0].copy(),
            )  # fmt: skip
        )
    return links, models


def decode(
    corpus: Corpus,
    models: Sequence[Model],
    *,
    sweeps: int = 4,
    n_chains: int = 3,
    seed: int = 0,
    params: Params = Params(),
    n_threads: int = 1,
) -> List[np.ndarray]:
    """Links of new sentence pairs by trained models (forward, reverse), the models' counts
    held fixed: each chain samples ``sweeps`` times from random links, then the final
    argmax pass. The corpus' ids must extend the models' (new types get higher ids)."""
    out: List[np.ndarray] = []
    tasks = []
    for reverse, m in enumerate(models):
        d = Direction.of(corpus, bool(reverse))
        if d.n_e_types < m.n_e_types or d.n_f_types < m.n_f_types:
            raise ValueError("the corpus' vocabularies must extend the model's")
        keys = corpus.pair_keys
        e, f = np.divmod(keys, corpus.n_f_types)
        if reverse:
            e, f = f + 1, e - 1
        known = (e < m.n_e_types) & (f < m.n_f_types)
        trained = np.where(known, e * m.n_f_types + f, -1)
        pos = np.minimum(np.searchsorted(m.pair_keys, trained), max(len(m.pair_keys) - 1, 0))
        lex = np.zeros(len(keys), dtype=np.int32)
        if len(m.pair_keys):
            hit = known & (m.pair_keys[pos] == trained)
            lex[hit] = m.lex[pos[hit]]
        ch = Chains.new(d, len(keys), n_chains, seed, 3 + reverse)
        ch.lex[:] = lex
        ch.null[:, : m.n_f_types] = m.null
        ch.total[:, : m.n_e_types] = m.total
        ch.jump[:] = m.jump
        ch.fert[:, : len(m.fert)] = m.fert

        def task(d: Direction = d, ch: Chains = ch, model: int = m.model) -> None:
            for c in range(n_chains):
                _randomize(ch.links[c], d.e_off, d.f_off, params.null_prior, ch.rng[c])
                for _ in range(sweeps):
                    _sweeps(model, d, corpus, ch, c, 1, False, 0, params)
            _sweeps(model, d, corpus, ch, 0, n_chains, True, 0, params)

        tasks.append(task)
        out.append(ch)
    _task_runner(n_threads)(tasks)
    return [ch.links[0] for ch in out]


def _load_kernels() -> None:
    """Load (or, the first time on a machine, compile: about 5 s, then cached on disk by
    numba) the compiled kernels for the array types the aligner passes, by training and
    decoding a two-pair corpus. It runs when this module is imported, which the aligner does
    only when it is about to sample: one fixed cost per process (0.43 s here; 131 MB with
    numba's own import), apart from the time each alignment takes."""
    corpus = Corpus.build([[1, 2], [2]], [[0, 1], [1]], 3, 2)
    _, models = train(corpus, (1, 1, 1), n_chains=2)
    decode(corpus, models, sweeps=1, n_chains=2)


_load_kernels()
