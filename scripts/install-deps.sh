#!/usr/bin/env bash
# Installs what Sluice needs to build and test, on Debian 12. Idempotent: only missing
# packages are installed, and `apt-get update` runs at most once per call.
set -euo pipefail

APT_PACKAGES=(
  build-essential clang clang-format lld-14 llvm-15-dev wabt wasi-libc libclang-rt-14-dev-wasm32
  libcjson-dev libfuzzer-14-dev binaryen nodejs hyperfine python3-numpy libjansson-dev libssl-dev libsqlite3-dev
  libmicrohttpd-dev libcurl4-openssl-dev curl wrk nginx-light chromium
  libyaml-dev libpq-dev postgresql python3-scipy python3-statsmodels
  rustc cargo libstd-rust-dev-wasm32 librust-serde-dev librust-serde-derive-dev librust-serde-json-dev
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
