"""Run one command per language, with {lang} in its arguments replaced by the language.

    python scripts/each_lang.py hau,ibo -- python -m spacy xlt evaluate corpus/target/{lang}/test.spacy ...

Stops at the first command that fails, with its exit status.
"""
import subprocess
import sys


def main() -> None:
    argv = sys.argv[1:]
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: each_lang.py LANG1,LANG2 -- COMMAND ARGS ({lang} is replaced)")
    langs = [lang.strip() for lang in argv[0].split(",") if lang.strip()]
    command = argv[2:]
    if command[0] == "python":
        command[0] = sys.executable
    for lang in langs:
        args = [arg.replace("{lang}", lang) for arg in command]
        print("$", " ".join(args), flush=True)
        status = subprocess.call(args)
        if status != 0:
            raise SystemExit(f"failed for {lang} (exit status {status}): {' '.join(args)}")


if __name__ == "__main__":
    main()
