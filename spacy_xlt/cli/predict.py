"""``spacy xlt predict MODEL INPUT OUTPUT``: annotate the words of a gold corpus with a trained
pipeline, and score the result against the gold corpus with ``spacy xlt evaluate``'s code.

The predicted Docs keep the gold tokens and spacing and nothing else of the gold Docs, so
OUTPUT can be scored against INPUT. With ``--langs``, ``{lang}`` in the paths is replaced by
each language in turn, in one process: the pipeline is loaded once unless MODEL holds
``{lang}`` (one trained pipeline per language).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ._app import xlt_cli
from ._util import comma_list, parse_overrides

LANG_FIELD = "{lang}"
#: The modes ``--metrics`` scores: those of ``spacy xlt evaluate --mode both``.
METRICS_MODES = ("strict", "default")


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


def predict_file(nlp, input_path: Path, output_path: Path, spans_key: Optional[str] = None) -> dict:
    """Run ``nlp`` over the words of the gold corpus ``input_path`` and write the Docs.

    Returns ``input``, ``output``, ``n_docs``, ``n_spans`` and ``labels`` (predicted spans
    per label, ``doc.ents`` or ``doc.spans[spans_key]``).
    """
    from spacy.tokens import Doc

    from ..corpora import count_spans, read_corpus
    from ..pairs import write_docs

    gold = read_corpus(input_path, fmt="spacy", lang=nlp.vocab)
    bare = [
        Doc(nlp.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
        for doc in gold
    ]
    docs = list(nlp.pipe(bare))
    write_docs(docs, output_path)
    labels = count_spans(docs, spans_key)
    return {
        "input": str(input_path),
        "output": str(output_path),
        "n_docs": len(docs),
        "n_spans": sum(labels.values()),
        "labels": labels,
    }


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
) -> None:
    """Annotate the words of a gold corpus with a trained pipeline (gold spans removed).

    The output keeps the gold tokens and spacing, so `spacy xlt evaluate INPUT OUTPUT` can
    score it; --metrics does that here, in modes strict and default, and writes the same
    JSON. With --langs hau,ibo, {lang} in MODEL, INPUT, OUTPUT and --metrics is replaced by
    each language in one process; the pipeline is loaded once unless MODEL holds {lang}.
    Example: --set components.xlt_tagger.constrained=false
    """
    from spacy.cli._util import setup_gpu

    from ..evaluation import evaluate_files
    from .evaluate import print_results, save_results

    try:
        lang_list = None if langs is None else comma_list(langs, "--langs")
        config = parse_overrides(overrides, dotted=True)
        jobs = plan_jobs(model, input_path, output_path, metrics_path, lang_list)
        check_inputs(jobs)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    setup_gpu(gpu_id)
    nlp = None
    loaded: Optional[str] = None  # the pipeline is loaded again only where MODEL has {lang}
    for job in jobs:
        prefix = "" if job.lang is None else f"{job.lang}: "
        try:
            if nlp is None or job.model != loaded:
                nlp = load_pipeline(job.model, config)
                loaded = job.model
            result = predict_file(nlp, job.input, job.output, spans_key)
            msg.good(
                f"{prefix}{result['n_docs']} docs, {result['n_spans']} predicted spans "
                f"-> {job.output}"
            )
            if job.metrics is not None:
                scores = evaluate_files(
                    job.input, job.output, spans_key=spans_key, modes=METRICS_MODES
                )
                print_results(scores, METRICS_MODES)
                save_results(scores, job.metrics)
        except XLTError as err:
            msg.fail(f"{prefix}{err}", exits=1)
    if len(jobs) > 1:
        msg.info(f"{len(jobs)} languages done: {', '.join(str(job.lang) for job in jobs)}")
