#!/usr/bin/env bash
# Builds the Godot 3 GDNative plugin into godot/sample/addons/stdb/bin/:
#   libstdb_godot.so       godot/src/stdb_godot.c, compiled against the GDNative headers for
#                          Godot 3.2 (fetched once into the cache by scripts/godot-headers)
#   libstdb_client.so.1    a copy of the library cargo built (the plugin finds it by rpath $ORIGIN)
# Usage: godot/build.sh [debug|release]   (default: release)
# Then: godot3 --path godot/sample (editor/player) or godot3-server --path godot/sample (headless).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
profile="${1:-release}"
case "$profile" in
    debug) cargo_flags=() ;;
    release) cargo_flags=(--release) ;;
    *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac
headers="$("$root/scripts/godot-headers")"
(cd "$root" && env -u CARGO_TARGET_DIR cargo build -p stdb-client "${cargo_flags[@]}")
bin="$here/sample/addons/stdb/bin"
mkdir -p "$bin"
cp -f "$root/target/$profile/libstdb_client.so" "$bin/libstdb_client.so.1"
cc -std=c11 -O2 -Wall -Wextra -fPIC -shared -isystem "$headers" -I "$root/include" \
    "$here/src/stdb_godot.c" -L "$bin" -l:libstdb_client.so.1 -Wl,-rpath,'$ORIGIN' \
    -o "$bin/libstdb_godot.so"
echo "built $bin/libstdb_godot.so (with libstdb_client.so.1 beside it)"
