"""Prediction with a trained pipeline over the words of a gold corpus, resumably: the
library behind ``spacy xlt predict`` (its Ray variant: :func:`spacy_xlt.distributed.predict_file`).

The predicted Docs keep the gold tokens and spacing and nothing else of the gold Docs, so the
output can be scored against the input. With ``side="source"`` the input holds parallel
pairs and the pipeline (a source-language one) annotates the source side of each: the output
is the pairs with their source spans replaced by the predictions (target side untouched),
ready for ``spacy xlt project`` (translate-test).

Each finished chunk is kept in the resume file beside the output (:mod:`spacy_xlt.resume`,
as DocBin bytes), so a rerun of the same job continues after the last finished chunk.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from .errors import Errors, XLTError

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
    from .corpora import read_corpus
    from .pairs import write_docs
    from .resume import resuming

    check_side(side)
    check_chunk_size(chunk_size)
    size = chunk_size or max(1, int(getattr(nlp, "batch_size", 0) or 1000))
    gold = read_corpus(input_path, fmt="spacy", lang=nlp.vocab)
    bare = bare_docs(gold, nlp.vocab, input_path, side)
    docs: List[Any] = []
    with resuming(
        output_path,
        "predict",
        file_job(input_path, len(bare), job, side),
        restart=restart,
        inputs=[input_path],
        lock=lock,
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
    return file_result(input_path, output_path, docs, spans_key, side, resumed, state.discarded)


def check_chunk_size(chunk_size: Any) -> int:
    """``chunk_size`` if it is an int >= 0 (0: the pipeline's ``batch_size``), else a coded error."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 0:
        raise XLTError(
            Errors.E283.format(
                name="chunk_size",
                value=chunk_size,
                options="an int >= 0 (0: the pipeline's batch_size)",
            )
        )
    return chunk_size


def bare_docs(gold: Sequence[Any], vocab, input_path: Path, side: str) -> List[Any]:
    """What the pipeline annotates: the words and spacing of each Doc of ``gold`` (read from
    ``input_path``), or of the source side of each pair (``side="source"``)."""
    from spacy.tokens import Doc

    if side == "source":
        return source_docs(gold, vocab, input_path, "--side source")
    return [
        Doc(vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
        for doc in gold
    ]


def file_job(
    input_path: Union[str, Path], n_docs: int, job: Optional[Dict[str, Any]], side: str
) -> Dict[str, Any]:
    """The job in the resume file's header: the input, its size, ``job``
    (:func:`predict_job`) and the side (a target run's job, and its resume files, stay as
    they were before ``--side`` existed)."""
    from .resume import file_sha256

    full_job = {"input_sha256": file_sha256(input_path), "n_docs": n_docs, **(job or {})}
    if side == "source":
        full_job["side"] = side
    return full_job


def predicted_labels(docs: Sequence[Any], spans_key: Optional[str], side: str) -> Dict[str, int]:
    """Predicted spans per label: ``doc.ents`` (or ``doc.spans[spans_key]``), or the source
    spans of the pairs with ``side="source"``."""
    from .corpora import count_spans
    from .pairs import source_spans

    if side != "source":
        return count_spans(docs, spans_key)
    labels: Dict[str, int] = {}
    for i, doc in enumerate(docs):
        for span in source_spans(doc, i):
            labels[span.label] = labels.get(span.label, 0) + 1
    return dict(sorted(labels.items()))


def file_result(
    input_path: Union[str, Path],
    output_path: Union[str, Path],
    docs: Sequence[Any],
    spans_key: Optional[str],
    side: str,
    resumed: int,
    discarded: bool,
) -> Dict[str, Any]:
    """What :func:`predict_file` returns for the Docs it wrote."""
    labels = predicted_labels(docs, spans_key, side)
    return {
        "input": str(input_path),
        "output": str(output_path),
        "n_docs": len(docs),
        "n_spans": sum(labels.values()),
        "labels": labels,
        "resumed": resumed,
        "discarded": discarded,
    }


def source_record(doc: Any, path: Path, index: int, what: str) -> Dict[str, Any]:
    """The source record of the pair ``doc`` (doc ``index`` of ``path``); a Doc that is not
    a pair is a coded error naming it and ``what`` needed its source side."""
    from .pairs import SOURCE_KEY

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
    from .pairs import doc_spans, replace_source_spans

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
    from .corpora import read_corpus
    from .evaluation import evaluate_tags, words_differ
    from .labels import spans_to_tags
    from .pairs import source_spans

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
            raise words_differ(i, g_words, p_words)
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
    from .resume import json_value, model_identity

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
        raise state.bad_record(
            record, f"its Docs do not read back ({type(err).__name__})"
        ) from None
    if len(docs) != record.n:
        raise state.bad_record(record, f"expected {record.n} Docs, found {len(docs)}")
    return docs


def long_input_counts(nlp) -> Dict[tuple, int]:
    """``(component, count name): count`` for the long-input counts of every spacy_xlt component of
    ``nlp`` (windows, chunks, what was cut: ``spacy_xlt.pipes.util``), so the command can say
    what an over-long sentence cost; never silent."""
    from .pipes.util import ALIGNER_LONG_STATS, TAGGER_LONG_STATS, TPROJECTION_LONG_STATS

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


class Pipelines:
    """The pipeline of the model last asked for, with ``overrides``: the jobs of one run
    load it again only where the model changes (MODEL holds ``{lang}``)."""

    def __init__(self, overrides: Optional[Dict[str, Any]] = None) -> None:
        self.overrides = dict(overrides or {})
        self.model: Optional[str] = None
        self.nlp: Any = None

    def get(self, model: str):
        if self.nlp is None or model != self.model:
            self.nlp = load_pipeline(model, self.overrides)
            self.model = model
        return self.nlp


def run_job(
    job: PredictJob,
    overrides: Optional[Dict[str, Any]] = None,
    spans_key: Optional[str] = None,
    *,
    pipelines: Optional[Pipelines] = None,
    restart: bool = False,
    chunk_size: int = 0,
    lock: bool = True,
    side: str = "target",
    gpu_id: int = -1,
    ray: Any = None,
) -> Dict[str, Any]:
    """:func:`predict_file` for one job of ``spacy xlt predict``: here, with the pipeline
    of ``pipelines`` (one with ``overrides`` where None), or on Ray where ``ray`` is a
    :class:`spacy_xlt.distributed.RayOptions` (the pipeline loads on the actors, never here:
    :func:`spacy_xlt.distributed.predict_file`). Either way the same output and resume file.

    Returns what :func:`predict_file` returns, plus ``long_inputs`` (``{(component, count):
    n}`` of this run, :func:`long_input_counts`) and ``actors`` (0 without Ray).
    """
    overrides = dict(overrides or {})
    kwargs = dict(
        job=predict_job(job.model, overrides),
        restart=restart,
        chunk_size=chunk_size,
        lock=lock,
        side=side,
    )
    if ray is not None:
        from .distributed import predict_file as predict_on_ray

        return predict_on_ray(
            ray, job.model, overrides, job.input, job.output, spans_key, gpu_id=gpu_id, **kwargs
        )
    nlp = (pipelines or Pipelines(overrides)).get(job.model)
    before = long_input_counts(nlp)
    result = predict_file(nlp, job.input, job.output, spans_key, **kwargs)
    after = long_input_counts(nlp)
    result["long_inputs"] = {
        key: n - before.get(key, 0) for key, n in after.items() if n - before.get(key, 0)
    }
    result["actors"] = 0
    return result


def score_job(
    job: PredictJob, spans_key: Optional[str] = None, side: str = "target"
) -> Dict[str, Any]:
    """The scores ``--metrics`` writes for a finished job: its output against its input in
    :data:`METRICS_MODES` (the source spans of the pairs with ``side="source"``)."""
    if side == "source":
        return evaluate_source_sides(job.input, job.output, spans_key, METRICS_MODES)
    from .evaluation import evaluate_files

    return evaluate_files(job.input, job.output, spans_key=spans_key, modes=METRICS_MODES)
