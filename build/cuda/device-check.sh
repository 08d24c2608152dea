#!/usr/bin/env bash
# The whole device command of the GPU check (build/cuda/README.md), run in the repository root of the GPU machine with the
# bundle from build/cuda/make-bundle.sh carried (artifacts/cuda/bundle.tar.gz). Needs python3 with a CUDA PyTorch (and
# transformers + peft for the peers), CMake, ninja and nvcc; no .NET and no network. Writes everything to $OUT:
#   environment.txt, build-native.log, gpu/ (our checks on cuda:0), peers-gpu/, cpu/ and peers-cpu/ (16 CPU threads),
#   summary.md (ours against the peers, with the issue's targets), and one log per step.
# Each step has its own time limit and a failed step does not stop the others; the whole run stays under 8 minutes.
#
#   OUT=/some/folder bash build/cuda/device-check.sh [--device cuda:0] [--cpu-threads 16] [--rehearse]
# --rehearse: tiny shapes and few steps everywhere, to try the plumbing on a small machine (with --device cpu).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1
: "${OUT:?set OUT to the folder the report goes to}"
mkdir -p "$OUT"

device=cuda:0
cpu_threads=16
quick=()
peer_sizes=()
cpu_shapes=minilm-l6
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=${2:?--device needs a value}; shift 2 ;;
    --cpu-threads) cpu_threads=${2:?--cpu-threads needs a number}; shift 2 ;;
    --rehearse) quick=(--quick); peer_sizes=(--shapes tiny --batch 4 --length 16); cpu_shapes=tiny; shift ;;
    *) echo "device-check: unknown option '$1'" >&2; exit 2 ;;
  esac
done

started=$SECONDS
budget=470          # seconds: under 8 minutes, with room to write the summary
status=0
log() { echo "device-check: [$((SECONDS - started)) s] $*" | tee -a "$OUT/device-check.log" >&2; }
left() { echo $((budget - (SECONDS - started))); }
# step NAME SECONDS COMMAND...: runs COMMAND with its output in $OUT/NAME.log, at most SECONDS and never past the budget.
step() {
  local name=$1 limit=$2
  shift 2
  local remaining
  remaining=$(left)
  if [ "$remaining" -lt 20 ]; then log "$name: skipped, the time budget is spent"; status=1; return 1; fi
  [ "$limit" -gt "$remaining" ] && limit=$remaining
  log "$name: start (limit $limit s)"
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  log "$name: exit $rc$([ $rc = 124 ] && echo ' (time limit)')"
  [ $rc = 0 ] || status=1
  return $rc
}

bundle_archive=artifacts/cuda/bundle.tar.gz
bundle=artifacts/cuda/bundle
if [ ! -f "$bundle_archive" ]; then
  log "no $bundle_archive: run build/cuda/make-bundle.sh where .NET is, and carry that path"
  exit 1
fi
rm -rf "$bundle"
tar -C artifacts/cuda -xzf "$bundle_archive" || { log "cannot unpack $bundle_archive"; exit 1; }

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"; echo "cores: $(nproc)"
  grep -m 1 'model name' /proc/cpuinfo; echo "load average: $(cat /proc/loadavg)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1
  python3 -c 'import transformers, peft; print("transformers", transformers.__version__, "peft", peft.__version__)' 2>&1
  cmake --version | head -n 1; ninja --version; nvcc --version 2>&1 | tail -n 1
} > "$OUT/environment.txt" 2>&1
log "$(tr '\n' ';' < "$OUT/environment.txt")"

torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))') || { log "python3 cannot import torch"; exit 1; }
# The CUDA libraries of the wheel's nvidia-* packages: libtorch_cuda finds them through its RPATH, LibTorchSharp through this.
nvidia_libs=$(python3 -c 'import glob, os, torch; print(":".join(sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(torch.__file__)), "nvidia", "*", "lib")))))')
command -v nvcc >/dev/null || export PATH="/usr/local/cuda/bin:$PATH"
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"   # H100/H200; nothing of ours is compiled for the GPU itself

native=artifacts/cuda/native
# A second run on the same machine keeps the ignored build output: it reuses the library instead of building it again.
if [ -f "$native/libLibTorchSharp.so" ]; then
  log "build-native: reusing $native/libLibTorchSharp.so from an earlier run (delete it to rebuild)"
else
  step build-native 240 bash build/cuda/build-native.sh --vendor "$bundle/vendor/torchsharp-0.107.0-native" --out "$native"
fi
if [ ! -f "$native/libLibTorchSharp.so" ]; then
  log "no libLibTorchSharp.so: see build-native.log; the .NET checks cannot run"
fi

export LD_LIBRARY_PATH="$repo/$native:$torch_lib${nvidia_libs:+:$nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# A self-contained .NET app needs libicu for culture data; without it, run with invariant culture rather than not at all.
if ! ldconfig -p 2>/dev/null | grep libicuuc >/dev/null; then export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1; log "no libicu: .NET runs with invariant globalization"; fi
app=$bundle/app/DeltaLoRA.GpuCheck
shared=$bundle/shared

if [ -f "$native/libLibTorchSharp.so" ]; then
  step gpu-check 150 "$app" --device "$device" --out "$OUT/gpu" --shared "$shared" --steps 20 "${quick[@]}"
fi
step peers-gpu 100 python3 build/cuda/peers.py --device "$device" --out "$OUT/peers-gpu" --steps 20 --dtype fp32,bf16 "${peer_sizes[@]}"
# (e) the same peers on the machine's CPU: MiniLM only and few steps, as BERT-base steps take seconds each on a CPU.
if [ -f "$native/libLibTorchSharp.so" ]; then
  step cpu-check 60 "$app" --device cpu --out "$OUT/cpu" --shared "$shared" --sections steps --shapes "$cpu_shapes" --threads "$cpu_threads" --steps 3 "${quick[@]}"
fi
step peers-cpu 60 python3 build/cuda/peers.py --device cpu --out "$OUT/peers-cpu" --threads "$cpu_threads" --shapes minilm-l6 --steps 3 --warmup 3 "${peer_sizes[@]}"

python3 build/cuda/summarize.py "$OUT" > "$OUT/summary.md" 2> "$OUT/summarize.log" || { log "summarize failed: see summarize.log"; status=1; }
log "done in $((SECONDS - started)) s; status $status; summary in $OUT/summary.md"
exit $status
