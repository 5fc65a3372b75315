"""``spacy xlt project`` and ``spacy xlt align``: project the source spans of parallel pairs
onto their targets, or write the word alignments themselves in Pharaoh format.

Thin drivers over ``spacy_xlt.projectors``: the projector is the ``[projector]`` block of a
config (a named method's defaults, a ``--config`` file, or a saved ``--pipeline``), with
``--set KEY=VALUE`` overrides, built into a pipeline with one projector component.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ._app import xlt_cli
from ._util import parse_overrides, report_resume
from .translate import RAY_ACTORS_HELP, RAY_CPUS_HELP, RAY_GPUS_HELP, RAY_HELP, RESTART_HELP

SET_HELP = (
    "Override KEY=VALUE in the [projector] block (VALUE read as JSON, else a string); "
    "repeatable. E.g. aligner.symmetrization=union, max_gap=3, generator.device=cuda:0, "
    "translator.batch_size=64; a key naming another section of the --config file sets it "
    "there (paths.encoder=...)"
)


def projector_config(
    method: Optional[str],
    config_path: Optional[Path],
    overrides: Dict[str, Any],
) -> Dict[str, Any]:
    """The projector config that ``--method``/``--config`` and ``--set`` stand for."""
    from ..projectors import apply_overrides, method_config, read_projector_config

    if config_path is not None:
        if method is not None:
            raise XLTError(Errors.E099.format(option="--method", needs="no --config (the config's [projector] block says the method)"))
        config = read_projector_config(config_path)
    else:
        config = method_config(method or "statistical")
    return apply_overrides(config, overrides)


def _shorthands(
    method: Optional[str],
    alignments: Optional[Path],
    generator: Optional[str],
    overrides: Dict[str, Any],
) -> tuple:
    """(method, pipeline, overrides) after ``--alignments`` and ``--generator``."""
    from ..projectors import is_pipeline

    pipeline = None
    if alignments is not None:
        if method not in (None, "alignments"):
            raise XLTError(Errors.E099.format(option="--alignments", needs="--method alignments (or no --method)"))
        method = "alignments"
        overrides = {"aligner.path": str(alignments), **overrides}
    if generator is not None:
        if method not in (None, "tprojection"):
            raise XLTError(Errors.E099.format(option="--generator", needs="--method tprojection (or no --method)"))
        if is_pipeline(generator):
            pipeline = generator
        else:
            method = "tprojection"
            overrides = {"generator.name": generator, **overrides}
    return method, pipeline, overrides


@xlt_cli.command("project")
def project_cli(
    pairs_path: Path = typer.Argument(..., help="Parallel pairs (.spacy), e.g. from `spacy xlt pair`", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Output .spacy: the pairs with projected target spans"),
    method: Optional[str] = typer.Option(None, "--method", "-m", help="statistical (default; no download), simalign, awesome, alignments, tprojection, easyproject or codec: the projector block with that method's defaults"),
    config_path: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file with a [projector] block (or a pipeline config with one projector component)", exists=True, dir_okay=False),
    pipeline: Optional[str] = typer.Option(None, "--pipeline", "-p", help="Saved pipeline (folder or installed package) with a projector, e.g. a trained T-Projection; --set applies to its component"),
    overrides: List[str] = typer.Option([], "--set", "-s", help=SET_HELP),
    alignments_path: Optional[Path] = typer.Option(None, "--alignments", "-a", help="Pharaoh file (i-j links, line i = pair i): short for --method alignments --set aligner.path=FILE", exists=True, dir_okay=False),
    generator: Optional[str] = typer.Option(None, "--generator", help="T-Projection generator: a fine-tuned Hugging Face seq2seq model (name or folder; short for --method tprojection --set generator.name=G) or a saved T-Projection pipeline (folder or installed package; short for --pipeline G)"),
    device: Optional[str] = typer.Option(None, "--device", help="Device of every model of the projector (cpu, cuda, cuda:0 …): short for --set X.device=D for each model block"),
    lang: str = typer.Option("xx", "--lang", help="Target language (spaCy code) of the pipeline; T-Projection's target language unless target_lang is set"),
    spans_key: Optional[str] = typer.Option(None, "--spans-key", help="Span group to read and write (default: doc.ents), also when scoring --gold"),
    gold_path: Optional[Path] = typer.Option(None, "--gold", help="Gold target annotations (.spacy/CoNLL) to score the projection against", exists=True, dir_okay=False),
    metrics_path: Optional[Path] = typer.Option(None, "--metrics", help="With --gold: write the scores as JSON here (the file of spacy xlt evaluate --output)"),
    restart: bool = typer.Option(False, "--restart", help=RESTART_HELP),
    ray_address: Optional[str] = typer.Option(None, "--ray", help=RAY_HELP),
    ray_actors: int = typer.Option(0, "--ray-actors", help=RAY_ACTORS_HELP),
    ray_gpus: Optional[float] = typer.Option(None, "--ray-gpus-per-actor", help=RAY_GPUS_HELP),
    ray_cpus: float = typer.Option(1.0, "--ray-cpus-per-actor", help=RAY_CPUS_HELP),
):
    """Project the source spans of parallel pairs onto their target tokens.

    The projector is one [projector] block: the defaults of --method, a --config file, or
    the component of a saved --pipeline, with --set overrides. Print the block a method
    stands for with `spacy xlt project-config METHOD`.

    Resumable: each finished batch (the component's batch_size pairs) is kept in
    OUT.spacy.partial.jsonl until OUT.spacy is written, so after a crash the same command
    continues after the last finished batch (--restart starts over). T-Projection, given
    alignments, embedding aligners and a frozen statistical aligner resume by batch; the
    statistical aligner learns from every pair at once, so its run is one batch that cannot
    resume (it keeps no resume file). A second run on the same output fails at once while
    one is going.

    With --ray, the batches are projected by a pool of Ray actors, each building the
    projector once from the same block or pipeline (on its own GPU with
    --ray-gpus-per-actor or a GPU --device), and kept in the resume file as they arrive, in
    order: the output is the one a run without --ray writes, and either kind of run
    continues the other's resume file. The statistical aligner learns from every pair at
    once, so it cannot be split: it runs as one task on one actor.
    """
    from ..io import check_output
    from ..projectors import (
        build_projector,
        load_projector_pipeline,
        needs_all_pairs,
        project_file,
        projection_job,
        projector_recipe,
    )
    from ..runtime import tune_malloc

    tune_malloc()  # model backends on a CPU: far fewer page faults (SPACY_XLT_MALLOC=default: off)
    from ..resume import output_lock

    if metrics_path is not None and gold_path is None:
        msg.fail(Errors.E099.format(option="--metrics", needs="--gold"), exits=1)
    try:
        settings = parse_overrides(overrides)
        method, from_generator, settings = _shorthands(method, alignments_path, generator, settings)
        pipeline = pipeline or from_generator
        if pipeline is not None and (method is not None or config_path is not None):
            raise XLTError(Errors.E099.format(option="--pipeline", needs="no --method or --config (the pipeline holds its projector)"))
        config = None if pipeline is not None else projector_config(method, config_path, settings)
        ray = None
        if ray_address is not None:
            from ..distributed import import_ray, ray_options

            ray = ray_options(ray_address, ray_actors, ray_gpus, ray_cpus)
            import_ray("spacy xlt project --ray")  # before any work: a missing extra fails at once
        check_output(output_path, [pairs_path])
        with output_lock(output_path):  # before the models load: a second run fails at once
            # with --ray, the models load on the actors: here the pipeline only gives the job
            if config is None:
                if spans_key is not None:
                    settings = {"spans_key": spans_key, **settings}
                here = device if ray is None else "cpu"
                nlp, pipe = load_projector_pipeline(pipeline, settings, device=here)
            else:
                nlp, pipe = build_projector(config, lang=lang, spans_key=spans_key, device=device, initialize=ray is None)
            job = projection_job(nlp, pipe, pairs_path, pipeline)
            recipe = None
            if ray is not None:
                recipe = projector_recipe(nlp, pipe, pipeline=pipeline, overrides=settings, device=device)
                if needs_all_pairs(pipe):
                    msg.warn(
                        "The statistical aligner learns from every pair at once, so its work cannot be "
                        "split: it runs as one task on one Ray actor (no speed-up, no resume file)"
                    )
            counts = project_file(
                pairs_path, output_path, pipe, job=job, restart=restart, lock=False, ray=ray, recipe=recipe
            )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    report_resume(counts, output_path, "pairs")
    print_counts(counts)
    if counts.get("ray_actors"):
        msg.info(f"Projected on Ray by {counts['ray_actors']} actor{'s' if counts['ray_actors'] > 1 else ''}")
    msg.good(f"Wrote {counts['pairs']} projected pairs to {output_path}")
    if gold_path is not None:
        from ..evaluation import evaluate_files
        from .evaluate import print_results, save_results

        try:
            result = evaluate_files(gold_path, output_path, lang=lang, spans_key=spans_key)
        except XLTError as err:
            msg.fail(str(err), exits=1)
        print_results(result, ("strict", "default"))
        if metrics_path is not None:
            save_results(result, metrics_path)


@xlt_cli.command("project-config")
def project_config_cli(
    method: str = typer.Argument("statistical", help="statistical, simalign, awesome, alignments, tprojection, easyproject or codec"),
    overrides: List[str] = typer.Option([], "--set", "-s", help=SET_HELP),
    output_path: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the config here (default: print it)"),
):
    """Print (or write) the [projector] config block of a method with every default filled
    in: a starting point for `spacy xlt project --config`."""
    from ..io import write_text
    from ..projectors import filled_config

    try:
        text = filled_config(projector_config(method, None, parse_overrides(overrides)))
        if output_path is not None:
            write_text(output_path, text)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    if output_path is None:
        print(text)
    else:
        msg.good(f"Wrote the projector config to {output_path}")


def print_counts(counts: dict) -> None:
    """The projection counts, then every non-zero long-input count of the projector
    (``spacy_xlt.pipes.util``: windows, split placeholders, what was cut)."""
    from ..pipes.util import ALIGNER_LONG_STATS, TPROJECTION_LONG_STATS

    rows: List[tuple] = [
        ("pairs", counts["pairs"]),
        ("source spans", counts.get("source_spans", 0)),
        ("projected", counts.get("projected", 0)),
        ("unaligned", counts.get("unaligned", 0)),
        ("lost in overlaps", counts.get("conflict", 0)),
    ]
    for key in dict.fromkeys(TPROJECTION_LONG_STATS + ALIGNER_LONG_STATS):
        if counts.get(key):
            rows.append((key.replace("_", " "), counts[key]))
    rows.append(("seconds", f"{counts['seconds']:.1f}"))
    msg.table(rows, header=("", "count"), divider=True)


@xlt_cli.command("align")
def align_cli(
    pairs_path: Path = typer.Argument(..., help="Parallel pairs (.spacy)", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Output Pharaoh file: one line of i-j links per pair"),
    method: Optional[str] = typer.Option(None, "--method", "-m", help="statistical (default), simalign or awesome"),
    config_path: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file with an xlt_alignment_projector [projector] block", exists=True, dir_okay=False),
    overrides: List[str] = typer.Option([], "--set", "-s", help=SET_HELP),
):
    """Word-align parallel pairs and write the alignments in Pharaoh format (the aligner of
    the [projector] block that --method/--config and --set give)."""
    from ..io import check_output
    from ..pairs import read_docs
    from ..projection.alignment import write_pharaoh
    from ..projectors import aligner_from_config, pairs_words

    inputs = [pairs_path, config_path]
    try:
        check_output(output_path, inputs)  # before the (long) alignment
        config = projector_config(method, config_path, parse_overrides(overrides))
        aligner = aligner_from_config(config)
        alignments = aligner.align(pairs_words(read_docs(pairs_path)))
        write_pharaoh(output_path, alignments, inputs=inputs)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    msg.good(f"Wrote {len(alignments)} alignments to {output_path}")
