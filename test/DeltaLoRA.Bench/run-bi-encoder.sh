#!/usr/bin/env bash
# Sentence pairs read as a bi-encoder (issue #11 item 3): MRPC and STS-B with --pair-encoding BiEncoder, each with the settings
# of the cross-encoder study it is compared with, so that the two differ in the pair encoding only:
#   USE-Lite: the defaults of the USE-Lite study (run-study.sh: 500 steps × 16 rows, ≤ 3,600 training rows, the default
#             learning-rate grids); its cross-encoder numbers are results/runs.csv.
#   MiniLM:   the settings of run-study-minilm.sh (2 epochs of the whole training split, 10% carved off for validation, grids
#             adapters 5e-4, 1e-3, 2e-3, 5e-3 and Full 3e-5, 1e-4, 3e-4); its cross-encoder numbers are that study's.
# One process at the lowest priority, one libtorch thread; resumable (runs already in a runs.csv are skipped).
#
#   test/DeltaLoRA.Bench/run-bi-encoder.sh [OUT]     default OUT: artifacts/bi-encoder
#   MINILM_FULL=1 test/DeltaLoRA.Bench/run-bi-encoder.sh [OUT]     also MiniLM's full fine-tuning (about 10 CPU-hours more)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-artifacts/bi-encoder}"
mkdir -p "$out"
bash build/fetch-model.sh use-lite minilm >/dev/null
dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
# Runs from a copy of the build, so that rebuilding the repository while they run cannot change the binaries under them.
rm -rf "$out/bin" && cp -r test/DeltaLoRA.Bench/bin/Release/net10.0 "$out/bin"
export OMP_WAIT_POLICY=PASSIVE
bench=(nice -n 19 dotnet "$out/bin/deltalora-bench.dll")
minilm=(--model minilm --train-size 8551 --validation-fraction 0.1 --seeds 3 --epochs 2 --alpha 16 --lambda 0.5
        --lr-grid DeltaLoRA=5e-4,1e-3,2e-3,5e-3 --lr-grid LoRA=5e-4,1e-3,2e-3,5e-3 --lr-grid Full=3e-5,1e-4,3e-4)

# In order of what the comparison needs most, so that an interrupted run has made the most useful part: Delta-LoRA on MiniLM
# (STS-B, where the cross-encoder fell furthest behind the frozen sentence vectors, then MRPC); USE-Lite's LoRA and Full on
# STS-B (cheap); MiniLM's LoRA (Delta-LoRA against LoRA on the real BERT); USE-Lite's LoRA and Full on MRPC; MiniLM's Full
# only when asked (each of its runs costs about six adapter runs: full backward, two encodings per pair).
run_use_lite() { { date -u; "${bench[@]}" study --tasks "$1" --methods "$2" --pair-encoding BiEncoder --model use-lite --out "$out/use-lite"; times; } >> "$out/use-lite.log" 2>&1; }
run_minilm() { { date -u; "${bench[@]}" study --tasks "$1" --methods "$2" --pair-encoding BiEncoder "${minilm[@]}" --out "$out/minilm"; times; } >> "$out/minilm.log" 2>&1; }
run_use_lite stsb DeltaLoRA; run_use_lite mrpc DeltaLoRA
run_minilm stsb DeltaLoRA; run_minilm mrpc DeltaLoRA
run_use_lite stsb LoRA,Full
run_minilm stsb LoRA; run_minilm mrpc LoRA
run_use_lite mrpc LoRA,Full
minilm_methods=DeltaLoRA,LoRA
if [[ "${MINILM_FULL:-}" == 1 ]]; then run_minilm stsb Full; run_minilm mrpc Full; minilm_methods+=,Full; fi
# The reports over every run made.
"${bench[@]}" study --tasks stsb,mrpc --methods DeltaLoRA,LoRA,Full --pair-encoding BiEncoder --model use-lite --out "$out/use-lite" >> "$out/use-lite.log" 2>&1
"${bench[@]}" study --tasks stsb,mrpc --methods "$minilm_methods" --pair-encoding BiEncoder "${minilm[@]}" --out "$out/minilm" >> "$out/minilm.log" 2>&1
