"""Statistical word alignment: eflomal (native), and fast_align, HMM and IBM models (sil-thot).

:class:`StatisticalAligner` needs no download: it learns from the sentence pairs it aligns
(plus optional extra parallel text), in both directions, and symmetrises the two
alignments with one of thot's heuristics (grow-diag-final-and by default).

* **Models** (``model``): ``"eflomal"`` (default; the Bayesian IBM1 -> HMM -> fertility
  cascade of Östling & Tiedemann 2016, trained by collapsed Gibbs sampling, seeded),
  ``"fast_align"`` (variational Bayes), ``"ibm1"``, ``"ibm2"``, ``"hmm"``, ``"ibm3"`` and
  ``"ibm4"`` (EM, each initialised from the simpler models, as Giza++ does).
* **Engines** (``engine``): eflomal runs on the package's own compiled sampler
  (:mod:`spacy_xlt.projection.sampler`, numba; ``"native"``, what ``"auto"`` picks) or on
  sil-thot's (``"thot"``, the engine before version 2 of the saved format; it gives the
  alignments of those versions for a seed). The two implement the same model but draw
  different random numbers, so their alignments differ for the same seed; the native one is
  faster (see below) and at least as accurate on every gold set here. Every other model is
  thot's.
* **Transductive by default**: ``align(pairs)`` trains a fresh model on ``pairs`` plus the
  extra text and returns the alignments the model settled on for those pairs during
  training (for eflomal, the argmax of its chains' summed distributions in a final pass),
  which is better than re-decoding them. After :meth:`StatisticalAligner.fit` or
  :meth:`~StatisticalAligner.from_disk` the aligner is frozen instead: ``align`` decodes new
  pairs with the trained model (native eflomal: a few sweeps of each chain with the model's
  counts held fixed, then the argmax pass).
* **Token normalisation** (:class:`TokenNormalizer`) happens before the words reach the
  model: NFKC, lower-casing, stripping punctuation glued to a word ("sushi." -> "sushi"; a
  word made only of punctuation is kept), and optionally truncating words to their first
  ``prefix_length`` characters (a classic trick for morphologically rich languages and small
  corpora: "porciones" and "porción" both become "porc"). Alignments always index the
  ORIGINAL words.
* **Reproducible**: thot's EM models are deterministic; eflomal draws from a seeded
  generator per sampler chain (``seed``), so two runs with the same seed give the same
  alignments, on any number of threads.
* **Threads** (``n_threads``, default: every CPU the process may use): native eflomal runs
  its chains (three per direction) as tasks on that many threads (its kernels release the
  GIL); with thot, the forward and reverse models train at the same time in two threads,
  eflomal's chains sharing that direction's half of the CPUs (the EM models keep one thread
  per direction). Each distinct word is normalised once per corpus.
* **Speed** against the ``eflomal`` package itself (``python bench/statistical_aligner.py``:
  forward + reverse, 3 samplers, the same corpus-scaled schedule, gdfa), on 2 CPUs: native
  1.26x / 1.21x its pairs/s at 10k / 30k generated pairs, peak memory above the baseline
  19 / 65 MB against its 31 / 84 MB; importing the sampler loads its compiled kernels once
  per process (0.43 s; 1.02x / 1.08x with that counted in). thot's engine: 0.38-0.43x.
  Sentences of any length (eflomal's buffers stop at 1,024 words).

Projection F1 (seqeval micro, default mode; the span step of
:func:`spacy_xlt.projection.alignment.project_spans` with its defaults) with the defaults here,
learning only from each set's own pairs, seed 0; ``python tests/test_statistical_projection_real.py``:

==============================  ======  ======  ===========  ===========
model (prefix_length=4)         OTE es  OTE fr  Europarl es  Europarl de
==============================  ======  ======  ===========  ===========
eflomal (default, native)       96.05   92.51   86.70        85.30
eflomal, engine="thot"          95.14   91.67   86.76        82.17
eflomal (thot), whole words     91.67   89.84   81.79        77.48
ibm4                            93.32   89.18   82.51        81.63
hmm                             86.83   83.58   79.22        82.29
fast_align                      82.38   78.55   66.33        74.15
==============================  ======  ======  ===========  ===========

(published, same data and scorer: fast_align 72.5 / 71.4, AWESOME 89.7 / 89.1 on OTE; Giza++
73.3 / 75.3 on Europarl). Native eflomal takes 2-6 s per set on 2 CPUs (thot's 12-23 s on
one). The two eflomal rows are measured with the span step's long-span boundary rules; the
other rows before them (those rules change Europarl by +0.3 to +0.6 for eflomal and leave
OTE unchanged).
"""

from __future__ import annotations

import ctypes
import glob
import json
import math
import os
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from spacy.util import registry

from ..errors import Errors, XLTError
from ..ty import Alignment, WordPair

#: Model names, simplest last-stage first; the IBM family trains every earlier stage first.
MODELS = ("eflomal", "fast_align", "ibm1", "ibm2", "hmm", "ibm3", "ibm4")

#: Symmetrisation heuristics (thot's names, as in Moses / atools); "none" keeps the
#: source-to-target direction only.
SYMMETRIZATIONS = (
    "grow-diag-final-and",
    "grow-diag-final",
    "grow-diag",
    "grow",
    "intersection",
    "union",
    "och",
    "none",
)

#: Iteration counts per model: stage -> default. ``None`` for eflomal means thot's
#: corpus-scaled schedule (see :func:`eflomal_schedule`).
ITERATIONS: Dict[str, Dict[str, Optional[int]]] = {
    "eflomal": {"ibm1": None, "hmm": None, "fertility": None},
    "fast_align": {"fast_align": 4},
    "ibm1": {"ibm1": 5},
    "ibm2": {"ibm1": 5, "ibm2": 5},
    "hmm": {"ibm1": 5, "hmm": 5},
    "ibm3": {"ibm1": 5, "hmm": 5, "ibm3": 5},
    "ibm4": {"ibm1": 5, "hmm": 5, "ibm3": 5, "ibm4": 5},
}

#: Implementations of the eflomal model: "native" (the compiled sampler of
#: :mod:`spacy_xlt.projection.sampler`), "thot" (sil-thot's); "auto" is native for eflomal
#: and thot for every other model (those exist only in thot).
ENGINES = ("auto", "native", "thot")

#: The eflomal hyperparameters the native sampler has (thot's names); ``jump_window`` and
#: ``lex_norm`` are thot's alone.
NATIVE_PARAMS = ("num_samplers", "p0", "alpha_lex", "alpha_jump", "alpha_fertility")

#: Hyperparameters that can be set through ``model_params``, per model (thot attribute
#: names; see thot.alignment).
MODEL_PARAMS: Dict[str, Tuple[str, ...]] = {
    "eflomal": (
        "num_samplers",
        "p0",
        "alpha_lex",
        "alpha_jump",
        "alpha_fertility",
        "jump_window",
        "lex_norm",
    ),
    "fast_align": ("fast_align_p0", "variational_bayes"),
    "ibm1": ("variational_bayes",),
    "ibm2": ("variational_bayes",),
    "hmm": (
        "variational_bayes",
        "hmm_p0",
        "lexical_smoothing_factor",
        "hmm_alignment_smoothing_factor",
    ),
    "ibm3": ("variational_bayes", "hmm_p0", "fertility_smoothing_factor", "count_threshold"),
    "ibm4": (
        "variational_bayes",
        "hmm_p0",
        "fertility_smoothing_factor",
        "count_threshold",
        "distortion_smoothing_factor",
    ),
}

#: Default word-prefix truncation: +3.5 / +1.8 / +4.4 / +4.4 F1 over whole words on the
#: four gold sets above; 5 gives 94.32 / 92.99 / 84.57 / 82.69, 3 gives 92.66 / 90.17 / 85.20 / 81.01.
DEFAULT_PREFIX_LENGTH = 4

#: Models whose training alignments thot cannot give: sil-thot 3.5.3's IBM2 crashes in
#: get_training_alignment on pairs of unequal length, so those pairs are decoded instead.
_DECODE_ONLY = frozenset({"ibm2"})

_WHITESPACE = re.compile(r"\s+")
_SAVE_CONFIG = "config.json"
_SAVE_VERSION = 2  # 2: the "engine" key and the native model's files; 1 (thot) still loads
_NATIVE_ARRAYS = "native.npz"
_NATIVE_VOCAB = "vocab.json"


def _is_punct_char(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _openmp_runtimes() -> List[Any]:
    """ctypes handles of the OpenMP runtimes in this process that thot may be using: the
    one bundled with the thot wheel, the one in the global symbol scope (torch loads its own
    libgomp globally, and thot's OpenMP calls then bind to it) and any other loaded one."""
    import thot

    paths = []
    here = os.path.dirname(os.path.abspath(thot.__file__))
    for pattern in ("sil_thot.libs/lib*omp*", "thot*/.dylibs/lib*omp*", ".dylibs/lib*omp*"):
        paths.extend(sorted(glob.glob(os.path.join(here, pattern))))
    try:
        with open("/proc/self/maps", encoding="utf8") as maps:
            for line in maps:
                path = line.split()[-1]
                name = os.path.basename(path)
                if path.startswith("/") and re.match(r"lib[gi]?omp", name) and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    libs: List[Any] = []
    for path in [None] + paths:
        try:
            lib = ctypes.CDLL(path)
            lib.omp_get_max_threads.restype = ctypes.c_int
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        except (OSError, AttributeError):
            continue
        libs.append(lib)
    return libs


@contextmanager
def _omp_threads(n: int) -> Iterator[None]:
    """Run thot's OpenMP loops started from the calling thread on ``n`` threads (an OpenMP
    thread count is a per-thread setting: each training thread sets its own). thot's EM
    models (fast_align above all) sum expected counts in parallel, and float sums in a
    varying order break ties differently from run to run, so they get one thread; eflomal's
    sampler chains are independent, so they may share several."""
    libs = _openmp_runtimes()
    before = [lib.omp_get_max_threads() for lib in libs]
    for lib in libs:
        lib.omp_set_num_threads(n)
    try:
        yield
    finally:
        for lib, old in zip(libs, before):
            lib.omp_set_num_threads(old)


def _available_cpus() -> int:
    """The CPUs this process may use, at most ``OMP_NUM_THREADS`` where that is set."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        cpus = min(cpus, int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0]))
    except ValueError:
        pass
    return max(1, cpus)


@dataclass(frozen=True)
class TokenNormalizer:
    """How words are normalised before alignment; the positions never change.

    ``nfkc``: Unicode NFKC (full-width forms, ligatures); ``lowercase``: ``str.lower``;
    ``strip_punct``: remove leading and trailing punctuation (Unicode category P*) glued to a
    word, keeping words made only of punctuation as they are; ``prefix_length``: keep only
    the first k characters (0 = whole words). A word that normalises to nothing becomes
    ``"<empty>"``; whitespace inside a word becomes ``"_"`` (thot's files split on it).
    """

    lowercase: bool = True
    strip_punct: bool = True
    prefix_length: int = DEFAULT_PREFIX_LENGTH
    nfkc: bool = True

    def __post_init__(self) -> None:
        if (
            isinstance(self.prefix_length, bool)
            or not isinstance(self.prefix_length, int)
            or self.prefix_length < 0
        ):
            raise XLTError(
                Errors.E162.format(
                    name="prefix_length",
                    value=self.prefix_length,
                    options="an integer >= 0 (0 = whole words)",
                )
            )

    def __call__(self, word: str) -> str:
        if self.nfkc:
            word = unicodedata.normalize("NFKC", word)
        if self.lowercase:
            word = word.lower()
        if self.strip_punct:
            start, end = 0, len(word)
            while start < end and _is_punct_char(word[start]):
                start += 1
            while end > start and _is_punct_char(word[end - 1]):
                end -= 1
            if start < end:
                word = word[start:end]
        if self.prefix_length:
            word = word[: self.prefix_length]
        word = _WHITESPACE.sub("_", word)
        return word or "<empty>"

    def normalize(self, words: Sequence[str]) -> List[str]:
        """The normalised form of each word, in order (same length as ``words``)."""
        return [self(w) for w in words]

    def cached(self) -> Callable[[Sequence[str]], List[str]]:
        """A :meth:`normalize` that normalises each distinct word once: it keeps a dict
        from word to form (one entry per distinct word, all the forms shared), for a whole
        corpus at a time. Same forms as :meth:`normalize`."""
        forms: Dict[str, str] = {}
        known = forms.get
        one = self.__call__

        def new(word: str) -> str:
            form = forms[word] = one(word)
            return form

        def normalize(words: Sequence[str]) -> List[str]:
            # a form is never empty ("<empty>" at least), so ``or`` only runs on misses
            return [known(w) or new(w) for w in words]

        return normalize


def eflomal_schedule(n_pairs: int) -> Dict[str, int]:
    """thot's corpus-scaled eflomal schedule: ``iters = max(2, round(5000 / sqrt(n)))``
    fertility sweeps, and a quarter of that (IBM1 at least 2) for the IBM1 and HMM stages."""
    iters = 2 if n_pairs <= 0 else max(2, int(math.floor(5000.0 / math.sqrt(n_pairs) + 0.5)))
    quarter = max(1, iters // 4)
    return {"ibm1": max(2, quarter), "hmm": quarter, "fertility": iters}


def read_parallel_text(path: Union[str, Path]) -> List[Tuple[List[str], List[str]]]:
    """Pairs of a file of ``source words ||| target words`` lines (whitespace-tokenised).

    Blank lines are skipped; a line without ``|||`` raises :class:`XLTError` naming the line.
    """
    from ..io import read_lines

    pairs = []
    for n, line in enumerate(read_lines(path), 1):  # a bad byte is named by line and column
        if not line.strip():
            continue
        src, sep, tgt = line.partition(" ||| ")
        if not sep:
            src, sep, tgt = line.partition("|||")
        if not sep:
            raise XLTError(Errors.E163.format(path=path, line=n, text=line[:80]))
        pairs.append((src.split(), tgt.split()))
    return pairs


def _check_pairs(
    pairs: Sequence[WordPair], what: str = "pair"
) -> List[Tuple[List[str], List[str]]]:
    out = []
    for k, pair in enumerate(pairs):
        try:
            src, tgt = pair
        except (TypeError, ValueError):
            raise XLTError(
                Errors.E164.format(
                    what=what, index=k, why="not a (source words, target words) pair"
                )
            ) from None
        if isinstance(src, str) or isinstance(tgt, str):
            side = "source" if isinstance(src, str) else "target"
            raise XLTError(
                Errors.E164.format(
                    what=what, index=k, why=f"the {side} side is a string, not a list of words"
                )
            )
        try:
            src, tgt = list(src), list(tgt)
        except TypeError:
            raise XLTError(
                Errors.E164.format(
                    what=what, index=k, why="not a (source words, target words) pair"
                )
            ) from None
        try:  # str.join checks that every word is a str, in C
            _join(src)
            _join(tgt)
        except TypeError:
            for side, words in (("source", src), ("target", tgt)):
                for pos, word in enumerate(words):
                    if not isinstance(word, str):
                        raise XLTError(
                            Errors.E164.format(
                                what=what,
                                index=k,
                                why=f"{side} word {pos} is not a string: {word!r}",
                            )
                        ) from None
            raise
        out.append((src, tgt))
    return out


_join = "".join


def _matrix_links(matrix: Any, n_src: int, n_tgt: int) -> Alignment:
    """The (i, j) links of a thot WordAlignmentMatrix (rows: source, columns: target),
    sorted; links outside ``n_src`` x ``n_tgt`` are dropped."""
    if n_src == 0 or n_tgt == 0:
        return []
    array = matrix.to_numpy()
    if array.shape[0] > n_src or array.shape[1] > n_tgt:
        array = array[:n_src, :n_tgt]
    rows, cols = array.nonzero()  # row-major: sorted by (i, j)
    return list(zip(rows.tolist(), cols.tolist()))


class StatisticalAligner:
    """Statistical aligner (implements :class:`spacy_xlt.ty.Aligner`).

    model: one of :data:`MODELS`. symmetrization: one of :data:`SYMMETRIZATIONS`.
    seed: eflomal's sampler seed (the EM models are deterministic anyway).
    iterations: sweeps per stage, e.g. ``{"ibm1": 5, "hmm": 5}`` (keys: :data:`ITERATIONS`;
    missing stages keep their defaults). extra_pairs / extra_path: more parallel text to
    learn from (word pairs, or a file of ``src ||| tgt`` lines); it is not aligned or returned.
    normalizer (or lowercase, strip_punct, prefix_length, nfkc): see :class:`TokenNormalizer`.
    model_params: hyperparameters, thot's names, e.g. ``{"p0": 0.2}`` (keys:
    :data:`MODEL_PARAMS`; the native eflomal engine has :data:`NATIVE_PARAMS`).
    n_threads: CPU threads for training (default: the CPUs this process may use): native
    eflomal's chains run as tasks on them; with thot, two or more train the forward and
    reverse models at the same time, eflomal's chains sharing half of the threads each, and
    1 trains one direction after the other. The alignments are the same for any value; it
    is not saved.
    engine: ``"auto"`` (native for eflomal, thot otherwise), ``"native"`` or ``"thot"``
    (see :data:`ENGINES`; the module docstring says how they differ).
    """

    def __init__(
        self,
        model: str = "eflomal",
        symmetrization: str = "grow-diag-final-and",
        *,
        seed: int = 0,
        iterations: Optional[Dict[str, int]] = None,
        extra_pairs: Optional[Sequence[WordPair]] = None,
        extra_path: Optional[Union[str, Path]] = None,
        normalizer: Optional[TokenNormalizer] = None,
        lowercase: bool = True,
        strip_punct: bool = True,
        prefix_length: int = DEFAULT_PREFIX_LENGTH,
        nfkc: bool = True,
        model_params: Optional[Dict[str, Any]] = None,
        n_threads: Optional[int] = None,
        engine: str = "auto",
    ):
        if model not in MODELS:
            raise XLTError(Errors.E160.format(model=model, options=", ".join(MODELS)))
        if symmetrization not in SYMMETRIZATIONS:
            raise XLTError(
                Errors.E161.format(value=symmetrization, options=", ".join(SYMMETRIZATIONS))
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise XLTError(
                Errors.E162.format(name="seed", value=seed, options="an integer in [0, 2**32)")
            )
        if n_threads is not None and (
            isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1
        ):
            raise XLTError(
                Errors.E162.format(
                    name="n_threads", value=n_threads, options="an integer >= 1, or None (all CPUs)"
                )
            )
        self.model = model
        self.engine = self._check_engine(model, engine)
        self.symmetrization = symmetrization
        self.seed = seed
        self.n_threads = n_threads
        self.iterations = self._check_iterations(model, iterations or {})
        self.model_params = self._check_model_params(model, model_params or {}, self.engine)
        self.normalizer = normalizer or TokenNormalizer(
            lowercase=lowercase, strip_punct=strip_punct, prefix_length=prefix_length, nfkc=nfkc
        )
        self.extra_path = str(extra_path) if extra_path is not None else None
        self.extra_pairs = _check_pairs(extra_pairs or (), what="extra pair")
        self._forward: Any = None
        self._reverse: Any = None
        self._native: Optional[_NativeModel] = None
        self._frozen = False

    # ------------------------------------------------------------------ configuration

    @staticmethod
    def _check_iterations(model: str, iterations: Dict[str, int]) -> Dict[str, int]:
        stages = ITERATIONS[model]
        for key, value in iterations.items():
            if key not in stages:
                raise XLTError(Errors.E165.format(key=key, model=model, options=", ".join(stages)))
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise XLTError(
                    Errors.E162.format(
                        name=f"iterations[{key!r}]", value=value, options="an integer >= 0"
                    )
                )
        return dict(iterations)

    @staticmethod
    def _check_engine(model: str, engine: str) -> str:
        """The engine ``engine`` means for ``model`` ("auto" resolved)."""
        if engine not in ENGINES:
            raise XLTError(
                Errors.E162.format(name="engine", value=engine, options=", ".join(ENGINES))
            )
        if engine == "auto":
            return "native" if model == "eflomal" else "thot"
        if engine == "native" and model != "eflomal":
            raise XLTError(
                Errors.E162.format(
                    name="engine",
                    value=engine,
                    options=f"'thot' or 'auto' for the {model} model (only eflomal is native)",
                )
            )
        return engine

    @staticmethod
    def _check_model_params(model: str, params: Dict[str, Any], engine: str) -> Dict[str, Any]:
        options = NATIVE_PARAMS if engine == "native" else MODEL_PARAMS[model]
        for key in params:
            if key not in options:
                name = model
                if engine == "native":
                    thots = ", ".join(MODEL_PARAMS[model])
                    name = f"{model} model (native engine; engine='thot' has {thots})"
                raise XLTError(Errors.E166.format(key=key, model=name, options=", ".join(options)))
        if engine == "native":
            n = params.get("num_samplers", 3)
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise XLTError(
                    Errors.E162.format(name="num_samplers", value=n, options="an integer >= 1")
                )
            for key in ("p0", "alpha_lex", "alpha_jump", "alpha_fertility"):
                value = params.get(key, 0.5)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    0 < value < 1 if key == "p0" else value > 0
                ):
                    options = "a number in (0, 1)" if key == "p0" else "a number > 0"
                    raise XLTError(Errors.E162.format(name=key, value=value, options=options))
        return dict(params)

    @property
    def is_frozen(self) -> bool:
        """True after :meth:`fit` or :meth:`from_disk`: ``align`` then decodes with the model."""
        return self._frozen

    def config(self) -> Dict[str, Any]:
        """The settings (JSON-serialisable), as saved by :meth:`to_disk`."""
        return {
            "model": self.model,
            "engine": self.engine,
            "symmetrization": self.symmetrization,
            "seed": self.seed,
            "iterations": self.iterations,
            "model_params": self.model_params,
            "normalizer": asdict(self.normalizer),
        }

    # ------------------------------------------------------------------ aligning

    def align(self, pairs: Sequence[WordPair]) -> List[Alignment]:
        """Sorted (source, target) word links for each pair, indexing the given words.

        Unless the aligner is frozen (:meth:`fit`, :meth:`from_disk`), a fresh model is
        trained on ``pairs`` plus the extra text; it is kept (see :meth:`to_disk`) until the
        next call. Pairs with an empty side get no links.
        """
        checked = _check_pairs(pairs)
        training = {} if self._frozen else self._train(checked)
        rest = [k for k in range(len(checked)) if k not in training]
        decoded = self._decode([checked[k] for k in rest])
        out = [training.get(k, []) for k in range(len(checked))]
        for k, links in zip(rest, decoded):
            out[k] = links
        return out

    def fit(self, pairs: Sequence[WordPair] = ()) -> StatisticalAligner:
        """Train on ``pairs`` plus the extra text and freeze: ``align`` will then decode new
        pairs with this model instead of training on them (faster, slightly less accurate)."""
        self._train(_check_pairs(pairs))
        self._frozen = True
        return self

    def _decode(self, pairs: Sequence[Tuple[List[str], List[str]]]) -> List[Alignment]:
        """Alignments of ``pairs`` by the trained model (no links where a side is empty)."""
        todo = [k for k, (src, tgt) in enumerate(pairs) if src and tgt]
        out: List[Alignment] = [[] for _ in pairs]
        if not todo:
            return out
        if self.engine == "native":
            if self._native is None:
                raise XLTError(Errors.E167.format(what="align with"))
            decoded = self._native.decode(
                [pairs[k] for k in todo],
                self.normalizer,
                self._native_settings(),
                self.symmetrization,
            )
            for k, links in zip(todo, decoded):
                out[k] = links
            return out
        if self._forward is None:
            raise XLTError(Errors.E167.format(what="align with"))
        norm = self.normalizer.cached()
        results = self._symmetrized().get_best_alignments(
            [norm(pairs[k][0]) for k in todo], [norm(pairs[k][1]) for k in todo]
        )
        for k, (_, matrix) in zip(todo, results):
            out[k] = _matrix_links(matrix, len(pairs[k][0]), len(pairs[k][1]))
        return out

    def _symmetrized(self) -> Any:
        import thot.alignment as ta

        aligner = ta.SymmetrizedAlignmentModel(self._forward, self._reverse)
        aligner.heuristic = _heuristic(self.symmetrization)
        return aligner

    def _all_pairs(
        self, pairs: List[Tuple[List[str], List[str]]]
    ) -> List[Tuple[List[str], List[str]]]:
        extra = list(self.extra_pairs)
        if self.extra_path is not None:
            extra.extend(read_parallel_text(self.extra_path))
        return pairs + extra

    def _train(self, pairs: List[Tuple[List[str], List[str]]]) -> Dict[int, Alignment]:
        """Train both directions on ``pairs`` + extra text; the training alignments of the
        trainable ``pairs`` by index (pairs with an empty or over-long side are left out)."""
        all_pairs = self._all_pairs(pairs)
        if self.engine == "native":  # its word -> id cache normalises each word once
            self._native, out = _NativeModel.train(
                all_pairs, len(pairs), self.normalizer, self._native_settings(),
                self.symmetrization,
            )  # fmt: skip
            self._frozen = False
            return out
        norm = self.normalizer.cached()  # each distinct word normalised once
        forward, reverse = self._new_chain(), self._new_chain()
        max_len = forward[-1].max_sentence_length
        add_forward, add_reverse = forward[-1].add_sentence_pair, reverse[-1].add_sentence_pair
        kept: List[int] = []  # positions in all_pairs of the pairs given to thot
        for k, (src, tgt) in enumerate(all_pairs):
            if 0 < len(src) <= max_len and 0 < len(tgt) <= max_len:
                kept.append(k)
                s, t = norm(src), norm(tgt)
                add_forward(s, t, 1)
                add_reverse(t, s, 1)
        del norm  # the word -> form cache
        self._run_chains((forward, reverse), len(kept))
        self._forward, self._reverse = forward[-1], reverse[-1]
        self._frozen = False
        out: Dict[int, Alignment] = {}
        if self.model in _DECODE_ONLY:
            return out
        training_alignment = self._symmetrized().get_training_alignment
        for n, k in enumerate(kept):
            if k >= len(pairs):
                break
            src, tgt = pairs[k]
            out[k] = _matrix_links(training_alignment(n)[1], len(src), len(tgt))
        return out

    def _native_settings(self) -> Dict[str, Any]:
        """What the native sampler needs: schedule (None: corpus-scaled), chains, seed,
        hyperparameters, threads."""
        params = self.model_params
        return {
            "iterations": self.iterations,
            "n_chains": int(params.get("num_samplers", 3)),
            "seed": self.seed,
            "params": {
                "null_prior": float(params.get("p0", 0.2)),
                "alpha_lex": float(params.get("alpha_lex", 0.001)),
                "alpha_jump": float(params.get("alpha_jump", 0.5)),
                "alpha_fertility": float(params.get("alpha_fertility", 0.5)),
            },
            "n_threads": self.n_threads or _available_cpus(),
        }

    def _run_chains(self, chains: Sequence[List[Any]], n_pairs: int) -> None:
        """Train the directions, at the same time where there are threads for it (thot
        releases the GIL while it trains; the directions share no state, so the models are
        the same as trained one after the other)."""
        cpus = self.n_threads or _available_cpus()
        if self.model == "eflomal":  # its chains are independent: any thread count
            per_direction = max(1, -(-cpus // len(chains)))
        else:  # EM sums in parallel break ties by summation order: one thread each
            per_direction = 1
        if cpus < 2 or len(chains) < 2:
            for chain in chains:
                with _omp_threads(per_direction):
                    self._run_chain(chain, n_pairs)
            return
        errors: List[BaseException] = []

        def train(chain: List[Any]) -> None:
            try:
                with _omp_threads(per_direction):
                    self._run_chain(chain, n_pairs)
            except BaseException as err:  # re-raised in the calling thread
                errors.append(err)

        workers = [
            threading.Thread(target=train, args=(chain,), name=f"thot-{k}", daemon=True)
            for k, chain in enumerate(chains[1:], 1)
        ]
        for worker in workers:
            worker.start()
        train(chains[0])
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]

    def _new_chain(self) -> List[Any]:
        """The thot models of one direction, simplest first; pairs go to the last one."""
        import thot.alignment as ta

        params = self.model_params
        if self.model == "eflomal":
            model = ta.EflomalAlignmentModel()
            model.seed = self.seed
            chain = [model]
        elif self.model == "fast_align":
            model = ta.FastAlignModel()
            model.variational_bayes = True
            chain = [model]
        else:
            ibm1 = ta.Ibm1AlignmentModel()
            chain = [ibm1]
            if self.model == "ibm2":
                chain.append(ta.Ibm2AlignmentModel(ibm1))
            elif self.model in ("hmm", "ibm3", "ibm4"):
                chain.append(ta.HmmAlignmentModel(ibm1))
                if self.model in ("ibm3", "ibm4"):
                    chain.append(ta.Ibm3AlignmentModel(chain[-1]))
                if self.model == "ibm4":
                    chain.append(ta.Ibm4AlignmentModel(chain[-1]))
        for key, value in params.items():
            for model in chain:
                if hasattr(model, key):
                    setattr(model, key, value)
        chain[-1].emit_training_alignments = self.model not in _DECODE_ONLY
        return chain

    def _run_chain(self, chain: List[Any], n_pairs: int) -> None:
        if self.model == "eflomal":
            schedule = eflomal_schedule(n_pairs)
            schedule.update(self.iterations)
            chain[0].set_iterations(schedule["ibm1"], schedule["hmm"], schedule["fertility"])
            stages = [sum(schedule.values())]
        else:
            schedule = {k: v for k, v in ITERATIONS[self.model].items()}
            schedule.update(self.iterations)
            stages = [int(v or 0) for v in schedule.values()]
        for model, n_iter in zip(chain, stages):
            if n_iter == 0 and model is not chain[-1]:
                continue
            model.start_training()
            for _ in range(n_iter):
                model.train()
            model.end_training()

    # ------------------------------------------------------------------ serialisation

    def to_disk(self, path: Union[str, Path]) -> Path:
        """Save the trained model (both directions) and the settings in folder ``path``."""
        if (self._native if self.engine == "native" else self._forward) is None:
            raise XLTError(Errors.E167.format(what="save"))
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        thot_models = (("forward", self._forward), ("reverse", self._reverse))
        if self.engine == "native":
            self._native.to_disk(path)
            thot_models = ()
        for name, model in thot_models:
            if not model.print(str(path / name)):
                raise XLTError(
                    Errors.E168.format(path=path, why=f"thot could not write the {name} model")
                )
        config = self.config()
        config["version"] = _SAVE_VERSION
        (path / _SAVE_CONFIG).write_text(json.dumps(config, indent=2), encoding="utf8")
        return path

    def from_disk(self, path: Union[str, Path]) -> StatisticalAligner:
        """Load a model saved by :meth:`to_disk` (its settings replace these) and freeze."""
        path = Path(path)
        config_path = path / _SAVE_CONFIG
        if not config_path.exists():
            raise XLTError(Errors.E168.format(path=path, why=f"no {_SAVE_CONFIG}"))
        try:
            config = json.loads(config_path.read_text(encoding="utf8"))
            normalizer = TokenNormalizer(**config["normalizer"])
            model, symmetrization = config["model"], config["symmetrization"]
        except (ValueError, KeyError, TypeError) as err:
            raise XLTError(
                Errors.E168.format(path=path, why=f"unreadable {_SAVE_CONFIG} ({err})")
            ) from None
        if model not in MODELS:
            raise XLTError(Errors.E160.format(model=model, options=", ".join(MODELS)))
        if symmetrization not in SYMMETRIZATIONS:
            raise XLTError(
                Errors.E161.format(value=symmetrization, options=", ".join(SYMMETRIZATIONS))
            )
        engine = config.get("engine", "thot")  # version 1 files are thot's
        if engine not in ("native", "thot") or (engine == "native" and model != "eflomal"):
            raise XLTError(Errors.E168.format(path=path, why=f"unknown engine {engine!r}"))
        self.model, self.symmetrization, self.engine = model, symmetrization, engine
        self.seed = int(config.get("seed", 0))
        self.iterations = dict(config.get("iterations", {}))
        self.model_params = dict(config.get("model_params", {}))
        self.normalizer = normalizer
        if engine == "native":
            self._native = _NativeModel.from_disk(path)
            self._forward = self._reverse = None
            self._frozen = True
            return self
        models = []
        for name in ("forward", "reverse"):
            thot_model = self._new_chain()[-1]
            if not thot_model.load(str(path / name)):
                raise XLTError(
                    Errors.E168.format(path=path, why=f"thot could not read the {name} model")
                )
            models.append(thot_model)
        self._forward, self._reverse = models
        self._frozen = True
        return self


def symmetrize(
    n_src: int, n_tgt: int, forward: Sequence[int], reverse: Sequence[int], heuristic: str
) -> Alignment:
    """Sorted (i, j) links of two directional alignments symmetrised by ``heuristic`` (one of
    :data:`SYMMETRIZATIONS`) with thot's word alignment matrices: ``forward[j]`` is target
    word j's source position, ``reverse[i]`` source word i's target position (-1: none)."""
    import thot.common as tc

    if n_src == 0 or n_tgt == 0:
        return []
    a = tc.WordAlignmentMatrix()
    a.init(n_src, n_tgt)
    a.put_list([i + 1 for i in forward])  # 1-based row per column, 0: none
    if heuristic != "none":
        b = tc.WordAlignmentMatrix()
        b.init(n_tgt, n_src)
        b.put_list([j + 1 for j in reverse])
        b.transpose()
        _SYMMETRIZE[heuristic](a, b)
    rows, cols = a.to_numpy().nonzero()  # row-major: sorted by (i, j)
    return list(zip(rows.tolist(), cols.tolist()))


#: thot's in-place WordAlignmentMatrix methods per heuristic (what its
#: SymmetrizedAlignmentModel applies to the direct and the transposed inverse alignment).
_SYMMETRIZE: Dict[str, Callable[[Any, Any], Any]] = {
    "grow-diag-final-and": lambda a, b: a.grow_diag_final_and(b),
    "grow-diag-final": lambda a, b: a.grow_diag_final(b),
    "grow-diag": lambda a, b: a.grow_diag(b),
    "grow": lambda a, b: a.grow(b),
    "intersection": lambda a, b: a.intersect(b),
    "union": lambda a, b: a.union(b),
    "och": lambda a, b: a.och_symmetrize(b),
}


def _id_mapper(
    vocab: Dict[str, int], normalizer: TokenNormalizer, first: int
) -> Callable[[Sequence[str]], List[int]]:
    """Words -> ids of their normalised forms in ``vocab`` (a new form gets the next id,
    from ``first``); each distinct word is normalised and looked up once (a word -> id
    cache)."""
    ids: Dict[str, int] = {}
    known = ids.get

    def new(word: str) -> int:
        value = ids[word] = vocab.setdefault(normalizer(word), len(vocab) + first)
        return value

    def mapper(words: Sequence[str]) -> List[int]:
        out = [known(w, -1) for w in words]
        if -1 in out:
            out = [i if i >= 0 else new(w) for i, w in zip(out, words)]
        return out

    return mapper


class _NativeModel:
    """The native eflomal sampler's side of :class:`StatisticalAligner`: the vocabularies
    (normalised forms -> ids, in first-seen order) and the trained models of both
    directions (:class:`spacy_xlt.projection.sampler.Model`)."""

    def __init__(self, source: Dict[str, int], target: Dict[str, int], models: List[Any]):
        self.source, self.target, self.models = source, target, models

    @classmethod
    def train(
        cls,
        pairs: Sequence[Tuple[List[str], List[str]]],
        n_wanted: int,
        normalizer: TokenNormalizer,
        settings: Dict[str, Any],
        heuristic: str,
    ) -> Tuple[Optional[_NativeModel], Dict[int, Alignment]]:
        """Train on ``pairs``; the symmetrised training alignments of the first
        ``n_wanted`` pairs (those with both sides non-empty) by index."""
        from . import sampler

        source: Dict[str, int] = {}
        target: Dict[str, int] = {}
        e_ids, f_ids = _id_mapper(source, normalizer, 1), _id_mapper(target, normalizer, 0)
        kept, e_sents, f_sents = [], [], []
        for k, (src, tgt) in enumerate(pairs):
            if src and tgt:
                kept.append(k)
                e_sents.append(e_ids(src))
                f_sents.append(f_ids(tgt))
        del e_ids, f_ids  # their word -> id caches
        if not kept:
            return None, {}
        corpus = sampler.Corpus.build(e_sents, f_sents, len(source) + 1, len(target))
        del e_sents, f_sents
        schedule = eflomal_schedule(len(kept))
        schedule.update(settings["iterations"])
        links, models = sampler.train(
            corpus,
            (schedule["ibm1"], schedule["hmm"], schedule["fertility"]),
            n_chains=settings["n_chains"],
            seed=settings["seed"],
            params=sampler.Params(**settings["params"]),
            n_threads=settings["n_threads"],
        )
        out = cls._links(corpus, links, kept, n_wanted, pairs, heuristic)
        return cls(source, target, models), out

    @staticmethod
    def _links(
        corpus: Any,
        links: List[Any],
        kept: List[int],
        n_wanted: int,
        pairs: Sequence[Tuple[List[str], List[str]]],
        heuristic: str,
    ) -> Dict[int, Alignment]:
        forward, reverse = links[0].tolist(), links[1].tolist()
        f_off, e_off = corpus.f_off.tolist(), corpus.e_off.tolist()
        out: Dict[int, Alignment] = {}
        for n, k in enumerate(kept):
            if k >= n_wanted:
                break
            src, tgt = pairs[k]
            out[k] = symmetrize(
                len(src),
                len(tgt),
                forward[f_off[n] : f_off[n + 1]],
                reverse[e_off[n] : e_off[n + 1]],
                heuristic,
            )
        return out

    def decode(
        self,
        pairs: Sequence[Tuple[List[str], List[str]]],
        normalizer: TokenNormalizer,
        settings: Dict[str, Any],
        heuristic: str,
    ) -> List[Alignment]:
        """Alignments of new pairs (both sides non-empty) by the trained models; words the
        models never saw get new ids (no counts)."""
        from . import sampler

        source, target = dict(self.source), dict(self.target)
        e_ids, f_ids = _id_mapper(source, normalizer, 1), _id_mapper(target, normalizer, 0)
        e_sents = [e_ids(s) for s, _ in pairs]
        f_sents = [f_ids(t) for _, t in pairs]
        corpus = sampler.Corpus.build(e_sents, f_sents, len(source) + 1, len(target))
        links = sampler.decode(
            corpus,
            self.models,
            n_chains=settings["n_chains"],
            seed=settings["seed"],
            params=sampler.Params(**settings["params"]),
            n_threads=settings["n_threads"],
        )
        found = self._links(corpus, links, list(range(len(pairs))), len(pairs), pairs, heuristic)
        return [found[k] for k in range(len(pairs))]

    def to_disk(self, path: Path) -> None:
        from ..io import atomic_output, write_json

        arrays = {}
        for name, model in zip(("forward", "reverse"), self.models):
            for key, value in model.to_arrays().items():
                arrays[f"{name}.{key}"] = value
        with atomic_output(path / _NATIVE_ARRAYS) as tmp:
            with open(tmp, "wb") as file:
                np.savez(file, **arrays)
        write_json(
            path / _NATIVE_VOCAB,
            {"source": sorted(self.source, key=self.source.get), "target": sorted(self.target, key=self.target.get)},
        )

    @classmethod
    def from_disk(cls, path: Path) -> _NativeModel:
        from . import sampler

        try:
            vocab = json.loads((path / _NATIVE_VOCAB).read_text(encoding="utf8"))
            with np.load(path / _NATIVE_ARRAYS) as data:
                models = []
                for name in ("forward", "reverse"):
                    prefix = name + "."
                    models.append(
                        sampler.Model.from_arrays(
                            {k[len(prefix) :]: data[k] for k in data.files if k.startswith(prefix)}
                        )
                    )
            source = {w: i for i, w in enumerate(vocab["source"], 1)}
            target = {w: i for i, w in enumerate(vocab["target"])}
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise XLTError(
                Errors.E168.format(path=path, why=f"unreadable native model ({err})")
            ) from None
        return cls(source, target, models)


def _heuristic(name: str) -> Any:
    import thot.alignment as ta

    return {
        "grow-diag-final-and": ta.SymmetrizationHeuristic.GROW_DIAG_FINAL_AND,
        "grow-diag-final": ta.SymmetrizationHeuristic.GROW_DIAG_FINAL,
        "grow-diag": ta.SymmetrizationHeuristic.GROW_DIAG,
        "grow": ta.SymmetrizationHeuristic.GROW,
        "intersection": ta.SymmetrizationHeuristic.INTERSECTION,
        "union": ta.SymmetrizationHeuristic.UNION,
        "och": ta.SymmetrizationHeuristic.OCH,
        "none": ta.SymmetrizationHeuristic.NONE,
    }[name]


@registry.misc("spacy_xlt.StatisticalAligner.v1")
def make_statistical_aligner(
    model: str = "eflomal",
    symmetrization: str = "grow-diag-final-and",
    seed: int = 0,
    iterations: Optional[Dict[str, int]] = None,
    extra_path: Optional[str] = None,
    lowercase: bool = True,
    strip_punct: bool = True,
    prefix_length: int = DEFAULT_PREFIX_LENGTH,
    nfkc: bool = True,
    model_params: Optional[Dict[str, Any]] = None,
    model_path: Optional[str] = None,
    n_threads: Optional[int] = None,
    engine: str = "auto",
) -> StatisticalAligner:
    """Statistical aligner (native eflomal, or sil-thot's models): trained on the pairs it
    aligns plus ``extra_path`` (``src ||| tgt`` lines), or loaded frozen from ``model_path``
    (saved with ``to_disk``)."""
    aligner = StatisticalAligner(
        model,
        symmetrization,
        seed=seed,
        iterations=iterations,
        extra_path=extra_path,
        lowercase=lowercase,
        strip_punct=strip_punct,
        prefix_length=prefix_length,
        nfkc=nfkc,
        model_params=model_params,
        n_threads=n_threads,
        engine=engine,
    )
    if model_path is not None:
        aligner.from_disk(model_path)
    return aligner
