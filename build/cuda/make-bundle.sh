#!/usr/bin/env bash
# Makes the device bundle for a GPU machine that has PyTorch but no .NET and no network (build/cuda/README.md):
#   artifacts/cuda/bundle.tar.gz, holding
#     app/     a self-contained linux-x64 publish of test/DeltaLoRA.GpuCheck (the .NET runtime included), without any native
#              libtorch or LibTorchSharp: there the wheel's torch/lib and a LibTorchSharp built against it are used;
#     vendor/  the TorchSharp 0.107.0 native source, for build/cuda/build-native.sh;
#     shared/  the fixtures and data the checks read (reference trajectories, the tiny checkpoints, the SST-2 subset).
# The working tree travels with it, so the two together must stay under the 64 MiB travel limit; the script checks that.
#
#   bash build/cuda/make-bundle.sh [--shared DIR]     (default ../shared beside the repository)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

shared="$repo/../shared"
while [ $# -gt 0 ]; do
  case "$1" in
    --shared) shared=${2:?--shared needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "make-bundle: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for needed in vendor/torchsharp-0.107.0-native/src/Native fixtures/trajectories fixtures/hf data/small/sst2_train_256.tsv; do
  [ -e "$shared/$needed" ] || { echo "make-bundle: $shared/$needed is missing; pass --shared DIR (the shared fixtures folder)." >&2; exit 1; }
done

limit=$((64 * 1024 * 1024))
stage="$repo/artifacts/cuda/bundle"
archive="$repo/artifacts/cuda/bundle.tar.gz"
rm -rf "$stage" "$archive"
mkdir -p "$stage/shared/fixtures/hf" "$stage/shared/data/small" "$stage/vendor"

# WheelLibTorch=true leaves out TorchSharp-cpu (libtorch, ~600 MB); the managed TorchSharp package still brings its own
# libLibTorchSharp.so, built for libtorch 2.10 CPU, which is removed so that it can never be loaded instead of the built one.
nice -n 10 dotnet publish test/DeltaLoRA.GpuCheck -c Release -r linux-x64 --self-contained true -p:WheelLibTorch=true \
  -p:DebugType=none -p:GenerateDocumentationFile=false --nologo -v minimal -o "$stage/app" >&2
rm -f "$stage/app/libLibTorchSharp.so" "$stage/app/"*.dbg
# Back to the project's ordinary (TorchSharp-cpu) restore, so that later builds and test runs here are unaffected.
dotnet restore test/DeltaLoRA.GpuCheck --nologo -v quiet >&2
if find "$stage/app" -name 'libtorch*.so*' -o -name 'libc10*.so*' | grep -q .; then
  echo "make-bundle: the publish contains a native libtorch; it must not (the wheel's is used)." >&2
  exit 1
fi

cp -r "$shared/vendor/torchsharp-0.107.0-native" "$stage/vendor/"
cp -r "$shared/fixtures/trajectories" "$stage/shared/fixtures/"
for family in bert roberta distilbert; do
  mkdir -p "$stage/shared/fixtures/hf/$family"
  checkpoint=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checkpoint"])' "$shared/fixtures/trajectories/$family/trajectory.json")
  cp -r "$shared/fixtures/hf/$family/$checkpoint" "$stage/shared/fixtures/hf/$family/"
  rm -rf "$stage/shared/fixtures/hf/$family/$checkpoint/pytorch_model_bin" "$stage/shared/fixtures/hf/$family/$checkpoint/model.onnx"
done
cp "$shared/data/small/sst2_train_256.tsv" "$shared/data/small/sst2_eval_128.tsv" "$stage/shared/data/small/"

tar -C "$repo/artifacts/cuda" -czf "$archive" bundle
bundle_bytes=$(stat -c %s "$archive")
tree_bytes=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
total=$((bundle_bytes + tree_bytes))
printf 'make-bundle: %s is %.1f MiB (unpacked %s); with the tracked tree (%.1f MiB) %.1f MiB of the 64 MiB travel limit.\n' \
  "${archive#"$repo"/}" "$(echo "$bundle_bytes / 1048576" | bc -l)" "$(du -sh "$stage" | cut -f1)" \
  "$(echo "$tree_bytes / 1048576" | bc -l)" "$(echo "$total / 1048576" | bc -l)"
if [ "$total" -gt "$limit" ]; then
  echo "make-bundle: over the 64 MiB travel limit." >&2
  exit 1
fi
rm -rf "$stage"
