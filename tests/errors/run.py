#!/usr/bin/env python3
"""Runs scry's corpus of invalid programs: each must fail with a stable diagnostic code at a
known place, in the text output and in the JSON output.

    run.py --scry build/scry                       every corpus file of this directory
    run.py --scry build/scry tests/errors/sema-types.txt
    run.py --scry build/scry --include-known       also tests/errors/known-bugs.txt
    run.py --scry build/scry --show FILE           print what scry reports for each entry
    run.py --coverage                              entries per diagnostic code, and codes without any

A corpus file holds entries separated by lines `---`. An entry is a list of `KEY: value` lines;
a value may continue on the following lines when they are indented (the common indentation of
those lines is removed, so tabs after it are kept; blank lines inside are kept). Lines starting
with `#` at the left margin are comments.

    NAME: what the entry checks (unique in its file)
    PROGRAM: the program text
    CODE: the stable code of the first error: one of the spellings of SCRY_DIAG_CODES, which the
          runner reads from the diagnostics.h under src/ that defines them
    AT: where the first error is, as the text output prints it: LINE:COL-ENDCOL, or LINE alone
        (a location without columns, such as a line the kernel's verifier names), or `none`
        (a diagnostic about something outside the program, such as an environment variable)
    EXIT: the expected exit status (default 1)
    ARGS: scry's arguments, split like a shell's words (default: --dry-run -e PROGRAM). The word
          PROGRAM is the program text; PROGRAM_FILE writes the program to prog.bt in the run's
          directory and stands for that path (the diagnostics then name prog.bt, not stdin).
          Positional parameters go after the program: --dry-run -e PROGRAM -- a b
    ENV: KEY=VALUE, set for the run (repeatable; one per line in a block). $NAME in VALUE is
         the environment's NAME, and $TARGETS the directory of the traced test programs
         (tests/targets beside the scry binary, as in the runtime tests): ENV: PATH=$TARGETS:$PATH
         lets a program name uprobe:scry_target_pie:... at a location that does not depend on
         the build directory
    ESCAPES: yes      the program is written with Python escapes (\\xff, \\t, \\0, \\n), for bytes
                      a text file cannot hold
    GENERATE: a Python expression whose value is the program (large or deeply nested programs);
              replaces PROGRAM
    REQUIRES: root bpf tracefs btf   (all must hold, or the entry is skipped)
    USER: a user to run scry as (e.g. nobody, to see what scry says without privileges); needs root
    TIMEOUT: seconds for one run of scry (default 60)

Each entry runs twice (two entries at a time):
  1. text output: the first line of stderr that reports an error must be
     `FILE:LINE:COL-ENDCOL: ERROR: <message> [<code>]` (`FILE:LINE: ERROR: ...` for a line alone,
     `ERROR: ... [<code>]` for `none`), followed by the source line and a line of `~` marks under
     columns COL..ENDCOL-1 (tabs before the marks kept; a line longer than 160 bytes is shown as
     a window, as scry prints it);
  2. with `-f json` first: stderr carries one JSON object per line for each diagnostic,
     {"type": "error", "data": {"code": ..., "file": ..., "line": ..., "column": ...,
     "end_line": ..., "end_column": ..., "message": ..., "hint": ...}}; the first error must have
     the code and location of the entry (no file or line for `none`; no column for a line alone).
     Other lines (libbpf's log of a program the kernel refused) are ignored, but a diagnostic in
     the text layout (ERROR:, WARNING:, HINT:) is a failure.
Both runs must exit with EXIT, and neither may die from a signal or print a sanitizer report.

Prints `errors: N programs, P passed, F failed` (and the number skipped, if any) and each failure
with scry's output. Exit status: 0 when every entry passed or was skipped, 1 when one failed, 77
when every entry was skipped (ctest's SKIP_RETURN_CODE): known-bugs.txt is skipped unless
--include-known is given.
"""

import argparse
import codecs
import concurrent.futures
import json
import os
import pwd
import re
import shlex
import signal
import string
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
KNOWN_BUGS = "known-bugs.txt"
SKIP = 77
KEYS = {"NAME", "PROGRAM", "CODE", "AT", "EXIT", "ARGS", "ENV", "ESCAPES", "GENERATE", "REQUIRES",
        "TIMEOUT", "USER"}
SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|:\d+:\d+: runtime error: ")
# scry shows lines longer than this as a window around the range (src/base/diagnostics.cpp).
WINDOW_CONTEXT, WINDOW_WIDTH = 60, 160


class CorpusError(Exception):
    pass


def known_codes():
    """The spellings of SCRY_DIAG_CODES, from the header under src/ that defines them (None when
    the source tree is not there)."""
    for root, _, files in sorted(os.walk(os.path.join(SRCDIR, "src"))):
        if "diagnostics.h" not in files:
            continue
        with open(os.path.join(root, "diagnostics.h"), encoding="utf-8") as f:
            text = f.read()
        if "SCRY_DIAG_CODES" in text:
            return re.findall(r'^\s*X\(\w+,\s*"([a-z0-9-]+)"\)', text, re.M)
    return None


class Entry:
    def __init__(self, path, lineno):
        self.path = path
        self.lineno = lineno
        self.name = None
        self.program = None
        self.generate = None
        self.escapes = False
        self.code = None
        self.at = None  # (line, col, end_col) with None for missing parts; "none"
        self.exit = 1
        self.args = None
        self.env = {}
        self.requires = []
        self.timeout = 60.0
        self.user = None

    def where(self):
        return f"{os.path.basename(self.path)}:{self.lineno}"

    def label(self):
        return f"{os.path.basename(self.path)}: {self.name}"

    def program_bytes(self):
        if self.generate is not None:
            text = eval(self.generate, {"__builtins__": __builtins__}, {})  # noqa: S307 (our corpus)
            if not isinstance(text, (str, bytes)):
                raise CorpusError(f"{self.where()}: GENERATE must give a string")
            return text.encode("utf-8") if isinstance(text, str) else text
        if self.escapes:
            return codecs.escape_decode(self.program.encode("utf-8"))[0]
        return self.program.encode("utf-8")


def parse_at(value, where):
    value = value.strip()
    if value == "none":
        return "none"
    m = re.fullmatch(r"(\d+)(?::(\d+)-(\d+))?", value)
    if not m:
        raise CorpusError(f"{where}: AT must be LINE:COL-ENDCOL, LINE or none, not {value!r}")
    line = int(m.group(1))
    if m.group(2) is None:
        return (line, None, None)
    col, end = int(m.group(2)), int(m.group(3))
    if end <= col:
        raise CorpusError(f"{where}: AT's end column must be after its column")
    return (line, col, end)


def directives(lines, first_lineno, path):
    """Yields (line number, key, value) for one entry's lines, continuations folded in."""
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = first_lineno + i
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            raise CorpusError(f"{path}:{lineno}: indented line without a key above it")
        key, sep, value = line.partition(":")
        if not sep or key not in KEYS:
            raise CorpusError(f"{path}:{lineno}: expected one of {', '.join(sorted(KEYS))}")
        block = []
        while i < len(lines) and (not lines[i].strip() or lines[i][0].isspace()):
            block.append(lines[i])
            i += 1
        while block and not block[-1].strip():
            block.pop()
        value = value[1:] if value.startswith(" ") else value
        if block:
            rest = textwrap.dedent("\n".join(block)).split("\n")
            value = "\n".join(([value] if value.strip() else []) + rest)
        yield lineno, key, value


def load(path, codes):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    chunks, start, cur = [], 1, []
    for n, line in enumerate(lines, 1):
        if line.rstrip() == "---":
            chunks.append((start, cur))
            start, cur = n + 1, []
        else:
            cur.append(line)
    chunks.append((start, cur))

    entries, names = [], set()
    for start, chunk in chunks:
        if not any(l.strip() and not l.startswith("#") for l in chunk):
            continue
        e = None
        for lineno, key, value in directives(chunk, start, path):
            if e is None:
                e = Entry(path, lineno)
            where = f"{path}:{lineno}"
            if key == "NAME":
                e.name = value.strip()
            elif key == "PROGRAM":
                e.program = value
            elif key == "GENERATE":
                e.generate = value.strip()
            elif key == "ESCAPES":
                e.escapes = value.strip() == "yes"
            elif key == "CODE":
                e.code = value.strip()
                if codes is not None and e.code not in codes:
                    raise CorpusError(f"{where}: unknown code {e.code!r} (not in SCRY_DIAG_CODES)")
            elif key == "AT":
                e.at = parse_at(value, where)
            elif key == "EXIT":
                e.exit = int(value)
            elif key == "ARGS":
                e.args = shlex.split(value)
            elif key == "ENV":
                for item in value.split("\n"):
                    k, eq, v = item.strip().partition("=")
                    if not eq:
                        raise CorpusError(f"{where}: ENV needs KEY=VALUE")
                    e.env[k] = v
            elif key == "REQUIRES":
                e.requires += value.split()
            elif key == "TIMEOUT":
                e.timeout = float(value)
            elif key == "USER":
                e.user = value.strip()
                if "root" not in e.requires:
                    e.requires.append("root")
        if e.name is None:
            raise CorpusError(f"{path}:{start}: an entry without NAME")
        if e.name in names:
            raise CorpusError(f"{e.where()}: a second entry named {e.name!r}")
        names.add(e.name)
        if (e.program is None) == (e.generate is None):
            raise CorpusError(f"{e.where()}: an entry needs PROGRAM or GENERATE (one of them)")
        if e.code is None or e.at is None:
            raise CorpusError(f"{e.where()}: an entry needs CODE and AT")
        if e.args is None:
            e.args = ["--dry-run", "-e", "PROGRAM"]
        if "PROGRAM" not in e.args and "PROGRAM_FILE" not in e.args:
            raise CorpusError(f"{e.where()}: ARGS must pass the program (PROGRAM or PROGRAM_FILE)")
        entries.append(e)
    return entries


# --- REQUIRES ---------------------------------------------------------------------------------

def unmet_requirement(req):
    if req == "root":
        return None if os.geteuid() == 0 else "needs root"
    if req == "bpf":
        # Loading a program through the verifier needs root (CAP_BPF and CAP_PERFMON).
        return None if os.geteuid() == 0 else "needs root to load BPF programs"
    if req == "tracefs":
        with open("/proc/filesystems") as f:
            if "\ttracefs\n" not in f.read():
                return "kernel has no tracefs"
        # scry mounts tracefs when it is not mounted, as root; others need to read it.
        readable = any(os.access(os.path.join(d, "events"), os.R_OK | os.X_OK)
                       for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))
        return None if os.geteuid() == 0 or readable else "needs root or a readable tracefs"
    if req == "btf":
        return None if os.access("/sys/kernel/btf/vmlinux", os.R_OK) else "kernel has no BTF"
    raise CorpusError(f"unknown requirement {req!r}")


# --- running ----------------------------------------------------------------------------------

def run_scry(scry, entry, program, json_mode, workdir):
    argv = [scry] + (["-f", "json"] if json_mode else [])
    for a in entry.args:
        if a == "PROGRAM":
            argv.append(os.fsdecode(program))
        elif a == "PROGRAM_FILE":
            with open(os.path.join(workdir, "prog.bt"), "wb") as f:
                f.write(program)
            argv.append("prog.bt")
        else:
            argv.append(a)
    env = dict(os.environ)
    names = dict(env, TARGETS=os.path.join(os.path.dirname(scry), "tests", "targets"))
    env.update({k: string.Template(v).safe_substitute(names) for k, v in entry.env.items()})
    as_user = {}
    if entry.user:
        pw = pwd.getpwnam(entry.user)
        as_user = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        os.chmod(workdir, 0o755)  # the user must be able to enter it and read prog.bt
    proc = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            **as_user)
    try:
        out, err = proc.communicate(timeout=entry.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    return (proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
            timed_out)


def source_name(entry):
    return "prog.bt" if "PROGRAM_FILE" in entry.args else "stdin"


def expected_excerpt(program, at):
    """The source line and the marks line scry prints under an error at `at`."""
    lines = program.split(b"\n")
    line_no, col, end = at
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else b""
    if col is None:
        return line, None
    begin, stop = col - 1, end - 1
    first, prefix = 0, b""
    if len(line) > WINDOW_WIDTH and begin > WINDOW_CONTEXT:
        first, prefix = begin - WINDOW_CONTEXT, b"..."
    shown = line[min(first, len(line)):][:WINDOW_WIDTH]
    suffix = b"..." if first + len(shown) < len(line) else b""
    marks = b" " * len(prefix)
    for i in range(first, begin):
        marks += b"\t" if i < len(line) and line[i:i + 1] == b"\t" else b" "
    last = min(stop, first + max(len(shown), begin - first + 1))
    marks += b"~" * max(last - begin, 1)
    return prefix + shown + suffix, marks


def check_common(entry, status, err, timed_out, mode):
    problems = []
    if timed_out:
        problems.append(f"{mode}: timed out after {entry.timeout:g} s")
    elif status < 0 or status >= 128:
        problems.append(f"{mode}: scry died (status {status})")
    elif status != entry.exit:
        problems.append(f"{mode}: exit status {status}, expected {entry.exit}")
    if SANITIZER_REPORT.search(err):
        problems.append(f"{mode}: sanitizer report on stderr")
    return problems


ERROR_LINE = re.compile(r"^(?:(?P<file>[^\n]*?):(?P<line>\d+)(?::(?P<col>\d+)-(?P<end>\d+))?: )?"
                        r"ERROR: (?P<message>.*) \[(?P<code>[a-z0-9-]+)\]$")


def check_text(entry, program, status, out, err, timed_out):
    problems = check_common(entry, status, err, timed_out, "text")
    lines = err.split("\n")
    index = next((i for i, l in enumerate(lines) if re.match(r"^(\S*: )?ERROR: ", l)), None)
    if index is None:
        problems.append("text: no ERROR line on stderr")
        return problems
    first = lines[index]
    m = ERROR_LINE.match(first)
    if not m:
        problems.append(f"text: the first error is not `FILE:LINE:COL-END: ERROR: message [code]`: "
                        f"{first!r}")
        return problems
    if m.group("code") != entry.code:
        problems.append(f"text: code [{m.group('code')}], expected [{entry.code}]")
    if entry.at == "none":
        if m.group("line") is not None:
            problems.append(f"text: a location, expected none: {first!r}")
        return problems
    want = f"{source_name(entry)}:{entry.at[0]}"
    if entry.at[1] is not None:
        want += f":{entry.at[1]}-{entry.at[2]}"
    got = first.split(": ERROR: ")[0] if m.group("line") is not None else "(no location)"
    if got != want:
        problems.append(f"text: location {got}, expected {want}")
        return problems
    src, marks = expected_excerpt(program, entry.at)
    src_text = src.decode("utf-8", "replace")
    if index + 1 >= len(lines) or lines[index + 1] != src_text:
        problems.append(f"text: the line after the error is not the source line {src_text!r}")
    elif marks is not None:
        marks_text = marks.decode()
        if index + 2 >= len(lines) or lines[index + 2] != marks_text:
            got_marks = lines[index + 2] if index + 2 < len(lines) else ""
            problems.append(f"text: marks {got_marks!r}, expected {marks_text!r}")
    return problems


def check_json(entry, status, out, err, timed_out):
    problems = check_common(entry, status, err, timed_out, "json")
    first = None
    for line in err.split("\n"):
        if not line.startswith("{"):
            if re.match(r"^(\S*: )?(ERROR|WARNING|HINT): ", line):
                problems.append(f"json: a text diagnostic on stderr: {line!r}")
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            problems.append(f"json: a line of stderr is not JSON ({e}): {line!r}")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("data"), dict):
            problems.append(f"json: not {{\"type\": ..., \"data\": {{...}}}}: {line!r}")
            continue
        if obj.get("type") == "error" and first is None:
            first = obj["data"]
    if first is None:
        problems.append("json: no {\"type\": \"error\"} object on stderr")
        return problems
    if first.get("code") != entry.code:
        problems.append(f"json: code {first.get('code')!r}, expected {entry.code!r}")
    if not isinstance(first.get("message"), str) or not first["message"]:
        problems.append("json: the error has no message")
    if "hint" in first and not isinstance(first["hint"], str):
        problems.append("json: the hint is not a string")
    if entry.at == "none":
        for k in ("file", "line", "column", "end_line", "end_column"):
            if k in first:
                problems.append(f"json: {k} is given, expected no location")
        return problems
    want = {"file": source_name(entry), "line": entry.at[0]}
    if entry.at[1] is not None:
        want.update({"column": entry.at[1], "end_line": entry.at[0], "end_column": entry.at[2]})
    got = {k: first.get(k) for k in want}
    if got != want:
        problems.append(f"json: location {got}, expected {want}")
    return problems


def run_entry(scry, entry):
    """(status, problems, outputs): status is "pass", "fail" or "skip"."""
    for req in entry.requires:
        reason = unmet_requirement(req)
        if reason:
            return "skip", [reason], ""
    try:
        program = entry.program_bytes()
    except Exception as e:  # a GENERATE expression that fails
        return "fail", [f"cannot make the program: {e}"], ""
    problems, shown = [], []
    with tempfile.TemporaryDirectory(prefix="scry-errors-") as workdir:
        try:
            status, out, err, timed_out = run_scry(scry, entry, program, False, workdir)
            problems += check_text(entry, program, status, out, err, timed_out)
            shown.append(f"--- text: status {status}\n{err.rstrip()}")
            status, out, err, timed_out = run_scry(scry, entry, program, True, workdir)
            problems += check_json(entry, status, out, err, timed_out)
            shown.append(f"--- json: status {status}\n{err.rstrip()}")
        except (OSError, ValueError) as e:  # e.g. a program too long for -e, or a NUL byte in it
            problems.append(f"cannot run scry: {e}")
    return ("fail" if problems else "pass"), problems, "\n".join(shown)


def show_entry(scry, entry):
    """What scry reports for `entry`, for writing expectations (--show)."""
    try:
        program = entry.program_bytes()
    except Exception as e:
        return f"cannot make the program: {e}"
    with tempfile.TemporaryDirectory(prefix="scry-errors-") as workdir:
        status, out, err, timed_out = run_scry(scry, entry, program, False, workdir)
    lines = err.split("\n")
    index = next((i for i, l in enumerate(lines) if re.match(r"^(\S*: )?ERROR: ", l)), None)
    head = f"== {entry.where()} {entry.name}  [expect {entry.code} at {entry.at}] status {status}"
    if index is None:
        return head + "\n" + err.rstrip()
    return head + "\n" + "\n".join(lines[index:index + 4]).rstrip()


def corpus_files(args):
    if args.files:
        return args.files
    names = sorted(n for n in os.listdir(HERE) if n.endswith(".txt"))
    return [os.path.join(HERE, n) for n in names]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scry", help="the scry binary under test")
    ap.add_argument("--include-known", action="store_true",
                    help=f"also run {KNOWN_BUGS} (entries for scry bugs not fixed yet)")
    ap.add_argument("--show", action="store_true",
                    help="print scry's first error for each entry instead of checking it")
    ap.add_argument("--coverage", action="store_true",
                    help="print the number of entries per code and the codes without one")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="entries run at once (default 2)")
    ap.add_argument("-k", "--filter", help="only the entries whose name contains this text")
    ap.add_argument("files", nargs="*", help=f"corpus files (default: every *.txt beside run.py)")
    args = ap.parse_args()

    codes = known_codes()
    entries, skipped_files = [], []
    try:
        for path in corpus_files(args):
            if os.path.basename(path) == KNOWN_BUGS and not args.include_known:
                skipped_files.append(path)
                continue
            entries += load(path, codes)
    except CorpusError as e:
        print(f"errors: {e}", file=sys.stderr)
        return 1
    if args.filter:
        entries = [e for e in entries if args.filter in e.name]

    if args.coverage:
        counts = {}
        for e in entries:
            counts.setdefault(e.code, []).append(os.path.basename(e.path))
        for code in codes or sorted(counts):
            files = counts.get(code, [])
            by_file = ", ".join(f"{f} {files.count(f)}" for f in sorted(set(files)))
            print(f"{code:28} {len(files):4}  {by_file}")
        print(f"{len(entries)} entries")
        return 0

    if not args.scry:
        ap.error("--scry is needed")
    scry = os.path.abspath(args.scry)
    if args.show:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for text in pool.map(lambda e: show_entry(scry, e), entries):
                print(text)
        return 0

    for path in skipped_files:
        print(f"errors: {os.path.basename(path)} skipped (scry bugs not fixed yet; run it with "
              f"--include-known)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda e: run_entry(scry, e), entries))

    passed = sum(1 for r in results if r[0] == "pass")
    failed = [(e, r) for e, r in zip(entries, results) if r[0] == "fail"]
    skipped = [(e, r) for e, r in zip(entries, results) if r[0] == "skip"]
    for e, (_, problems, shown) in failed:
        print(f"FAIL {e.label()} ({e.where()})")
        for p in problems:
            print(f"  {p}")
        print(textwrap.indent(shown, "    "))
    for e, (_, reasons, _) in skipped:
        print(f"SKIP {e.label()}: {'; '.join(reasons)}")
    summary = f"errors: {len(entries)} programs, {passed} passed, {len(failed)} failed"
    if skipped:
        summary += f", {len(skipped)} skipped"
    print(summary)
    if failed:
        return 1
    if passed == 0:
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
