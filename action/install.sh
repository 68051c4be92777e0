#!/usr/bin/env bash
# Installs `dispatcher` and `subscriber` for the composite action (action.yml), in this order:
#
#   1. already there: ECOSYNC_INSTALL_DIR holds both binaries, stamped with this version and platform
#      (restored by actions/cache for this action commit, or installed by an earlier step of the job);
#   2. the release asset for the runner's platform, verified against the SHA-256 committed next to this
#      script in checksums.txt (never against a sum fetched from the release: a tampered release cannot
#      bring its own). A mismatch is a hard failure, never a fallback;
#   3. else (no asset for this platform in checksums.txt, or the download failed) a build of the action's
#      own checkout with `cargo install --locked --path`: `uses: owner/ecosync@<sha>` checked out exactly
#      that commit, so the build is pinned too.
#
# Environment (all optional):
#   ECOSYNC_VERSION           the version to install; default: the version in the action's Cargo.toml
#   ECOSYNC_INSTALL_DIR       where the binaries go; default: $RUNNER_TOOL_CACHE/ecosync-action/bin
#   ECOSYNC_RELEASE_BASE_URL  where releases are downloaded from; default: the canonical repository's
#                             GitHub releases (tests point it at loopback)
#   ECOSYNC_CHECKSUMS         the checksum file; default: checksums.txt next to this script
#   ECOSYNC_SOURCE_DIR        the source to build from; default: the action's checkout (this script's ../)
#   ECOSYNC_TARGET            the platform's target triple; default: from `uname -s` and `uname -m`
#   ECOSYNC_ACTION_REF        the action's ref (github.action_ref); a commit SHA stamps a source build
# The install directory is appended to $GITHUB_PATH when that is set, so later steps can run the binaries.
set -euo pipefail

# The canonical repository, the one placeholder shared with the shipped workflows (see action/pin.txt).
CANONICAL_REPOSITORY="ecosync-dev/ecosync"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="${ECOSYNC_SOURCE_DIR:-$(dirname "$here")}"
checksums="${ECOSYNC_CHECKSUMS:-$here/checksums.txt}"
base_url="${ECOSYNC_RELEASE_BASE_URL:-https://github.com/$CANONICAL_REPOSITORY/releases/download}"
base_url="${base_url%/}"
install_dir="${ECOSYNC_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-${HOME}/.cache}/ecosync-action/bin}"
binaries=(dispatcher subscriber)

say() { printf 'ecosync install: %s\n' "$*"; }
fail() {
  printf '::error title=ecosync install::%s\n' "$*"
  printf 'ecosync install: error: %s\n' "$*" >&2
  exit 1
}

source_version() {
  sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$source_dir/Cargo.toml" 2>/dev/null | head -n 1
}

version="${ECOSYNC_VERSION:-}"
version="${version#v}"
if [ -z "$version" ]; then
  version="$(source_version)"
  [ -n "$version" ] || fail "cannot read the version from \`$source_dir/Cargo.toml\` (hint: set the input \`version\`)"
fi
case "$version" in
  *[!0-9A-Za-z.+-]*) fail "\`$version\` is not a version (hint: for example \`0.1.0\`)" ;;
esac

target="${ECOSYNC_TARGET:-}"
if [ -z "$target" ]; then
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$os/$arch" in
    Linux/x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
    Darwin/x86_64) target=x86_64-apple-darwin ;;
    Darwin/arm64 | Darwin/aarch64) target=aarch64-apple-darwin ;;
    *) target="$arch-$os" ;;
  esac
fi

stamp="$install_dir/.ecosync-install"
want_stamp="ecosync $version $target"

add_to_path() {
  if [ -n "${GITHUB_PATH:-}" ]; then printf '%s\n' "$install_dir" >>"$GITHUB_PATH"; fi
}

# 1. Already installed (from the cache, or by an earlier step).
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp" ] &&
  [ -x "$install_dir/dispatcher" ] && [ -x "$install_dir/subscriber" ]; then
  say "ecosync $version for $target is already installed in $install_dir"
  add_to_path
  exit 0
fi

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

finish() {
  printf '%s\n' "$want_stamp" >"$stamp"
  "$install_dir/dispatcher" --version
  "$install_dir/subscriber" --version
  add_to_path
}

asset="ecosync-$version-$target.tar.gz"
expected=""
if [ -f "$checksums" ]; then
  expected="$(awk -v name="$asset" '$0 !~ /^#/ && ($2 == name || $2 == "*" name) { print $1; exit }' "$checksums")"
fi

# 2. The release asset, checked against the committed checksum.
if [ -n "$expected" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  url="$base_url/v$version/$asset"
  say "downloading $url"
  if curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 --max-time 300 \
    --output "$work/$asset" "$url"; then
    actual="$(sha256_of "$work/$asset")"
    if [ "$actual" != "$expected" ]; then
      fail "checksum mismatch for $asset: expected sha256 $expected, got $actual; refusing to install it (the asset is not the one this action was released with)"
    fi
    say "sha256 $actual matches $(basename "$checksums")"
    mkdir -p "$work/unpacked" "$install_dir"
    tar -xzf "$work/$asset" -C "$work/unpacked"
    for bin in "${binaries[@]}"; do
      found="$(find "$work/unpacked" -type f -name "$bin" | head -n 1)"
      [ -n "$found" ] || fail "$asset holds no \`$bin\`"
      install -m 0755 "$found" "$install_dir/$bin"
    done
    say "installed ecosync $version ($target) from the release into $install_dir"
    finish
    exit 0
  fi
  say "warning: cannot download $url; building from the action's source instead"
else
  say "no release asset for $target of ecosync $version in $(basename "$checksums"); building from the action's source"
fi

# 3. Build the action's own checkout.
have="$(source_version)"
if [ "$have" != "$version" ]; then
  fail "cannot build ecosync $version from the action's source, which is version ${have:-unknown} (hint: use the action at the commit of $version, or leave the input \`version\` empty)"
fi
command -v cargo >/dev/null 2>&1 ||
  fail "no release asset to install and no \`cargo\` to build with (hint: install Rust, for example with rustup, before this step)"
if [[ "${ECOSYNC_ACTION_REF:-}" =~ ^[0-9a-f]{40}$ ]]; then
  export ECOSYNC_BUILD_COMMIT="$ECOSYNC_ACTION_REF"
fi
root="$(dirname "$install_dir")"
mkdir -p "$install_dir"
cargo install --locked --path "$source_dir" --root "$root" --bins
for bin in "${binaries[@]}"; do
  [ "$root/bin/$bin" -ef "$install_dir/$bin" ] || install -m 0755 "$root/bin/$bin" "$install_dir/$bin"
done
say "built ecosync $version ($target) from $source_dir into $install_dir"
finish
