#!/usr/bin/env bash
# make layers: the layers of docs/architecture.md form a DAG, and each uses only those to its
# left:
#
#   vm  <-  wasi  <-  base  <-  fn  <-  { serve, pipeline }  <-  cli
#   vm  <-  compile (the native tier's compiler, the one layer that links LLVM)  <-  cli
#
# Two checks. Includes: every #include "..." in src/LAYER/ names a header of LAYER or of a
# layer it may use (the public include/ headers belong to vm and wasi). Symbols: every sl_*
# symbol a layer's library leaves undefined is defined by a library it may use (so a call
# that goes the wrong way is caught even without an #include, e.g. through a declaration).
# Usage: check.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}

# What each layer (a folder of src/) may include: folders of src/, and public headers.
declare -A uses=(
  [vm]="vm | sluice.h"
  [wasi]="wasi vm | sluice.h sluice_wasi.h"
  [base]="base | sluice.h sluice_wasi.h"
  [fn]="fn base | sluice.h sluice_wasi.h"
  [serve]="serve fn base | sluice.h sluice_wasi.h"
  [pipeline]="pipeline fn base | sluice.h sluice_wasi.h"
  [compile]="compile vm | sluice.h"
  [cli]="cli serve pipeline fn base compile vm | sluice.h sluice_wasi.h"
)
fail=0
checked=0
for layer in "${!uses[@]}"; do
  spec=${uses[$layer]}
  dirs=" ${spec%%|*} "
  pub=" ${spec#*|} "
  while IFS= read -r -d '' f; do
    while IFS=: read -r line inc; do
      checked=$((checked + 1))
      case $inc in
        */*) top=${inc%%/*}
             [[ $dirs == *" $top "* ]] && continue ;;
        *) [[ $pub == *" $inc "* ]] && continue
           # a header beside the file, included by its bare name
           [ -e "$(dirname "$f")/$inc" ] && continue ;;
      esac
      echo "layers: $f:$line: #include \"$inc\": $layer may use only src/{$(echo $dirs | tr " " ",")} and $(echo $pub)"
      fail=1
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed -E 's/^([0-9]+):.*"([^"]+)".*/\1:\2/')
  done < <(find "src/$layer" -name '*.[ch]' -print0)
done
# the public headers stand alone
if grep -n '#include "' include/*.h | grep -v '"sluice\(_wasi\)\?\.h"'; then
  echo "layers: include/ headers may include only each other"
  fail=1
fi

# Symbols: LIB:the libraries it may use.
declare -A links=(
  [libsluice.a]=""
  [libsluice-base.a]="libsluice.a"
  [libsluice-fn.a]="libsluice-base.a libsluice.a"
  [libsluice-serve.a]="libsluice-fn.a libsluice-base.a libsluice.a"
  [libsluice-pipeline.a]="libsluice-fn.a libsluice-base.a libsluice.a"
  [libsluice-compile.a]="libsluice.a"
)
for lib in "${!links[@]}"; do
  [ -f "$build/$lib" ] || { echo "layers: $build/$lib is missing (run make first)"; fail=1; continue; }
  defined=$( { nm -g --defined-only "$build/$lib" 2>/dev/null
               for dep in ${links[$lib]}; do nm -g --defined-only "$build/$dep" 2>/dev/null; done; } |
             awk 'NF == 3 {print $3}' | sort -u)
  while read -r sym; do
    [ -z "$sym" ] && continue
    echo "layers: $lib uses $sym, which none of its layers defines (it may use: ${links[$lib]:-libc only})"
    fail=1
  done < <(comm -23 <(nm -g --undefined-only "$build/$lib" 2>/dev/null | awk '{print $NF}' | grep '^sl_' | sort -u) <(echo "$defined"))
done
if ((fail)); then
  echo "layers: FAILED (docs/architecture.md has the rule)"
  exit 1
fi
echo "layers: ok ($checked includes in ${#uses[@]} layers, ${#links[@]} libraries)"
