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
# The 2.x server (a second real server for the test bed) and the modules built for it.
STDB_2X_VERSION=2.8.3
STDB_2X_SHA256=67fa5382a12e83d5e1e795655321a1789adcf92fa2a0dcabf17856a9c23fe5e1
# ../shared/servers next to the repository root; in a git worktree, also next to the main checkout.
stdb_2x_xz_path() {
    local f="shared/servers/spacetimedb-standalone-$STDB_2X_VERSION.xz" common
    if [[ -f "$REPO_ROOT/../$f" ]]; then
        printf '%s\n' "$(cd "$REPO_ROOT/.." && pwd)/$f"
        return 0
    fi
    common="$(git -C "$REPO_ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" || common=""
    if [[ -n "$common" && -f "$(dirname "$common")/../$f" ]]; then
        printf '%s\n' "$(cd "$(dirname "$common")/.." && pwd)/$f"
        return 0
    fi
    printf '%s\n' "$REPO_ROOT/../$f"
}
STDB_2X_XZ="$(stdb_2x_xz_path)"
STDB_2X_CACHED="$STDB_CACHE_DIR/server-$STDB_2X_VERSION/spacetimedb-standalone"
MODULES_2X_DIR="$REPO_ROOT/tests/modules-2x"
# The official 2.8.3 code generator (a command line, ../shared/servers/README.md), for the bench's
# bindings of the official 2.x SDK; sha256 of the decompressed binary from that README.
STDB_CODEGEN_2X_SHA256=15186e5218bcba2d93f8b8bc286727ef38a03a91661b82602ee811d3377fadf9
STDB_CODEGEN_2X_XZ="$(dirname "$STDB_2X_XZ")/spacetimedb-codegen-$STDB_2X_VERSION.xz"
STDB_CODEGEN_2X_CACHED="$STDB_CACHE_DIR/codegen-$STDB_2X_VERSION/spacetimedb-codegen"
WASM_2X_DIR="$MODULES_2X_DIR/target/wasm32-unknown-unknown/release"

# Debian packages the test bed needs at run time (wasm toolchain + valgrind for the C tests; xz for
# the 2.x server; cmake, pkg-config, g++ and binutils for scripts/install and the packaging tests;
# luajit and python3-cffi for the FFI-declaration tests; python3-pytest for the Python package's tests,
# which use Debian's /usr/bin/python3 with these two; love, xvfb, xauth and Mesa's software OpenGL
# for the LÖVE sample's headless test; godot3-server (Godot 3.2.3, no display needed) for the Godot
# GDNative sample's headless test).
APT_PACKAGES_BASE=(rustc-web cargo-web rust-web-src lld valgrind xz-utils cmake pkg-config g++ binutils luajit python3-cffi
    python3-pytest love xvfb xauth libgl1-mesa-dri godot3-server)
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

# True if BINARY's `--version` names SpacetimeDB 2.x.
is_2x_server() {
    "$1" --version 2>/dev/null | grep -Eq '(^|[^0-9.])2\.[0-9]+\.[0-9]+'
}

# The 2.x server binary, same order as the testbed's Rust code: $STDB_STANDALONE_2X if set;
# else the copy decompressed from ../shared/servers by `ensure_2x_server`; else a 2.x
# `spacetimedb-standalone` on PATH or in ~/.local/share/spacetime/bin/*/. Prints nothing
# (and fails) when there is none.
server_2x_binary_path() {
    if [[ -n "${STDB_STANDALONE_2X:-}" ]]; then
        printf '%s\n' "$STDB_STANDALONE_2X"
        return 0
    fi
    if [[ -x "$STDB_2X_CACHED" ]]; then
        printf '%s\n' "$STDB_2X_CACHED"
        return 0
    fi
    local c
    for c in "$(command -v spacetimedb-standalone 2>/dev/null)" "$HOME"/.local/share/spacetime/bin/*/spacetimedb-standalone; do
        if [[ -n "$c" && -x "$c" ]] && is_2x_server "$c"; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

# Decompresses ../shared/servers/spacetimedb-standalone-2.8.3.xz into the cache once (idempotent)
# and checks its sha256. Does nothing when STDB_STANDALONE_2X is set or the .xz is absent.
ensure_2x_server() {
    if [[ -n "${STDB_STANDALONE_2X:-}" ]]; then
        [[ -x "$STDB_STANDALONE_2X" ]] || die "STDB_STANDALONE_2X=$STDB_STANDALONE_2X is not an executable file"
        is_2x_server "$STDB_STANDALONE_2X" || die "STDB_STANDALONE_2X=$STDB_STANDALONE_2X: its --version does not say 2.x"
        log "2.x server from STDB_STANDALONE_2X: $STDB_STANDALONE_2X"
        return 0
    fi
    if [[ -x "$STDB_2X_CACHED" ]]; then
        log "2.x server present: $STDB_2X_CACHED"
        return 0
    fi
    if [[ ! -f "$STDB_2X_XZ" ]]; then
        local other
        if other="$(server_2x_binary_path)"; then
            log "2.x server: $other"
        else
            log "no 2.x server: the ::v2_8 tests will be skipped (set STDB_STANDALONE_2X=/path/to/spacetimedb-standalone, or provide ../shared/servers/spacetimedb-standalone-$STDB_2X_VERSION.xz)"
        fi
        return 0
    fi
    require_cmd xz "install xz: apt-get install xz-utils"
    require_cmd sha256sum "install coreutils"
    local tmp sum
    mkdir -p "$(dirname "$STDB_2X_CACHED")"
    tmp="$STDB_2X_CACHED.tmp.$$"
    log "decompressing $STDB_2X_XZ into $STDB_2X_CACHED"
    xz -dc "$STDB_2X_XZ" >"$tmp" || { rm -f "$tmp"; die "decompressing $STDB_2X_XZ failed"; }
    sum="$(sha256sum "$tmp" | cut -d' ' -f1)"
    if [[ "$sum" != "$STDB_2X_SHA256" ]]; then
        rm -f "$tmp"
        die "$STDB_2X_XZ decompresses to sha256 $sum, expected $STDB_2X_SHA256: the file is damaged or not the 2.8.3 server; fetch it again"
    fi
    chmod +x "$tmp"
    mv -f "$tmp" "$STDB_2X_CACHED"
}

# Decompresses ../shared/servers/spacetimedb-codegen-2.8.3.xz into the cache once (idempotent) and
# checks its sha256. Returns 1 (quietly) when STDB_CODEGEN_2X is not set and the .xz is absent.
ensure_2x_codegen() {
    if [[ -n "${STDB_CODEGEN_2X:-}" ]]; then
        [[ -x "$STDB_CODEGEN_2X" ]] || die "STDB_CODEGEN_2X=$STDB_CODEGEN_2X is not an executable file"
        return 0
    fi
    [[ -x "$STDB_CODEGEN_2X_CACHED" ]] && return 0
    [[ -f "$STDB_CODEGEN_2X_XZ" ]] || return 1
    require_cmd xz "install xz: apt-get install xz-utils"
    require_cmd sha256sum "install coreutils"
    local tmp sum
    mkdir -p "$(dirname "$STDB_CODEGEN_2X_CACHED")"
    tmp="$STDB_CODEGEN_2X_CACHED.tmp.$$"
    log "decompressing $STDB_CODEGEN_2X_XZ into $STDB_CODEGEN_2X_CACHED"
    xz -dc "$STDB_CODEGEN_2X_XZ" >"$tmp" || { rm -f "$tmp"; die "decompressing $STDB_CODEGEN_2X_XZ failed"; }
    sum="$(sha256sum "$tmp" | cut -d' ' -f1)"
    if [[ "$sum" != "$STDB_CODEGEN_2X_SHA256" ]]; then
        rm -f "$tmp"
        die "$STDB_CODEGEN_2X_XZ decompresses to sha256 $sum, expected $STDB_CODEGEN_2X_SHA256: the file is damaged or not the 2.8.3 code generator"
    fi
    chmod +x "$tmp"
    mv -f "$tmp" "$STDB_CODEGEN_2X_CACHED"
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
    build_modules_in "$MODULES_DIR" "$@"
}

# build_modules_in DIR [CARGO ARGS...]: the same toolchain command on one modules workspace.
build_modules_in() {
    local dir="$1"
    shift
    [[ -x /usr/bin/rustc && -x /usr/bin/cargo ]] || die "/usr/bin/rustc or /usr/bin/cargo missing; install the Debian packages: apt-get install rustc-web cargo-web rust-web-src lld (or run scripts/setup)"
    [[ -d /usr/lib/rustlib/src/rust/library ]] || die "Rust std sources missing in /usr/lib/rustlib/src; install them: apt-get install rust-web-src (or run scripts/setup)"
    require_cmd wasm-ld "install the wasm linker: apt-get install lld (or run scripts/setup)"
    log "building wasm modules in ${dir#"$REPO_ROOT"/}"
    (
        cd "$dir"
        # Host-oriented settings (sanitizer RUSTFLAGS, a custom target dir) must not leak into the
        # wasm build: the wasm files have to land in tests/modules/target.
        env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET_DIR -u CARGO_BUILD_TARGET \
            RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
            /usr/bin/cargo build --locked --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort "$@"
    )
}

# Module crate directories (DIR/<name>/Cargo.toml, DIR defaults to tests/modules), one name a line.
module_names() {
    local d
    for d in "${1:-$MODULES_DIR}"/*/Cargo.toml; do
        basename "$(dirname "$d")"
    done
}

# check_module_wasm [MODULES_DIR WASM_DIR]: fails unless every module has its wasm file
# (crate name with '-' turned into '_').
check_module_wasm() {
    local dir="${1:-$MODULES_DIR}" wasm_dir="${2:-$WASM_DIR}" m wasm
    for m in $(module_names "$dir"); do
        wasm="$wasm_dir/${m//-/_}.wasm"
        [[ -f "$wasm" ]] || die "module '$m' built but $wasm is missing"
    done
}

# --- Godot 3 GDNative headers (godot/, tests/godot.rs) ---
# Debian packages Godot 3.2.3 but not the GDNative C headers (godot_headers, branch 3.2). The
# crates.io package gdnative-sys 0.9.3 vendors exactly that branch (core API 1.0-1.2, NativeScript
# 1.0-1.1): cargo fetches it like any dependency, and its sha256 is pinned here. The headers are
# unpacked into the cache, never committed.
GODOT_HEADERS_CRATE=gdnative-sys
GODOT_HEADERS_CRATE_VERSION=0.9.3
GODOT_HEADERS_CRATE_SHA256=97911fe633877345ce7788cf19febb322dc7a7ffd585098fea7e5cef11edf7f2
GODOT_HEADERS_DIR="$STDB_CACHE_DIR/godot-headers-3.2"

# ensure_godot_headers: unpacks the headers into $GODOT_HEADERS_DIR once (idempotent) and prints
# that directory (the include path holding gdnative_api_struct.gen.h).
ensure_godot_headers() {
    local dir="$GODOT_HEADERS_DIR" stamp="$GODOT_HEADERS_DIR/.from-$GODOT_HEADERS_CRATE-$GODOT_HEADERS_CRATE_VERSION"
    if [[ -f "$stamp" && -f "$dir/gdnative_api_struct.gen.h" ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    require_cmd cargo "install a Rust toolchain (the Godot headers come from crates.io through cargo)"
    require_cmd sha256sum "install coreutils"
    local work="$STDB_CACHE_DIR/godot-headers-fetch" crate sum tmp
    mkdir -p "$work/src"
    # A throwaway package whose only dependency is the crate: `cargo fetch` downloads (and checks
    # against the registry's index) its .crate file into cargo's cache; nothing is built.
    cat >"$work/Cargo.toml" <<EOT
[package]
name = "stdb-client-godot-headers-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$GODOT_HEADERS_CRATE = "=$GODOT_HEADERS_CRATE_VERSION"

[workspace]
EOT
    : >"$work/src/lib.rs"
    log "fetching $GODOT_HEADERS_CRATE $GODOT_HEADERS_CRATE_VERSION (GDNative headers for Godot 3.2) with cargo"
    env -u CARGO_TARGET_DIR cargo fetch --manifest-path "$work/Cargo.toml" >&2 ||
        die "cargo fetch of $GODOT_HEADERS_CRATE $GODOT_HEADERS_CRATE_VERSION failed (is crates.io reachable?)"
    crate="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$GODOT_HEADERS_CRATE-$GODOT_HEADERS_CRATE_VERSION.crate" 2>/dev/null | head -n 1)"
    [[ -n "$crate" ]] || die "cargo fetch ran but $GODOT_HEADERS_CRATE-$GODOT_HEADERS_CRATE_VERSION.crate is not in cargo's registry cache"
    sum="$(sha256sum "$crate" | cut -d' ' -f1)"
    [[ "$sum" == "$GODOT_HEADERS_CRATE_SHA256" ]] ||
        die "$crate has sha256 $sum, expected $GODOT_HEADERS_CRATE_SHA256"
    tmp="$dir.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    tar -xzf "$crate" -C "$tmp" --strip-components=2 "$GODOT_HEADERS_CRATE-$GODOT_HEADERS_CRATE_VERSION/godot_headers" ||
        { rm -rf "$tmp"; die "unpacking $crate failed"; }
    [[ -f "$tmp/gdnative_api_struct.gen.h" && -f "$tmp/nativescript/godot_nativescript.h" ]] ||
        { rm -rf "$tmp"; die "$crate holds no godot_headers/gdnative_api_struct.gen.h"; }
    : >"$tmp/.from-$GODOT_HEADERS_CRATE-$GODOT_HEADERS_CRATE_VERSION"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    log "Godot 3.2 GDNative headers: $dir"
    printf '%s\n' "$dir"
}

# --- fuzzing and ThreadSanitizer (scripts/fuzz, scripts/tsan) ---
# Both use rustup's nightly toolchain (-Zsanitizer, -Zbuild-std); the sanitizer builds need the
# nightly's own std sources (rust-src), the C fuzz harness needs clang with libFuzzer.
CARGO_FUZZ_VERSION=0.13.2
APT_PACKAGES_FUZZ=(clang)

# Fails with one sentence unless rustup's nightly toolchain is installed.
require_nightly() {
    require_cmd rustup "install rustup (https://rustup.rs); the sanitizer runs need its nightly toolchain"
    rustup run nightly rustc --version >/dev/null 2>&1 ||
        die "rustup's nightly toolchain is missing: rustup toolchain install nightly --profile minimal"
}

# rust-src for the nightly toolchain (-Zbuild-std rebuilds std with the sanitizer); idempotent.
ensure_nightly_rust_src() {
    require_nightly
    if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
        log "adding rust-src to the nightly toolchain"
        rustup component add rust-src --toolchain nightly >&2 || die "rustup component add rust-src --toolchain nightly failed"
    fi
}

# cargo-fuzz, installed once from crates.io into the cache dir (not ~/.cargo/bin); prints its path.
ensure_cargo_fuzz() {
    local root="$STDB_CACHE_DIR/cargo-fuzz-$CARGO_FUZZ_VERSION" bin
    bin="$root/bin/cargo-fuzz"
    if [[ ! -x "$bin" ]]; then
        log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $root (once, about 2 minutes)"
        mkdir -p "$root"
        env -u RUSTFLAGS -u CARGO_TARGET_DIR CARGO_TARGET_DIR="$STDB_CACHE_DIR/cargo-fuzz-build" \
            cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$root" >&2 ||
            die "cargo install cargo-fuzz --version $CARGO_FUZZ_VERSION failed"
    fi
    printf '%s\n' "$bin"
}

# clang able to build -fsanitize=fuzzer,address (Debian's clang package); idempotent.
ensure_fuzz_clang() {
    command -v clang >/dev/null 2>&1 || ensure_apt_packages "${APT_PACKAGES_FUZZ[@]}"
    require_cmd clang "install clang: apt-get install clang"
}
