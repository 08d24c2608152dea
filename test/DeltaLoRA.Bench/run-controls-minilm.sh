#!/usr/bin/env bash
# The MiniLM study's missing controls (issue #27, item 2), all from ONE build of the bench, so that every comparison can be paired
# by seed: `deltalora-bench study` calls at fixed rates (a one-value --lr-grid skips selection), one process at a time, one libtorch
# thread, lowest priority, resumable (a run already in a folder's runs.csv is skipped; a killed run is made again from its start).
#
#   test/DeltaLoRA.Bench/run-controls-minilm.sh start [OUT]    launch in the background (setsid + nohup), pid in OUT/pid
#   test/DeltaLoRA.Bench/run-controls-minilm.sh pause|resume [OUT]   SIGSTOP / SIGCONT to its process group, logged in OUT/pauses.log
#   test/DeltaLoRA.Bench/run-controls-minilm.sh status [OUT]   alive or not, the last log lines, the runs finished
#   test/DeltaLoRA.Bench/run-controls-minilm.sh save [OUT]     copy every folder's runs.csv and losses (.csv.gz) into
#                                                             results/minilm-controls of this checkout and write controls.md there
#                                                             (`deltalora-bench controls`, built from this checkout; makes no run)
#   test/DeltaLoRA.Bench/run-controls-minilm.sh run [OUT]      the job itself, in the foreground (what start launches)
#   test/DeltaLoRA.Bench/run-controls-minilm.sh helper SEED [OUT]   a second process for the second core, beside a running job:
#                                                             SEED's (c), (b), (d) from the last run backwards, into the same
#                                                             folders with the same build; it stops before the run the job is on
#                                                             (the last "== HH:MM:SS" line of OUT/controls.log names it). Log
#                                                             OUT/helper.log, pid OUT/helper.pid; `run-helper SEED [OUT]` in the
#                                                             foreground. Where the job reaches a run the helper is making, both
#                                                             make it (one build, one seed: the same run twice); `save` keeps one.
#   CONTROLS_DRY=1 test/DeltaLoRA.Bench/run-controls-minilm.sh run /tmp/controls-dry   print the plan's calls in order, run nothing
#   CONTROLS_DRY=fail …                                      the same with every call failing: the job stops at the first
# The job stops at the first failed run (exit status of that run): a failure that hits every run (once, every process failed to
# load libtorch) must not race through the whole plan; a `start` later goes on from that run.
# OUT defaults to /work/controls: outside every worktree, so that it survives them.
#
# One build: the first `run` builds the bench and copies it to OUT/bin (its commit in OUT/build.txt); every later `run` reuses
# OUT/bin as it is, so that a restart cannot mix builds (builds of the bench have drawn differently for the same seed number;
# the step-1 loss shows it). Delete OUT to start over with another build.
#
# Configuration: the study's main-run budget (run-study-minilm.sh): all-MiniLM-L6-v2, --train-size 8551 (MRPC and CoLA whole,
# SST-2 an 8,551-row subsample), 10% validation, 2 epochs at 16 rows per step (MRPC 414 steps, SST-2 and CoLA 962), inputs cut at
# 128 tokens, λ 0.5, K = warmup, adapters on query and value; every run scored on the whole dev split. The rates are the ones the
# study chose on validation for that task, rank and method (its final runs in results/minilm-study/main and rank/r*-*/).
# A run's key in runs.csv holds neither r nor α, so every (α arm, r, task) has its own folder: OUT/alpha16/r{R}-{task} and
# OUT/alpha2r/r{R}-{task} (α = 2r; at r 8 both arms are α 16, so the α = 2r arm's r-8 point is OUT/alpha16/r8-{task}).
#
# Runs, in this order (each line a `study` call; "seed s" runs seed s, the seeds below it already made are skipped):
#   (a) MRPC r 16, α 16 at the rates each method chose (Delta-LoRA 1e-3, LoRA 2e-3), seeds 1, 2, 3 in turn: 6 runs.
#   (c) seed 1, the rank sweep's two arms on MRPC and SST-2 at r 1, 16, 4 (the largest change of the scale α/r first):
#       α 16 arm at the rates each rank chose (MRPC r1 1e-3/1e-3, r4 2e-3/2e-3; SST-2 r1 1e-3/1e-3, r4 1e-3/1e-3,
#       r16 1e-3/2e-3 — Delta-LoRA/LoRA; MRPC r16 is (a)), and the α = 2r arm (α/r = 2, the main study's scale) at the rates
#       the main study chose at r 8, where α/r is 2 as well (MRPC 2e-3/2e-3, SST-2 1e-3/2e-3): only r moves in that arm. 22 runs.
#   (b) seed 1, same-rate controls in both directions for every α-16 cell where the two methods chose different rates
#       (Delta-LoRA at a, LoRA at b: LoRA at a and Delta-LoRA at b), with the chosen-rate runs re-made in this build where
#       (a) and (c) have not: MRPC r16 (1e-3 / 2e-3) and SST-2 r16 (1e-3 / 2e-3) 2 runs each; then 4 runs each for SST-2 r8
#       (1e-3 / 2e-3), CoLA r8 (1e-3 / 2e-3), SST-2 r2 (5e-4 / 1e-3), CoLA r1 (1e-3 / 2e-3), CoLA r16 (1e-3 / 2e-3). 24 runs.
#   (d) seed 1, MRPC r 8 α 16 at the main study's rates (2e-3 / 2e-3), the common point of both arms (SST-2's is in (b)). 2 runs.
#   Then (c), (b), (d) again for seed 2, then for seed 3: 48 runs each.
# 150 runs in all: 6 + 3 × 48.
#
# Cost estimate, one core to itself (per-step times measured by the study with this bench, one thread: MRPC 0.67 s, SST-2 about
# 0.21 s, CoLA 0.19 s per step; a process start, tokenizing and scoring validation + dev add about 20–40 s):
#   MRPC run ≈ 414 × 0.67 s ≈ 4.6 min + 0.5 ≈ 5 min;  SST-2 ≈ 962 × 0.21 s ≈ 3.4 min + 0.5 ≈ 4 min;  CoLA ≈ 962 × 0.19 s ≈ 3 min + 0.5 ≈ 3.5 min.
#   (a) 6 MRPC ≈ 30 min; (c) seed 1: 10 MRPC + 12 SST-2 ≈ 98 min; (b) seed 1: 2 MRPC + 10 SST-2 + 12 CoLA ≈ 92 min; (d) ≈ 10 min:
#   seed 1 ≈ 3.8 h; each further seed ≈ 3.3 h; all ≈ 10.5 process-hours on a free core. This job yields to everything else
#   (autogroup nice 19) and shares 2 cores with a load test until about 10:50 UTC on 2026-12-06 and with the calibration job
#   (/work/calib), so its wall time is likely 1.5–2× that, or more while the load test runs.
# Logs: OUT/controls.log; CPU time: OUT/controls.cpu (the date, then bash `times`: its 2nd line is the children's user and system time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
action="${1:-}"
if [[ "$action" == helper || "$action" == run-helper ]]; then
  helper_seed="${2:-}"
  [[ "$helper_seed" =~ ^[123]$ ]] || { echo "usage: $0 $action SEED [OUT] (SEED 1, 2 or 3)" >&2; exit 2; }
  out="${3:-/work/controls}"
else
  out="${2:-/work/controls}"
fi
results="$root/test/DeltaLoRA.Bench/results/minilm-controls"

# The plan: one line per `study` call, "GROUP ARM RANK TASK METHOD RATE" (ARM alpha16 or alpha2r); SEED is filled in per pass.
plan_seed1=(
  # (c) seed 1: r 1, then 16, then 4; per rank MRPC then SST-2; per task the α 16 arm, then the α = 2r arm.
  "c alpha16 1 mrpc DeltaLoRA 1e-3"  "c alpha16 1 mrpc LoRA 1e-3"  "c alpha2r 1 mrpc DeltaLoRA 2e-3"  "c alpha2r 1 mrpc LoRA 2e-3"
  "c alpha16 1 sst2 DeltaLoRA 1e-3"  "c alpha16 1 sst2 LoRA 1e-3"  "c alpha2r 1 sst2 DeltaLoRA 1e-3"  "c alpha2r 1 sst2 LoRA 2e-3"
  "c alpha2r 16 mrpc DeltaLoRA 2e-3" "c alpha2r 16 mrpc LoRA 2e-3"
  "c alpha16 16 sst2 DeltaLoRA 1e-3" "c alpha16 16 sst2 LoRA 2e-3" "c alpha2r 16 sst2 DeltaLoRA 1e-3" "c alpha2r 16 sst2 LoRA 2e-3"
  "c alpha16 4 mrpc DeltaLoRA 2e-3"  "c alpha16 4 mrpc LoRA 2e-3"  "c alpha2r 4 mrpc DeltaLoRA 2e-3"  "c alpha2r 4 mrpc LoRA 2e-3"
  "c alpha16 4 sst2 DeltaLoRA 1e-3"  "c alpha16 4 sst2 LoRA 1e-3"  "c alpha2r 4 sst2 DeltaLoRA 1e-3"  "c alpha2r 4 sst2 LoRA 2e-3"
  # (b): same-rate controls (Delta-LoRA chose a, LoRA chose b: LoRA at a, Delta-LoRA at b), chosen-rate runs first where missing.
  "b alpha16 16 mrpc LoRA 1e-3"      "b alpha16 16 mrpc DeltaLoRA 2e-3"
  "b alpha16 16 sst2 LoRA 1e-3"      "b alpha16 16 sst2 DeltaLoRA 2e-3"
  "b alpha16 8 sst2 DeltaLoRA 1e-3"  "b alpha16 8 sst2 LoRA 2e-3"  "b alpha16 8 sst2 LoRA 1e-3"  "b alpha16 8 sst2 DeltaLoRA 2e-3"
  "b alpha16 8 cola DeltaLoRA 1e-3"  "b alpha16 8 cola LoRA 2e-3"  "b alpha16 8 cola LoRA 1e-3"  "b alpha16 8 cola DeltaLoRA 2e-3"
  "b alpha16 2 sst2 DeltaLoRA 5e-4"  "b alpha16 2 sst2 LoRA 1e-3"  "b alpha16 2 sst2 LoRA 5e-4"  "b alpha16 2 sst2 DeltaLoRA 1e-3"
  "b alpha16 1 cola DeltaLoRA 1e-3"  "b alpha16 1 cola LoRA 2e-3"  "b alpha16 1 cola LoRA 1e-3"  "b alpha16 1 cola DeltaLoRA 2e-3"
  "b alpha16 16 cola DeltaLoRA 1e-3" "b alpha16 16 cola LoRA 2e-3" "b alpha16 16 cola LoRA 1e-3" "b alpha16 16 cola DeltaLoRA 2e-3"
  # (d): MRPC r 8, the common point of both arms.
  "d alpha16 8 mrpc DeltaLoRA 2e-3"  "d alpha16 8 mrpc LoRA 2e-3"
)
plan_a=("a alpha16 16 mrpc DeltaLoRA 1e-3" "a alpha16 16 mrpc LoRA 2e-3")

alpha_of() { # alpha_of ARM RANK
  if [[ "$1" == alpha2r ]]; then echo $((2 * $2)); else echo 16; fi
}

run_name() { # run_name ARM RANK TASK METHOD RATE: how the log names a run (the helper finds the job's run by it)
  echo "$3 r $2 α $(alpha_of "$1" "$2") $4 lr $5"
}

study_call() { # study_call SEED GROUP ARM RANK TASK METHOD RATE
  local seed="$1" group="$2" arm="$3" rank="$4" task="$5" method="$6" rate="$7"
  local alpha; alpha="$(alpha_of "$arm" "$rank")"
  local folder="$out/$arm/r$rank-$task"
  mkdir -p "$folder"
  echo "== $(date -u +%H:%M:%S) ($group) seed $seed: $(run_name "$arm" "$rank" "$task" "$method" "$rate") → $folder"
  "${bench[@]}" study "${common[@]}" --rank "$rank" --alpha "$alpha" --tasks "$task" --methods "$method" --lr-grid "$method=$rate" \
    --seeds "$seed" --out "$folder"
}

prepare() { # the settings, the model and the one build every run uses
  cd "$root"
  mkdir -p "$out"
  echo 19 > "/proc/$$/autogroup" 2>/dev/null || true # yield the cores to everyone else (nice alone does not, across sessions)
  common=(--model minilm --train-size 8551 --validation-fraction 0.1 --epochs 2 --batch-size 16 --max-length 128 --lambda 0.5 --threads 1)
  if [[ "${CONTROLS_DRY:-}" == 1 ]]; then
    bench=(echo deltalora-bench)
  elif [[ "${CONTROLS_DRY:-}" == fail ]]; then
    bench=(false)
  else
    bash build/fetch-model.sh minilm >/dev/null
  fi
  if [[ -z "${CONTROLS_DRY:-}" && ! -f "$out/bin/deltalora-bench.dll" ]]; then
    dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
    rm -rf "$out/bin.copying" && cp -r test/DeltaLoRA.Bench/bin/Release/net10.0 "$out/bin.copying" && mv "$out/bin.copying" "$out/bin"
    echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src test/DeltaLoRA.Bench || echo -dirty) built $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$out/build.txt"
  fi
  echo "run-controls-minilm: build $(cat "$out/build.txt" 2>/dev/null || echo unknown), started $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  export OMP_WAIT_POLICY=PASSIVE
  [[ -n "${CONTROLS_DRY:-}" ]] || bench=(dotnet "$out/bin/deltalora-bench.dll")
}

run() {
  prepare
  local line
  for seed in 1 2 3; do # (a): the pair of each seed in turn
    for line in "${plan_a[@]}"; do study_call_or_stop "$seed" $line; done
  done
  for seed in 1 2 3; do
    for line in "${plan_seed1[@]}"; do study_call_or_stop "$seed" $line; done
  done
  { date -u; times; } >> "$out/controls.cpu"
  echo "run-controls-minilm: done $(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# Backwards, so that it meets the job (which goes forwards) once. A study call with --seeds S also makes the seeds below S that
# its folder lacks, as the job's own call would.
run_helper() {
  prepare
  local i group arm rank task method rate name current
  for (( i = ${#plan_seed1[@]} - 1; i >= 0; i-- )); do
    read -r group arm rank task method rate <<< "${plan_seed1[$i]}"
    name="$(run_name "$arm" "$rank" "$task" "$method" "$rate")"
    current="$(grep '^== [0-9]' "$out/controls.log" 2>/dev/null | tail -n 1 || true)"
    if [[ "$current" == *": $name → "* ]]; then
      echo "run-controls-minilm helper: the job is on $name; stopped"
      break
    fi
    study_call_or_stop "$helper_seed" ${plan_seed1[$i]}
  done
  { date -u; times; } >> "$out/helper.cpu"
  echo "run-controls-minilm helper: done $(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

study_call_or_stop() {
  local rc=0
  study_call "$@" || rc=$?
  if (( rc != 0 )); then
    { date -u; times; } >> "$out/controls.cpu"
    echo "run-controls-minilm: stopped $(date -u +%Y-%m-%dT%H:%M:%SZ): the run above failed (exit $rc); \`start\` goes on from it"
    exit "$rc"
  fi
}

case "$action" in
  run) run ;;
  run-helper) run_helper ;;
  helper)
    if [[ -f "$out/helper.pid" ]] && kill -0 "$(cat "$out/helper.pid")" 2>/dev/null; then echo "run-controls-minilm: helper already running (pid $(cat "$out/helper.pid"))" >&2; exit 1; fi
    [[ -f "$out/bin/deltalora-bench.dll" ]] || { echo "run-controls-minilm: $out/bin has no build yet; \`start\` the job first" >&2; exit 1; }
    setsid nohup "$root/test/DeltaLoRA.Bench/run-controls-minilm.sh" run-helper "$helper_seed" "$out" >> "$out/helper.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$out/helper.pid"
    echo 19 > "/proc/$pid/autogroup" 2>/dev/null || true
    echo "run-controls-minilm: helper for seed $helper_seed started (pid $pid); log $out/helper.log"
    ;;
  start)
    if [[ -f "$out/pid" ]] && kill -0 "$(cat "$out/pid")" 2>/dev/null; then echo "run-controls-minilm: already running (pid $(cat "$out/pid"))" >&2; exit 1; fi
    mkdir -p "$out"
    # setsid: its own session and process group (pgid = pid), so pause/resume reach the job and only it; nohup: survives the shell.
    setsid nohup "$root/test/DeltaLoRA.Bench/run-controls-minilm.sh" run "$out" >> "$out/controls.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$out/pid"
    echo 19 > "/proc/$pid/autogroup" 2>/dev/null || true
    echo "run-controls-minilm: started (pid $pid); log $out/controls.log"
    ;;
  pause|resume)
    [[ -f "$out/pid" ]] && kill -0 "$(cat "$out/pid")" 2>/dev/null || { echo "run-controls-minilm: no running job in $out" >&2; exit 1; }
    pgid="$(cat "$out/pid")"
    kill "-$([[ "$action" == pause ]] && echo STOP || echo CONT)" -- "-$pgid"
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $action pgid $pgid ${3:-}" >> "$out/pauses.log"
    echo "run-controls-minilm: ${action}d (process group $pgid)"
    ;;
  status)
    if [[ -f "$out/pid" ]] && kill -0 "$(cat "$out/pid")" 2>/dev/null; then
      echo "running: pid $(cat "$out/pid"), state $(ps -o stat= -p "$(cat "$out/pid")")"
    else echo "not running"; fi
    grep '^== ' "$out/controls.log" | tail -n 1 || true
    tail -n 2 "$out/controls.log" || true
    echo "finished runs: $(cat "$out"/alpha*/r*-*/runs.csv 2>/dev/null | grep -c ',final,' || true)"
    ;;
  save)
    for folder in "$out"/alpha*/r*-*/; do
      [[ -f "$folder/runs.csv" ]] || continue
      name="${folder#"$out"/}"; name="${name%/}"
      mkdir -p "$results/$name"
      # A run the job and its helper both made is there twice (its wall time aside, the same line): keep the first of each
      # (task, method, phase, rate, seed), and each loss line once.
      awk -F, '!seen[$1 FS $2 FS $3 FS $4 FS $5]++' "$folder/runs.csv" > "$results/$name/runs.csv"
      awk '!seen[$0]++' "$folder/losses.csv" | gzip -c > "$results/$name/losses.csv.gz.tmp" && mv "$results/$name/losses.csv.gz.tmp" "$results/$name/losses.csv.gz"
    done
    cp "$out/build.txt" "$results/build.txt"
    [[ -f "$out/pauses.log" ]] && cp "$out/pauses.log" "$results/"
    cd "$root"
    dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q >/dev/null
    dotnet test/DeltaLoRA.Bench/bin/Release/net10.0/deltalora-bench.dll controls --folder "$out" --study test/DeltaLoRA.Bench/results/minilm-study \
      --out "$results/controls.md"
    echo "run-controls-minilm: copied $(cat "$results"/alpha*/r*-*/runs.csv | grep -c ',final,' || true) runs to $results"
    ;;
  *) echo "usage: $0 start|run|pause|resume|status|save [OUT], or $0 helper|run-helper SEED [OUT]" >&2; exit 2 ;;
esac
