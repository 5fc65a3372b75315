"""``spacy xlt translate``: translate source Docs and write parallel pairs, resumably
(the library: :mod:`spacy_xlt.translation`).

Each finished chunk of translations (``--chunk-size`` Docs) is kept in the resume file
beside the output (``OUT.spacy.partial.jsonl``, see :mod:`spacy_xlt.resume`) before the next
chunk starts, so a crash or a kill loses at most the chunk in flight: rerun the same command
and it continues after the last finished chunk. The job that must stay the same is the
input file, the model, the languages, ``--num-beams``, ``--max-new-tokens``,
``--max-length`` and ``--dtype`` (``--batch-size``, ``--chunk-size``, ``--device`` and
``--lang`` may change between runs). When every Doc is translated, the targets are tokenized
with the target language's spaCy tokenizer, the pairs written to OUT.spacy and the resume
file removed. A second run on the same output while one is going fails at once (the
output's lock).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from ..errors import XLTError
from ..translation import long_input_counts, spacy_lang, translate_docs  # noqa: F401 (re-exported)
from ._app import xlt_cli
from ._util import report_resume

RESTART_HELP = (
    "Discard the resume file of an earlier, unfinished run (OUT.spacy.partial.jsonl) and "
    "start over; without it a rerun continues that run's work, and a resume file of "
    "other settings is an error"
)
#: The help of the ``--ray`` options, shared by translate, project and predict.
RAY_HELP = (
    "Run the chunks on Ray (pip install spacy-xlt[ray]): auto (the cluster of this machine), "
    "local (start Ray here) or a cluster address; one actor per GPU (or CPU) builds the "
    "model once; same output and resume file as without --ray"
)
RAY_ACTORS_HELP = "With --ray: actors (0: as many as the cluster's GPUs, or CPUs, hold)"
RAY_GPUS_HELP = (
    "With --ray: GPUs per actor (a fraction shares a GPU; default 1 where the device setting "
    "names a GPU, else 0); each actor runs its models on its own GPU"
)
RAY_CPUS_HELP = "With --ray: CPUs per actor (also its torch threads)"


@xlt_cli.command("translate")
def translate_cli(
    input_path: Path = typer.Argument(
        ..., help="Source Docs (.spacy), e.g. English gold", exists=True, dir_okay=False
    ),
    output_path: Path = typer.Argument(
        ..., help="Output .spacy: target Docs carrying their source side (pairs)"
    ),
    model: str = typer.Option(
        "facebook/nllb-200-distilled-600M",
        "--model",
        "-m",
        help="Translation model: Hugging Face name or local folder (NLLB-200, M2M100, Marian …)",
    ),
    src: str = typer.Option(
        "en", "--src", help="Source language: ISO 639 code or the model's own code"
    ),
    tgt: str = typer.Option(
        ...,
        "--tgt",
        help="Target language: ISO 639 code (ha, hau) or the model's own code (hau_Latn)",
    ),
    lang: Optional[str] = typer.Option(
        None,
        "--lang",
        help="spaCy language whose tokenizer splits the translations (default: --tgt; 'xx' where spaCy has none)",
    ),
    batch_size: int = typer.Option(32, "--batch-size", "-b", help="Sentences per forward pass"),
    chunk_size: int = typer.Option(256, "--chunk-size", help="Sentences kept in the resume file per step"),
    num_beams: int = typer.Option(4, "--num-beams", help="Beam size"),
    max_new_tokens: int = typer.Option(
        256, "--max-new-tokens", help="Longest translation, in tokens"
    ),
    max_length: int = typer.Option(
        256,
        "--max-length",
        help="Longest input the model reads, in tokens (the translator's max_length); longer sources are handled by the translator and counted at the end",
    ),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:0 …"),
    dtype: str = typer.Option("float32", "--dtype", help="float32, float16 or bfloat16"),
    backend: str = typer.Option("hf", "--backend", help="hf (Hugging Face generate) or ct2 (CTranslate2: pip install spacy-xlt[ct2]; the model is converted when loaded)"),
    compute_type: str = typer.Option("default", "--compute-type", help="With --backend ct2: default, float32, int8, int8_float16, float16 or bfloat16"),
    restart: bool = typer.Option(False, "--restart", help=RESTART_HELP),
    ray_address: Optional[str] = typer.Option(None, "--ray", help=RAY_HELP),
    ray_actors: int = typer.Option(0, "--ray-actors", help=RAY_ACTORS_HELP),
    ray_gpus: Optional[float] = typer.Option(None, "--ray-gpus-per-actor", help=RAY_GPUS_HELP),
    ray_cpus: float = typer.Option(1.0, "--ray-cpus-per-actor", help=RAY_CPUS_HELP),
):
    """Translate Docs and write parallel pairs; a rerun resumes after the last finished chunk.

    Finished chunks are kept in OUT.spacy.partial.jsonl until OUT.spacy is written; rerun
    the same command after a crash to continue (--restart starts over). A second run on the
    same output fails at once while one is going.

    With --ray, the chunks are translated by a pool of Ray actors (each loads the model once,
    on its own GPU with --ray-gpus-per-actor or a GPU --device) and kept in the resume file
    as they arrive, in order: the output is the one a run without --ray writes, and either
    kind of run continues the other's resume file.
    """
    from ..runtime import tune_malloc

    tune_malloc()  # beam search on a CPU: far fewer page faults (SPACY_XLT_MALLOC=default: off)
    try:
        ray = None
        if ray_address is not None:
            from ..distributed import import_ray, ray_options

            ray = ray_options(ray_address, ray_actors, ray_gpus, ray_cpus)
            import_ray("spacy xlt translate --ray")  # before any work: a missing extra fails at once
        counts = translate_docs(
            input_path,
            output_path,
            model=model,
            src=src,
            tgt=tgt,
            lang=lang,
            batch_size=batch_size,
            chunk_size=chunk_size,
            num_beams=num_beams,
            max_new_tokens=max_new_tokens,
            max_length=max_length,
            device=device,
            dtype=dtype,
            backend=backend,
            compute_type=compute_type,
            restart=restart,
            ray=ray,
        )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    dropped = counts["dropped_partial_lines"]
    report_resume(counts, output_path, extra=f"; dropped {dropped} broken last line" if dropped else "")
    if counts["long_inputs"]:
        items = ", ".join(f"{key} {n}" for key, n in counts["long_inputs"].items())
        msg.warn(f"Inputs longer than --max-length {max_length} tokens: {items}")
    unfinished = counts["translator_counts"].get("unfinished", 0)
    if unfinished:
        msg.warn(
            f"{unfinished} translations reached --max-new-tokens {max_new_tokens} before they ended"
        )
    if counts["ray_actors"]:
        msg.info(f"Translated on Ray by {counts['ray_actors']} actors")
    msg.good(f"Wrote {counts['docs']} pairs to {output_path} ({counts['seconds']:.1f} s)")
