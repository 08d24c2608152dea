#!/usr/bin/env bash
# Full-data calibration on all-MiniLM-L6-v2 (issue #27, item 1): `deltalora-bench calibrate`, one process, one libtorch thread,
# lowest priority, resumable (a run already in OUT/calibration.csv is skipped; a killed run is made again from its start).
#
#   test/DeltaLoRA.Bench/run-calibration-minilm.sh start [OUT]    build, copy the binaries to OUT/bin, launch in the background
#                                                                 (setsid + nohup, survives the shell), pid in OUT/pid
#   test/DeltaLoRA.Bench/run-calibration-minilm.sh pause|resume [OUT]   SIGSTOP / SIGCONT to its process group, logged in OUT/pauses.log
#   test/DeltaLoRA.Bench/run-calibration-minilm.sh status [OUT]   alive or not, the last log lines, the runs finished
#   test/DeltaLoRA.Bench/run-calibration-minilm.sh save [OUT]     copy calibration.csv, calibration.md, losses.csv.gz into
#                                                                 results/calibration-minilm of this checkout (to commit)
#   test/DeltaLoRA.Bench/run-calibration-minilm.sh run [OUT]      the job itself, in the foreground (what start launches)
#   CALIB_SMOKE=1 test/DeltaLoRA.Bench/run-calibration-minilm.sh run /tmp/calib-smoke   the same on the tiny BERT fixture (seconds)
# OUT defaults to /work/calib: outside every worktree, so that it survives them. OUT/calibration.md is rewritten after every
# finished run, so it always summarizes the partial results; `deltalora-bench calibration-summary --csv OUT/calibration.csv` rewrites it.
#
# What it runs: per task and method (Full, LoRA, Delta-LoRA), seed 1, the whole training split less the study's 10% validation
# split (SST-2: 60,614 + 6,735 of 67,349 rows), up to 3 epochs (SST-2) or 10 (MRPC, RTE, STS-B, CoLA) with the trainer's early
# stopping on validation (patience 2; the best epoch's weights are kept and scored), r 8, α 16, λ 0.5, K = warm-up (6% of the
# most steps), batch 16, inputs cut at 128 tokens, at the learning rate the MiniLM study chose for that task × method (its final
# runs in results/minilm-study/main/runs.csv, copied to OUT/study-runs.csv), scored on the official dev split.
# Order: SST-2 Delta-LoRA, LoRA, Full first, then MRPC, RTE, STS-B, CoLA.
#
# Cost estimate (per-step times: SST-2 measured 2026-12-06 07:00 UTC with this bench, 50 steps, one thread, whole training split,
# load average 8–17 from other jobs: Delta-LoRA 10.55 s / 50 = 0.21 s per step, Full 21.95 s / 50 = 0.44 s, model loading and
# tokenizing 60,614 rows included; the other tasks from the study's one-thread per-step times in the bench README, Delta-LoRA ≈ LoRA
# / Full: MRPC 0.67 / 0.99, RTE 0.91 / 1.26, STS-B 0.40 / 0.82, CoLA 0.19 / 0.52 s), at most steps (no early stop), per run:
#   SST-2  11,367 steps (3 × 3,789): adapters ≈ 40 min, Full ≈ 83 min, + ≈ 2 min of validation and dev each → ≈ 2.9 h
#   MRPC    2,070 steps (10 × 207):  adapters ≈ 23 min, Full ≈ 34 min → ≈ 1.3 h
#   RTE     1,410 steps (10 × 141):  adapters ≈ 21 min, Full ≈ 30 min → ≈ 1.2 h
#   STS-B   3,240 steps (10 × 324):  adapters ≈ 22 min, Full ≈ 44 min → ≈ 1.5 h
#   CoLA    4,810 steps (10 × 481):  adapters ≈ 15 min, Full ≈ 42 min → ≈ 1.2 h
# ≈ 8 process-hours for one seed on a core of its own; early stopping shortens the 10-epoch tasks, other jobs on the 2 shared
# cores (this one yields to them: autogroup nice 19) stretch it, likely 1.5–2× here. Each further seed costs as much again.
# Observed at launch (2026-12-06 07:22–07:29 UTC, load average 45–50 from the other sessions' builds and tests): SST-2 Delta-LoRA's
# first 600 steps took about 7 minutes (0.7 s per step, 29–131 examples/s between progress lines): under that load the first run
# takes hours, not 40 minutes.
# Logs: OUT/calibration.log; CPU time: OUT/calibration.cpu (the date, then bash `times`: its 2nd line is the children's user and system time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
action="${1:-}"
out="${2:-/work/calib}"

run() {
  cd "$root"
  mkdir -p "$out"
  echo 19 > "/proc/$$/autogroup" 2>/dev/null || true # yield the cores to everyone else (nice alone does not, across sessions)
  local model=minilm rates=test/DeltaLoRA.Bench/results/minilm-study/main/runs.csv
  local args=(--model "$model" --tasks sst2,mrpc,rte,stsb,cola --methods DeltaLoRA,LoRA,Full --seeds 1 --validation-fraction 0.1
              --batch-size 16 --max-length 128 --rank 8 --alpha 16 --lambda 0.5 --patience 2 --threads 1 --rates "$out/study-runs.csv")
  if [[ "${CALIB_SMOKE:-}" == 1 ]]; then # tests this script on the tiny BERT fixture, not the method
    args=(--quick --model ../shared/fixtures/hf/bert/BertForSequenceClassification --tasks sst2,mrpc --epochs 2 --patience 1 --threads 1
          --lr-grid DeltaLoRA=1e-2 --lr-grid LoRA=1e-2 --lr-grid Full=1e-3)
  else
    bash build/fetch-model.sh "$model" >/dev/null
  fi
  dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
  # Runs from a copy of the build and of the rates, so that rebuilding or checking out another branch cannot change them under it.
  rm -rf "$out/bin" && cp -r test/DeltaLoRA.Bench/bin/Release/net10.0 "$out/bin"
  cp "$rates" "$out/study-runs.csv"
  local commit; commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src test/DeltaLoRA.Bench || echo -dirty)"
  export OMP_WAIT_POLICY=PASSIVE
  local rc=0
  dotnet "$out/bin/deltalora-bench.dll" calibrate "${args[@]}" --commit "$commit" --out "$out" || rc=$?
  { date -u; times; } >> "$out/calibration.cpu"
  return $rc
}

group() { # the process group of the running job, or fail
  [[ -f "$out/pid" ]] && kill -0 "$(cat "$out/pid")" 2>/dev/null || { echo "run-calibration-minilm: no running job in $out" >&2; exit 1; }
  cat "$out/pid"
}

case "$action" in
  run) run ;;
  start)
    if [[ -f "$out/pid" ]] && kill -0 "$(cat "$out/pid")" 2>/dev/null; then echo "run-calibration-minilm: already running (pid $(cat "$out/pid"))" >&2; exit 1; fi
    mkdir -p "$out"
    # setsid: its own session and process group (pgid = pid), so pause/resume reach the job and only it; nohup: survives the shell.
    setsid nohup "$root/test/DeltaLoRA.Bench/run-calibration-minilm.sh" run "$out" >> "$out/calibration.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$out/pid"
    echo 19 > "/proc/$pid/autogroup" 2>/dev/null || true
    echo "run-calibration-minilm: started (pid $pid); log $out/calibration.log, summary $out/calibration.md"
    ;;
  pause|resume)
    pgid="$(group)"
    kill "-$([[ "$action" == pause ]] && echo STOP || echo CONT)" -- "-$pgid"
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $action pgid $pgid ${3:-}" >> "$out/pauses.log"
    echo "run-calibration-minilm: ${action}d (process group $pgid)"
    ;;
  status)
    if [[ -f "$out/pid" ]] && kill -0 "$(cat "$out/pid")" 2>/dev/null; then
      echo "running: pid $(cat "$out/pid"), state $(ps -o stat= -p "$(cat "$out/pid")")"
    else echo "not running"; fi
    grep -v ' step ' "$out/calibration.log" | tail -n 5 || true
    tail -n 2 "$out/calibration.log" || true
    [[ -f "$out/calibration.csv" ]] && echo "finished runs: $(($(wc -l < "$out/calibration.csv") - 1))"
    ;;
  save)
    results="$root/test/DeltaLoRA.Bench/results/calibration-minilm"
    mkdir -p "$results"
    cp "$out/calibration.csv" "$out/calibration.md" "$results/"
    gzip -c "$out/losses.csv" > "$results/losses.csv.gz.tmp" && mv "$results/losses.csv.gz.tmp" "$results/losses.csv.gz"
    [[ -f "$out/pauses.log" ]] && cp "$out/pauses.log" "$results/"
    echo "run-calibration-minilm: copied $(($(wc -l < "$out/calibration.csv") - 1)) runs to $results"
    ;;
  *) echo "usage: $0 start|run|pause|resume|status|save [OUT]" >&2; exit 2 ;;
esac
