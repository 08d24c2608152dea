#!/usr/bin/env bash
# Builds libLibTorchSharp.so, the native half of TorchSharp 0.107.0, from its vendored source against a libtorch that has
# headers and TorchConfig.cmake: by default the one inside the installed PyTorch wheel (a CUDA wheel gives a CUDA backend,
# which the package feed does not serve). The managed TorchSharp.dll 0.107.0 then runs on that libtorch when this library and
# the libtorch libraries are on the loader's path.
#
#   bash build/cuda/build-native.sh [--vendor DIR] [--libtorch DIR] [--out DIR] [--jobs N]
#
#   --vendor DIR    the vendored TorchSharp native source (the folder holding src/Native). Default: the copy a device bundle
#                   carries (artifacts/cuda/bundle/vendor/torchsharp-0.107.0-native), else ../shared/vendor/torchsharp-0.107.0-native.
#   --libtorch DIR  a folder CMake can find TorchConfig.cmake under (a prefix or the Torch config folder itself).
#                   Default: python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'.
#   --out DIR       where the library ends up (default artifacts/cuda/native, ignored by git); CMake's build tree goes to DIR/build.
#   --jobs N        parallel compile jobs (default: every core).
#
# The vendored source is compiled as it is (it is not copied into the repository); only its -Werror is overridden (-Wno-error
# last on every compile line, as the source's own flags come after CMAKE_CXX_FLAGS), because a newer libtorch than the one
# TorchSharp was released against may bring new deprecation warnings that are not errors in our use.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

vendor=""
libtorch=""
out="$repo/artifacts/cuda/native"
jobs=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --vendor) vendor=${2:?--vendor needs a folder}; shift 2 ;;
    --libtorch) libtorch=${2:?--libtorch needs a folder}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build-native: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$vendor" ]; then
  for candidate in "$repo/artifacts/cuda/bundle/vendor/torchsharp-0.107.0-native" "$repo/../shared/vendor/torchsharp-0.107.0-native"; do
    if [ -d "$candidate" ]; then vendor=$candidate; break; fi
  done
fi
if [ -z "$vendor" ] || [ ! -f "$vendor/src/Native/CMakeLists.txt" ]; then
  echo "build-native: no TorchSharp native source at '${vendor:-(none found)}'; expected src/Native/CMakeLists.txt under --vendor." >&2
  exit 1
fi

if [ -z "$libtorch" ]; then
  if ! libtorch=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null); then
    echo "build-native: python3 cannot import torch; install PyTorch or pass --libtorch DIR (a folder with TorchConfig.cmake under it)." >&2
    exit 1
  fi
fi
if [ -z "$(find -L "$libtorch" -maxdepth 6 -name TorchConfig.cmake -print -quit 2>/dev/null)" ]; then
  echo "build-native: found no TorchConfig.cmake under '$libtorch'." >&2
  exit 1
fi
for tool in cmake ninja; do
  command -v "$tool" >/dev/null || { echo "build-native: '$tool' is not on PATH; CMake and ninja are needed." >&2; exit 1; }
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "build-native: source $vendor/src/Native, libtorch $libtorch, $jobs jobs, output $out" >&2
cmake -S "$vendor/src/Native" -B "$out/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DLIBTORCH_PATH="$libtorch" -DCMAKE_PREFIX_PATH="$libtorch" \
  -DCMAKE_CXX_COMPILE_OBJECT="<CMAKE_CXX_COMPILER> <DEFINES> <INCLUDES> <FLAGS> -Wno-error -o <OBJECT> -c <SOURCE>" \
  -DCMAKE_C_COMPILE_OBJECT="<CMAKE_C_COMPILER> <DEFINES> <INCLUDES> <FLAGS> -Wno-error -o <OBJECT> -c <SOURCE>"
# -k 0: when the source does not compile against this libtorch, report every file that fails, not only the first.
cmake --build "$out/build" --parallel "$jobs" -- -k 0

built=$(find "$out/build" -name 'libLibTorchSharp.so' -type f -print -quit)
[ -n "$built" ] || { echo "build-native: the build finished without producing libLibTorchSharp.so." >&2; exit 1; }
cp "$built" "$out/libLibTorchSharp.so"

# With a CUDA libtorch, also the small peak-memory library of the GPU check (build/cuda/memstats). Best effort: without it the
# check still runs and reports peak memory as not measured.
torch_lib=$(dirname "$(find -L "$libtorch/../.." -maxdepth 3 -name 'libc10_cuda.so' -print -quit 2>/dev/null || true)")
if [ "$torch_lib" != . ]; then
  if cmake -S "$repo/build/cuda/memstats" -B "$out/memstats-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
       -DLIBTORCH_PATH="$libtorch" -DCMAKE_PREFIX_PATH="$libtorch" >&2 \
     && cmake --build "$out/memstats-build" --parallel "$jobs" >&2; then
    cp "$out/memstats-build/libDeltaLoRAGpuMemStats.so" "$out/"
  else
    echo "build-native: the peak-memory library did not build; the GPU check will report peak memory as not measured." >&2
  fi
fi
echo "$out/libLibTorchSharp.so"
