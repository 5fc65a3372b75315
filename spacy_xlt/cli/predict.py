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

With ``--ray``, the chunks go to a pool of Ray actors that each load the pipeline once
(:func:`spacy_xlt.distributed.predict_file`); the same output and resume file. The library:
:mod:`spacy_xlt.prediction`.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Dict, List, Optional, Sequence

import typer
from wasabi import msg

from ..errors import XLTError
from ..prediction import METRICS_MODES, PredictJob, check_inputs, check_side, plan_jobs
from ._app import xlt_cli
from ._util import comma_list, parse_overrides, report_resume
from .translate import RAY_ACTORS_HELP, RAY_CPUS_HELP, RAY_GPUS_HELP, RAY_HELP, RESTART_HELP


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
        0,
        "--chunk-size",
        help="Docs kept in the resume file per step (0: the pipeline's batch_size)",
    ),
    restart: bool = typer.Option(False, "--restart", help=RESTART_HELP),
    side: str = typer.Option(
        "target",
        "--side",
        help="target: annotate the Docs of INPUT; source: INPUT holds parallel pairs, annotate "
        "the source side of each and write the pairs with the predicted source spans",
    ),
    ray_address: Optional[str] = typer.Option(None, "--ray", help=RAY_HELP),
    ray_actors: int = typer.Option(0, "--ray-actors", help=RAY_ACTORS_HELP),
    ray_gpus: Optional[float] = typer.Option(None, "--ray-gpus-per-actor", help=RAY_GPUS_HELP),
    ray_cpus: float = typer.Option(1.0, "--ray-cpus-per-actor", help=RAY_CPUS_HELP),
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

    With --ray, the chunks are annotated by a pool of Ray actors (each loads the pipeline
    once, on its own GPU with --ray-gpus-per-actor or --gpu-id) and kept in the resume file
    as they arrive, in order: the output is the one a run without --ray writes, and either
    kind of run continues the other's resume file.
    """
    from ..io import check_output
    from ..resume import output_lock

    locks = ExitStack()
    try:
        check_side(side)
        lang_list = None if langs is None else comma_list(langs, "--langs")
        config = parse_overrides(overrides, dotted=True)
        ray = None
        if ray_address is not None:
            from ..distributed import import_ray, ray_options

            ray = ray_options(ray_address, ray_actors, ray_gpus, ray_cpus)
            import_ray("spacy xlt predict --ray")  # before any work: a missing extra fails at once
        jobs = plan_jobs(model, input_path, output_path, metrics_path, lang_list)
        check_inputs(jobs)
        for job in jobs:  # every output locked before a pipeline loads: a second run fails at once
            check_output(job.output, [job.input])
            locks.enter_context(output_lock(job.output))
    except XLTError as err:
        locks.close()
        msg.fail(str(err), exits=1)
    with locks:
        _run_jobs(jobs, config, gpu_id, spans_key, chunk_size, restart, side, ray)
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
    ray: Any = None,
) -> None:
    from spacy.cli._util import setup_gpu

    from ..prediction import Pipelines, run_job, score_job
    from .evaluate import print_results, save_results

    if ray is None:  # with --ray, each actor takes its own GPU
        setup_gpu(gpu_id)
    pipelines = Pipelines(config)
    for job in jobs:
        prefix = "" if job.lang is None else f"{job.lang}: "
        try:
            result = run_job(
                job,
                config,
                spans_key,
                pipelines=pipelines,
                restart=restart,
                chunk_size=chunk_size,
                lock=False,
                side=side,
                gpu_id=gpu_id,
                ray=ray,
            )
            report_resume(result, job.output, prefix=prefix)
            what = "pairs" if side == "source" else "docs"
            spans = "predicted source spans" if side == "source" else "predicted spans"
            msg.good(
                f"{prefix}{result['n_docs']} {what}, {result['n_spans']} {spans} -> {job.output}"
            )
            for (name, key), n in result["long_inputs"].items():
                msg.info(f"{prefix}{name}: {key.replace('_', ' ')} {n} (this run)")
            if result["actors"]:
                actors = result["actors"]
                msg.info(f"{prefix}Predicted on Ray by {actors} actor{'s' if actors > 1 else ''}")
            if job.metrics is not None:
                scores = score_job(job, spans_key, side)
                if side == "source":
                    msg.info(
                        f"{prefix}source sides scored: predicted source spans against the pairs' own"
                    )
                print_results(scores, METRICS_MODES)
                save_results(scores, job.metrics)
        except XLTError as err:
            msg.fail(f"{prefix}{err}", exits=1)
