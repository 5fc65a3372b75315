"""The statistical aligner against the ``eflomal`` package, side by side in one run.

    python bench/statistical_aligner.py                       # 2,676 OTE + 2.7k/10k/30k generated
    python bench/statistical_aligner.py --sizes 10000,30000 --repeats 3 --json bench_sa.json
    python bench/statistical_aligner.py --sizes 100000 --repeats 1    # memory at 100k pairs
    python bench/statistical_aligner.py --sizes 10000 --thot          # + sil-thot's sampler

Both aligners do the whole job on the same sentence pairs, from word lists in memory to
sorted (source, target) links per pair: forward and reverse eflomal models (IBM1 -> HMM ->
fertility, 3 samplers, the same corpus-scaled sweep schedule), symmetrised with
grow-diag-final-and.

* ours: ``StatisticalAligner(seed=0).align(pairs)`` (spacy_xlt.projection.statistical,
  its default native engine: the numba sampler of spacy_xlt.projection.sampler; its token
  normalisation, prefix_length 4). Importing the sampler loads its compiled kernels from
  numba's disk cache (or compiles them, about 5 s, the first time on a machine), a fixed
  cost per process like loading eflomal's module and binary: it happens before the
  baseline, and the table prints its time and memory apart, on a line of their own.
* eflomal: the ``eflomal`` package (GPL; never a dependency of spacy_xlt: this script
  installs it with ``pip install --target`` into a folder of its own, reused between runs,
  and imports it only in the worker subprocess). Its own preparation
  (``eflomal.Aligner(source_prefix_len=4, target_prefix_len=4).prepare_files``: lower-casing,
  4-character prefixes), its binary on both directions at once (``-f`` and ``-r``, the
  options ``eflomal.Aligner.align`` passes, with its default schedule), its link files read
  back, and grow-diag-final-and by thot's ``WordAlignmentMatrix`` (eflomal has no
  symmetrisation of its own; this is the same heuristic the statistical aligner uses, and
  gives identical links to thot's ``SymmetrizedAlignmentModel`` on the same directional
  links).

Each run is a fresh worker process; the aligners alternate (ours, eflomal, ours, ...) and
the best wall time of ``--repeats`` runs gives pairs/s. "CPU s" is the median process CPU
time (user + system, eflomal's binary included). "peak MB" is the median peak resident
memory of the run above the worker's baseline (interpreter, imports and the pairs, measured
just before aligning; the high-water mark is reset there), eflomal's binary included
(its own peak, polled from /proc while it runs). Timings on a shared machine are noisy:
compare the ratios of one run, not absolute figures between runs; where the machine is
oversubscribed, wall time follows each process's share of the CPUs (eflomal runs four
threads on two CPUs, ours two) and the CPU ratio is the steadier figure of the work done.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
EFLOMAL_DIR = Path(tempfile.gettempdir()) / "spacy_xlt_bench_eflomal"
PREFIX = 4  # the statistical aligner's default prefix_length, given to eflomal too

Pair = Tuple[List[str], List[str]]


# ---------------------------------------------------------------------------- memory


def _status_kb(field: str, pid: str = "self") -> Optional[int]:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux >= 4.0); False where impossible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _peak_kb() -> int:
    peak = _status_kb("VmHWM")
    if peak is not None:
        return peak
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# ---------------------------------------------------------------------------- workers


def _align_ours(pairs: Sequence[Pair], engine: str = "auto") -> List[List[Tuple[int, int]]]:
    from spacy_xlt.projection.statistical import StatisticalAligner

    return StatisticalAligner(seed=0, engine=engine).align(pairs)


def _eflomal_schedule(n: int) -> Tuple[int, int, int]:
    """eflomal.cython.align's default schedule (rel_iterations 1, model 3)."""
    iters = max(2, int(round(5000 / n**0.5))) if n else 2
    quarter = max(1, iters // 4)
    return max(2, quarter), quarter, iters


def _read_links(path: str) -> List[List[Tuple[int, int]]]:
    out = []
    with open(path, encoding="ascii") as lines:
        for line in lines:
            links = []
            for link in line.split():
                i, _, j = link.partition("-")
                links.append((int(i), int(j)))
            out.append(links)
    return out


def _align_eflomal(
    pairs: Sequence[Pair], peaks: List[int], phases: Dict[str, float]
) -> List[List[Tuple[int, int]]]:
    """eflomal forward + reverse (its binary, both directions at once), then
    grow-diag-final-and with thot's matrices; the binary's peak RSS goes to ``peaks``, the
    wall seconds of each step to ``phases``."""
    import eflomal
    import thot.common as tc

    clock = time.perf_counter()

    def line(words: Sequence[str]) -> str:
        return " ".join("_".join(w.split()) or "_" for w in words)

    aligner = eflomal.Aligner(source_prefix_len=PREFIX, target_prefix_len=PREFIX)
    with tempfile.TemporaryDirectory() as tmp:
        src, tgt = os.path.join(tmp, "src"), os.path.join(tmp, "tgt")
        fwd, rev = os.path.join(tmp, "fwd"), os.path.join(tmp, "rev")
        with open(src, "wb") as src_file, open(tgt, "wb") as tgt_file:
            aligner.prepare_files(
                (line(s) for s, _ in pairs),
                src_file,
                (line(t) for _, t in pairs),
                tgt_file,
                None,
                None,
            )
        phases["prepare_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        binary = os.path.join(os.path.dirname(eflomal.__file__), "bin", "eflomal")
        i1, i2, i3 = _eflomal_schedule(len(pairs))
        args = [binary, "-m", "3", "-s", src, "-t", tgt, "-n", "3", "-N", "0.2", "-q",
                "-1", str(i1), "-2", str(i2), "-3", str(i3), "-f", fwd, "-r", rev]  # fmt: skip
        process = subprocess.Popen(args)
        peak = [0]

        def poll() -> None:
            while process.poll() is None:
                peak[0] = max(peak[0], _status_kb("VmHWM", str(process.pid)) or 0)
                time.sleep(0.01)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        if process.wait() != 0:
            raise RuntimeError(f"eflomal exited with status {process.returncode}")
        poller.join()
        peaks.append(peak[0])
        phases["binary_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        forward, reverse = _read_links(fwd), _read_links(rev)
    out = []
    for (s, t), f_links, r_links in zip(pairs, forward, reverse):
        if not s or not t:
            out.append([])
            continue
        # put_list: per column, the 1-based row of its one link (0: none). A forward link
        # set has at most one source word per target word, a reverse one the converse.
        by_target, by_source = [0] * len(t), [0] * len(s)
        for i, j in f_links:
            by_target[j] = i + 1
        for i, j in r_links:
            by_source[i] = j + 1
        a, b = tc.WordAlignmentMatrix(), tc.WordAlignmentMatrix()
        a.init(len(s), len(t))
        a.put_list(by_target)
        b.init(len(t), len(s))
        b.put_list(by_source)
        b.transpose()
        rows, cols = a.grow_diag_final_and(b).to_numpy().nonzero()
        out.append(list(zip(rows.tolist(), cols.tolist())))
    phases["links_s"] = time.perf_counter() - clock  # reading the links, symmetrising
    return out


def worker(which: str, pairs_path: str, out_path: str, eflomal_dir: str) -> None:
    """One timed run in this (fresh) process; writes its figures to ``out_path``."""
    import resource

    if which == "eflomal":
        sys.path.insert(0, eflomal_dir)
        import eflomal  # noqa: F401  (imported before the baseline)
        import thot.common  # noqa: F401
    else:
        import thot.alignment  # noqa: F401

        import spacy_xlt.projection.statistical  # noqa: F401

        before_load, clock = _status_kb("VmRSS") or 0, time.perf_counter()
        import spacy_xlt.projection.sampler  # noqa: F401  (loads the compiled kernels)

        load = (time.perf_counter() - clock, ((_status_kb("VmRSS") or 0) - before_load) / 1024)
    with open(pairs_path, encoding="utf8") as f:
        pairs = [(s, t) for s, t in json.load(f)]
    baseline = _status_kb("VmRSS") or 0
    reset = _reset_peak()
    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    peaks: List[int] = []
    phases: Dict[str, float] = {}
    if which == "eflomal":
        links = _align_eflomal(pairs, peaks, phases)
    else:
        links = _align_ours(pairs, "thot" if which == "thot" else "auto")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum((a.ru_utime - b.ru_utime) + (a.ru_stime - b.ru_stime) for a, b in zip(after, before))
    peak = _peak_kb()
    result = {
        "wall_s": wall,
        "cpu_s": cpu,
        "baseline_mb": baseline / 1024,
        "peak_mb": (max(peak - baseline, 0) + sum(peaks)) / 1024 if reset else None,
        "binary_peak_mb": sum(peaks) / 1024 if peaks else None,
        "phases": phases,
        "links": sum(len(x) for x in links),
    }
    if which != "eflomal":  # the one-off load of the native sampler, before the baseline
        result["load_s"], result["load_mb"] = load
    with open(out_path, "w", encoding="utf8") as f:
        json.dump(result, f)


# ---------------------------------------------------------------------------- driver


def ensure_eflomal(folder: Path, fresh: bool = False) -> Path:
    """eflomal installed with pip into ``folder`` (its own target folder, never this
    environment); reused when already there."""
    probe = [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(folder)!r}); import eflomal",
    ]
    if not fresh and subprocess.run(probe, capture_output=True).returncode == 0:
        return folder
    print(
        f"installing eflomal into {folder} (pip install --target; a source build) ...", flush=True
    )
    folder.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "pip", "install", "-q", "--upgrade", "--target", str(folder)]
    # numpy is already here (thot needs it); its own copy would shadow ours in the worker
    subprocess.run(base + ["--no-deps", "eflomal"], check=True)
    if subprocess.run(probe, capture_output=True).returncode != 0:
        subprocess.run(base + ["eflomal"], check=True)
    return folder


def ote_pairs(data: Path) -> List[Pair]:
    """The 2,676 OTE en->es pairs (train + test, English and their manual projections)."""
    from spacy_xlt.corpora import read_tagged

    ote = data / "ote"
    source, target = [], []
    for split in ("train", "test"):
        source += read_tagged(ote / "original" / "en" / f"en.absa.{split}.tsv")
        target += read_tagged(ote / "manual_projections" / "en2es" / f"DeepL.Iker.{split}.tsv")
    return [(s.words, t.words) for s, t in zip(source, target)]


def generated_pairs(n: int) -> List[Pair]:
    from spacy_xlt.testing import generate_parallel

    return [(e.src_words, e.tgt_words) for e in generate_parallel(n, seed=0)]


def run_once(which: str, pairs_path: str, eflomal_dir: Path) -> Dict[str, Any]:
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as out:
        out_path = out.name
    try:
        cmd = [sys.executable, __file__, "--worker", which, "--pairs-file", pairs_path,
               "--out", out_path, "--eflomal-dir", str(eflomal_dir)]  # fmt: skip
        subprocess.run(cmd, check=True)
        with open(out_path, encoding="utf8") as f:
            return json.load(f)
    finally:
        os.unlink(out_path)


def bench(
    name: str, pairs: List[Pair], repeats: int, eflomal_dir: Path, thot: bool = False
) -> Dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf8") as f:
        json.dump(pairs, f)
        pairs_path = f.name
    runs: Dict[str, List[Dict[str, Any]]] = {"ours": [], "eflomal": []}
    if thot:
        runs["thot"] = []
    try:
        for _ in range(repeats):
            for which in runs:
                runs[which].append(run_once(which, pairs_path, eflomal_dir))
    finally:
        os.unlink(pairs_path)
    row: Dict[str, Any] = {"set": name, "pairs": len(pairs), "repeats": repeats}
    for which, results in runs.items():
        best = min(r["wall_s"] for r in results)
        peaks = [r["peak_mb"] for r in results if r["peak_mb"] is not None]
        row[which] = {
            "pairs_per_s": len(pairs) / best,
            "best_wall_s": best,
            "walls_s": [round(r["wall_s"], 3) for r in results],
            "cpu_s": statistics.median(r["cpu_s"] for r in results),
            "peak_mb": statistics.median(peaks) if peaks else None,
            "baseline_mb": statistics.median(r["baseline_mb"] for r in results),
            "links": results[0]["links"],
        }
        if "load_s" in results[0]:
            row[which]["load_s"] = statistics.median(r["load_s"] for r in results)
            row[which]["load_mb"] = statistics.median(r["load_mb"] for r in results)
        if which == "eflomal":
            row[which]["binary_peak_mb"] = statistics.median(
                r["binary_peak_mb"] or 0 for r in results
            )
            row[which]["phases_s"] = {
                key: statistics.median(r["phases"][key] for r in results)
                for key in results[0]["phases"]
            }
    row["ratio"] = row["ours"]["pairs_per_s"] / row["eflomal"]["pairs_per_s"]
    row["cpu_ratio"] = row["eflomal"]["cpu_s"] / row["ours"]["cpu_s"]
    ours_peak, their_peak = row["ours"]["peak_mb"], row["eflomal"]["peak_mb"]
    row["memory_ratio"] = ours_peak / their_peak if ours_peak and their_peak else None
    if thot:
        row["thot_ratio"] = row["thot"]["pairs_per_s"] / row["eflomal"]["pairs_per_s"]
        row["thot_cpu_ratio"] = row["eflomal"]["cpu_s"] / row["thot"]["cpu_s"]
    return row


def print_table(rows: List[Dict[str, Any]]) -> None:
    head = (
        f"{'set':<16} {'pairs':>7} | {'ours p/s':>9} {'eflomal p/s':>11} {'ratio':>6} | "
        f"{'ours CPU s':>10} {'efl CPU s':>9} {'CPU ratio':>9} | "
        f"{'ours MB':>8} {'efl MB':>7} {'mem x':>6} | {'base MB':>12}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        o, e = r["ours"], r["eflomal"]
        mem = f"{r['memory_ratio']:.2f}" if r["memory_ratio"] else "n/a"
        om = f"{o['peak_mb']:.0f}" if o["peak_mb"] is not None else "n/a"
        em = f"{e['peak_mb']:.0f}" if e["peak_mb"] is not None else "n/a"
        print(
            f"{r['set']:<16} {r['pairs']:>7} | {o['pairs_per_s']:>9.0f} {e['pairs_per_s']:>11.0f} "
            f"{r['ratio']:>5.2f}x | {o['cpu_s']:>10.2f} {e['cpu_s']:>9.2f} {r['cpu_ratio']:>8.2f}x | "
            f"{om:>8} {em:>7} {mem:>6} | {o['baseline_mb']:>5.0f} / {e['baseline_mb']:>4.0f}"
        )
    print(
        "ratio: ours / eflomal pairs/s (best wall of the repeats); CPU ratio: eflomal CPU s / ours "
        "(> 1: ours does less work); MB: peak RSS above the worker's baseline (base MB: ours / eflomal)."
    )
    for r in rows:
        o = r["ours"]
        print(
            f"ours, {r['set']} {r['pairs']}: loading the compiled sampler (its import, once per "
            f"process, before the baseline) took {o['load_s']:.2f} s and {o['load_mb']:.0f} MB"
        )
    for r in rows:
        if "thot" in r:
            t = r["thot"]
            print(
                f"engine='thot', {r['set']} {r['pairs']}: {t['pairs_per_s']:.0f} p/s, "
                f"{r['thot_ratio']:.2f}x eflomal's (CPU ratio {r['thot_cpu_ratio']:.2f}x), "
                f"peak {t['peak_mb'] or 0:.0f} MB"
            )
    for r in rows:
        phases = r["eflomal"]["phases_s"]
        total = sum(phases.values()) or 1.0
        print(
            f"eflomal steps, {r['set']} {r['pairs']} (median s): "
            + ", ".join(f"{k[:-2]} {v:.2f} ({100 * v / total:.0f}%)" for k, v in phases.items())
            + f"; binary peak {r['eflomal']['binary_peak_mb']:.0f} MB"
        )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="ote,2676,10000,30000",
                        help="comma-separated: 'ote' (the real OTE en->es pairs) and/or numbers "
                             "of generated pairs (default: %(default)s)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="runs of each aligner (best wall)")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder (OTE)")
    parser.add_argument("--eflomal-dir", type=Path, default=EFLOMAL_DIR)
    parser.add_argument("--fresh", action="store_true", help="reinstall eflomal")
    parser.add_argument("--json", type=Path, help="save the table here")
    parser.add_argument("--thot", action="store_true",
                        help="also time engine='thot' (sil-thot's sampler) in the same runs")  # fmt: skip
    parser.add_argument("--worker", choices=["ours", "eflomal", "thot"], help=argparse.SUPPRESS)
    parser.add_argument("--pairs-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.pairs_file, args.out, str(args.eflomal_dir))
        return 0
    eflomal_dir = ensure_eflomal(args.eflomal_dir, args.fresh)
    rows = []
    for size in args.sizes.split(","):
        size = size.strip()
        if size == "ote":
            if not (args.data / "ote").exists():
                print(f"skipping OTE: {args.data / 'ote'} not found", flush=True)
                continue
            name, pairs = "OTE en-es", ote_pairs(args.data)
        else:
            name, pairs = "generated", generated_pairs(int(size))
        print(f"{name}: {len(pairs)} pairs, {args.repeats} runs of each ...", flush=True)
        rows.append(bench(name, pairs, args.repeats, eflomal_dir, args.thot))
    print()
    print_table(rows)
    if args.json:
        info = {"python": platform.python_version(), "cpus": os.cpu_count(), "rows": rows}
        args.json.write_text(json.dumps(info, indent=2), encoding="utf8")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
