#!/usr/bin/env bash
# Measurements behind the MiniLM defaults (README "Models"): two processes, one libtorch thread each, resumable.
#  a) learning rate per method on SST-2 with all-MiniLM-L6-v2: 500 steps × 16 rows (2 epochs of 4,000 rows), the rate chosen
#     on a 400-row validation split carved from the training rows, then one run at the chosen rate scored on dev;
#  b) pooling (BERT's pooler, [CLS] state, mean of tokens) for MiniLM and arctic-embed-xs: Delta-LoRA, 300 steps, the rate
#     chosen from {1e-3, 3e-3} on the same validation split, scored on dev;
#  c) epochs: 1 and 3 epochs of the 4,000 rows for each method at the rate a) chose (2e-3, 2e-3, 1e-4), validation and dev
#     (2 epochs is a)'s final run). The learning-rate grid of a) for Full was cut from 4 to 3 values (2e-4 dropped) for time.
#
#   test/DeltaLoRA.Bench/run-minilm-defaults.sh [OUT]     default OUT: artifacts/minilm-defaults
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-artifacts/minilm-defaults}"
mkdir -p "$out"
bash build/fetch-model.sh minilm arctic-xs >/dev/null
dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
bench=(dotnet test/DeltaLoRA.Bench/bin/Release/net10.0/deltalora-bench.dll)
export OMP_WAIT_POLICY=PASSIVE
common=(--tasks sst2 --train-size 4400 --validation-fraction 0.0909 --seeds 1)

"${bench[@]}" study "${common[@]}" --model minilm --methods DeltaLoRA,LoRA,Full --steps 500 \
  --lr-grid DeltaLoRA=5e-4,1e-3,2e-3,5e-3 --lr-grid LoRA=5e-4,1e-3,2e-3,5e-3 --lr-grid Full=2e-5,5e-5,1e-4 \
  --out "$out/learning-rate" > "$out/learning-rate.log" 2>&1 &
part_a=$!
{
  for model in minilm arctic-xs; do
    for pooling in Pooler ClsToken MeanOfTokens; do
      "${bench[@]}" study "${common[@]}" --model "$model" --pooling "$pooling" --methods DeltaLoRA --steps 300 \
        --lr-grid DeltaLoRA=1e-3,3e-3 --out "$out/pooling/$model-$pooling"
    done
  done
} > "$out/pooling.log" 2>&1 &
part_b=$!
failed=0
wait "$part_a" || { echo "run-minilm-defaults: the learning-rate part failed; see $out/learning-rate.log" >&2; failed=1; }
wait "$part_b" || { echo "run-minilm-defaults: the pooling part failed; see $out/pooling.log" >&2; failed=1; }
[[ $failed -eq 0 ]] || exit 1

epochs() {
  for e in "$@"; do
    "${bench[@]}" study "${common[@]}" --model minilm --methods DeltaLoRA,LoRA,Full --epochs "$e" \
      --lr-grid DeltaLoRA=2e-3 --lr-grid LoRA=2e-3 --lr-grid Full=1e-4 --out "$out/epochs-$e"
  done
}
epochs 1 > "$out/epochs-1.log" 2>&1 &
part_c1=$!
epochs 3 > "$out/epochs-3.log" 2>&1 &
part_c3=$!
wait "$part_c1" || { echo "run-minilm-defaults: the 1-epoch part failed; see $out/epochs-1.log" >&2; failed=1; }
wait "$part_c3" || { echo "run-minilm-defaults: the 3-epoch part failed; see $out/epochs-3.log" >&2; failed=1; }
exit $failed
