#!/usr/bin/env python3
"""Run the official WASI preview1 test suite (WebAssembly/wasi-testsuite) under `sluice run`.

    tests/wasi-testsuite/run.py [--suite DIR] [--work DIR] [-j N] [--timeout S] [-v]
                                SLUICE [FLAG...]

Every NAME.wasm below the suite is a test; NAME.json beside it, when present, is its
specification (upstream's "legacy" format): `args`, `env`, `root` (a directory beside the
test, preopened as the guest's `/`), `dirs` (the older form: directories preopened under
their own names), `exit_code` (default 0), and `stdout` / `stderr`, compared exactly when
given. The tests write into their directories, so each runs against a fresh, writable copy
made under --work; the suite itself is only read. FLAGs go to `sluice run` before the
test's own options, so other tiers or limits can run the same suite.

Prints one line per failure with the reason, then `wasi-testsuite: N passed, N failed`, and
exits non-zero if anything failed (or the suite or SLUICE is missing).
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KNOWN_KEYS = {"args", "env", "root", "dirs", "exit_code", "stdout", "stderr"}


def default_suite():
    for cand in (os.path.join(ROOT, "..", "shared", "wasi-testsuite"), "/work/shared/wasi-testsuite"):
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    return os.path.normpath(os.path.join(ROOT, "..", "shared", "wasi-testsuite"))


def find_tests(suite):
    """(name, wasm path) for every test, sorted by name. The name is the language directory
    and the file's stem (`c/lseek`), wherever below it the suite keeps its binaries (the
    upstream layout is c/testsuite/wasm32-wasip1/)."""
    tests = []
    for dirpath, dirnames, filenames in os.walk(suite):
        dirnames.sort()
        for f in filenames:
            if not f.endswith(".wasm"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), suite)
            lang = rel.split(os.sep)[0] if os.sep in rel else ""
            stem = f[: -len(".wasm")]
            tests.append((f"{lang}/{stem}" if lang else stem, os.path.join(dirpath, f)))
    tests.sort()
    return tests


def make_writable(path):
    # The shared suite is read-only, and copies keep its modes: the tests must be able to
    # create and remove files in their copy, and we must be able to delete it next time.
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR | stat.S_IRUSR | (stat.S_IXUSR if os.path.isdir(p) else 0))
    os.chmod(path, os.stat(path).st_mode | stat.S_IRWXU)


def remove_tree(path):
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            make_writable(path)
            shutil.rmtree(path)
        else:
            os.remove(path)


def fresh_copy(src, dst):
    """A writable copy of a test's directory, without the `*.cleanup` leftovers that the
    specification says to remove before running."""
    remove_tree(dst)
    shutil.copytree(src, dst, symlinks=True)
    make_writable(dst)
    for dirpath, dirnames, filenames in os.walk(dst, topdown=True):
        for n in list(dirnames) + filenames:
            if n.endswith(".cleanup"):
                remove_tree(os.path.join(dirpath, n))
                if n in dirnames:
                    dirnames.remove(n)


def load_spec(wasm):
    path = wasm[: -len(".wasm")] + ".json"
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    unknown = sorted(set(spec) - KNOWN_KEYS)
    if unknown:
        # A key this runner does not understand may change what the test means: fail rather
        # than run it with a guess.
        raise ValueError(f"unknown key(s) in {os.path.basename(path)}: {', '.join(unknown)}")
    return spec


def excerpt(data, limit=300):
    """The most telling part of a failed test's stderr, on one line."""
    text = data.decode("utf-8", "replace")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    # A Rust panic's message follows its "panicked at FILE:LINE:COL:" line.
    for i, l in enumerate(lines):
        if "panicked at" in l:
            lines = lines[i : i + 2]
            break
    out = " | ".join(lines[:3])
    return out if len(out) <= limit else out[: limit - 3] + "..."


def show(data):
    return json.dumps(data.decode("utf-8", "replace"))[:200]


def run_test(opts, name, wasm):
    """Runs one test; returns (name, None, b"") when it passed or (name, reason, stderr)."""
    try:
        return run_one(opts, name, wasm)
    except OSError as e:
        # Copying the test's directory or starting sluice failed: that test fails, the rest run.
        return name, f"cannot run: {e}", b""


def run_one(opts, name, wasm):
    try:
        spec = load_spec(wasm)
    except (ValueError, json.JSONDecodeError) as e:
        return name, f"bad specification: {e}", b""
    testdir = os.path.dirname(wasm)
    work = os.path.join(opts.work, name)
    remove_tree(work)
    os.makedirs(work)

    cmd = [opts.sluice, "run"] + opts.flags
    preopens = []
    if "root" in spec:
        preopens.append((spec["root"], "/"))
    for d in spec.get("dirs", []):
        preopens.append((d, d))
    for i, (host, guest) in enumerate(preopens):
        src = os.path.join(testdir, host)
        if not os.path.isdir(src):
            return name, f"bad specification: directory {host} is missing", b""
        dst = os.path.join(work, f"{i}-{os.path.basename(os.path.normpath(host))}")
        fresh_copy(src, dst)
        cmd += ["--dir", f"{dst}::{guest}"]
    for k, v in spec.get("env", {}).items():
        cmd += ["--env", f"{k}={v}"]
    cmd.append(wasm)
    cmd += spec.get("args", [])

    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, cwd=work, timeout=opts.timeout)
    except subprocess.TimeoutExpired as e:
        return name, f"timed out after {opts.timeout} s", e.stderr or b""
    want = spec.get("exit_code", 0)
    if p.returncode != want:
        why = f"exit code {p.returncode}, want {want}"
        if p.stderr:
            why += f" (stderr: {excerpt(p.stderr)})"
        return name, why, p.stderr
    for stream, got in (("stdout", p.stdout), ("stderr", p.stderr)):
        if stream in spec and got != spec[stream].encode("utf-8"):
            return name, f"{stream} {show(got)}, want {show(spec[stream].encode('utf-8'))}", p.stderr
    # A passing test leaves nothing worth keeping; a failing one keeps its directory to look at.
    remove_tree(work)
    return name, None, b""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default=default_suite())
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "wasi-testsuite"))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("-v", "--verbose", action="store_true", help="print a failed test's whole stderr")
    ap.add_argument("sluice")
    ap.add_argument("flags", nargs=argparse.REMAINDER, help="extra `sluice run` options")
    opts = ap.parse_args()

    opts.sluice = os.path.abspath(opts.sluice)
    opts.work = os.path.abspath(opts.work)
    # The tests run in their work directories, so every path handed to sluice is absolute.
    opts.suite = os.path.abspath(opts.suite)
    if not os.path.isdir(opts.suite):
        print(f"wasi-testsuite: the test suite is missing: {opts.suite} (--suite DIR; make WASI_TS_SUITE=DIR)")
        print("wasi-testsuite: 0 passed, 1 failed")
        return 1
    if not os.access(opts.sluice, os.X_OK):
        print(f"wasi-testsuite: {opts.sluice} is not built")
        print("wasi-testsuite: 0 passed, 1 failed")
        return 1
    tests = find_tests(opts.suite)
    if not tests:
        print(f"wasi-testsuite: no .wasm tests in {opts.suite}")
        print("wasi-testsuite: 0 passed, 1 failed")
        return 1

    # The VM catches guard-page faults with its own SIGSEGV handler, which ASan must leave
    # alone; harmless for a build without ASan.
    os.environ.setdefault("ASAN_OPTIONS", "handle_segv=0:allow_user_segv_handler=1:detect_leaks=1")
    os.makedirs(opts.work, exist_ok=True)

    passed = failed = 0
    # map() hands the results back in the tests' order, whichever finishes first.
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        for name, why, err in pool.map(lambda t: run_test(opts, *t), tests):
            if why is None:
                passed += 1
                continue
            failed += 1
            print(f"FAIL {name}: {why}", flush=True)
            if opts.verbose and err:
                sys.stdout.write("".join("    " + l + "\n" for l in err.decode("utf-8", "replace").splitlines()))
    print(f"wasi-testsuite: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
