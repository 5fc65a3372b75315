"""``spacy xlt predict MODEL INPUT OUTPUT``: annotate the words of a gold corpus with a trained
pipeline, and score the result against the gold corpus with ``spacy xlt evaluate``'s code.

The predicted Docs keep the gold tokens and spacing and nothing else of the gold Docs, so
OUTPUT can be scored against INPUT. With ``--langs``, ``{lang}`` in the paths is replaced by
each language in turn, in one process: the pipeline is loaded once unless MODEL holds
``{lang}`` (one trained pipeline per language).

With ``--side source`` INPUT holds parallel pairs, and the pipeline (a source-language one)
annotates the source side of each: OUTPUT is the pairs with their source spans replaced by
the predictions (target side untouched, the old projection record gone), ready for
``spacy xlt project`` (translate-test); ``--metrics`` then scores the predicted source spans
against the pairs' own.
"""

from __future__ import annotations

import base64
import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ._app import xlt_cli
from ._util import comma_list, parse_overrides
from .translate import RESTART_HELP

LANG_FIELD = "{lang}"
#: The modes ``--metrics`` scores: those of ``spacy xlt evaluate --mode both``.
METRICS_MODES = ("strict", "default")
#: What ``--side`` may annotate: the Docs themselves, or the source side of each pair.
SIDES = ("target", "source")


def check_side(side: str) -> str:
    if side not in SIDES:
        raise XLTError(Errors.E460.format(value=side))
    return side


@dataclass(frozen=True)
class PredictJob:
    """The files of one language (``lang`` None without ``--langs``)."""

    lang: Optional[str]
    model: str
    input: Path
    output: Path
    metrics: Optional[Path]


def plan_jobs(
    model: str,
    input_path: str,
    output_path: str,
    metrics_path: Optional[str] = None,
    langs: Optional[Sequence[str]] = None,
) -> List[PredictJob]:
    """One job per language, with ``{lang}`` replaced; a single job without ``langs``.

    Without ``langs`` a ``{lang}`` left in a path is an error; with several languages the
    files written (OUTPUT, --metrics) must hold ``{lang}``, or each would overwrite the last.
    """
    fields = [("MODEL", model), ("INPUT", input_path), ("OUTPUT", output_path)]
    if metrics_path is not None:
        fields.append(("--metrics", metrics_path))
    if langs is None:
        for what, value in fields:
            if LANG_FIELD in value:
                raise XLTError(Errors.E085.format(what=what, value=value))
        return [
            PredictJob(
                None,
                model,
                Path(input_path),
                Path(output_path),
                None if metrics_path is None else Path(metrics_path),
            )
        ]
    if len(langs) > 1:
        for what, value in fields[2:]:
            if LANG_FIELD not in value:
                raise XLTError(Errors.E086.format(langs=",".join(langs), what=what, value=value))

    def fill(value: str, lang: str) -> str:
        return value.replace(LANG_FIELD, lang)

    return [
        PredictJob(
            lang,
            fill(model, lang),
            Path(fill(input_path, lang)),
            Path(fill(output_path, lang)),
            None if metrics_path is None else Path(fill(metrics_path, lang)),
        )
        for lang in langs
    ]


def load_pipeline(model: str, overrides: Optional[Dict[str, Any]] = None):
    """``spacy.load(model, config=overrides)``, with coded errors for a missing pipeline and
    for overrides that do not fit its config."""
    import spacy
    from thinc.api import ConfigValidationError

    overrides = overrides or {}
    try:
        return spacy.load(model, config=overrides)
    except ConfigValidationError as err:
        why = "; ".join(
            f"{' -> '.join(str(part) for part in error.get('loc', []))}: {error.get('msg', '')}"
            for error in (err.errors or [])
        ) or (err.title or str(err))
        if overrides:
            raise XLTError(
                Errors.E084.format(overrides=json.dumps(overrides), model=model, why=why)
            ) from err
        raise XLTError(Errors.E083.format(model=model, why=why)) from err
    except OSError as err:
        raise XLTError(Errors.E083.format(model=model, why=err)) from err


def predict_file(
    nlp,
    input_path: Path,
    output_path: Path,
    spans_key: Optional[str] = None,
    *,
    job: Optional[Dict[str, Any]] = None,
    restart: bool = False,
    chunk_size: int = 0,
    lock: bool = True,
    side: str = "target",
) -> dict:
    """Run ``nlp`` over the words of the gold corpus ``input_path`` and write the Docs.

    ``side="source"``: ``input_path`` holds parallel pairs and ``nlp`` annotates the source
    side of each; the Docs written are the pairs, with the predicted spans (``doc.ents``, or
    ``doc.spans[spans_key]``) as their source spans (:func:`spacy_xlt.pairs.replace_source_spans`).

    ``chunk_size`` Docs (0: the pipeline's ``batch_size``) go through ``nlp.pipe`` at a
    time, and each finished chunk is kept in the resume file beside the output
    (:mod:`spacy_xlt.resume`, as DocBin bytes): a rerun of the same ``job`` (what determines
    the result besides the input: :func:`predict_job`) continues after the last finished
    chunk (``restart``: discard the file first). The output is locked meanwhile
    (``lock=False``: the caller holds :func:`spacy_xlt.resume.output_lock`).

    Returns ``input``, ``output``, ``n_docs``, ``n_spans``, ``labels`` (predicted spans
    per label, ``doc.ents`` or ``doc.spans[spans_key]``; the source spans with
    ``side="source"``), ``resumed`` (docs finished by earlier runs) and ``discarded``
    (``restart`` removed a resume file).
    """
    from spacy.tokens import Doc

    from ..corpora import count_spans, read_corpus
    from ..pairs import source_spans, write_docs
    from ..resume import file_sha256, resuming

    check_side(side)

    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 0:
        raise XLTError(
            Errors.E283.format(
                name="chunk_size", value=chunk_size, options="an int >= 0 (0: the pipeline's batch_size)"
            )
        )
    size = chunk_size or max(1, int(getattr(nlp, "batch_size", 0) or 1000))
    gold = read_corpus(input_path, fmt="spacy", lang=nlp.vocab)
    if side == "source":
        bare = source_docs(gold, nlp.vocab, input_path, "--side source")
    else:
        bare = [
            Doc(nlp.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
            for doc in gold
        ]
    full_job = {"input_sha256": file_sha256(input_path), "n_docs": len(bare), **(job or {})}
    if side == "source":  # a target run's job (and its resume files) stays as it was
        full_job["side"] = side
    docs: List[Any] = []
    with resuming(
        output_path, "predict", full_job, restart=restart, inputs=[input_path], lock=lock
    ) as state:
        state.check_total(len(bare))
        for record in state.records:
            docs.extend(_chunk_docs(state, record, nlp.vocab))
        resumed = len(docs)
        for start in range(resumed, len(bare), size):
            chunk = list(nlp.pipe(bare[start : start + size]))
            if side == "source":
                chunk = with_predicted_sources(gold[start : start + size], chunk, spans_key, start)
            record = state.append(len(chunk), {"docbin": _docbin_text(chunk)})
            # the output is built from the records as they read back, in every run
            docs.extend(_decode_docs(record["docbin"], nlp.vocab))
        write_docs(docs, output_path, inputs=[input_path])
        state.finish()
    if side == "source":
        labels: Dict[str, int] = {}
        for i, doc in enumerate(docs):
            for span in source_spans(doc, i):
                labels[span.label] = labels.get(span.label, 0) + 1
        labels = dict(sorted(labels.items()))
    else:
        labels = count_spans(docs, spans_key)
    return {
        "input": str(input_path),
        "output": str(output_path),
        "n_docs": len(docs),
        "n_spans": sum(labels.values()),
        "labels": labels,
        "resumed": resumed,
        "discarded": state.discarded,
    }


def source_record(doc: Any, path: Path, index: int, what: str) -> Dict[str, Any]:
    """The source record of the pair ``doc`` (doc ``index`` of ``path``); a Doc that is not
    a pair is a coded error naming it and ``what`` needed its source side."""
    from ..pairs import SOURCE_KEY

    record = doc.user_data.get(SOURCE_KEY)
    if not isinstance(record, dict) or "words" not in record:
        raise XLTError(Errors.E461.format(path=path, index=index, what=what))
    return record


def source_docs(docs: Sequence[Any], vocab, path: Path, what: str) -> List[Any]:
    """The source side of each pair of ``docs`` (read from ``path``) as a bare Doc: its
    words and spacing, no spans."""
    from spacy.tokens import Doc

    out = []
    for i, doc in enumerate(docs):
        record = source_record(doc, path, i, what)
        words = [str(w) for w in record["words"]]
        spaces = [bool(s) for s in record.get("spaces") or [True] * len(words)]
        out.append(Doc(vocab, words=words, spaces=spaces))
    return out


def with_predicted_sources(
    pairs: Sequence[Any], predicted: Sequence[Any], spans_key: Optional[str], start: int = 0
) -> List[Any]:
    """The pairs with the spans of ``predicted`` (their source sides, annotated) as source spans."""
    from ..pairs import doc_spans, replace_source_spans

    return [
        replace_source_spans(pair, doc_spans(pred, spans_key), spans_key, index=start + i)
        for i, (pair, pred) in enumerate(zip(pairs, predicted))
    ]


def evaluate_source_sides(
    gold_path: Path,
    pred_path: Path,
    spans_key: Optional[str] = None,
    modes: Sequence[str] = METRICS_MODES,
) -> dict:
    """Score the source spans of the pairs in ``pred_path`` against those of the same pairs
    in ``gold_path`` (same source words, else a coded error naming the pair): the dict of
    ``spacy xlt evaluate --output``, with ``side: "source"``."""
    from ..corpora import read_corpus
    from ..evaluation import _excerpt, evaluate_tags
    from ..labels import spans_to_tags
    from ..pairs import source_spans

    gold = read_corpus(gold_path, fmt="spacy")
    pred = read_corpus(pred_path, fmt="spacy")
    if len(gold) != len(pred):
        raise XLTError(Errors.E060.format(n_gold=len(gold), n_pred=len(pred)))
    gold_tags: List[List[str]] = []
    pred_tags: List[List[str]] = []
    for i, (g, p) in enumerate(zip(gold, pred)):
        g_words = [str(w) for w in source_record(g, gold_path, i, "--metrics")["words"]]
        p_words = [str(w) for w in source_record(p, pred_path, i, "--metrics")["words"]]
        if g_words != p_words:
            pos = next(
                (k for k, (a, b) in enumerate(zip(g_words, p_words)) if a != b),
                min(len(g_words), len(p_words)),
            )
            raise XLTError(
                Errors.E061.format(
                    index=i, position=pos, gold=_excerpt(g_words, pos), pred=_excerpt(p_words, pos)
                )
            )
        n = len(g_words)
        gold_tags.append(spans_to_tags(source_spans(g, i), n, record=f"gold source {i}"))
        pred_tags.append(spans_to_tags(source_spans(p, i), n, record=f"predicted source {i}"))
    result: Dict[str, Any] = {
        "gold": str(gold_path),
        "pred": str(pred_path),
        "spans_key": spans_key,
        "side": "source",
        "n_docs": len(gold),
    }
    for mode in modes:
        result[mode] = evaluate_tags(gold_tags, pred_tags, mode)
    return result


def predict_job(model: str, overrides: Dict[str, Any]) -> Dict[str, Any]:
    """What determines ``spacy xlt predict``'s output besides the input: the pipeline (its
    name and the SHA-256 of its config and meta) and the ``--set`` overrides."""
    from ..resume import json_value, model_identity

    return {"model": model_identity(model), "overrides": json_value(overrides)}


def _docbin_text(docs: List[Any]) -> str:
    from spacy.tokens import DocBin

    return base64.b64encode(DocBin(docs=docs, store_user_data=True).to_bytes()).decode("ascii")


def _decode_docs(text: str, vocab) -> List[Any]:
    from spacy.tokens import DocBin

    return list(DocBin(store_user_data=True).from_bytes(base64.b64decode(text)).get_docs(vocab))


def _chunk_docs(state, record, vocab) -> List[Any]:
    try:
        docs = _decode_docs(record.data["docbin"], vocab)
    except Exception as err:  # base64 / zlib / msgpack errors of a damaged record
        raise state.bad_record(record, f"its Docs do not read back ({type(err).__name__})") from None
    if len(docs) != record.n:
        raise state.bad_record(record, f"expected {record.n} Docs, found {len(docs)}")
    return docs


def long_input_counts(nlp) -> Dict[tuple, int]:
    """``(component, count name): count`` for the long-input counts of every spacy_xlt component of
    ``nlp`` (windows, chunks, what was cut: ``spacy_xlt.pipes.util``), so the command can say
    what an over-long sentence cost; never silent."""
    from ..pipes.util import ALIGNER_LONG_STATS, TAGGER_LONG_STATS, TPROJECTION_LONG_STATS

    keys = dict.fromkeys(TAGGER_LONG_STATS + TPROJECTION_LONG_STATS + ALIGNER_LONG_STATS)
    out: Dict[tuple, int] = {}
    for name, pipe in nlp.pipeline:
        stats = getattr(pipe, "stats", None)
        if isinstance(stats, dict):
            for key in keys:
                if stats.get(key):
                    out[(name, key)] = int(stats[key])
    return out


def check_inputs(jobs: Sequence[PredictJob]) -> None:
    """Every input exists: checked before the first pipeline is loaded."""
    for job in jobs:
        if not job.input.exists():
            raise XLTError(Errors.E021.format(path=job.input))


@xlt_cli.command("predict")
def predict_cli(
    model: str = typer.Argument(
        ..., help="Trained pipeline (folder or package name); may hold {lang} with --langs"
    ),
    input_path: str = typer.Argument(
        ..., help="Gold corpus (.spacy): its words are annotated; may hold {lang}"
    ),
    output_path: str = typer.Argument(
        ..., help="Output .spacy: the gold tokens with predicted spans; may hold {lang}"
    ),
    metrics_path: Optional[str] = typer.Option(
        None,
        "--metrics",
        help="Score OUTPUT against INPUT and write the JSON of `spacy xlt evaluate --output` here",
    ),
    langs: Optional[str] = typer.Option(
        None, "--langs", help="Comma-separated languages: {lang} in the paths is each in turn"
    ),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, or -1 for CPU"),
    overrides: List[str] = typer.Option(
        [],
        "--set",
        help="Config override KEY=VALUE for spacy.load (VALUE read as JSON, else a string); repeatable",
    ),
    spans_key: Optional[str] = typer.Option(
        None, "--spans-key", "-k", help="Count and score doc.spans[KEY], not doc.ents"
    ),
    chunk_size: int = typer.Option(
        0, "--chunk-size", help="Docs kept in the resume file per step (0: the pipeline's batch_size)"
    ),
    restart: bool = typer.Option(False, "--restart", help=RESTART_HELP),
    side: str = typer.Option(
        "target",
        "--side",
        help="target: annotate the Docs of INPUT; source: INPUT holds parallel pairs, annotate "
        "the source side of each and write the pairs with the predicted source spans",
    ),
) -> None:
    """Annotate the words of a gold corpus with a trained pipeline (gold spans removed).

    The output keeps the gold tokens and spacing, so `spacy xlt evaluate INPUT OUTPUT` can
    score it; --metrics does that here, in modes strict and default, and writes the same
    JSON. With --langs hau,ibo, {lang} in MODEL, INPUT, OUTPUT and --metrics is replaced by
    each language in one process; the pipeline is loaded once unless MODEL holds {lang}.
    Example: --set components.xlt_tagger.constrained=false

    With --side source, INPUT holds parallel pairs and a source-language pipeline annotates
    their source sides: OUTPUT is the pairs with the predicted source spans (target side
    untouched), for `spacy xlt project` (translate-test); --metrics scores the predicted
    source spans against the pairs' own.

    Resumable: finished chunks are kept in OUTPUT.partial.jsonl until OUTPUT is written;
    after a crash the same command continues after the last finished chunk (--restart
    starts over). A second run on the same output fails at once while one is going.
    """
    from ..io import check_output
    from ..resume import output_lock

    locks = ExitStack()
    try:
        check_side(side)
        lang_list = None if langs is None else comma_list(langs, "--langs")
        config = parse_overrides(overrides, dotted=True)
        jobs = plan_jobs(model, input_path, output_path, metrics_path, lang_list)
        check_inputs(jobs)
        for job in jobs:  # every output locked before a pipeline loads: a second run fails at once
            check_output(job.output, [job.input])
            locks.enter_context(output_lock(job.output))
    except XLTError as err:
        locks.close()
        msg.fail(str(err), exits=1)
    with locks:
        _run_jobs(jobs, config, gpu_id, spans_key, chunk_size, restart, side)
    if len(jobs) > 1:
        msg.info(f"{len(jobs)} languages done: {', '.join(str(job.lang) for job in jobs)}")


def _run_jobs(
    jobs: Sequence[PredictJob],
    config: Dict[str, Any],
    gpu_id: int,
    spans_key: Optional[str],
    chunk_size: int,
    restart: bool,
    side: str = "target",
) -> None:
    from spacy.cli._util import setup_gpu

    from ..evaluation import evaluate_files
    from ..resume import resume_path
    from .evaluate import print_results, save_results

    setup_gpu(gpu_id)
    nlp = None
    loaded: Optional[str] = None  # the pipeline is loaded again only where MODEL has {lang}
    for job in jobs:
        prefix = "" if job.lang is None else f"{job.lang}: "
        try:
            if nlp is None or job.model != loaded:
                nlp = load_pipeline(job.model, config)
                loaded = job.model
            before = long_input_counts(nlp)
            result = predict_file(
                nlp,
                job.input,
                job.output,
                spans_key,
                job=predict_job(job.model, config),
                restart=restart,
                chunk_size=chunk_size,
                lock=False,
                side=side,
            )
            if result["discarded"]:
                msg.info(f"{prefix}Discarded the resume file {resume_path(job.output)} (--restart)")
            if result["resumed"]:
                msg.info(f"{prefix}Resumed after {result['resumed']} finished docs")
            what = "pairs" if side == "source" else "docs"
            spans = "predicted source spans" if side == "source" else "predicted spans"
            msg.good(f"{prefix}{result['n_docs']} {what}, {result['n_spans']} {spans} -> {job.output}")
            after = long_input_counts(nlp)
            for (name, key), value in after.items():
                if value - before.get((name, key), 0):
                    n = value - before.get((name, key), 0)
                    msg.info(f"{prefix}{name}: {key.replace('_', ' ')} {n} (this run)")
            if job.metrics is not None and side == "source":
                scores = evaluate_source_sides(job.input, job.output, spans_key, METRICS_MODES)
                msg.info(f"{prefix}source sides scored: predicted source spans against the pairs' own")
            elif job.metrics is not None:
                scores = evaluate_files(
                    job.input, job.output, spans_key=spans_key, modes=METRICS_MODES
                )
            if job.metrics is not None:
                print_results(scores, METRICS_MODES)
                save_results(scores, job.metrics)
        except XLTError as err:
            msg.fail(f"{prefix}{err}", exits=1)
