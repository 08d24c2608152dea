#!/usr/bin/env bash
# deltalora predict --input on N lines beside a deliberately busy process (one `yes > /dev/null` per core), with libgomp's
# default spin (GOMP_SPINCOUNT=300000, what every run got before the CLI chose OMP_WAIT_POLICY=PASSIVE), the CLI's default
# now (PASSIVE), and --threads 1 with each. Rounds interleave the variants (odd rounds in order, even ones reversed); the load
# average is recorded around each run.
#   test/Microsoft.ML.DeltaLoRA.Benchmarks/threads/predict-under-load.sh MODEL.zip LINES.txt [ROUNDS] [--idle]
set -euo pipefail
MODEL=$1 INPUT=$2 ROUNDS=${3:-2} IDLE=${4:-}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
CLI="dotnet $ROOT/src/DeltaLoRA.Cli/bin/Release/net10.0/deltalora.dll"
busy=()
if [[ "$IDLE" != "--idle" ]]; then
  for _ in $(seq "$(nproc)"); do (yes > /dev/null) & busy+=($!); done
  trap 'kill "${busy[@]}" 2>/dev/null' EXIT
fi
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); busy neighbours: ${#busy[@]} x 'yes > /dev/null'"
echo "| round | variant | seconds | rows/s | load average before → after |"
echo "|---:|---|---:|---:|---|"
run() { # name, env, args
  local name=$1 env=$2; shift 2
  local before; before=$(cut -d' ' -f1-3 /proc/loadavg)
  local start; start=$(date +%s.%N)
  env $env $CLI predict -m "$MODEL" --input "$INPUT" "$@" > /dev/null
  local end; end=$(date +%s.%N)
  local lines; lines=$(wc -l < "$INPUT")
  printf '| %s | %s | %.1f | %.0f | %s → %s |\n' "$round" "$name" "$(echo "$end - $start" | bc)" "$(echo "$lines / ($end - $start)" | bc -l)" "$before" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
variant() {
  case $1 in
    0) run "libgomp default spin, default threads (before)" "GOMP_SPINCOUNT=300000" ;;
    1) run "CLI default: PASSIVE, default threads (after)" "" ;;
    2) run "PASSIVE, --threads 1" "" --threads 1 ;;
    3) run "libgomp default spin, --threads 1" "GOMP_SPINCOUNT=300000" --threads 1 ;;
  esac
}
# Odd rounds run the variants in order, even rounds in reverse, so that a load that drifts during a round favours none.
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then order="0 1 2 3"; else order="3 2 1 0"; fi
  for v in $order; do variant "$v"; done
done
