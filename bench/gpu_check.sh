#!/usr/bin/env bash
# The GPU checks of the speed benchmarks, in one run: Hugging Face against CTranslate2
# (translate, score, T-Projection's candidates) on the medium random NLLB / mT5 in float16
# and in bfloat16 (both engines at the same precision), then the constrained tagger's
# constrained / unconstrained ratio at beams 4 on the medium random mT5.
#
#     bash bench/gpu_check.sh                      # cuda, results in bench-gpu/
#     DEVICE=cuda:1 RESULTS=/tmp/gpu bash bench/gpu_check.sh
#     DEVICE=cpu SIZE=tiny bash bench/gpu_check.sh  # a dry run of the same steps on a CPU
#
# Needs the package with its ct2 extra (pip install -e ".[ct2]") and a CUDA build of torch.
# The random models are built offline into spacy_xlt.testing's cache on the first run. Each
# step writes its table (.txt) and rows (.json) to $RESULTS as it ends, so a run cut short
# keeps the steps it finished. On a CPU (DEVICE=cpu) the half types become float32 and int8.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
DEVICE=${DEVICE:-cuda}
SIZE=${SIZE:-medium}
RESULTS=${RESULTS:-bench-gpu}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
mkdir -p "$RESULTS"

if [ "${DEVICE%%:*}" = cuda ]; then
  "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: set DEVICE=cpu for a dry run')"
  "$PYTHON" -c "import torch; print('#', torch.__version__, torch.cuda.get_device_name())"
  precisions="float16 bfloat16"
else
  precisions="float32"
fi

for precision in $precisions; do
  if [ "$precision" = float32 ]; then types=float32,int8; else types=$precision; fi
  echo "== HF against CTranslate2, $SIZE, $DEVICE, $precision"
  "$PYTHON" bench/ct2.py --sizes "$SIZE" --device "$DEVICE" --hf-dtype "$precision" \
    --ct2-types "$types" --repeats "${REPEATS:-3}" --json "$RESULTS/ct2_$precision.json" \
    | tee "$RESULTS/ct2_$precision.txt"
done

echo "== constrained / unconstrained, mt5 $SIZE, beams 4, $DEVICE"
"$PYTHON" bench/constrained_decoding.py --sizes "$SIZE" --kinds mt5 --beams 4 \
  --words corpus,120 --methods incremental --sentences 16 --medium-sentences 16 \
  --rounds "${ROUNDS:-5}" --device "$DEVICE" --json "$RESULTS/constrained_decoding.json" \
  | tee "$RESULTS/constrained_decoding.txt"
echo "results: $RESULTS"
