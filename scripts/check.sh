#!/usr/bin/env bash
# make check: builds, then runs every test target in passes (plain, then ASan+UBSan; more
# passes may be added below), CHECK_JOBS targets at a time. Each target's output is printed
# whole when it ends (make -Otarget). A failing target does not stop the others of its pass
# (make -k), but a failed pass stops the run. Ends with one line:
#   check: N passed, N failed     (test targets, over all passes that ran)
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${CHECK_JOBS:-2}
make=${MAKE:-make}
passed=0 failed=0
start=$(date +%s)
mkdir -p build

# pass NAME LIST-TARGET RUN-TARGET [MAKE-ARGS...]: the targets LIST-TARGET names, run together.
pass() {
  local name=$1 list=$2 run=$3
  shift 3
  local targets log rc t0
  targets=$($make --no-print-directory -s "$@" "$list")
  log=build/check-$name.log
  t0=$(date +%s)
  echo "check: pass $name: $(wc -w <<<"$targets") targets, $jobs at a time"
  $make --no-print-directory -k -j"$jobs" -Otarget "$@" "$run" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # make names each target that failed: "make[1]: *** [mk/x.mk:12: test-x] Error 1"
  local bad
  # and the TSan pass's loop names its own: "check-tsan: FAIL: test-x (exit 1)" or "... in test-x"
  bad=$( { grep -oE '\*\*\* \[[^]]*: [A-Za-z0-9_.-]+\] Error' "$log" | sed -E 's/.*: ([^]]+)\] Error/\1/'
           grep -E '^check-tsan: FAIL: ' "$log" | sed -E 's/.* in ([a-z0-9-]+) \(files.*/\1/; s/^check-tsan: FAIL: ([a-z0-9-]+) \(exit.*/\1/'; } |
        sort -u | grep -Fxf <(tr ' ' '\n' <<<"$targets") || true)
  local nbad=0 n
  n=$(wc -w <<<"$targets")
  [ -n "$bad" ] && nbad=$(wc -l <<<"$bad")
  if ((rc != 0 && nbad == 0)); then nbad=1; bad="(the build of pass $name)"; fi
  passed=$((passed + n - nbad)) failed=$((failed + nbad))
  echo "check: pass $name: $((n - nbad)) of $n targets passed in $(($(date +%s) - t0)) s"
  if ((nbad)); then
    echo "check: failed in pass $name: $(tr '\n' ' ' <<<"$bad")(log: $log)"
    return 1
  fi
}

ok=true
$make --no-print-directory -j"$jobs" all || ok=false
$ok && pass plain check-list check-run || ok=false
$ok && pass asan check-san-list check-san-run SAN=1 BUILD=build/asan || ok=false
# ThreadSanitizer: the threaded parts' tests, one after the other (mk/tsan.mk)
$ok && pass tsan check-tsan-list check-tsan-run SAN=thread BUILD=build/tsan || ok=false
echo "check: $(($(date +%s) - start)) s in all"
echo "check: $passed passed, $failed failed"
$ok
