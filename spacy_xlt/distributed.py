"""Scale-out on a Ray cluster: ``spacy xlt translate``, ``project`` and ``predict`` with ``--ray``.

The work of a run is cut into the chunks its resume file records (``spacy_xlt.resume``:
``--chunk-size`` Docs for translate and predict, the projector's ``batch_size`` pairs for
project), and the chunks go through a Ray Dataset:

* **dataset**: one row per chunk, ``{"index", "start", "docbin"}``, the chunk's Docs as one
  DocBin (pairs with their user data, ``spacy_xlt.pairs.docs_to_bytes``; plain Docs with
  their words and spacing only), one block per row;
* **actors**: ``map_batches`` with a fixed pool of actors (``concurrency``), one chunk per
  call (``batch_size=1``). Each actor builds its backend once, from the settings the command
  itself uses: the translator (``translate``), the projector of the same projector config or
  saved pipeline (``project``: :func:`spacy_xlt.projectors.build_from_recipe`), the pipeline
  (``predict``); an actor asks Ray for ``gpus_per_actor`` GPUs (default: one where the
  command's device setting names a GPU) and then runs every model on its own GPU
  (``cuda:0`` inside the actor: Ray sets ``CUDA_VISIBLE_DEVICES`` to the GPUs it assigned);
* **results**: an actor returns what the single-process run would append to the resume file
  for the chunk (and the counts it printed); an error is returned as data and raised on the
  driver when its chunk's turn comes, so every chunk before it is kept;
* **order**: the dataset runs with ``DataContext.execution_options.preserve_order``, and the
  driver reorders by chunk index in any case; it records each chunk in the resume file as it
  arrives, in input order, and builds the output from the records as a single-process run
  does: the output equals the single-process run's, byte for byte, and a crash loses at most
  the chunks in flight (started, or finished but waiting for an earlier one). The job in the
  resume file's header holds nothing about Ray, so a rerun with or without ``--ray``
  continues it.

What cannot be split: a projector that needs every pair at once (the statistical aligner,
which learns from the pairs it aligns: :func:`spacy_xlt.projectors.needs_all_pairs`) runs as
one task on one actor (no speed-up, no resume, as without Ray); the command says so.

Ray is an optional extra (``pip install "spacy-xlt[ray]"``), imported only here and only when
a run asks for it. On a cluster, every node needs spacy_xlt, the models and the input's
folders where the command names them (a shared file system, or the same paths).
"""

from __future__ import annotations

import contextlib
import math
import pickle
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .errors import Errors, XLTError

#: ``--ray local`` starts a Ray on this machine (``ray.init()``) instead of joining a cluster.
LOCAL = "local"
#: The requirement of the ``ray`` extra.
REQUIREMENT = "ray[data]>=2.20"


@dataclass(frozen=True)
class RayOptions:
    """How a run uses Ray: ``address`` (``"auto"``: the cluster this machine belongs to,
    ``"local"``: start one here, or a cluster address such as ``ray://HOST:10001``),
    ``actors`` (0: as many as the cluster's CPUs or GPUs hold, at most one per chunk),
    ``gpus_per_actor`` (None: 1 where the command's device setting names a GPU, else 0;
    fractions share a GPU) and ``cpus_per_actor`` (also each actor's torch threads).

    A Ray already initialized in this process (``ray.init`` called before) is used as it is,
    whatever ``address`` says."""

    address: str = "auto"
    actors: int = 0
    gpus_per_actor: Optional[float] = None
    cpus_per_actor: float = 1.0


def ray_options(
    address: str = "auto",
    actors: int = 0,
    gpus_per_actor: Optional[float] = None,
    cpus_per_actor: float = 1.0,
) -> RayOptions:
    """:class:`RayOptions` with every value checked (coded errors naming the option)."""
    if not isinstance(address, str) or not address.strip():
        raise XLTError(Errors.E522.format(name="--ray", value=address, options="auto, local or a Ray cluster address"))
    if isinstance(actors, bool) or not isinstance(actors, int) or actors < 0:
        raise XLTError(Errors.E522.format(name="--ray-actors", value=actors, options="an int >= 0 (0: as many as the cluster holds)"))
    if gpus_per_actor is not None and (
        isinstance(gpus_per_actor, bool)
        or not isinstance(gpus_per_actor, (int, float))
        or not math.isfinite(gpus_per_actor)
        or gpus_per_actor < 0
    ):
        raise XLTError(Errors.E522.format(name="--ray-gpus-per-actor", value=gpus_per_actor, options="a number >= 0 (a fraction shares a GPU)"))
    if (
        isinstance(cpus_per_actor, bool)
        or not isinstance(cpus_per_actor, (int, float))
        or not math.isfinite(cpus_per_actor)
        or cpus_per_actor <= 0
    ):
        raise XLTError(Errors.E522.format(name="--ray-cpus-per-actor", value=cpus_per_actor, options="a number > 0"))
    return RayOptions(address.strip(), actors, None if gpus_per_actor is None else float(gpus_per_actor), float(cpus_per_actor))


def import_ray(command: str = "this run"):
    """The ``ray`` module, or a coded error saying to install the extra."""
    try:
        import ray
        import ray.data  # noqa: F401  (ray without its data extra has no ray.data deps)
    except ImportError as err:
        raise XLTError(Errors.E520.format(what=command, requirement=REQUIREMENT, why=err)) from None
    return ray


def wants_gpu(device: Any) -> bool:
    """Whether a device setting names a GPU: ``"cuda"``, ``"cuda:1"``, ``"gpu"``, an index >= 0."""
    if isinstance(device, bool) or device is None:
        return False
    if isinstance(device, int):
        return device >= 0
    text = str(device).strip().lower()
    if text.lstrip("-").isdigit():
        return int(text) >= 0
    return text.startswith(("cuda", "gpu"))


def config_wants_gpu(value: Any) -> bool:
    """Whether any ``device`` setting inside a (nested) config names a GPU."""
    if isinstance(value, dict):
        return any(
            (key == "device" and wants_gpu(item)) or config_wants_gpu(item) for key, item in value.items()
        )
    return False


def gpus_for(options: RayOptions, device_wants_gpu: bool) -> float:
    """The GPUs each actor asks Ray for: the option, else 1 where the device names a GPU."""
    if options.gpus_per_actor is not None:
        return options.gpus_per_actor
    return 1.0 if device_wants_gpu else 0.0


# ---------------------------------------------------------------------------------------
# the cluster


@contextlib.contextmanager
def connected(options: RayOptions, command: str = "this run") -> Iterator[Any]:
    """Ray connected for the block (the ``ray`` module); disconnected after where this
    block connected it (a Ray initialized before is left as it was)."""
    ray = import_ray(command)
    if ray.is_initialized():
        yield ray
        return
    try:
        if options.address == LOCAL:
            ray.init(include_dashboard=False)
        else:  # a cluster's own settings (CPUs, dashboard) cannot be given when joining it
            ray.init(address=options.address)
    except Exception as err:  # ConnectionError, a bad address, a version mismatch
        raise XLTError(Errors.E521.format(address=options.address, why=f"{type(err).__name__}: {err}")) from None
    try:
        yield ray
    finally:
        ray.shutdown()


def pool_size(ray, options: RayOptions, gpus: float, n_chunks: int) -> int:
    """How many actors to start: ``options.actors`` (or as many as the cluster's CPUs or
    GPUs hold), at most as many as the cluster holds and one per chunk; an error where the
    cluster cannot hold one."""
    resources = ray.cluster_resources()
    if gpus > 0:
        have, what, option, need = float(resources.get("GPU", 0)), "GPUs", "--ray-gpus-per-actor", gpus
    else:
        have, what, option, need = float(resources.get("CPU", 0)), "CPUs", "--ray-cpus-per-actor", options.cpus_per_actor
    fits = int(math.floor(have / need + 1e-9))
    if gpus > 0:
        fits = min(fits, int(math.floor(float(resources.get("CPU", 0)) / options.cpus_per_actor + 1e-9)))
    if fits < 1:
        raise XLTError(Errors.E523.format(have=f"{have:g}", what=what, need=f"{need:g}", option=option))
    wanted = options.actors or fits
    return max(1, min(wanted, fits, n_chunks))


# ---------------------------------------------------------------------------------------
# Docs in and out of DocBin bytes


def words_to_bytes(docs: Sequence[Any]) -> bytes:
    """A chunk of plain Docs as DocBin bytes holding their words and spacing only: what
    ``Doc(vocab, words=..., spaces=...)`` makes of them, in any vocab."""
    from spacy.tokens import DocBin

    return DocBin(attrs=["ORTH"], docs=docs).to_bytes()


def docs_from_bytes(data: bytes, vocab: Any = None) -> List[Any]:
    """The Docs of DocBin bytes (``spacy_xlt.pairs.docs_to_bytes`` or
    :func:`words_to_bytes`), each with its user data."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from .pairs import _get_docs, _take_user_data

    db = DocBin(store_user_data=True).from_bytes(data)
    return list(_get_docs(db, _take_user_data(db), vocab if vocab is not None else Vocab(), "a Ray chunk"))


# ---------------------------------------------------------------------------------------
# the actors


def _localize(device: Any, gpus: float) -> Any:
    """A device inside an actor: with GPUs from Ray, its own GPU (cuda:0); else as set."""
    return "cuda:0" if gpus > 0 else device


def _limit_threads(cpus: float) -> None:
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(max(1, int(cpus)))


def _translate_task(settings: Dict[str, Any], gpus: float) -> Callable[[int, bytes], Dict[str, Any]]:
    from .translation import build_translator, translate_chunk

    translator = settings.get("translator")
    if translator is None:
        translator = build_translator(
            settings["model"],
            backend=settings.get("backend", "hf"),
            device=_localize(settings["device"], gpus),
            dtype=settings["dtype"],
            compute_type=settings.get("compute_type", "default"),
            batch_size=settings["batch_size"],
            max_length=settings["max_length"],
            num_beams=settings["num_beams"],
            max_new_tokens=settings["max_new_tokens"],
        )
        translator.load()
    src, tgt = settings["src"], settings["tgt"]
    check_code = getattr(translator, "code", None)
    if callable(check_code):  # a language the model lacks: the first chunk says so
        check_code(src)
        check_code(tgt)

    def run(start: int, data: bytes) -> Dict[str, Any]:
        texts = [doc.text for doc in docs_from_bytes(data)]
        return {"record": translate_chunk(translator, texts, src, tgt)}

    return run


def _project_task(settings: Dict[str, Any], gpus: float) -> Callable[[int, bytes], Dict[str, Any]]:
    from .pairs import docs_to_bytes
    from .projection.given import PharaohAlignments
    from .projectors import build_from_recipe, project_batch

    device = "cuda:0" if gpus > 0 else None
    nlp, pipe = build_from_recipe(settings["recipe"], device=device)
    spans_key = getattr(pipe, "spans_key", None)
    aligner = getattr(pipe, "aligner", None)

    def run(start: int, data: bytes) -> Dict[str, Any]:
        docs = docs_from_bytes(data, pipe.vocab)
        if isinstance(aligner, PharaohAlignments):
            aligner.position = start  # line i aligns pair i
        if settings.get("whole"):
            before = dict(pipe.stats)
            projected = list(pipe.pipe(docs, batch_size=max(1, len(docs))))
            finish = getattr(aligner, "finish", None)
            if callable(finish):
                finish()
            stats = {k: v - before.get(k, 0) for k, v in pipe.stats.items() if v - before.get(k, 0)}
            return {"docbin": docs_to_bytes(projected), "stats": stats}
        record, extra = project_batch(pipe, docs, spans_key)
        return {"record": record, "stats": extra}

    return run


def _predict_task(settings: Dict[str, Any], gpus: float) -> Callable[[int, bytes], Dict[str, Any]]:
    from .prediction import _docbin_text, load_pipeline, long_input_counts

    gpu_id = settings.get("gpu_id", -1)
    if gpus > 0 or gpu_id >= 0:
        import spacy

        spacy.require_gpu(0 if gpus > 0 else gpu_id)
    nlp = load_pipeline(settings["model"], settings.get("overrides") or {})

    def run(start: int, data: bytes) -> Dict[str, Any]:
        docs = docs_from_bytes(data, nlp.vocab)
        before = long_input_counts(nlp)
        chunk = list(nlp.pipe(docs))
        after = long_input_counts(nlp)
        extra = [[name, key, n - before.get((name, key), 0)] for (name, key), n in after.items() if n - before.get((name, key), 0)]
        return {"record": {"docbin": _docbin_text(chunk)}, "long_inputs": extra}

    return run


TASKS: Dict[str, Callable[[Dict[str, Any], float], Callable[[int, bytes], Dict[str, Any]]]] = {
    "translate": _translate_task,
    "project": _project_task,
    "predict": _predict_task,
}


def _pack_error(err: BaseException) -> bytes:
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    try:
        blob = pickle.dumps(err)
        pickle.loads(blob)
    except Exception:
        blob = b""
    return pickle.dumps({"error": blob, "type": type(err).__name__, "message": str(err), "traceback": text})


class ChunkWorker:
    """One actor of the pool: builds its task's backend once (``TASKS``), then turns each
    chunk (a row: ``index``, ``start``, ``docbin``) into its result, pickled; an error (also
    one of building the backend) is the result of every chunk it meets."""

    def __init__(self, task: str, settings: Dict[str, Any], gpus: float, cpus: float) -> None:
        self.error: Optional[bytes] = None
        self.run: Optional[Callable[[int, bytes], Dict[str, Any]]] = None
        try:
            _limit_threads(cpus)
            self.run = TASKS[task](settings, gpus)
            _limit_threads(cpus)
        except Exception as err:  # returned with the first chunk, raised on the driver
            self.error = _pack_error(err)

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import numpy

        out = []
        for start, data in zip(batch["start"], batch["docbin"]):
            if self.error is not None:
                out.append(self.error)
                continue
            try:
                out.append(pickle.dumps({"ok": self.run(int(start), bytes(data))}))
            except Exception as err:
                out.append(_pack_error(err))
        result = numpy.empty(len(out), dtype=object)
        result[:] = out
        return {"index": batch["index"], "result": result}


def _raise(result: Dict[str, Any]) -> None:
    err: Optional[BaseException] = None
    if result.get("error"):
        with contextlib.suppress(Exception):
            err = pickle.loads(result["error"])
    if isinstance(err, XLTError):
        raise err
    if err is None:
        raise XLTError(Errors.E524.format(type=result["type"], why=result["message"], traceback=result["traceback"]))
    if hasattr(err, "add_note"):
        err.add_note(f"Raised on a Ray actor:\n{result['traceback']}")
    raise err


#: Chunks queued on an actor beside the one it runs: it never waits for work, and a crash
#: loses few finished chunks.
TASKS_IN_FLIGHT_PER_ACTOR = 2


def _actor_pool(ray, n_actors: int):
    """A fixed pool of ``n_actors`` actors (``ActorPoolStrategy``; ``concurrency=`` is
    deprecated since Ray 2.51)."""
    try:
        return ray.data.ActorPoolStrategy(size=n_actors, max_tasks_in_flight_per_actor=TASKS_IN_FLIGHT_PER_ACTOR)
    except TypeError:  # a Ray without that setting
        return ray.data.ActorPoolStrategy(size=n_actors)


def map_chunks(
    ray,
    options: RayOptions,
    task: str,
    settings: Dict[str, Any],
    chunks: Sequence[Tuple[int, bytes]],
    *,
    gpus: float = 0.0,
    actors: Optional[int] = None,
) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """``(start, result)`` of each chunk ``(start, DocBin bytes)``, in input order, as the
    actors of ``task`` (``TASKS``) finish them. A chunk's error is raised when its turn
    comes, after every chunk before it was yielded."""
    if not chunks:
        return
    from ray.data import DataContext

    n_actors = actors or pool_size(ray, options, gpus, len(chunks))
    context = DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    context.execution_options.preserve_order = True  # results in input order
    context.enable_progress_bars = False  # the command shows its own bar
    try:
        rows = [{"index": k, "start": start, "docbin": data} for k, (start, data) in enumerate(chunks)]
        ds = ray.data.from_items(rows, override_num_blocks=len(rows))
        ds = ds.map_batches(
            ChunkWorker,
            fn_constructor_args=(task, settings, gpus, options.cpus_per_actor),
            batch_size=1,
            batch_format="numpy",
            compute=_actor_pool(ray, n_actors),
            num_cpus=options.cpus_per_actor,
            num_gpus=gpus,
            zero_copy_batch=True,
        )
        pending: Dict[int, bytes] = {}
        following = 0
        for row in ds.iter_rows():
            pending[int(row["index"])] = row["result"]
            while following in pending:
                result = pickle.loads(pending.pop(following))
                if "ok" not in result:
                    _raise(result)
                yield chunks[following][0], result["ok"]
                following += 1
        if following != len(chunks):
            raise XLTError(Errors.E525.format(got=following, n=len(chunks)))
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved


# ---------------------------------------------------------------------------------------
# the three commands' chunks


def _started(ray, options: RayOptions, gpus: float, n_chunks: int, info: Optional[Dict[str, Any]]) -> int:
    actors = pool_size(ray, options, gpus, n_chunks)
    if info is not None:
        info.update(actors=actors, gpus_per_actor=gpus)
    return actors


def translate_chunks(
    options: RayOptions,
    docs: Sequence[Any],
    start: int,
    chunk_size: int,
    settings: Dict[str, Any],
    *,
    translator: Any = None,
    info: Optional[Dict[str, Any]] = None,
) -> Iterator[Tuple[int, int, Dict[str, Any]]]:
    """``(start, n, record)`` of each chunk of ``docs`` (item ``start`` on, ``chunk_size``
    at a time) translated on Ray, in order: the records ``spacy xlt translate`` keeps.
    ``settings``: ``model``, ``src``, ``tgt``, ``device``, ``dtype``, ``batch_size``,
    ``max_length``, ``num_beams``, ``max_new_tokens``; ``translator``: an object that
    replaces the model (shipped to every actor, so it must pickle); ``info`` gets
    ``actors`` and ``gpus_per_actor``."""
    settings = {**settings, "translator": translator}
    chunks = [
        (first, words_to_bytes(docs[first : first + chunk_size]))
        for first in range(start, len(docs), chunk_size)
    ]
    if not chunks:
        return
    gpus = gpus_for(options, translator is None and wants_gpu(settings.get("device")))
    with connected(options, "spacy xlt translate --ray") as ray:
        actors = _started(ray, options, gpus, len(chunks), info)
        results = map_chunks(ray, options, "translate", settings, chunks, gpus=gpus, actors=actors)
        with contextlib.closing(results):
            for first, result in results:
                yield first, min(chunk_size, len(docs) - first), result["record"]


def project_chunks(
    options: RayOptions,
    docs: Sequence[Any],
    start: int,
    batch_size: int,
    recipe: Dict[str, Any],
    *,
    info: Optional[Dict[str, Any]] = None,
) -> Iterator[Tuple[int, int, Dict[str, Any], Dict[str, int]]]:
    """``(start, n, record, counts)`` of each batch of pairs (item ``start`` on,
    ``batch_size`` at a time) projected on Ray, in order: the records ``spacy xlt project``
    keeps, and the projector's other counts for the batch (long inputs). ``recipe``: the
    projector as the actors build it (:func:`spacy_xlt.projectors.projector_recipe`);
    ``info`` gets ``actors`` and ``gpus_per_actor``."""
    from .pairs import docs_to_bytes

    chunks = [
        (first, docs_to_bytes(docs[first : first + batch_size]))
        for first in range(start, len(docs), batch_size)
    ]
    if not chunks:
        return
    gpus = gpus_for(options, recipe_wants_gpu(recipe))
    with connected(options, "spacy xlt project --ray") as ray:
        actors = _started(ray, options, gpus, len(chunks), info)
        results = map_chunks(ray, options, "project", {"recipe": recipe}, chunks, gpus=gpus, actors=actors)
        with contextlib.closing(results):
            for first, result in results:
                yield first, min(batch_size, len(docs) - first), result["record"], result["stats"]


def project_all(
    options: RayOptions,
    docs: Sequence[Any],
    recipe: Dict[str, Any],
    vocab: Any,
    *,
    info: Optional[Dict[str, Any]] = None,
) -> Tuple[List[Any], Dict[str, int]]:
    """Every pair projected in one task on one actor (a projector that needs every pair at
    once): (the projected Docs, read back into ``vocab``; the projector's counts)."""
    from .pairs import docs_to_bytes

    gpus = gpus_for(options, recipe_wants_gpu(recipe))
    with connected(options, "spacy xlt project --ray") as ray:
        _started(ray, options, gpus, 1, info)
        settings = {"recipe": recipe, "whole": True}
        chunks = [(0, docs_to_bytes(list(docs)))]
        with contextlib.closing(map_chunks(ray, options, "project", settings, chunks, gpus=gpus, actors=1)) as results:
            for _, result in results:
                return docs_from_bytes(result["docbin"], vocab), result["stats"]
    raise XLTError(Errors.E525.format(got=0, n=1))


def recipe_wants_gpu(recipe: Dict[str, Any]) -> bool:
    """Whether the projector of a recipe runs a model on a GPU (its ``device``, else the
    device settings of its config or saved pipeline)."""
    if recipe.get("device") is not None:
        return wants_gpu(recipe["device"])
    if "pipeline" in recipe:
        from spacy.util import load_config

        from .projectors import pipeline_path

        with contextlib.suppress(Exception):
            saved = load_config(pipeline_path(recipe["pipeline"]) / "config.cfg", interpolate=False)
            return config_wants_gpu(dict(saved.get("components", {}))) or config_wants_gpu(recipe.get("overrides") or {})
        return False
    return config_wants_gpu(recipe.get("config") or {})


def pipeline_batch_size(model: str, overrides: Optional[Dict[str, Any]] = None) -> int:
    """The ``[nlp] batch_size`` of a saved pipeline (with ``overrides``), read from its
    config without loading it: the chunk size ``predict`` uses by default."""
    from spacy.util import load_config

    from .projectors import pipeline_path

    overrides = overrides or {}
    if "nlp.batch_size" in overrides:
        value = overrides["nlp.batch_size"]
    else:
        try:
            value = load_config(pipeline_path(model) / "config.cfg", interpolate=False)["nlp"].get("batch_size", 1000)
        except XLTError:
            raise XLTError(Errors.E083.format(model=model, why="no config.cfg there")) from None
    try:
        return max(1, int(value or 1000))
    except (TypeError, ValueError):
        return 1000


def predict_file(
    options: RayOptions,
    model: str,
    overrides: Optional[Dict[str, Any]],
    input_path: Union[str, Path],
    output_path: Union[str, Path],
    spans_key: Optional[str] = None,
    *,
    job: Optional[Dict[str, Any]] = None,
    restart: bool = False,
    chunk_size: int = 0,
    gpu_id: int = -1,
    lock: bool = True,
    side: str = "target",
) -> Dict[str, Any]:
    """:func:`spacy_xlt.prediction.predict_file` on Ray: the pipeline ``model`` (with the
    ``spacy.load`` config ``overrides``) is loaded once in each actor, never here, and each
    chunk's Docs go through it there; the same resume file, records and output (byte for
    byte) as the single-process run, whose rerun continues it (and the other way round).

    ``chunk_size`` 0: the pipeline's ``[nlp] batch_size``; ``gpu_id`` >= 0: a GPU per actor
    unless ``options.gpus_per_actor`` says otherwise; ``side``: as ``predict_file``'s (the
    source sides of pairs are annotated on the actors, their spans set on the pairs here).
    Returns what ``predict_file`` returns, plus ``long_inputs`` (``{(component, count): n}``
    of this run) and ``actors``.
    """
    from spacy.vocab import Vocab

    from .corpora import read_corpus
    from .pairs import write_docs
    from .prediction import (
        _chunk_docs,
        _decode_docs,
        _docbin_text,
        bare_docs,
        check_chunk_size,
        check_side,
        file_job,
        file_result,
        with_predicted_sources,
    )
    from .resume import resuming

    check_side(side)
    check_chunk_size(chunk_size)
    overrides = dict(overrides or {})
    size = chunk_size or pipeline_batch_size(model, overrides)
    vocab = Vocab()  # Docs go to the actors as words and come back as DocBins: any vocab reads them
    gold = read_corpus(input_path, fmt="spacy", lang=vocab)
    bare = bare_docs(gold, vocab, input_path, side)
    full_job = file_job(input_path, len(bare), job, side)
    docs: List[Any] = []
    long_inputs: Dict[Tuple[str, str], int] = {}
    actors = 0
    with resuming(output_path, "predict", full_job, restart=restart, inputs=[input_path], lock=lock) as state:
        state.check_total(len(bare))
        for record in state.records:
            docs.extend(_chunk_docs(state, record, vocab))
        resumed = len(docs)
        chunks = [(first, words_to_bytes(bare[first : first + size])) for first in range(resumed, len(bare), size)]
        if chunks:
            settings = {"model": model, "overrides": overrides, "gpu_id": gpu_id}
            gpus = gpus_for(options, wants_gpu(gpu_id))
            with connected(options, "spacy xlt predict --ray") as ray:
                actors = _started(ray, options, gpus, len(chunks), None)
                results = map_chunks(ray, options, "predict", settings, chunks, gpus=gpus, actors=actors)
                with contextlib.closing(results):
                    for first, result in results:
                        data = result["record"]
                        if side == "source":
                            chunk = _decode_docs(data["docbin"], vocab)
                            pairs = with_predicted_sources(gold[first : first + size], chunk, spans_key, first)
                            data = {"docbin": _docbin_text(pairs)}
                        record = state.append(min(size, len(bare) - first), data)
                        # the output is built from the records as they read back, in every run
                        docs.extend(_decode_docs(record["docbin"], vocab))
                        for name, key, n in result["long_inputs"]:
                            long_inputs[(name, key)] = long_inputs.get((name, key), 0) + n
        write_docs(docs, output_path, inputs=[input_path])
        state.finish()
    result = file_result(input_path, output_path, docs, spans_key, side, resumed, state.discarded)
    return {**result, "long_inputs": long_inputs, "actors": actors}
