"""CTranslate2 backends: the translator and T-Projection's candidate generator on CTranslate2.

``spacy_xlt.CT2Translator.v1`` and ``spacy_xlt.CT2Generator.v1`` take every setting of
``spacy_xlt.Translator.v1`` / ``spacy_xlt.Seq2SeqGenerator.v1`` (so switching a ``translator``
or ``generator`` block is its ``@misc`` line) plus ``compute_type``, ``inter_threads`` and
``intra_threads``. ``CTranslate2`` is the optional extra ``spacy-xlt[ct2]``: this module
imports it only when such a backend is built.

They are the Hugging Face backends with the model swapped (:class:`CT2Translator` subclasses
:class:`~spacy_xlt.backends.translator.Translator`, :class:`CT2Generator`
:class:`~spacy_xlt.backends.generator.Seq2SeqGenerator`): the tokenizer (special-token
strings as text, saved tokenizer settings), language codes, long-input chunking, length-sorted
batching, decoding of the outputs and every count are theirs. ``self.model`` is a
:class:`CT2Model`, which answers the ``generate()`` call those backends make of a
``transformers`` model (the same ids in, the same padded sequences out) with CTranslate2's
``translate_batch``, and scores targets with ``score_batch``; token ids travel to CTranslate2 as
the tokenizer's token strings, checked at load to map back to the same ids.

Loading (``load()``, in the component's ``initialize``): the Hugging Face model is loaded as
``HFBackend`` loads it (``name``, ``revision``, ``dtype``: the weights' type), on the CPU, and
converted in memory (CTranslate2's ``TransformersConverter`` given that model and tokenizer,
so the converter loads nothing itself); the converted model stays in a temporary folder until
the backend is saved. ``device`` is where CTranslate2 runs ("cpu", "cuda", "cuda:N"), and
``compute_type`` how (see :data:`COMPUTE_TYPES`; "default": the stored weights' type).

Saving: ``to_disk`` writes the tokenizer files, the model's ``config.json``, ``xlt_backend.json``
(the tokenizer settings, where the weights came from, ``"format": "ctranslate2"``) and the
converted model in ``ct2/`` (``model.bin``, its ``config.json`` and vocabulary), so a saved
pipeline loads offline with no Hugging Face weights. ``from_disk`` also reads a folder saved by
the Hugging Face backend (weights, no ``ct2/``) and converts it there, offline: a saved
pipeline's translator or generator switches to CTranslate2 with a config override of its
``@misc`` alone (``spacy.load(path, config={"components.xlt_tprojection.translator.@misc":
"spacy_xlt.CT2Translator.v1"})``).

``CT2Generator`` cannot train (``loss`` is a coded error): it runs a generator fine-tuned with
``spacy_xlt.Seq2SeqGenerator.v1``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import srsly
from spacy.util import registry

from ..errors import Errors, XLTError
from .generator import Seq2SeqGenerator
from .hf import SETTINGS_FILE, HFBackend
from .translator import Translator
from .util import check_min_ints, resolve_device

#: What ``pip install spacy-xlt[ct2]`` installs (setup.cfg's ``ct2`` extra).
REQUIREMENT = "ctranslate2>=4.5.0,<5"
#: ``compute_type`` values: CTranslate2's (``default``: the stored weights' type; ``auto``: the
#: fastest the device supports).
COMPUTE_TYPES = (
    "default",
    "auto",
    "float32",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
)
#: The folder of a saved backend that holds the converted model.
CT2_FOLDER = "ct2"
#: ``xlt_backend.json``'s ``format`` for a converted model.
FORMAT = "ctranslate2"


def import_ctranslate2(what: str = "This backend") -> Any:
    """The ``ctranslate2`` module; a coded error naming the extra when it is missing."""
    try:
        import ctranslate2
    except ImportError as err:
        raise XLTError(Errors.E440.format(what=what, requirement=REQUIREMENT)) from err
    return ctranslate2


def ct2_device(device: Union[str, int, None], role: str) -> Tuple[str, int]:
    """(CTranslate2 device, device index) from the device spec every backend takes."""
    try:
        parsed = resolve_device(device)
    except XLTError:
        raise XLTError(Errors.E443.format(device=device, role=role)) from None
    if parsed.type == "cpu":
        return "cpu", 0
    if parsed.type == "cuda":
        return "cuda", parsed.index or 0
    raise XLTError(Errors.E443.format(device=device, role=role))


def convert(model: Any, tokenizer: Any, output_dir: Union[str, Path], quantization: Optional[str] = None) -> Path:
    """Convert a loaded ``transformers`` seq2seq model and its tokenizer into a CTranslate2
    model in ``output_dir``.

    CTranslate2's ``TransformersConverter`` is given these objects (its ``load_model`` and
    ``load_tokenizer`` return them) and a folder holding only the model's ``config.json``,
    so it reaches no hub and passes no loading arguments of its own to ``transformers``
    (4.6.3 and later pass ``dtype=``, which transformers < 4.56 rejects).
    """
    import_ctranslate2("Converting a model to CTranslate2")
    from ctranslate2.converters import TransformersConverter

    class _Loaded(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            return model

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            return tokenizer

    with tempfile.TemporaryDirectory(prefix="spacy_xlt_ct2_config_") as config_dir:
        model.config.save_pretrained(config_dir)
        _Loaded(config_dir).convert(str(output_dir), quantization=quantization, force=True)
    return Path(output_dir)


def _vocabulary(folder: Path) -> Optional[List[str]]:
    """The target vocabulary of a converted model (shared or target side), or None."""
    for name in ("shared_vocabulary", "target_vocabulary"):
        if (folder / f"{name}.json").exists():
            return list(srsly.read_json(folder / f"{name}.json"))
        if (folder / f"{name}.txt").exists():
            return (folder / f"{name}.txt").read_text(encoding="utf8").split("\n")
    return None


class CT2Model:
    """A CTranslate2 ``Translator`` standing in for the ``transformers`` seq2seq model of a
    backend: ``generate()`` takes the arguments the Hugging Face backends pass (padded id
    tensors and the mask; ``num_beams``, ``num_return_sequences``, ``max_new_tokens``,
    ``forced_bos_token_id``, or a ``GenerationConfig``) and returns what transformers
    returns: per input, ``num_return_sequences`` rows best first, each the decoder start id,
    the generated ids (the forced language token first) and the end id where the sequence
    ended, padded with the pad id. ``score()`` gives the log-probability of each target id.
    """

    def __init__(self, translator: Any, tokenizer: Any, config: Any, *, role: str, name: str) -> None:
        self.translator = translator
        self.tokenizer = tokenizer
        self.config = config
        self.role = role
        self.name = name
        self.eos_id = int(tokenizer.eos_token_id)
        pad = tokenizer.pad_token_id
        self.pad_id = 0 if pad is None else int(pad)
        start = getattr(config, "decoder_start_token_id", None)
        self.start_id = self.pad_id if start is None else int(start)

    def eval(self) -> CT2Model:
        return self

    def gradient_checkpointing_enable(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to do: a component binds its trainer to its generator when it loads (with
        ``gradient_checkpointing = true`` the trainer calls this), and training a CTranslate2
        backend stops at its ``loss``, a coded error."""

    def parameters(self) -> Any:
        """A coded error: what a trainer asks for first (``spacy train``, ``nlp.update``)."""
        raise XLTError(Errors.E448.format(role=self.role, name=self.name, what="train (it has no torch parameters)"))

    def train(self, mode: bool = True) -> CT2Model:
        if mode:
            raise XLTError(Errors.E448.format(role=self.role, name=self.name, what="train"))
        return self

    def _tokens(self, rows: Sequence[Sequence[int]]) -> List[List[str]]:
        convert = self.tokenizer.convert_ids_to_tokens
        return [convert([int(i) for i in row]) for row in rows]

    def _unsupported(self, what: str) -> XLTError:
        return XLTError(Errors.E449.format(role=self.role, name=self.name, what=what))

    def generate(
        self,
        input_ids: Any,
        attention_mask: Any = None,
        *,
        generation_config: Any = None,
        logits_processor: Any = None,
        num_beams: Optional[int] = None,
        num_return_sequences: Optional[int] = None,
        max_new_tokens: Optional[int] = None,
        forced_bos_token_id: Optional[int] = None,
        do_sample: bool = False,
        early_stopping: Optional[bool] = None,
    ) -> Any:
        import torch

        if logits_processor:
            raise self._unsupported("logits processors (constrained decoding)")
        config = generation_config
        if config is not None:
            num_beams = config.num_beams if num_beams is None else num_beams
            if num_return_sequences is None:
                num_return_sequences = config.num_return_sequences
            max_new_tokens = config.max_new_tokens if max_new_tokens is None else max_new_tokens
            if forced_bos_token_id is None:
                forced_bos_token_id = getattr(config, "forced_bos_token_id", None)
            do_sample = do_sample or bool(config.do_sample)
        if do_sample:
            raise self._unsupported("sampling")
        beams = int(num_beams or 1)
        n_return = int(num_return_sequences or 1)
        rows = input_ids.tolist()
        if attention_mask is not None:
            rows = [[i for i, m in zip(row, mask) if m] for row, mask in zip(rows, attention_mask.tolist())]
        prefix = None
        if forced_bos_token_id is not None:
            prefix = self._tokens([[forced_bos_token_id]]) * len(rows)
        results = self.translator.translate_batch(
            self._tokens(rows),
            target_prefix=prefix,
            beam_size=beams,
            num_hypotheses=n_return,
            max_decoding_length=int(max_new_tokens or 256),
            min_decoding_length=0,
            max_input_length=0,
            return_end_token=True,
        )
        to_ids = self.tokenizer.convert_tokens_to_ids
        seqs = [[self.start_id, *to_ids(list(hyp))] for result in results for hyp in result.hypotheses]
        width = max((len(s) for s in seqs), default=1)
        out = np.full((len(seqs), width), self.pad_id, dtype=np.int64)
        for k, seq in enumerate(seqs):
            out[k, : len(seq)] = seq
        return torch.from_numpy(out)

    def score(self, sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> List[np.ndarray]:
        """The natural-log probability of each id of each target given its source, by forced
        decoding from the decoder start id (CTranslate2 adds one end id after the target it
        is given, so a target that ends with the end id is given without it)."""
        given = [list(t[:-1]) if len(t) and t[-1] == self.eos_id else list(t) for t in targets]
        results = self.translator.score_batch(self._tokens(sources), self._tokens(given), max_input_length=0)
        out = []
        for target, result in zip(targets, results):
            lp = np.asarray(result.log_probs, dtype=np.float64)
            out.append(lp[: len(target)])
        return out


class CT2Backend:
    """What the CTranslate2 backends add to a Hugging Face backend (a mixin placed before it):
    conversion in ``load()``, the CTranslate2 settings, and saving of the converted model."""

    #: CTranslate2 runs converted weights: nothing a trainer can step
    trainable = False

    name: str
    role: str
    tokenizer: Any
    model: Any
    dtype: str
    device: Any
    counts: Any

    def __init__(
        self,
        name: str,
        *,
        device: Union[str, int, None] = "cpu",
        compute_type: str = "default",
        inter_threads: int = 1,
        intra_threads: int = 0,
        **settings: Any,
    ) -> None:
        """The CTranslate2 settings, checked before anything else is built; ``settings``:
        the Hugging Face backend's own (its names and defaults, so a ``@misc`` line is all
        that switches a block between the two)."""
        if not isinstance(compute_type, str) or compute_type not in COMPUTE_TYPES:
            raise XLTError(
                Errors.E441.format(value=compute_type, role=self.role, options=", ".join(COMPUTE_TYPES))
            )
        check_min_ints((("inter_threads", inter_threads, 1), ("intra_threads", intra_threads, 0)))
        where = ct2_device(device, self.role)
        import_ctranslate2(f"The CTranslate2 {self.role} {name!r}")
        super().__init__(name, device=device, **settings)  # type: ignore[call-arg]
        import torch

        self.ct2_device, self.ct2_index = where
        self.compute_type = compute_type
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads
        #: where the token-id tensors between the tokenizer and CTranslate2 live
        self.device = torch.device("cpu")
        #: the model's Hugging Face config (saved as config.json beside the tokenizer)
        self.hf_config: Any = None
        #: the folder the converted model is read from (a temporary one until saved)
        self.ct2_dir: Optional[Path] = None
        self._tmp: Optional[tempfile.TemporaryDirectory] = None

    def __repr__(self) -> str:
        device = self.ct2_device if self.ct2_device == "cpu" else f"{self.ct2_device}:{self.ct2_index}"
        return f"{type(self).__name__}({self.name!r}, device={device!r}, compute_type={self.compute_type!r})"

    # --- loading ---------------------------------------------------------------------------

    def load(self, path: Union[str, Path, None] = None) -> None:
        """Load ``path`` (a folder written by ``to_disk``, converted or Hugging Face) or else
        ``name`` at ``revision``, converting Hugging Face weights to CTranslate2."""
        import_ctranslate2(f"The CTranslate2 {self.role} {self.name!r}")
        if path is not None and (Path(path) / CT2_FOLDER / "model.bin").exists():
            self._load_converted(Path(path))
            return
        HFBackend.load(self, path)  # type: ignore[arg-type]  # tokenizer, config, model on the CPU
        hf_model, self.model = self.model, None
        self.hf_config = hf_model.config
        tmp = tempfile.TemporaryDirectory(prefix="spacy_xlt_ct2_")
        try:
            convert(hf_model, self.tokenizer, Path(tmp.name) / CT2_FOLDER)
        except (ValueError, TypeError, KeyError, NotImplementedError, RuntimeError) as err:
            tmp.cleanup()
            raise XLTError(Errors.E445.format(role=self.role, name=str(path or self.name), why=err)) from err
        del hf_model
        self._open(Path(tmp.name) / CT2_FOLDER, tmp)

    def _load_converted(self, path: Path) -> None:
        from transformers import AutoConfig, AutoTokenizer

        saved = HFBackend._read_settings(path)
        try:
            self.hf_config = AutoConfig.from_pretrained(str(path), local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(
                str(path), local_files_only=True, **self._tokenizer_kwargs(saved)  # type: ignore[attr-defined]
            )
        except (OSError, ValueError, KeyError) as err:
            raise XLTError(Errors.E320.format(role=self.role, name=path, why=err)) from err
        tokenizer.padding_side = saved.get("padding_side", self.padding_side)  # type: ignore[attr-defined]
        self.tokenizer = tokenizer
        self.dtype = saved.get("dtype", self.dtype)  # the stored weights' type
        self._setup(self.hf_config, saved)  # type: ignore[attr-defined]
        self._open(path / CT2_FOLDER, None)

    def _open(self, folder: Path, tmp: Optional[tempfile.TemporaryDirectory]) -> None:
        ctranslate2 = import_ctranslate2(f"The CTranslate2 {self.role} {self.name!r}")
        device = self.ct2_device if self.ct2_device == "cpu" else f"cuda:{self.ct2_index}"
        if self.ct2_device == "cuda":
            count = ctranslate2.get_cuda_device_count()
            if self.ct2_index >= count:
                raise XLTError(Errors.E444.format(role=self.role, name=self.name, device=device, count=count))
        if self.compute_type not in ("default", "auto"):
            try:
                supported = set(ctranslate2.get_supported_compute_types(self.ct2_device, self.ct2_index))
            except RuntimeError as err:  # e.g. a CUDA driver older than CTranslate2's runtime
                raise XLTError(Errors.E446.format(role=self.role, path=folder, why=err)) from err
            if self.compute_type not in supported:
                raise XLTError(
                    Errors.E442.format(
                        role=self.role,
                        name=self.name,
                        compute_type=self.compute_type,
                        device=device,
                        options=", ".join(sorted(supported)),
                    )
                )
        self._check_vocabulary(folder)
        import torch

        # CTranslate2 sets the OpenMP thread count of the thread that builds it, which is
        # torch's too: keep torch's (a tiny model runs 10x slower with more threads than
        # a busy CPU has free); CTranslate2's own threads keep intra_threads
        torch_threads = torch.get_num_threads()
        try:
            translator = ctranslate2.Translator(
                str(folder),
                device=self.ct2_device,
                device_index=self.ct2_index,
                compute_type=self.compute_type,
                inter_threads=self.inter_threads,
                intra_threads=self.intra_threads,
            )
        except (RuntimeError, ValueError, OSError) as err:
            raise XLTError(Errors.E446.format(role=self.role, path=folder, why=err)) from err
        finally:
            if torch.get_num_threads() != torch_threads:
                torch.set_num_threads(torch_threads)
        if self._tmp is not None and self._tmp is not tmp:
            self._tmp.cleanup()
        self._tmp = tmp
        self.ct2_dir = folder
        self.model = CT2Model(translator, self.tokenizer, self.hf_config, role=self.role, name=self.name)

    def _check_vocabulary(self, folder: Path) -> None:
        """Every tokenizer id's token string must be the converted vocabulary's entry at that
        id, and only there: ids reach CTranslate2 as those strings."""
        vocab = _vocabulary(folder)
        if vocab is None:
            raise XLTError(Errors.E446.format(role=self.role, path=folder, why="no vocabulary file"))
        tokens = self.tokenizer.convert_ids_to_tokens(list(range(len(self.tokenizer))))
        first: Dict[str, int] = {}
        for i, token in enumerate(vocab):
            first.setdefault(token, i)
        for i, token in enumerate(tokens):
            if first.get(token) != i:
                ct2 = vocab[i] if i < len(vocab) else None
                raise XLTError(Errors.E447.format(name=self.name, index=i, token=token, ct2=ct2))

    # --- serialisation ---------------------------------------------------------------------

    def settings(self) -> Dict[str, Any]:
        import ctranslate2

        return {
            **HFBackend.settings(self),  # type: ignore[arg-type]
            "format": FORMAT,
            "ctranslate2": ctranslate2.__version__,
        }

    def _holds_me(self, path: Path) -> bool:
        file = path / SETTINGS_FILE
        if not file.exists() or not (path / CT2_FOLDER / "model.bin").exists():
            return False
        try:
            return srsly.read_json(file) == self.settings()
        except ValueError:
            return False

    def to_disk(self, path: Union[str, Path], *, reuse: bool = False) -> Path:
        """Write the tokenizer files, the model's ``config.json``, ``SETTINGS_FILE`` and the
        converted model (``ct2/``). ``reuse``: leave ``path`` as it is when it already holds
        this backend."""
        self.require()  # type: ignore[attr-defined]
        path = Path(path)
        if reuse and self._holds_me(path):
            return path
        source = self.ct2_dir
        if source is None or not (source / "model.bin").exists():
            raise XLTError(Errors.E450.format(role=self.role, name=self.name, path=source))
        path.mkdir(parents=True, exist_ok=True)
        target = path / CT2_FOLDER
        if not (target.exists() and os.path.samefile(source, target)):
            target.mkdir(parents=True, exist_ok=True)
            for file in sorted(source.iterdir()):
                if file.is_file():
                    part = target / f".{file.name}.partial"
                    shutil.copyfile(file, part)
                    os.replace(part, target / file.name)  # a new file: never the one being read
        self.tokenizer.save_pretrained(path)
        if self.hf_config is not None:
            self.hf_config.save_pretrained(path)
        srsly.write_json(path / SETTINGS_FILE, self.settings())
        return path

    def from_bytes(self, data: bytes) -> Any:
        """The files of ``to_bytes``, kept in a temporary folder while this backend uses them."""
        files = srsly.msgpack_loads(data)
        if not isinstance(files, dict) or SETTINGS_FILE not in files:
            raise XLTError(Errors.E322.format(path="the given bytes", why=f"no {SETTINGS_FILE}"))
        tmp = tempfile.TemporaryDirectory(prefix="spacy_xlt_ct2_")
        root = Path(tmp.name)
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        try:
            self.load(root)
        except Exception:
            tmp.cleanup()
            raise
        if self.ct2_dir is not None and self.ct2_dir.parent == root:
            self._tmp = tmp  # the converted model is read from here
        else:
            tmp.cleanup()  # Hugging Face weights, converted into a folder of their own
        return self


class CT2Translator(CT2Backend, Translator):
    """:class:`~spacy_xlt.backends.translator.Translator` on CTranslate2: ``translate`` (beam
    search through ``translate_batch``, the target language as the target prefix) and
    ``score`` (``score_batch``) with Translator's languages, chunking, score definition and
    counts. Settings: Translator's, and ``compute_type``, ``inter_threads`` (batches CTranslate2
    may run at once; this backend sends one at a time) and ``intra_threads`` (threads per
    batch, 0: CTranslate2's default)."""

    role = "translation model"

    def _score_batch(self, src_ids: List[List[int]], tgt_ids: List[List[int]], skip: int) -> np.ndarray:
        """:meth:`Translator.score`'s ``2 ** (-mean)`` of one batch, the log-probabilities
        from CTranslate2's ``score_batch``."""
        scores = np.zeros(len(src_ids), dtype=np.float64)
        for k, lp in enumerate(self.model.score(src_ids, tgt_ids)):
            kept = lp[skip:]
            mean_nll = -kept.sum() / max(len(kept), 1)
            scores[k] = 2.0 ** (-mean_nll)
        return scores


class CT2Generator(CT2Backend, Seq2SeqGenerator):
    """:class:`~spacy_xlt.backends.generator.Seq2SeqGenerator` on CTranslate2 for projection:
    ``generate`` (beam search, ``num_return_sequences`` hypotheses per input best first)
    with its string handling, window measurements (``input_lengths``) and counts. It cannot
    train: ``loss`` is a coded error. Settings: Seq2SeqGenerator's, and ``compute_type``,
    ``inter_threads``, ``intra_threads`` (see :class:`CT2Translator`)."""

    role = "T-Projection generator"

    def loss(self, inputs: Sequence[str], targets: Sequence[str]):
        raise XLTError(Errors.E448.format(role=self.role, name=self.name, what="train (it has no loss)"))

    def loss_ids(self, inputs, targets):
        raise XLTError(Errors.E448.format(role=self.role, name=self.name, what="train (it has no loss)"))

    def add_tokens(self, tokens: Sequence[str]) -> int:
        self.require()
        if any(t not in self.tokenizer.get_vocab() for t in tokens):
            raise XLTError(Errors.E448.format(role=self.role, name=self.name, what="add tokens to its vocabulary"))
        return 0


@registry.misc("spacy_xlt.CT2Translator.v1")
def make_ct2_translator(
    name: str = "facebook/nllb-200-distilled-600M",
    style: str = "auto",
    revision: Optional[str] = None,
    device: Union[str, int] = "cpu",
    dtype: str = "float32",
    batch_size: int = 32,
    max_length: int = 256,
    num_beams: int = 4,
    max_new_tokens: int = 256,
    score_style: str = "tprojection",
    compute_type: str = "default",
    inter_threads: int = 1,
    intra_threads: int = 0,
) -> CT2Translator:
    """Registered constructor of :class:`CT2Translator`: ``spacy_xlt.Translator.v1``'s
    settings plus CTranslate2's (converted in the component's ``initialize``)."""
    return CT2Translator(
        name,
        style=style,
        revision=revision,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        num_beams=num_beams,
        max_new_tokens=max_new_tokens,
        score_style=score_style,
        compute_type=compute_type,
        inter_threads=inter_threads,
        intra_threads=intra_threads,
    )


@registry.misc("spacy_xlt.CT2Generator.v1")
def make_ct2_generator(
    name: str = "google/mt5-large",
    revision: Optional[str] = None,
    device: Union[str, int] = "cpu",
    dtype: str = "float32",
    batch_size: int = 8,
    max_length: int = 256,
    max_new_tokens: int = 64,
    compute_type: str = "default",
    inter_threads: int = 1,
    intra_threads: int = 0,
) -> CT2Generator:
    """Registered constructor of :class:`CT2Generator`: ``spacy_xlt.Seq2SeqGenerator.v1``'s
    settings plus CTranslate2's; ``name`` is an already fine-tuned generator (e.g. a trained
    pipeline's ``xlt_tprojection/generator`` folder)."""
    return CT2Generator(
        name,
        revision=revision,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        max_new_tokens=max_new_tokens,
        compute_type=compute_type,
        inter_threads=inter_threads,
        intra_threads=intra_threads,
    )
