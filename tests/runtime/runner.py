#!/usr/bin/env python3
"""Runs scry's end-to-end tests: small text files, one behaviour each.

    runner.py --scry build/scry tests/runtime/*.test

A test file is a list of directives, `KEY: value`. A directive's value may continue on the
following lines when they are indented (the common indentation is removed); blank lines inside
such a block are kept. Lines starting with `#` at the left margin are comments.

    NAME: what the test checks (default: the file name)
    REQUIRES: root bpf tracefs btf kernel-headers cmd:NAME path:PATH kconfig:CONFIG_NAME
              feature:NAME
                      (all must hold). feature:NAME holds when `$SCRY --info` prints a line
                      `  NAME: yes` (kprobe, kprobe_multi, fentry, uprobe_multi,
                      hardware_breakpoint, ...); when --info fails, the test fails. The kernel
                      matrix (scripts/test-kernels) runs every test that needs feature:kprobe,
                      feature:fentry, feature:hardware_breakpoint, feature:probe_write_user or
                      feature:kallsyms_data on Debian 12's 6.1 kernel.
    TIMEOUT: seconds for RUN (default 10), times $SCRY_TEST_TIMEOUT_SCALE when it is set
    FILE: NAME        the indented lines below are written to NAME in the test's directory
                      (NAME may have directories: lib/x.bt)
    SETUP: shell      run before RUN; exit 77 skips the test (its last output line is the reason)
    RUN: shell        the command under test, run by bash -o pipefail in a fresh temporary
                      directory with stdin from /dev/null. `scry` on PATH is the binary under
                      test (also $SCRY); $SRCDIR is the source tree. Also on PATH: the load
                      generator `scry_loadgen` (tests/tools in scry's build directory) and
                      `with-load` (beside this runner; also $WITH_LOAD). $TARGETS is the
                      directory of the traced test programs (tests/targets in the build
                      directory: scry_target_pie, libscrytarget.so, ...), also on PATH.
    CLEANUP: shell    always run after RUN when SETUP succeeded (restores machine state)
    EXIT: status      expected exit status of RUN (default 0)
    STDOUT: text      a line equal to text (both stripped of surrounding blanks)
    STDOUT~: regex    a line in which regex is found (Python re.search)
    STDOUT!~: regex   no line may match
    STDERR: / STDERR~: / STDERR!~:   the same for stderr

Positive expectations on one stream must be met in the order they are written, each by a later
line than the one before. Whatever the expectations, a RUN that dies from a signal (status >= 128)
or prints a sanitizer report fails, and so does one that outlives its TIMEOUT.

Exit status: 0 when every test passed or was skipped, 1 when one failed, and 77 when the only
test given was skipped (ctest's SKIP_RETURN_CODE).
"""

import argparse
import ctypes
import gzip
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap

SKIP = 77
# Every TIMEOUT is multiplied by $SCRY_TEST_TIMEOUT_SCALE (default 1): the kernel matrix's
# emulated guest runs 5 to 10 times slower than the machines the TIMEOUTs were set on.
TIMEOUT_SCALE = float(os.environ.get("SCRY_TEST_TIMEOUT_SCALE", "1") or "1")
EXPECT_KEYS = {"STDOUT", "STDOUT~", "STDOUT!~", "STDERR", "STDERR~", "STDERR!~"}
SHELL_KEYS = {"SETUP", "RUN", "CLEANUP"}
KEYS = {"NAME", "REQUIRES", "TIMEOUT", "FILE", "EXIT"} | SHELL_KEYS | EXPECT_KEYS
SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|:\d+:\d+: runtime error: ")


class TestFileError(Exception):
    pass


class InfoFailed(Exception):
    """`scry --info`, which REQUIRES feature:NAME reads, failed: the test fails with it."""


class Test:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.requires = []
        self.timeout = 10.0
        self.files = []  # (name, text)
        self.setup = self.run = self.cleanup = None
        self.exit = 0
        self.expects = []  # (stream, kind, pattern); kind is "line", "re" or "not-re"


def parse_directives(path):
    """Yields (line number, key, value) with continuation lines folded into value."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            raise TestFileError(f"{path}:{i}: indented line without a directive above it")
        key, sep, value = line.partition(":")
        if not sep or key not in KEYS:
            raise TestFileError(f"{path}:{i}: expected one of {', '.join(sorted(KEYS))}")
        start = i
        block = []
        while i < len(lines) and (not lines[i].strip() or lines[i][0].isspace()):
            block.append(lines[i])
            i += 1
        while block and not block[-1].strip():
            block.pop()
        value = value[1:] if value.startswith(" ") else value
        if block:
            value = "\n".join(([value] if value.strip() else []) + textwrap.dedent("\n".join(block)).split("\n"))
        yield start, key, value


def load(path):
    test = Test(path)
    for lineno, key, value in parse_directives(path):
        where = f"{path}:{lineno}"
        if key == "NAME":
            test.name = value.strip()
        elif key == "REQUIRES":
            test.requires += value.split()
        elif key == "TIMEOUT":
            test.timeout = float(value)
        elif key == "EXIT":
            test.exit = int(value)
        elif key == "FILE":
            name, _, text = value.partition("\n")
            if not name.strip():
                raise TestFileError(f"{where}: FILE needs a name")
            test.files.append((name.strip(), text + "\n" if text else ""))
        elif key in SHELL_KEYS:
            if getattr(test, key.lower()) is not None:
                raise TestFileError(f"{where}: a second {key}")
            setattr(test, key.lower(), value)
        else:
            stream = "stdout" if key.startswith("STDOUT") else "stderr"
            kind = "not-re" if key.endswith("!~") else "re" if key.endswith("~") else "line"
            for pattern in value.split("\n"):
                if kind != "line":
                    try:
                        re.compile(pattern)
                    except re.error as e:
                        raise TestFileError(f"{where}: bad regex {pattern!r}: {e}")
                test.expects.append((stream, kind, pattern))
    if test.run is None:
        raise TestFileError(f"{path}: no RUN")
    return test


# --- REQUIRES ---------------------------------------------------------------------------------

def bpf_works():
    """Creates (and closes) a one-element BPF array map: the bpf syscall is there and allowed."""
    numbers = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361, "s390x": 351}
    nr = numbers.get(platform.machine())
    if nr is None:
        return False
    # union bpf_attr for BPF_MAP_CREATE (cmd 0): map_type, key_size, value_size, max_entries.
    attr = (ctypes.c_uint32 * 32)(2, 4, 8, 1)  # BPF_MAP_TYPE_ARRAY
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(nr, 0, ctypes.byref(attr), ctypes.sizeof(attr))
    if fd < 0:
        return False
    os.close(fd)
    return True


def kernel_config(name):
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            text = f.read()
    except OSError:
        try:
            with open(f"/boot/config-{platform.release()}") as f:
                text = f.read()
        except OSError:
            return None
    return re.search(rf"^{re.escape(name)}=[ym]$", text, re.M) is not None


_scry_features = {}  # scry binary -> the features its --info reports as available, or why it failed


def scry_features(scry):
    """The names that `scry --info` prints as `  NAME: yes` (under its section headers), or a
    string saying why --info failed. Asked once per binary and runner process: it probes the
    kernel."""
    if scry not in _scry_features:
        try:
            proc = subprocess.run([scry, "--info"], stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            proc = None
        if proc is None or proc.returncode != 0:
            # Kept as the reason: a --info that fails is scry's bug (a crash, a sanitizer
            # report), and the tests that ask for a feature fail with it rather than skip.
            why = "did not run" if proc is None else (
                f"exit status {proc.returncode}: " +
                proc.stderr.decode("utf-8", "replace").strip()[-400:])
            _scry_features[scry] = why
        else:
            text = proc.stdout.decode("utf-8", "replace")
            _scry_features[scry] = set(re.findall(r"^[ \t]*(\S+): yes[ \t]*$", text, re.M))
    return _scry_features[scry]


def unmet_requirement(req, path, scry):
    """None when `req` holds on this machine, else the reason the test cannot run. `path` is the
    PATH that RUN will see, for cmd:NAME; `scry` the binary under test, for feature:NAME."""
    if req == "root":
        return None if os.geteuid() == 0 else "needs root"
    if req == "bpf":
        return None if os.geteuid() == 0 and bpf_works() else "needs root and the bpf syscall"
    if req == "tracefs":
        with open("/proc/filesystems") as f:
            return None if "\ttracefs\n" in f.read() else "kernel has no tracefs"
    if req == "btf":
        return None if os.path.exists("/sys/kernel/btf/vmlinux") else "kernel has no BTF"
    if req == "kernel-headers":
        modules = f"/lib/modules/{os.uname().release}"
        have = any(os.path.exists(f"{modules}/{d}/include/linux/kconfig.h")
                   for d in ("source", "build"))
        return None if have else f"needs the running kernel's headers in {modules}"
    kind, _, arg = req.partition(":")
    if kind == "cmd" and arg:
        return None if shutil.which(arg, path=path) else f"needs the command {arg}"
    if kind == "path" and arg:
        return None if os.path.exists(arg) else f"needs {arg}"
    if kind == "feature" and arg:
        features = scry_features(scry)
        if isinstance(features, str):
            raise InfoFailed(f"scry --info failed ({features})")
        return None if arg in features else f"needs the kernel feature {arg} (scry --info)"
    if kind == "kconfig" and arg:
        present = kernel_config(arg)
        if present is None:
            return f"needs {arg}, and the kernel config is not readable"
        return None if present else f"kernel built without {arg}"
    raise TestFileError(f"unknown requirement {req!r}")


# --- running ----------------------------------------------------------------------------------

def shell(script, cwd, env, timeout):
    """Runs `script` with bash; returns (status, stdout, stderr, timed_out)."""
    proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", script], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    # A signal ends bash's last command as 128+N, or bash itself as -N.
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return (status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out)


def check(test, status, out, err, timed_out):
    """The list of problems with one RUN's result (empty when it passed)."""
    if timed_out:
        return [f"timed out after {test.timeout * TIMEOUT_SCALE:g} s"]
    problems = []
    if status >= 128:
        problems.append(f"died from signal {status - 128}")
    if SANITIZER_REPORT.search(err):
        problems.append("sanitizer report on stderr")
    if status != test.exit:
        problems.append(f"exit status {status}, expected {test.exit}")
    lines = {"stdout": out.splitlines(), "stderr": err.splitlines()}
    next_line = {"stdout": 0, "stderr": 0}
    for stream, kind, pattern in test.expects:
        if kind == "not-re":
            bad = [l for l in lines[stream] if re.search(pattern, l)]
            if bad:
                problems.append(f"{stream} has a line matching /{pattern}/: {bad[0]!r}")
            continue
        for i in range(next_line[stream], len(lines[stream])):
            line = lines[stream][i]
            if (line.strip() == pattern.strip()) if kind == "line" else re.search(pattern, line):
                next_line[stream] = i + 1
                break
        else:
            shown = pattern if kind == "line" else f"/{pattern}/"
            problems.append(f"{stream} lacks {shown} (after line {next_line[stream]})")
    return problems


def clip(text, limit=4000):
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more bytes)"


def test_env(scry, srcdir):
    """The environment of SETUP, RUN and CLEANUP."""
    here = os.path.dirname(os.path.abspath(__file__))
    tools = os.path.join(os.path.dirname(scry), "tests", "tools")  # scry_loadgen
    targets = os.path.join(os.path.abspath(os.path.dirname(scry)), "tests", "targets")
    env = dict(os.environ)
    env.update(SCRY=scry, SRCDIR=srcdir, WITH_LOAD=os.path.join(here, "with-load"), TARGETS=targets,
               PATH=os.pathsep.join([os.path.dirname(scry), tools, targets, here,
                                     env.get("PATH", "")]))
    return env


def run_test(test, scry, srcdir):
    """Returns ("PASS" | "FAIL" | "SKIP", message)."""
    env = test_env(scry, srcdir)
    for req in test.requires:
        try:
            reason = unmet_requirement(req, env["PATH"], scry)
        except InfoFailed as e:
            return "FAIL", str(e)
        if reason:
            return "SKIP", reason
    with tempfile.TemporaryDirectory(prefix="scry-test-") as tmp:
        env["TESTDIR"] = tmp
        for name, text in test.files:
            os.makedirs(os.path.dirname(os.path.join(tmp, name)), exist_ok=True)
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        if test.setup is not None:
            status, out, err, _ = shell(test.setup, tmp, env, 60)
            if status == SKIP:
                reasons = (out + err).strip().splitlines()
                return "SKIP", reasons[-1] if reasons else "SETUP skipped the test"
            if status != 0:
                return "FAIL", f"SETUP exited {status}\n{clip(out)}{clip(err)}"
        try:
            status, out, err, timed_out = shell(test.run, tmp, env, test.timeout * TIMEOUT_SCALE)
        finally:
            if test.cleanup is not None:
                c_status, c_out, c_err, _ = shell(test.cleanup, tmp, env, 60)
        problems = check(test, status, out, err, timed_out)
        if test.cleanup is not None and c_status != 0:
            problems.append(f"CLEANUP exited {c_status}: {clip(c_out + c_err, 500)}")
    if not problems:
        return "PASS", ""
    report = "\n".join(f"  - {p}" for p in problems)
    run = test.run.replace("\n", "\n       ")
    return "FAIL", (f"{report}\n  RUN: {run}\n  exit status: {status}\n"
                    f"--- stdout ---\n{clip(out)}\n--- stderr ---\n{clip(err)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scry", required=True, help="the scry binary under test")
    parser.add_argument("tests", nargs="+", help="*.test files")
    args = parser.parse_args()
    scry = os.path.abspath(args.scry)
    srcdir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for path in args.tests:
        try:
            test = load(path)
            verdict, message = run_test(test, scry, srcdir)
        except (TestFileError, ValueError, OSError) as e:
            test_name, verdict, message = path, "FAIL", f"  - bad test file: {e}"
        else:
            test_name = test.name
        counts[verdict] += 1
        label = {"PASS": "PASS", "FAIL": "FAIL", "SKIP": "SKIPPED"}[verdict]
        print(f"{label}: {test_name} ({os.path.basename(path)})" +
              (f": {message}" if verdict == "SKIP" else ""))
        if verdict == "FAIL":
            print(message)
    if len(args.tests) > 1:
        print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    if counts["FAIL"]:
        return 1
    if counts["SKIP"] and len(args.tests) == 1:
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
