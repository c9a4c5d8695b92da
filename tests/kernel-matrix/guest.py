#!/usr/bin/env python3
"""The kernel matrix's test run inside the guest (started by tests/kernel-matrix/init).

    guest.py --scry BUILD/scry --result FILE [--given DIR]

Picks the tests: every tests/runtime/*.test whose REQUIRES names one of FEATURES (so a new
kprobe, fentry or watchpoint test joins the matrix by saying what it needs), then the files
listed in tests/kernel-matrix/extra-tests, then DIR/*.test (the test files given to
scripts/test-kernels, to try a test on this kernel before it joins tests/runtime/). Runs them
all with one tests/runtime/runner.py, as the host does, its output on ours, and checks
`scry --info` against the guest kernel.

A test that fails by outliving its TIMEOUT is run once more (emulation is slow) and passes if
that run passes.

Verdict: PASS only when every picked test passed. A skip is a failure (in this guest, kprobes,
fentry, breakpoints and bpf_probe_write_user (no lockdown) exist, so a test skipped for lacking
one shows that scry failed to see them), except a skip for a feature that NEWER_THAN_GUEST says this kernel is too old for.
The verdict goes to --result: a first line `PASS ...` or `FAIL ...`, then one line per test.
"""

import argparse
import glob
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
RUNTIME = os.path.join(SRCDIR, "tests", "runtime")
sys.path.insert(0, RUNTIME)
import runner  # noqa: E402  (tests/runtime/runner.py: the test files' parser)

# A test that needs one of these runs in the guest (probe_write_user: this machine's kernel is
# locked down, which withholds the helper; kallsyms_data: it lists no variables in kallsyms).
FEATURES = ("kprobe", "fentry", "hardware_breakpoint", "probe_write_user", "kallsyms_data")
# Features of `scry --info` newer than some guest kernel: the first version that has each. On an
# older guest, scry must report them absent, and a test skipped for lacking one is not a failure.
NEWER_THAN_GUEST = {"uprobe_multi": (6, 6)}

VERDICT_LINE = re.compile(r"^(PASS|FAIL|SKIPPED): .* \(([^()]+\.test)\)(?:: (.*))?$")
FEATURE_SKIP = re.compile(r"^needs the kernel feature (\S+) \(scry --info\)$")


def kernel_version():
    m = re.match(r"(\d+)\.(\d+)", platform.release())
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def select_tests(given):
    """[(path, why)] in run order, and a list of problems with the selection."""
    picked, problems = [], []
    for path in sorted(glob.glob(os.path.join(RUNTIME, "*.test"))):
        try:
            test = runner.load(path)
        except (runner.TestFileError, ValueError, OSError) as e:
            problems.append(f"cannot read {path}: {e}")
            continue
        needs = [r for r in test.requires if r.startswith("feature:") and r[8:] in FEATURES]
        if needs:
            picked.append((path, " ".join(needs)))
    chosen = {p for p, _ in picked}
    with open(os.path.join(HERE, "extra-tests"), encoding="utf-8") as f:
        for line in f:
            name = line.split("#", 1)[0].strip()
            if not name:
                continue
            path = os.path.join(RUNTIME, name)
            if not os.path.isfile(path):
                problems.append(f"extra-tests names {name}, which is not in tests/runtime/")
            elif path not in chosen:
                picked.append((path, "extra"))
                chosen.add(path)
    if given:
        picked += [(path, "given") for path in sorted(glob.glob(os.path.join(given, "*.test")))]
    return picked, problems


def check_info(scry, picked):
    """Prints `scry --info`; returns the problems it shows on this kernel."""
    needed = {r[8:] for _, why in picked for r in why.split() if r.startswith("feature:")}
    try:
        proc = subprocess.run([scry, "--info"], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=120)
        ok, text = proc.returncode == 0, (proc.stdout + proc.stderr).decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired) as e:
        ok, text = False, str(e)
    print(f"--- scry --info ({'ok' if ok else 'failed'}) ---\n{text.rstrip()}\n---", flush=True)
    if not ok:
        return [f"scry --info failed in the guest, so no test can see {', '.join(sorted(needed))}"
                ] if needed else []
    yes = set(re.findall(r"^[ \t]*(\S+): yes[ \t]*$", text, re.M))
    problems = [f"scry --info does not report '{name}: yes' on Linux {platform.release()}, the "
                f"kernel booted because it has {name}; the tests that need it would be skipped"
                for name in sorted(needed - yes)]
    for name, since in NEWER_THAN_GUEST.items():
        if name in yes and kernel_version() < since:
            problems.append(f"scry --info reports '{name}: yes' on Linux {platform.release()}, "
                            f"which lacks it (it came in {since[0]}.{since[1]})")
    return problems


def run_tests(scry, paths):
    """Runs `paths` with one runner.py, its output on ours. Returns {file name: (verdict, reason,
    seconds)} and the set of file names that failed by running out of time."""
    results, timed_out, current = {}, set(), None
    if not paths:
        return results, timed_out
    last = time.monotonic()
    # -u: each verdict line as it comes, so the console shows progress and times are right.
    cmd = [sys.executable, "-u", os.path.join(RUNTIME, "runner.py"), "--scry", scry] + paths
    # Emulation is 5 to 10 times slower than the machines the TIMEOUTs were set on.
    env = dict(os.environ, SCRY_TEST_TIMEOUT_SCALE=os.environ.get("SCRY_TEST_TIMEOUT_SCALE", "4"))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", env=env)
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = VERDICT_LINE.match(line.rstrip("\n"))
        if m:
            now = time.monotonic()
            current = m.group(2)
            results[current] = (m.group(1), m.group(3) or "", now - last)
            last = now
        elif current and results[current][0] == "FAIL" and line.startswith("  - timed out after"):
            timed_out.add(current)
    proc.wait()
    return results, timed_out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scry", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--given", help="a folder of more *.test files to run")
    args = parser.parse_args()
    start = time.monotonic()

    picked, problems = select_tests(args.given)
    print(f"kernel-matrix: {len(picked)} tests on Linux {platform.release()}:", flush=True)
    for path, why in picked:
        print(f"  {os.path.basename(path)} ({why})")
    problems += check_info(args.scry, picked)

    results, timed_out = run_tests(args.scry, [p for p, _ in picked])
    if timed_out:
        # Emulation runs 5 to 10 times slower than the machine the TIMEOUTs were set on, and a
        # busy host slows it more: a test that ran out of time gets one more chance.
        print(f"kernel-matrix: once more, after a timeout: {' '.join(sorted(timed_out))}")
        again, _ = run_tests(args.scry, [p for p, _ in picked if os.path.basename(p) in timed_out])
        for name, (verdict, reason, took) in again.items():
            note = "the first run timed out"
            results[name] = (verdict, f"{reason}; {note}" if reason else note, took)

    lines, failed = [], 0
    for path, why in picked:
        name = os.path.basename(path)
        verdict, reason, took = results.get(name, ("FAIL", "no verdict from runner.py", 0))
        if verdict == "SKIPPED":
            m = FEATURE_SKIP.match(reason)
            since = NEWER_THAN_GUEST.get(m.group(1)) if m else None
            verdict = "skip" if since and kernel_version() < since else "FAIL"
            reason = f"skipped: {reason}"
        if verdict == "FAIL":
            failed += 1
        lines.append(f"{verdict.lower():4} {took:5.1f} s  {name} ({why})"
                     f"{': ' + reason if reason else ''}")
    problems += [f"{failed} of {len(picked)} tests failed or were skipped"] if failed else []
    took = time.monotonic() - start
    head = (f"FAIL {'; '.join(problems)}" if problems else
            f"PASS {len(picked)} tests on Linux {platform.release()}")
    with open(args.result, "w", encoding="utf-8") as f:
        f.write(f"{head} ({took:.0f} s in the guest)\n" + "".join(l + "\n" for l in lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
