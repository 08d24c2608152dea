#!/usr/bin/env bash
# Load figures for samples/Serve with wrk (Debian: apt-get install -y wrk): for each engine, wrk at each concurrency for
# DURATION, then one model swap under load. Records requests/s, p50/p90/p99 latency, errors (non-2xx and socket errors),
# the service's resident memory every second (rss.csv), the load average before and after each run, and the machine.
#
#   samples/Serve/load-test.sh MODEL.zip [OUT_FOLDER]
#
# Environment: DURATION (wrk's -d, default 600s), CONCURRENCY ("1 8 32"), ENGINES ("batch pool"), SWAP_DURATION (60s),
# SWAP_CONCURRENCY (8), MALLOC_ARENA_MAX (passed to the service; see docs/serving.md#memory), SENTENCES (one sentence per line; default: the sentences of ../shared/data/glue/sst2/dev.tsv),
# SERVE_ARGS (more options for the service, split on spaces, e.g. "--threads 1 --onnxruntime-spin false").
# Run it from the repository root; it builds the sample first.
set -euo pipefail

model=${1:?usage: samples/Serve/load-test.sh MODEL.zip [OUT_FOLDER]}
out=${2:-serve-load-$(date -u +%Y%m%dT%H%M%SZ)}
duration=${DURATION:-600s}
concurrency=${CONCURRENCY:-1 8 32}
engines=${ENGINES:-batch pool}
swap_duration=${SWAP_DURATION:-60s}
swap_concurrency=${SWAP_CONCURRENCY:-8}
read -ra serve_args <<< "${SERVE_ARGS:-}"
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk > /dev/null || { echo "error: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
[ -f "$model" ] || { echo "error: the model zip '$model' does not exist" >&2; exit 2; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
service_pid="" sampler_pid=""
trap 'kill $service_pid $sampler_pid 2> /dev/null || true; rm -rf "$work"' EXIT

if [ -z "${SENTENCES:-}" ]; then
  SENTENCES=$work/sentences.txt
  tail -n +2 ../shared/data/glue/sst2/dev.tsv | cut -f1 > "$SENTENCES"
fi
export SENTENCES

dotnet build "$here/Serve.csproj" -c Release --nologo -v q > "$work/build.log" || { cat "$work/build.log"; exit 1; }
program=$here/bin/Release/net10.0/Serve.dll

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git rev-parse HEAD 2> /dev/null || echo unknown)$(git diff --quiet HEAD 2> /dev/null || echo ' (with uncommitted changes)')"
  echo "model: $model ($(stat -c %s "$model") bytes)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "MALLOC_ARENA_MAX: ${MALLOC_ARENA_MAX:-unset (glibc default: 8 arenas per core)}"
  echo "service options: --engine E ${serve_args[*]}"
  echo "duration: $duration per concurrency ($concurrency), swap: $swap_duration at $swap_concurrency; sentences: $(wc -l < "$SENTENCES") from $SENTENCES"
} > "$out/machine.txt"
echo "engine,phase,concurrency,requests,duration_s,rps,p50_ms,p90_ms,p99_ms,max_ms,non2xx,socket_errors,load_before,load_after" > "$out/summary.csv"
echo "seconds,engine,phase,rss_mib" > "$out/rss.csv"

# The phase the RSS sampler writes beside each sample.
phase() { echo "$1" > "$work/phase"; }

load1() { cut -d' ' -f1 /proc/loadavg; }

# Runs wrk once; appends its line to summary.csv. $1 engine, $2 phase, $3 concurrency, $4 duration.
measure() {
  local engine=$1 phase_name=$2 connections=$3 time=$4 threads before after
  threads=$(( connections < 2 ? connections : 2 ))
  phase "$phase_name"
  before=$(load1)
  wrk -t "$threads" -c "$connections" -d "$time" --timeout 30s --latency -s "$here/post-sentences.lua" "$url/predict" > "$out/wrk-$engine-$phase_name.txt"
  after=$(load1)
  local r
  r=$(grep '^RESULT' "$out/wrk-$engine-$phase_name.txt")
  get() { echo "$r" | grep -o "$1=[0-9.]*" | cut -d= -f2; }
  echo "$engine,$phase_name,$connections,$(get requests),$(get duration_s),$(get rps),$(get p50_ms),$(get p90_ms),$(get p99_ms),$(get max_ms),$(get non2xx),$(( $(get connect) + $(get read) + $(get write) + $(get timeout) )),$before,$after" >> "$out/summary.csv"
  tail -1 "$out/summary.csv"
}

for engine in $engines; do
  cp "$model" "$work/model.zip"
  phase start
  dotnet "$program" --model "$work/model.zip" --urls http://127.0.0.1:0 --engine "$engine" "${serve_args[@]}" > "$out/service-$engine.log" 2>&1 &
  service_pid=$!
  for _ in $(seq 600); do grep -q '^Serving ' "$out/service-$engine.log" && break; sleep 0.5; done
  url=$(grep -m1 '^Serving ' "$out/service-$engine.log" | grep -o 'http://[0-9.:]*')
  [ -n "$url" ] || { echo "error: the service did not start:" >&2; cat "$out/service-$engine.log" >&2; exit 1; }
  started=$(date +%s)
  ( while kill -0 $service_pid 2> /dev/null; do
      echo "$(( $(date +%s) - started )),$engine,$(cat "$work/phase"),$(( $(grep VmRSS /proc/$service_pid/status | tr -s ' ' | cut -d' ' -f2) / 1024 ))" >> "$out/rss.csv"
      sleep 1
    done ) &
  sampler_pid=$!

  for c in $concurrency; do measure "$engine" "c$c" "$c" "$duration"; done

  # The swap: the same zip copied over the served file in place (as cp does) a third of the way into the run. swap-ENGINE.txt
  # records when the health endpoint's version left 0 (the new model serving), counted from the copy; wrk must count no error.
  swap_seconds=${swap_duration%s}
  ( sleep $(( swap_seconds / 3 )); copied=$(date +%s.%N); cp "$model" "$work/model.zip"
    echo "copied at second $(( swap_seconds / 3 )) of the swap run" > "$out/swap-$engine.txt"
    for _ in $(seq $(( swap_seconds * 4 ))); do
      if curl -s "$url/health" | grep -q '"version":[1-9]'; then
        echo "serving the new model $(echo "$(date +%s.%N) - $copied" | bc) s after the copy" >> "$out/swap-$engine.txt"; break
      fi
      sleep 0.25
    done ) &
  swapper_pid=$!
  measure "$engine" swap "$swap_concurrency" "$swap_duration"
  wait $swapper_pid
  curl -s "$url/health" > "$out/health-$engine-after-swap.json"
  cat "$out/swap-$engine.txt"
  grep -q '"version":[1-9]' "$out/health-$engine-after-swap.json" || { echo "error: the model was not reloaded during the swap run: $(cat "$out/health-$engine-after-swap.json")" >&2; exit 1; }

  kill $service_pid; wait $service_pid 2> /dev/null || true
  wait $sampler_pid 2> /dev/null || true
  service_pid="" sampler_pid=""
done
echo "Wrote $out: summary.csv, rss.csv, machine.txt and wrk's own reports."
