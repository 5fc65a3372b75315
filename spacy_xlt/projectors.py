"""Projectors built from config, and run over a pairs file: the library behind
``spacy xlt project`` and ``spacy xlt align``.

A projector is one component of a pipeline config, the *projector block*:

.. code-block:: ini

    [projector]
    factory = "xlt_alignment_projector"
    max_gap = 2

    [projector.aligner]
    @misc = "spacy_xlt.StatisticalAligner.v1"
    symmetrization = "union"

:func:`method_config` gives the block of each named method (``statistical``, ``simalign``,
``awesome``, ``alignments``, ``tprojection``, ``easyproject``, ``codec``) with its defaults; :func:`read_projector_config`
reads a config file holding a ``[projector]`` block (or a pipeline config with one projector
component, whose other sections may be used for interpolation); :func:`apply_overrides`
applies ``KEY=VALUE`` overrides to it, and :func:`build_projector` makes the pipeline. A saved
pipeline (folder or installed package) with a projector is loaded by
:func:`load_projector_pipeline`, with the same overrides applied to its component's config.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from .errors import Errors, XLTError

#: Factories that project the source spans of pairs.
PROJECTOR_FACTORIES = ("xlt_alignment_projector", "xlt_tprojection", "xlt_marker_projector")
#: The section of a projector config that holds the block.
SECTION = "projector"
DEFAULT_ENCODER = "bert-base-multilingual-cased"


def method_config(method: str) -> Dict[str, Any]:
    """The projector config (``{"projector": block}``) of a named method, with its defaults.

    ``alignments`` needs ``projector.aligner.path`` (a Pharaoh file) set by an override;
    ``tprojection`` needs ``projector.generator.name`` (a fine-tuned generator);
    ``easyproject`` and ``codec`` are ``xlt_marker_projector`` blocks (the translator an
    EasyProject NLLB checkpoint by default: ``projector.translator.name``).
    """
    encoder = {"@misc": "spacy_xlt.HFEncoder.v1", "name": DEFAULT_ENCODER, "layer": 8}
    aligners: Dict[str, Dict[str, Any]] = {
        "statistical": {"@misc": "spacy_xlt.StatisticalAligner.v1"},
        "simalign": {"@misc": "spacy_xlt.SimAlignAligner.v1", "method": "itermax", "encoder": encoder},
        "awesome": {"@misc": "spacy_xlt.AwesomeAligner.v1", "threshold": 1e-3, "encoder": encoder},
        "alignments": {"@misc": "spacy_xlt.PharaohAlignments.v1", "path": None},
    }
    if method in aligners:
        block = {"factory": "xlt_alignment_projector", "aligner": copy.deepcopy(aligners[method])}
    elif method == "tprojection":
        block = {"factory": "xlt_tprojection", "generator": {"name": None}}
    elif method in MARKER_METHODS:
        block = {"factory": "xlt_marker_projector", "method": method}
    else:
        options = ", ".join([*aligners, "tprojection", *MARKER_METHODS])
        raise XLTError(Errors.E221.format(method=method, options=options))
    return {SECTION: block}


#: The methods of ``xlt_marker_projector``.
MARKER_METHODS = ("easyproject", "codec")
METHODS = ("statistical", "simalign", "awesome", "alignments", "tprojection", *MARKER_METHODS)


def read_projector_config(path: Union[str, Path]) -> Dict[str, Any]:
    """A config file with a ``[projector]`` block, or a pipeline config holding exactly one
    projector component (which becomes the block); returned uninterpolated."""
    from spacy.util import load_config

    path = Path(path)
    if not path.is_file():
        raise XLTError(Errors.E021.format(path=path))
    try:
        config = load_config(path, interpolate=False)
    except Exception as err:  # confection's errors for bad syntax
        raise XLTError(Errors.E330.format(path=path, why=err)) from err
    config = dict(config)
    if SECTION in config:
        block = config[SECTION]
    else:
        found = [
            name
            for name, comp in (config.get("components") or {}).items()
            if isinstance(comp, dict) and comp.get("factory") in PROJECTOR_FACTORIES
        ]
        if len(found) != 1:
            why = "no [projector] block and no projector component" if not found else f"several projector components ({', '.join(found)})"
            raise XLTError(Errors.E330.format(path=path, why=why))
        block = config["components"][found[0]]
        config[SECTION] = block
    if not isinstance(block, dict) or block.get("factory") not in PROJECTOR_FACTORIES:
        raise XLTError(
            Errors.E330.format(
                path=path,
                why=f"[projector] needs factory = one of {', '.join(PROJECTOR_FACTORIES)}",
            )
        )
    return config


def apply_overrides(config: Dict[str, Any], overrides: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of ``config`` with ``overrides`` (dotted keys) set. A key whose first part is
    not a section of the config is read inside ``[projector]`` (``max_gap`` = ``projector.max_gap``)."""
    out = copy.deepcopy(config)
    for key, value in overrides.items():
        parts = key.split(".")
        if parts[0] not in out:
            parts = [SECTION, *parts]
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise XLTError(Errors.E331.format(key=key, part=part))
            node = child
        node[parts[-1]] = value
    return out


def _interpolated_block(config: Dict[str, Any]) -> Dict[str, Any]:
    from thinc.api import Config

    try:
        return dict(Config(config).interpolate()[SECTION])
    except Exception as err:
        raise XLTError(Errors.E330.format(path="the projector config", why=err)) from err


#: Registered functions that build a model backend: ``--device`` sets their ``device``.
BACKEND_FUNCTIONS = (
    "spacy_xlt.Seq2SeqGenerator.v1",
    "spacy_xlt.Translator.v1",
    "spacy_xlt.HFEncoder.v1",
    "spacy_xlt.Text2TextModel.v1",
    "spacy_xlt.CT2Translator.v1",
    "spacy_xlt.CT2Generator.v1",
)


def device_overrides(block: Dict[str, Any], device: str, prefix: str = "") -> Dict[str, Any]:
    """``{dotted key: device}`` for every model backend in a (filled) projector block."""
    out: Dict[str, Any] = {}
    for key, value in block.items():
        if isinstance(value, dict):
            if value.get("@misc") in BACKEND_FUNCTIONS:
                out[f"{prefix}{key}.device"] = device
            out.update(device_overrides(value, device, f"{prefix}{key}."))
    return out


def _with_defaults(block: Dict[str, Any]) -> Dict[str, Any]:
    """The block merged onto its factory's default config (what add_pipe would build)."""
    from spacy.language import Language
    from thinc.api import Config

    from .pipes import alignment_projector, marker_projector, tprojection  # noqa: F401  (register the factories)

    defaults = Language.get_factory_meta(block["factory"]).default_config
    return dict(Config(copy.deepcopy(dict(defaults))).merge(block))


def build_projector(
    config: Dict[str, Any],
    *,
    lang: str = "xx",
    spans_key: Optional[str] = None,
    device: Optional[str] = None,
    initialize: bool = True,
):
    """A blank ``lang`` pipeline holding the projector of ``config``; (nlp, component).

    ``spans_key`` (where given) is the component's: read source spans into, and write
    projected spans to, ``doc.spans[KEY]``; ``device`` is that of every model backend in the
    block. The component is initialized (T-Projection loads its models there; nothing else
    learns before projecting), unless ``initialize`` is False (a Ray run's driver, which
    only reads the component's config and counts: its actors build and initialize their own).
    """
    from . import util
    from .pipes import alignment_projector, marker_projector, tprojection  # noqa: F401  (register the factories)

    block = _interpolated_block(config)
    if device is not None:
        block = _with_defaults(block)
        block = _interpolated_block(apply_overrides({SECTION: block}, device_overrides(block, device)))
    factory = block.pop("factory")
    if spans_key is not None:
        block["spans_key"] = spans_key
    _check_required(factory, block)
    nlp = util.blank(lang)
    pipe = _add_pipe(nlp, factory, block)
    if initialize:
        nlp.initialize(lambda: [])
    return nlp, pipe


def projector_recipe(
    nlp,
    pipe,
    *,
    pipeline: Optional[str] = None,
    overrides: Optional[Dict[str, Any]] = None,
    device: Optional[str] = None,
) -> Dict[str, Any]:
    """What builds this projector again in another process (a Ray actor), as plain data:
    the saved ``pipeline`` it was loaded from with its ``overrides`` (as
    :func:`load_projector_pipeline` took them), or else the component's config as built and
    the pipeline's language; ``device``: that of every model backend (None: as configured)."""
    from .resume import json_value

    if pipeline is not None:
        return {"pipeline": str(pipeline), "overrides": json_value(dict(overrides or {})), "device": device}
    block = json_value(dict(nlp.config["components"][pipe.name]))
    return {"config": {SECTION: block}, "lang": nlp.lang, "device": device}


def build_from_recipe(recipe: Dict[str, Any], *, device: Optional[str] = None):
    """The (initialized) pipeline and projector of a :func:`projector_recipe`; ``device``
    replaces the recipe's."""
    device = device if device is not None else recipe.get("device")
    if "pipeline" in recipe:
        return load_projector_pipeline(recipe["pipeline"], recipe.get("overrides") or {}, device=device)
    return build_projector(recipe["config"], lang=recipe["lang"], device=device)


def _check_required(factory: str, block: Dict[str, Any]) -> None:
    if factory == "xlt_tprojection" and not (block.get("generator") or {}).get("name"):
        raise XLTError(Errors.E296)
    aligner = block.get("aligner") or {}
    if aligner.get("@misc") == "spacy_xlt.PharaohAlignments.v1" and not aligner.get("path"):
        raise XLTError(Errors.E222)


def _add_pipe(nlp, factory: str, block: Dict[str, Any]):
    from thinc.api import ConfigValidationError

    try:
        return nlp.add_pipe(factory, config=block)
    except ConfigValidationError as err:
        raise XLTError(Errors.E332.format(factory=factory, why=_validation_why(err))) from err


def _validation_why(err: Any) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg', '')}" for e in (err.errors or [])
    ) or str(err.title or err)


def pipeline_path(name: str) -> Path:
    """The data folder of a saved pipeline: a folder, or an installed pipeline package."""
    import spacy.util

    path = Path(name)
    if (path / "config.cfg").exists():
        return path
    if spacy.util.is_package(name):
        package = spacy.util.get_package_path(name)
        meta = spacy.util.get_model_meta(package)
        data = package / f"{meta['lang']}_{meta['name']}-{meta['version']}"
        if (data / "config.cfg").exists():
            return data
    raise XLTError(Errors.E333.format(name=name))


def is_pipeline(name: str) -> bool:
    try:
        pipeline_path(name)
    except XLTError:
        return False
    return True


def load_projector_pipeline(
    name: str, overrides: Optional[Dict[str, Any]] = None, *, device: Optional[str] = None
):
    """A saved pipeline (folder or installed package) and its projector component, with
    ``overrides`` (keys inside the component's config, as :func:`apply_overrides` reads
    them) and ``device`` (of every model backend) applied at load; (nlp, component). Read
    from the pipeline itself: offline, also where it was saved with a GPU device.

    Overrides of a stored backend's weights (``generator.name``, ``translator.name``) load
    that model instead of the stored one, as ``initialize`` would.
    """
    import spacy
    from spacy.util import load_config

    from .pipes import alignment_projector, marker_projector, tprojection  # noqa: F401  (register the factories)

    path = pipeline_path(name)
    saved = load_config(path / "config.cfg", interpolate=False)
    found = [
        n for n, comp in saved["components"].items() if comp.get("factory") in PROJECTOR_FACTORIES
    ]
    if len(found) != 1:
        raise XLTError(Errors.E333.format(name=name))
    component = found[0]
    overrides = dict(overrides or {})
    if device is not None:
        overrides = {**device_overrides(dict(saved["components"][component]), device), **overrides}
    flat: Dict[str, Any] = {}
    replaced: List[str] = []
    for key, value in overrides.items():
        inner = key[len(SECTION) + 1 :] if key.startswith(SECTION + ".") else key
        flat[f"components.{component}.{inner}"] = value
        parts = inner.split(".")
        if len(parts) == 2 and parts[1] in ("name", "revision"):
            replaced.append(parts[0])
    from thinc.api import ConfigValidationError

    try:
        nlp = spacy.load(path, config=flat)
    except ConfigValidationError as err:
        raise XLTError(Errors.E084.format(overrides=flat, model=name, why=_validation_why(err))) from err
    pipe = nlp.get_pipe(component)
    for folder in dict.fromkeys(replaced):
        if folder in getattr(pipe, "backends", {}):
            # the stored weights were loaded; the user asked for another model: build it
            # from the overridden config and load it (the caller acts as initialize)
            from spacy.util import registry

            block = nlp.config["components"][component][folder]
            pipe.replace_backend(folder, registry.resolve({"b": block})["b"])
    return nlp, pipe


def needs_all_pairs(pipe) -> bool:
    """Whether the projector must see every pair in one batch: an aligner that learns from
    the pairs it aligns (the statistical aligner, unless frozen by ``fit`` or loaded from
    disk). Such a run cannot be split into chunks, so it cannot resume either."""
    from .pipes.alignment_projector import AlignmentProjector

    return isinstance(pipe, AlignmentProjector) and getattr(pipe.aligner, "is_frozen", None) is False


def projection_batches(pipe, docs: List[Any], start: int = 0) -> Iterator[Tuple[int, List[Any]]]:
    """``(start, projected docs)`` of each batch of ``docs[start:]``: every pair in one batch
    where the projector needs them all (:func:`needs_all_pairs`), else ``pipe.batch_size``
    pairs at a time (T-Projection, given alignments, embedding aligners and frozen
    statistical aligners), the batches a run that resumes after batch ``k`` also uses."""
    if needs_all_pairs(pipe):
        if start != 0:
            raise ValueError("a projector that needs every pair at once cannot start at a batch")
        size = max(1, len(docs))
    else:
        size = max(1, int(getattr(pipe, "batch_size", 0) or 1))
    for first in range(start, len(docs), size):
        batch = docs[first : first + size]
        yield first, list(pipe.pipe(batch, batch_size=len(batch)))


def _finish(pipe) -> None:
    finish = getattr(getattr(pipe, "aligner", None), "finish", None)
    if callable(finish):
        finish()


def project_docs(pipe, docs: List[Any], *, progress: bool = True) -> Tuple[List[Any], float]:
    """Project pairs with a projector component; (projected docs, seconds).

    Alignment projectors whose aligner learns from the pairs (the statistical aligner) get
    every pair in one batch; others go in their own batches (``batch_size``), with a
    progress bar.
    """
    from tqdm import tqdm

    start = time.perf_counter()
    out: List[Any] = []
    with tqdm(total=len(docs), desc=pipe.name, unit="pair", disable=not progress or needs_all_pairs(pipe)) as bar:
        for _, batch in projection_batches(pipe, docs):
            out.extend(batch)
            bar.update(len(batch))
    _finish(pipe)
    return out, time.perf_counter() - start


def project_batch(pipe, batch: List[Any], spans_key: Optional[str] = None) -> Tuple[Dict[str, Any], Dict[str, int]]:
    """Project one batch of pairs (in place): (its resume record, ``pairs`` (each pair's spans
    and projection record) and ``stats`` (what ``PROJECTION_STATS`` grew by); what the
    projector's other counts grew by (long inputs))."""
    from .pairs import PROJECTION_KEY
    from .pipes.util import PROJECTION_STATS

    before = dict(pipe.stats)
    batch = list(pipe.pipe(batch, batch_size=max(1, len(batch))))
    items = [
        {"spans": _spans_record(doc, spans_key), "projection": doc.user_data.get(PROJECTION_KEY)}
        for doc in batch
    ]
    grown = {key: value - before.get(key, 0) for key, value in pipe.stats.items()}
    stats = {key: grown.get(key, 0) for key in PROJECTION_STATS}
    other = {key: n for key, n in grown.items() if key not in PROJECTION_STATS and n}
    return {"pairs": items, "stats": stats}, other


def _spans_record(doc, spans_key: Optional[str]) -> List[List[Any]]:
    spans = doc.ents if spans_key is None else doc.spans.get(spans_key, [])
    return [[s.start, s.end, s.label_] for s in spans]


def _restore(doc, item: Any, spans_key: Optional[str]) -> None:
    """Set a pair's projection from its resume record: its spans and its projection record."""
    from .labels import TokenSpan
    from .pairs import PROJECTION_KEY, set_doc_spans

    spans = [TokenSpan(int(s), int(e), str(label)) for s, e, label in item["spans"]]
    set_doc_spans(doc, spans, spans_key)
    if item.get("projection") is not None:
        doc.user_data[PROJECTION_KEY] = item["projection"]


def _restore_batch(state, record, docs: List[Any], spans_key: Optional[str]) -> Dict[str, int]:
    """Apply a resume record to its pairs; the projector counts it holds."""
    items, stats = record.data.get("pairs"), record.data.get("stats", {})
    if not isinstance(items, list) or len(items) != record.n or not isinstance(stats, dict):
        raise state.bad_record(record, f"expected {record.n} projected pairs and their counts")
    for doc, item in zip(docs[record.start : record.start + record.n], items):
        try:
            _restore(doc, item, spans_key)
        except (KeyError, TypeError, ValueError, IndexError) as err:
            raise state.bad_record(record, f"a pair's spans do not fit it ({type(err).__name__}: {err})") from None
    return stats


def projection_job(
    nlp, pipe, pairs_path: Union[str, Path], pipeline: Optional[str] = None
) -> Dict[str, Any]:
    """What determines the result of ``spacy xlt project``: the pairs file, the component's
    config as built (``device`` settings left out, so that a run may continue on another
    device), the pipeline's language, the SHA-256 of the data files the config names (a
    Pharaoh file, extra parallel text) and, for a saved ``pipeline``, its identity."""
    from .resume import file_sha256, json_value, model_identity

    config = json_value(_without_device(dict(nlp.config["components"][pipe.name])))
    job: Dict[str, Any] = {
        "input_sha256": file_sha256(pairs_path),
        "lang": nlp.lang,
        "component": config,
        "data_sha256": {
            path: file_sha256(path) for path in _data_files(config) if Path(path).is_file()
        },
    }
    if pipeline is not None:
        job["pipeline"] = model_identity(str(pipeline_path(pipeline)))
    return job


def _without_device(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_device(v) for k, v in value.items() if k != "device"}
    return value


def _data_files(value: Any) -> List[str]:
    out: List[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("path", "extra_path") and isinstance(item, str):
                out.append(item)
            else:
                out.extend(_data_files(item))
    return out


def project_file(
    pairs_path: Union[str, Path],
    output_path: Union[str, Path],
    pipe,
    *,
    progress: bool = True,
    job: Optional[Dict[str, Any]] = None,
    restart: bool = False,
    lock: bool = True,
    ray=None,
    recipe: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Project every pair of ``pairs_path`` with ``pipe`` and write the projected pairs;
    returns ``pairs``, ``seconds`` (of this run), ``resumed`` (pairs finished by earlier
    runs) and the component's counts (``PROJECTION_STATS``, over the whole job).

    ``job``: what determines the result (:func:`projection_job`); given, each finished batch
    is kept in the resume file beside the output (:mod:`spacy_xlt.resume`) and a rerun of the
    same job continues after the last one (``restart``: discard the file first). A
    projector that needs every pair at once (:func:`needs_all_pairs`) cannot resume: it
    keeps no resume file. The output is locked while the function runs (``lock=False``:
    the caller holds :func:`spacy_xlt.resume.output_lock`).

    ``ray`` (``spacy_xlt.distributed.RayOptions``): the batches are projected by a pool of
    Ray actors, each building the projector once from ``recipe`` (:func:`projector_recipe`;
    ``pipe`` here only gives the batch size and keeps the counts), and kept in the resume
    file as they arrive, in order: the same output and resume file as without Ray. A
    projector that needs every pair at once runs as one task on one actor
    (``ray_single_actor`` in the counts; ``ray_actors``: the pool's size).
    """
    from .pairs import read_docs, write_pairs
    from .projection.given import PharaohAlignments
    from .resume import resuming

    if ray is not None and recipe is None:
        raise XLTError(Errors.E526)
    docs = list(read_docs(pairs_path, pipe.vocab))
    whole = needs_all_pairs(pipe)
    enabled = job is not None and not whole
    full_job = {**(job or {}), "n_pairs": len(docs)}
    start_time = time.perf_counter()
    info: Dict[str, Any] = {}
    with resuming(
        output_path, "project", full_job, restart=restart, enabled=enabled, inputs=[pairs_path], lock=lock
    ) as state:
        if not enabled and (ray is None or whole):
            if ray is None:
                projected, _ = project_docs(pipe, docs, progress=progress)
            else:
                from .distributed import project_all

                projected, stats = project_all(ray, docs, recipe, pipe.vocab, info=info)
                pipe.stats.update(stats)
            write_pairs(projected, output_path, inputs=[pairs_path])
            state.finish()
            return {
                **dict(pipe.stats), "pairs": len(projected), "resumed": 0, "discarded": state.discarded,
                "seconds": time.perf_counter() - start_time, "ray_actors": info.get("actors", 0),
                "ray_single_actor": ray is not None,
            }  # fmt: skip
        from tqdm import tqdm

        state.check_total(len(docs))
        spans_key = getattr(pipe, "spans_key", None)
        for record in state.records:
            pipe.stats.update(_restore_batch(state, record, docs, spans_key))
        resumed = state.done
        aligner = getattr(pipe, "aligner", None)
        if isinstance(aligner, PharaohAlignments):
            aligner.position += resumed  # line i still aligns pair i
        size = max(1, int(getattr(pipe, "batch_size", 0) or 1))
        if ray is None:
            batches: Iterator[Tuple[int, int, Dict[str, Any], Dict[str, int]]] = (
                (first, len(docs[first : first + size]), *project_batch(pipe, docs[first : first + size], spans_key))
                for first in range(resumed, len(docs), size)
            )
        else:
            from .distributed import project_chunks

            batches = project_chunks(ray, docs, resumed, size, recipe, info=info)
        with tqdm(total=len(docs), initial=resumed, desc=pipe.name, unit="pair", disable=not progress) as bar:
            for first, n, data, other in batches:
                record = state.append(n, data)  # kept where the job resumes (enabled)
                if ray is not None:  # the actor's counts: this pipe projected nothing
                    pipe.stats.update(record["stats"])
                    pipe.stats.update(other)
                # the output is built from the records as they read back, in every run
                for k, item in enumerate(record["pairs"]):
                    _restore(docs[first + k], item, spans_key)
                bar.update(n)
        if ray is not None and isinstance(aligner, PharaohAlignments):
            aligner.position = len(docs)  # every line was used by an actor: finish checks
        _finish(pipe)
        write_pairs(docs, output_path, inputs=[pairs_path])
        state.finish()
    return {
        **dict(pipe.stats),
        "pairs": len(docs),
        "resumed": resumed,
        "discarded": state.discarded,
        "seconds": time.perf_counter() - start_time,
        "ray_actors": info.get("actors", 0),
        "ray_single_actor": False,
    }


def aligner_from_config(config: Dict[str, Any]):
    """The aligner of an ``xlt_alignment_projector`` block, initialized (for ``spacy xlt
    align``)."""
    from spacy.util import registry
    from thinc.api import ConfigValidationError

    block = _interpolated_block(config)
    if block.get("factory") != "xlt_alignment_projector" or "aligner" not in block:
        raise XLTError(Errors.E334.format(factory=block.get("factory")))
    try:
        aligner = registry.resolve({"aligner": block["aligner"]})["aligner"]
    except ConfigValidationError as err:
        raise XLTError(Errors.E332.format(factory="aligner", why=_validation_why(err))) from err
    init = getattr(aligner, "initialize", None)
    if callable(init):  # an embedding aligner loads its encoder here
        init()
    return aligner


def pairs_words(docs: Iterable[Any]) -> List[Tuple[List[str], List[str]]]:
    """(source words, target words) of each pair, for an aligner."""
    from .pairs import source_words

    return [(source_words(doc, i), [t.text for t in doc]) for i, doc in enumerate(docs)]



def filled_config(config: Dict[str, Any]) -> str:
    """The projector config as text, the factory's defaults and those of every registered
    function in it filled in (what ``spacy xlt project-config`` prints)."""
    from spacy.util import registry
    from thinc.api import Config

    from .pipes import alignment_projector, marker_projector, tprojection  # noqa: F401  (register the factories)

    merged = {SECTION: _with_defaults(_interpolated_block(config))}
    return Config(registry.fill(merged, validate=False)).to_str()
