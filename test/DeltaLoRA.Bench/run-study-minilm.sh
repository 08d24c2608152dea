#!/usr/bin/env bash
# The GLUE study on all-MiniLM-L6-v2 (issue #11, items 1–2), as two nice'd processes (one per core, one libtorch thread each,
# lowest priority), resumable: run it again after an interruption and every run already in a runs.csv is skipped.
#
#   test/DeltaLoRA.Bench/run-study-minilm.sh [OUT]     default OUT: artifacts/study-minilm
#   STUDY_SMOKE=1 test/DeltaLoRA.Bench/run-study-minilm.sh /tmp/smoke     every stage on the tiny BERT fixture (tests this script)
#
# Configuration (the same for every method of a task): the paper's adapter settings (r 8, α 16, query and value, λ 0.5,
# K = warmup), 2 epochs of each task's training rows at 16 rows per step, inputs cut at 128 tokens; --train-size 8551 keeps
# CoLA, STS-B, MRPC and RTE whole and draws 8,551 of SST-2's 67,349 rows (12.7%); 10% of those rows are carved off as the
# validation split that chooses each task × method's learning rate (dev is only scored for the reported runs); 3 seeds at
# the chosen rate. Grids around what results/minilm-defaults found on SST-2: adapters 5e-4, 1e-3, 2e-3, 5e-3; Full 3e-5, 1e-4, 3e-4.
# (The adapter grid was first 1e-3, 2e-3, 5e-3, where SST-2's Delta-LoRA chose the lower edge on validation (87.95 / 86.90 /
# 80.12); then 5e-4, 1e-3, 2e-3, where SST-2's LoRA chose the upper edge (86.90 / 87.95 / 88.19); so it spans both, before
# the other tasks ran. Runs already made are reused: the key of a run does not include the grid.)
#
# Stage 1 (about 5 h wall, 9.5 CPU-hours on 2 idle cores, from measured per-step times; see README for what it took):
#   process a: the main study's Delta-LoRA and LoRA runs, task by task (SST-2, MRPC, RTE, CoLA, STS-B);
#   process b: the spectrum runs (`spectrum`: SST-2 and MRPC, Delta-LoRA, LoRA, Full at one common rate 5e-4, seed 1;
#              singular values of W_eff − W_0 and loss curves), then the main study's Full and frozen-baseline runs.
#   The parts are merged into OUT/main, whose `study` call writes results.md and plots/ without making a run.
# Stage 2 (about 7 h more on idle cores), in order of what the reading needs most, so that an interrupted stage has made the most
#   useful part: process a runs the rank sweep r ∈ {1, 16, 2} on SST-2 (r 8 is the main study), Delta-LoRA and LoRA, each rank
#   choosing its own rate from the adapter grid; then λ/K sensitivity on SST-2, λ ∈ {0, 0.25, 0.5, 1, 2} × K ∈ {0, warmup} at
#   Delta-LoRA's chosen rate, 3 seeds (in OUT/main, so that it reuses the selection runs; λ = 0 stands for every K; K = 2×warmup,
#   which changed nothing on USE-Lite, is left out: 27 runs); then SST-2 r 4, MRPC r 2 and CoLA r 1, 16. Process b runs MRPC
#   r 1, 16 and 4; a longer budget on SST-2, 4 epochs at the rates the main study chose; then CoLA r 4, 2 (CoLA is where stage 1
#   found the widest gap between the rank-8 adapters and full fine-tuning). Summaries: OUT/rank/summary.md and OUT/rank/plots/
#   (`deltalora-bench ranks`), OUT/main/sensitivity-sst2.md, OUT/sst2-long/results.md.
# A fresh machine resumes from the committed results: test/DeltaLoRA.Bench/sync-results.sh restore, then this script.
# Logs: OUT/*.log. CPU time: OUT/*.cpu (per process and session: the date, then bash `times`, whose 2nd line is its children's user and system time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-artifacts/study-minilm}"
mkdir -p "$out/part-a" "$out/part-b" "$out/main" "$out/spectrum" "$out/rank"

bash build/fetch-model.sh minilm >/dev/null
dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
# Runs from a copy of the build, so that rebuilding the repository while they run cannot change the binaries under them.
rm -rf "$out/bin" && cp -r test/DeltaLoRA.Bench/bin/Release/net10.0 "$out/bin"
export OMP_WAIT_POLICY=PASSIVE
bench=(nice -n 19 dotnet "$out/bin/deltalora-bench.dll")

adapter_grid=5e-4,1e-3,2e-3,5e-3
full_grid=3e-5,1e-4,3e-4
epochs=2 long_epochs=4 spectrum_lr=5e-4
common=(--model minilm --train-size 8551 --validation-fraction 0.1 --seeds 3 --alpha 16 --lambda 0.5
        --lr-grid DeltaLoRA=$adapter_grid --lr-grid LoRA=$adapter_grid --lr-grid Full=$full_grid)
if [[ "${STUDY_SMOKE:-}" == 1 ]]; then # the same stages on the tiny BERT fixture in a minute or two: tests this script, not the method
  common=(--quick --model ../shared/fixtures/hf/bert/BertForSequenceClassification --max-length 64 --seeds 2
          --lr-grid DeltaLoRA=1e-3,1e-2 --lr-grid LoRA=1e-3,1e-2 --lr-grid Full=1e-4,1e-3)
  epochs=1 long_epochs=2 spectrum_lr=1e-2
fi
tasks=sst2,mrpc,rte,cola,stsb

# One header, then every line of the given CSVs once (earlier merges in the target are kept).
merge() {
  local target="$1"; shift
  local existing=(); [[ -f "$target" ]] && existing=("$target")
  awk 'FNR == 1 && NR != 1 { next } !seen[$0]++' "$@" "${existing[@]}" > "$target.merged"
  mv "$target.merged" "$target"
}

run_two() { # run_two NAME_A "COMMAND A" NAME_B "COMMAND B": both in the background, wait for both, fail if either failed
  local failed=0
  (set +e; eval "$2"; rc=$?; { date -u; times; } >> "$out/$1.cpu"; exit $rc) > "$out/$1.log" 2>&1 &
  local a=$!
  (set +e; eval "$4"; rc=$?; { date -u; times; } >> "$out/$3.cpu"; exit $rc) > "$out/$3.log" 2>&1 &
  local b=$!
  echo "run-study-minilm: $1 (pid $a) and $3 (pid $b); logs in $out/$1.log, $out/$3.log"
  wait "$a" || { echo "run-study-minilm: $1 failed; see $out/$1.log" >&2; failed=1; }
  wait "$b" || { echo "run-study-minilm: $3 failed; see $out/$3.log" >&2; failed=1; }
  return $failed
}

# ---- Stage 1: main study (+ the spectrum runs) ----
run_two stage1-a '"${bench[@]}" study "${common[@]}" --epochs $epochs --tasks $tasks --methods DeltaLoRA,LoRA --out "$out/part-a"' \
        stage1-b '"${bench[@]}" spectrum "${common[@]}" --epochs $epochs --tasks sst2,mrpc --lr $spectrum_lr --seed 1 --out "$out/spectrum" \
                  && "${bench[@]}" study "${common[@]}" --epochs $epochs --tasks $tasks --methods Full,Frozen --out "$out/part-b"'
for csv in runs.csv losses.csv; do merge "$out/main/$csv" "$out/part-a/$csv" "$out/part-b/$csv"; done
"${bench[@]}" study "${common[@]}" --epochs $epochs --tasks $tasks --out "$out/main" > "$out/main-report.log" 2>&1

# ---- Stage 2: rank sweep, sensitivity, longer budget ----
# The rates the main study chose for SST-2 (final runs), for the longer budget.
chosen() { awk -F, -v m="$1" '$1 == "sst2" && $2 == m && $3 == "final" { print $4; exit }' "$out/main/runs.csv"; }
rank_sweep() { # rank_sweep TASK RANK...
  local task="$1"; shift
  for r in "$@"; do
    "${bench[@]}" study "${common[@]}" --epochs $epochs --rank "$r" --tasks "$task" --methods DeltaLoRA,LoRA --out "$out/rank/r$r-$task"
  done
}
run_two stage2-a 'rank_sweep sst2 1 16 2 && "${bench[@]}" sensitivity "${common[@]}" --epochs $epochs --task sst2 --k-multiples 0,1 --out "$out/main" \
                  && rank_sweep sst2 4 && rank_sweep mrpc 2 && rank_sweep cola 1 16' \
        stage2-b 'rank_sweep mrpc 1 16 4 && "${bench[@]}" study "${common[@]}" --epochs $long_epochs --tasks sst2 --methods DeltaLoRA,LoRA,Full \
                  --lr-grid DeltaLoRA=$(chosen DeltaLoRA) --lr-grid LoRA=$(chosen LoRA) --lr-grid Full=$(chosen Full) --out "$out/sst2-long" \
                  && rank_sweep cola 4 2'
"${bench[@]}" ranks --study "$out" > "$out/rank-report.log" 2>&1
echo "run-study-minilm: done; see $out/main/results.md, $out/spectrum/spectrum.md, $out/rank/summary.md, $out/main/sensitivity-sst2.md, $out/sst2-long/results.md"
