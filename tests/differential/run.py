#!/usr/bin/env python3
"""Differential tests: runs each program of gen.py under scry and under bpftrace 0.17 against
the same workload, and compares their outputs exactly after normalise.py.

    run.py --scry build/scry [--family keys] [--only REGEX] [--batch 4] [--list]

Programs that share a workload run together: for a batch of up to --batch programs, every
program starts under both tools at once (2 x batch tracers), the workload runs once every tracer
has printed __BPFTRACE_NOTIFY_PROBES_ATTACHED (scry on stdout, bpftrace 0.17 on stderr, as
tests/runtime/with-load watches), then every tracer gets SIGINT and prints its maps. Each probe
filters on a comm only its workload uses, so every tracer sees exactly the same events. Modes:
  load  the workload's commands run one after the other (gen.py WORKLOADS);
  cmd   each tracer runs the workload itself with -c; no SIGINT, the tracers exit with it;
  pid   the workload starts first (scry_loadgen --print-pid --wait-file), the tracers get
        -p PID, and the file is created once all are attached.
Both tools get max_strlen gen.STRLEN (BPFTRACE_STRLEN for 0.17, BPFTRACE_MAX_STRLEN for scry).

What is compared: stdout and the exit status, each through normalise.py. stderr is not
compared (attach notices, warnings and error wording differ by design) but is shown on failure.
A failure prints the program, the workload, both raw outputs and a unified diff of the
normalised ones. The last line is the summary:
    differential: N programs, P passed, F failed
(plus the programs of gen.KNOWN_SCRY_BUGS and gen.KNOWN_BPFTRACE_017_BUGS, whose difference is
reported on one line as known and not counted as failed; one of them that passes is counted as
failed, so that the lists are kept up to date; --show-known prints their details too).

A program whose bpftrace 0.17 run never exits after SIGINT, even run again alone (RERUNS), is
reported as NOT COMPARED and not counted as failed, unless more than NOT_COMPARED_LIMIT of the
programs end that way.

Exit status: 0 when none failed, 1 when one did, 77 (skip) when bpftrace 0.17 is missing or we
are not root, 2 for usage errors.
"""

import argparse
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import normalise  # noqa: E402

SKIP = 77
NOTIFY_LINE = b"__BPFTRACE_NOTIFY_PROBES_ATTACHED"
ATTACH_TIMEOUT = 60.0
EXIT_TIMEOUT = 10.0
LOAD_TIMEOUT = 60.0
SETTLE_MS = 100
KILLED = "[run.py: no exit after SIGINT; killed]"
# How often a program whose tracer was killed at exit runs again alone, and which share of the
# programs may end uncompared because bpftrace 0.17 never exited (a flaw of the reference, not a
# difference; beyond this share the run fails: the reference is not usable).
RERUNS = 3
NOT_COMPARED_LIMIT = 0.05


class Tracer:
    """One tracer process; threads collect its output and spot the notify line."""

    def __init__(self, tool, argv, env):
        self.tool = tool
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, start_new_session=True)
        self.attached = threading.Event()
        self.out = {"stdout": bytearray(), "stderr": bytearray()}
        self.readers = [threading.Thread(target=self._read, args=(s, n), daemon=True)
                        for s, n in ((self.proc.stdout, "stdout"), (self.proc.stderr, "stderr"))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, name):
        for line in iter(stream.readline, b""):
            if line.rstrip(b"\r\n") == NOTIFY_LINE:
                self.attached.set()
                continue
            self.out[name] += line

    def settled(self):
        """Attached, or gone without attaching (an error: nothing to wait for)."""
        return self.attached.is_set() or self.proc.poll() is not None

    def interrupt(self):
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass

    def finish(self, deadline):
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.out["stderr"] += b"\n" + KILLED.encode() + b"\n"
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        for reader in self.readers:
            reader.join(5)
        rc = self.proc.returncode
        return {"stdout": self.out["stdout"].decode("utf-8", "replace"),
                "stderr": self.out["stderr"].decode("utf-8", "replace"),
                "status": 128 - rc if rc < 0 else rc}


class Env:
    def __init__(self, scry, bpftrace, loadgen, tmp):
        self.scry, self.bpftrace, self.loadgen, self.tmp = scry, bpftrace, loadgen, tmp
        self.dt_proc = os.path.join(tmp, "dt_proc")
        # The traced programs of the uprobe family (tests/targets in scry's build directory).
        self.targets = os.path.join(os.path.dirname(os.path.abspath(scry)), "tests", "targets")

    def expand(self, word):
        return word.format(loadgen=self.loadgen, dt_proc=self.dt_proc, tmp=self.tmp,
                           targets=self.targets)

    def tool_env(self, tool):
        env = dict(os.environ)
        env["SCRY_NOTIFY_PROBES_ATTACHED"] = "1"
        env["__BPFTRACE_NOTIFY_PROBES_ATTACHED"] = "1"
        for name in ("BPFTRACE_STRLEN", "BPFTRACE_MAX_STRLEN"):
            env.pop(name, None)
        if tool == "scry":
            env["BPFTRACE_MAX_STRLEN"] = str(gen.STRLEN)
        else:
            env["BPFTRACE_STRLEN"] = str(gen.STRLEN)
        return env

    def argv(self, tool, prog, pid=None):
        argv = [self.scry if tool == "scry" else self.bpftrace]
        if prog.mode == "cmd":
            argv += ["-c", self.cmd_line(prog)]
        if pid is not None:
            argv += ["-p", str(pid)]
        argv += ["-e", prog.text.replace(gen.TARGETS, self.targets)]
        if prog.params:
            argv += ["--", *prog.params]
        return argv

    def cmd_line(self, prog):
        return self.expand(prog.cmd)


def wait_for(path, seconds=120):
    """Others relink build/scry now and then; it is missing for a moment."""
    for _ in range(seconds * 10):
        if os.path.exists(path):
            return
        time.sleep(0.1)


def prepare(tmp):
    """Builds the helper workloads in tmp: dt_proc, and /bin/true under two known names."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dt_proc.c")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return "no C compiler (cc) to build tests/differential/dt_proc.c"
    res = subprocess.run([cc, "-O2", "-o", os.path.join(tmp, "dt_proc"), src],
                         capture_output=True, text=True)
    if res.returncode != 0:
        return f"cannot build dt_proc.c:\n{res.stderr}"
    true = shutil.which("true") or "/bin/true"
    for name in ("dt_ex", "dt_sl"):
        shutil.copy(true, os.path.join(tmp, name))
        os.chmod(os.path.join(tmp, name), 0o755)
    return None


def run_batch(env, progs):
    """Runs progs (same workload and mode) under both tools at once. Returns
    {prog.id: {"scry": result, "bpftrace": result}} and the load's log."""
    workload = gen.WORKLOADS[progs[0].workload]
    mode = progs[0].mode
    log = []
    waiter = None
    pid = None
    go_file = None
    if mode == "pid":
        go_file = os.path.join(env.tmp, f"go.{time.monotonic_ns()}")
        cmd = [env.expand(w) for w in workload.commands[0]]
        cmd = [cmd[0], "--print-pid", "--wait-file", go_file, *cmd[1:]]
        waiter = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        pid = int(waiter.stdout.readline())
    wait_for(env.scry)
    tracers = []
    for prog in progs:
        for tool in ("scry", "bpftrace"):
            tracers.append((prog, tool, Tracer(tool, env.argv(tool, prog, pid),
                                               env.tool_env(tool))))
    deadline = time.monotonic() + ATTACH_TIMEOUT
    while not all(t.settled() for _, _, t in tracers):
        if time.monotonic() > deadline:
            log.append("run.py: timed out waiting for the tracers to attach")
            break
        time.sleep(0.005)
    if mode == "load":
        for command in workload.commands:
            argv = [env.expand(w) for w in command]
            try:
                res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                     text=True, timeout=LOAD_TIMEOUT)
                if res.returncode != 0:
                    log.append(f"load {argv} exited {res.returncode}: {res.stderr}")
            except (OSError, subprocess.TimeoutExpired) as e:
                log.append(f"load {argv}: {e}")
    elif mode == "pid":
        open(go_file, "w").close()
        try:
            waiter.wait(timeout=LOAD_TIMEOUT)
        except subprocess.TimeoutExpired:
            waiter.kill()
            waiter.wait()
            log.append("load (-p) timed out")
        if waiter.returncode != 0:
            log.append(f"load (-p) exited {waiter.returncode}: {waiter.stderr.read()}")
        os.unlink(go_file)
    # bpftrace 0.17 may lose events still in its perf buffer when SIGINT comes at once.
    time.sleep(max(workload.settle_ms, SETTLE_MS) / 1000)
    if mode in ("cmd", "pid"):
        # Both tools exit by themselves when the -c command or the -p process ends; a SIGINT
        # that arrives while bpftrace 0.17 prints its maps kills it (it restores SIGINT's
        # default action then).
        deadline = time.monotonic() + (LOAD_TIMEOUT if mode == "cmd" else 5)
        while any(t.proc.poll() is None for _, _, t in tracers) and time.monotonic() < deadline:
            time.sleep(0.01)
    for _, _, tracer in tracers:
        tracer.interrupt()
    deadline = time.monotonic() + EXIT_TIMEOUT
    results = {}
    for prog, tool, tracer in tracers:
        results.setdefault(prog.id, {})[tool] = tracer.finish(deadline)
    return results, log


def describe_workload(env, prog):
    workload = gen.WORKLOADS[prog.workload]
    lines = [f"workload {prog.workload}: {workload.description}"]
    if prog.mode == "cmd":
        lines.append(f"  each tracer runs -c {env.cmd_line(prog)!r}")
    for command in workload.commands:
        words = [env.expand(w) for w in command]
        if len(" ".join(words)) > 200:
            words = words[:6] + ["..."]
        lines.append("  $ " + " ".join(words))
    if prog.mode == "pid":
        lines.append("  (started first with --print-pid --wait-file; tracers get -p PID)")
    if workload.settle_ms:
        lines.append(f"  then {workload.settle_ms} ms before SIGINT")
    return "\n".join(lines)


def indent(text):
    if not text:
        return "    (empty)\n"
    return "".join("    | " + line + "\n" for line in text.splitlines())


def report(env, prog, res, norm, log, known, show_known=False):
    out = []
    head = ("KNOWN 0.17 BUG" if known.startswith("bpftrace 0.17") else "KNOWN SCRY BUG") \
        if known else "FAIL"
    out.append(f"=== {head}: {prog.id}" + (f"  [{known}]" if known else ""))
    if known and not show_known:
        return "\n".join(out)
    out.append("program:")
    out.append(indent(prog.text).rstrip("\n"))
    if prog.params:
        out.append(f"positional parameters: {' '.join(prog.params)}")
    out.append(describe_workload(env, prog))
    out.append(f"max_strlen {gen.STRLEN} for both (scry: BPFTRACE_MAX_STRLEN, "
               f"bpftrace 0.17: BPFTRACE_STRLEN)")
    for tool in ("scry", "bpftrace"):
        r = res[tool]
        out.append(f"--- {tool} (exit {r['status']}) stdout:")
        out.append(indent(r["stdout"]).rstrip("\n"))
        out.append(f"--- {tool} stderr:")
        out.append(indent(r["stderr"]).rstrip("\n"))
    for line in log:
        out.append(f"--- {line}")
    out.append("--- diff of the normalised outputs (- scry, + bpftrace 0.17):")
    diff = difflib.unified_diff(norm["scry"].splitlines(), norm["bpftrace"].splitlines(),
                                "scry", "bpftrace-0.17", lineterm="", n=3)
    out.extend(diff)
    return "\n".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scry", default=os.path.join(here, "../../build/scry"))
    ap.add_argument("--bpftrace", default=shutil.which("bpftrace") or "/usr/bin/bpftrace")
    ap.add_argument("--loadgen", help="default: tests/tools/scry_loadgen beside --scry")
    ap.add_argument("--family", action="append", help="run only these families (repeatable)")
    ap.add_argument("--only", help="run only the programs whose id matches this regex")
    ap.add_argument("--batch", type=int, default=4,
                    help="programs run at once (each under both tools); default 4")
    ap.add_argument("--list", action="store_true", help="list the selected programs and exit")
    ap.add_argument("--show-known", action="store_true",
                    help="print the details of known differences too")
    ap.add_argument("-v", "--verbose", action="store_true", help="print a line per program")
    args = ap.parse_args()

    progs = gen.programs()
    if args.family:
        progs = [p for p in progs if p.family in args.family]
    if args.only:
        progs = [p for p in progs if re.search(args.only, p.id)]
    if args.list:
        for p in progs:
            print(p.id, p.family, p.workload, p.mode)
        print(f"{len(progs)} programs")
        return 0
    if not progs:
        print("run.py: no program selected", file=sys.stderr)
        return 2

    if not (os.path.isfile(args.bpftrace) and os.access(args.bpftrace, os.X_OK)):
        print(f"SKIP: bpftrace not found ({args.bpftrace}); the differential tests compare "
              "scry against bpftrace 0.17")
        return SKIP
    version = subprocess.run([args.bpftrace, "--version"], capture_output=True, text=True).stdout
    if not version.startswith("bpftrace v0.17."):
        print(f"SKIP: {args.bpftrace} is {version.strip()!r}, not 0.17; normalise.py describes "
              "0.17's output")
        return SKIP
    if os.geteuid() != 0:
        print("SKIP: the differential tests load BPF programs and need root")
        return SKIP
    scry = os.path.abspath(args.scry)
    wait_for(scry)
    loadgen = args.loadgen or os.path.join(os.path.dirname(scry), "tests/tools/scry_loadgen")
    for path in (scry, loadgen):
        if not os.access(path, os.X_OK):
            print(f"run.py: not executable: {path}", file=sys.stderr)
            return 2

    start = time.monotonic()
    passed = failed = known_failed = known_017 = not_compared = 0
    with tempfile.TemporaryDirectory(prefix="scry-differential.") as tmp:
        os.chmod(tmp, 0o755)
        problem = prepare(tmp)
        if problem:
            print(f"run.py: {problem}", file=sys.stderr)
            return 2
        env = Env(scry, args.bpftrace, loadgen, tmp)
        groups = {}
        for p in progs:
            groups.setdefault((p.workload, p.mode), []).append(p)
        for (workload, mode), members in groups.items():
            for i in range(0, len(members), max(1, args.batch)):
                batch = members[i:i + args.batch]
                results, log = run_batch(env, batch)
                # bpftrace 0.17 now and then ignores the SIGINT that ends a run (more often on a
                # loaded machine) and is killed after EXIT_TIMEOUT; such a program runs again
                # alone, up to RERUNS times.
                for prog in batch:
                    for _ in range(RERUNS):
                        if not any(KILLED in results[prog.id][t]["stderr"]
                                   for t in ("scry", "bpftrace")):
                            break
                        again, again_log = run_batch(env, [prog])
                        results[prog.id] = again[prog.id]
                        log = log + [f"{prog.id}: a tracer was killed at exit; ran it again alone"]
                        log += again_log
                for prog in batch:
                    res = results[prog.id]
                    # The reference never exited: nothing to compare. Reported, and counted
                    # against NOT_COMPARED_LIMIT; scry failing to exit is a failure as any other.
                    if (KILLED in res["bpftrace"]["stderr"] and
                            KILLED not in res["scry"]["stderr"]):
                        not_compared += 1
                        print(f"=== NOT COMPARED: {prog.id}: bpftrace 0.17 did not exit after "
                              f"SIGINT in {RERUNS + 1} runs (scry exited {res['scry']['status']})")
                        continue
                    norm = {tool: normalise.normalise(tool, res[tool]["stdout"],
                                                      res[tool]["status"], prog.text)
                            for tool in ("scry", "bpftrace")}
                    same = norm["scry"] == norm["bpftrace"]
                    known = gen.KNOWN_SCRY_BUGS.get(prog.id)
                    if prog.id in gen.KNOWN_BPFTRACE_017_BUGS:
                        known = "bpftrace 0.17 bug: " + gen.KNOWN_BPFTRACE_017_BUGS[prog.id]
                    if same and not known:
                        passed += 1
                        if args.verbose:
                            print(f"ok {prog.id}")
                    elif not same and known:
                        if prog.id in gen.KNOWN_BPFTRACE_017_BUGS:
                            known_017 += 1
                        else:
                            known_failed += 1
                        print(report(env, prog, res, norm, log, known, args.show_known))
                    else:
                        failed += 1
                        if same:
                            print(f"=== FAIL: {prog.id} passes but is listed in "
                                  f"a known-bug list of gen.py ({known}); remove it from the list")
                        else:
                            print(report(env, prog, res, norm, log, None))
                    sys.stdout.flush()
    elapsed = time.monotonic() - start
    extra = ""
    if known_failed:
        extra += f", {known_failed} known scry bugs (expected failures)"
    if known_017:
        extra += f", {known_017} known bpftrace 0.17 bugs"
    if not_compared:
        extra += f", {not_compared} not compared (bpftrace 0.17 did not exit)"
    print(f"differential: {len(progs)} programs, {passed} passed, {failed} failed{extra} "
          f"({elapsed:.0f} s)")
    if not_compared > NOT_COMPARED_LIMIT * len(progs):
        print(f"differential: more than {NOT_COMPARED_LIMIT:.0%} of the programs could not be "
              "compared; the reference tool is not usable here")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
