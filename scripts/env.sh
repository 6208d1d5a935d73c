# Sourced by every project script: one place that says where the toolchain and caches live.
# Everything heavy lives outside the clone so a fresh clone on the same machine builds incrementally.
OPSQUAD_HOME="${OPSQUAD_HOME:-$HOME/.cache/opsquad}"
OPSQUAD_SYSROOT="$OPSQUAD_HOME/sysroot"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$OPSQUAD_HOME/target}"
# Debian's rustc-web (1.96, LLVM 22) builds both the server and the wasm client, through a sysroot
# wrapper that adds the wasm32 standard library built by scripts/setup.
export RUSTC="$OPSQUAD_SYSROOT/bin/rustc"
export RUSTDOC="$OPSQUAD_SYSROOT/bin/rustdoc"
export PATH="$OPSQUAD_SYSROOT/bin:$OPSQUAD_HOME/bin:$PWD/node_modules/.bin:$PATH"
export CARGO=/usr/bin/cargo
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
