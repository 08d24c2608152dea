#!/usr/bin/env bash
# The runs behind `deltalora-bench angles` on all-MiniLM-L6-v2 (issue #27, item 3): does Delta-LoRA's weight change point
# along LoRA's directions? One process, one run at a time, one libtorch thread, resumable (a run already in its folder's
# runs.csv is skipped).
#
#   test/DeltaLoRA.Bench/run-angles-minilm.sh [OUT]     default OUT: artifacts/angles-minilm
#
# The MiniLM study's budget and adapter settings (run-study-minilm.sh: --train-size 8551, 10% validation, 2 epochs, r 8, α 16,
# λ 0.5, K = warmup), on SST-2 and MRPC at one common rate per task, the rate the study chose for LoRA there (2e-3 on both):
#   OUT/seed1: Delta-LoRA and LoRA, seed 1;  OUT/seed2: LoRA, seed 2 (the reference for how far two LoRA runs differ).
# Each run's model is saved (full zip, carrying the delta) in OUT/seed{1,2}/models/; `spectrum` also writes the singular values.
# Then `angles` compares the zips (Delta-LoRA against LoRA at seed 1; LoRA seed 1 against seed 2): OUT/angles.md, OUT/angles.csv.
# Start it in its own session at the lowest priority:  setsid test/DeltaLoRA.Bench/run-angles-minilm.sh & echo 19 > /proc/$!/autogroup
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-artifacts/angles-minilm}"
mkdir -p "$out"

bash build/fetch-model.sh minilm >/dev/null
if [[ ! -d "$out/bin" ]]; then # a copy of the build, so that rebuilding the repository cannot change the binaries under the runs
  dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
  cp -r test/DeltaLoRA.Bench/bin/Release/net10.0 "$out/bin"
fi
export OMP_WAIT_POLICY=PASSIVE
bench=(nice -n 19 dotnet "$out/bin/deltalora-bench.dll")
rate=2e-3
common=(--model minilm --train-size 8551 --validation-fraction 0.1 --seeds 3 --alpha 16 --lambda 0.5 --epochs 2 --threads 1 --lr $rate)

# SST-2 first, whole (both methods, then the seed-2 reference), then MRPC: an interrupted run leaves one task complete.
step() { # step LABEL SPECTRUM-ARGS...: one spectrum invocation, its CPU time logged
  local label="$1"; shift
  "${bench[@]}" spectrum "${common[@]}" "$@"
  { date -u; echo "$label"; times; } >> "$out/cpu.log"
}
step "sst2 seed 1" --tasks sst2 --methods DeltaLoRA,LoRA --seed 1 --out "$out/seed1"
step "sst2 seed 2" --tasks sst2 --methods LoRA --seed 2 --out "$out/seed2"
step "mrpc seed 1" --tasks sst2,mrpc --methods DeltaLoRA,LoRA --seed 1 --out "$out/seed1"
step "mrpc seed 2" --tasks sst2,mrpc --methods LoRA --seed 2 --out "$out/seed2"

# The comparison reads only the saved zips and makes no run: the repository's current build.
dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
models() { echo "$out/seed$2/models/$1-$3-lr0.002-seed$2.zip"; }
pairs=()
for task in sst2 mrpc; do
  pairs+=(--pair "$task Delta-LoRA vs LoRA (seed 1)=$(models $task 1 DeltaLoRA),$(models $task 1 LoRA)"
          --pair "$task LoRA seed 1 vs seed 2=$(models $task 1 LoRA),$(models $task 2 LoRA)")
done
dotnet test/DeltaLoRA.Bench/bin/Release/net10.0/deltalora-bench.dll angles "${pairs[@]}" --out "$out"
