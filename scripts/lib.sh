# Shared helpers for scripts/*. Source it; it does not change shell options.
# shellcheck shell=bash

STDB_VERSION=1.2.0
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STDB_CACHE_DIR="${STDB_CACHE_DIR:-$HOME/.cache/stdb-client}"
# Same root and target dir as the documented manual build, so an interrupted or
# concurrent build is reused instead of started over.
STDB_SERVER_ROOT="$STDB_CACHE_DIR/server-$STDB_VERSION"
STDB_SERVER_TARGET_DIR="$STDB_CACHE_DIR/server-build"
STDB_SERVER_LOG="$STDB_CACHE_DIR/server-build.log"
MODULES_DIR="$REPO_ROOT/tests/modules"
WASM_DIR="$MODULES_DIR/target/wasm32-unknown-unknown/release"

# Debian packages the test bed needs at run time (wasm toolchain + valgrind for the C tests;
# cmake, pkg-config, luajit and python3-cffi for the packaging and FFI-declaration tests).
APT_PACKAGES_BASE=(rustc-web cargo-web rust-web-src lld valgrind cmake pkg-config luajit python3-cffi)
# Extra packages needed only to compile the server (openssl-sys, jemalloc, zstd, ring).
APT_PACKAGES_SERVER_BUILD=(build-essential pkg-config libssl-dev)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# require_cmd CMD "what to install": one clear sentence instead of a "command not found" later.
require_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found; $2"
}

# The server binary to use: $STDB_STANDALONE if set, else the cached cargo-install result.
server_binary_path() {
    if [[ -n "${STDB_STANDALONE:-}" ]]; then
        printf '%s\n' "$STDB_STANDALONE"
    else
        printf '%s\n' "$STDB_SERVER_ROOT/bin/spacetimedb-standalone"
    fi
}

pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# ensure_apt_packages PKG...: installs only what is missing; runs `apt-get update` at most once.
ensure_apt_packages() {
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    require_cmd apt-get "this script needs a Debian/Ubuntu system; install these packages by hand: ${missing[*]}"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no sudo; run as root: apt-get install ${missing[*]}"
        sudo=(sudo)
    fi
    if [[ -z "${_STDB_APT_UPDATED:-}" ]]; then
        log "apt-get update"
        "${sudo[@]}" apt-get update -qq
        _STDB_APT_UPDATED=1
    fi
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Runs the Debian wasm toolchain on the modules workspace: Debian's rustc ships no prebuilt
# wasm32 std, so std is rebuilt from rust-web-src (-Zbuild-std, unlocked by RUSTC_BOOTSTRAP).
build_modules() {
    [[ -x /usr/bin/rustc && -x /usr/bin/cargo ]] || die "/usr/bin/rustc or /usr/bin/cargo missing; install the Debian packages: apt-get install rustc-web cargo-web rust-web-src lld (or run scripts/setup)"
    [[ -d /usr/lib/rustlib/src/rust/library ]] || die "Rust std sources missing in /usr/lib/rustlib/src; install them: apt-get install rust-web-src (or run scripts/setup)"
    require_cmd wasm-ld "install the wasm linker: apt-get install lld (or run scripts/setup)"
    log "building wasm modules in tests/modules"
    (
        cd "$MODULES_DIR"
        # Host-oriented settings (sanitizer RUSTFLAGS, a custom target dir) must not leak into the
        # wasm build: the wasm files have to land in tests/modules/target.
        env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET_DIR -u CARGO_BUILD_TARGET \
            RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
            /usr/bin/cargo build --locked --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort "$@"
    )
}

# Module crate directories (tests/modules/<name>/Cargo.toml), one name a line.
module_names() {
    local d
    for d in "$MODULES_DIR"/*/Cargo.toml; do
        basename "$(dirname "$d")"
    done
}

# Fails unless every module has its wasm file (crate name with '-' turned into '_').
check_module_wasm() {
    local m wasm
    for m in $(module_names); do
        wasm="$WASM_DIR/${m//-/_}.wasm"
        [[ -f "$wasm" ]] || die "module '$m' built but $wasm is missing"
    done
}
