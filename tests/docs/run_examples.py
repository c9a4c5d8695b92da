#!/usr/bin/env python3
"""Runs every example in one of scry's documents exactly as written and checks what it printed.

    run_examples.py --scry build/scry readme|man8|man7
    run_examples.py --scry build/scry --list readme     # each example's key and text
    run_examples.py --scry build/scry --verbose man8    # also what passing examples printed

The examples are read from the document when the test runs; none is copied here:

  readme  README.md: every command in a ```sh block (a command continues over the following lines
          while a quote is open; `#` lines are comments; in a block with `$ ` prompts only prompt
          lines are commands, and the lines after `$ cat FILE` are FILE's text, written into the
          example's directory when an expectation asks for it), plus inline code spans that begin
          with `scry `, `scripts/run ` or `man `. `scripts/run ARGS` is run as `scry ARGS` (it
          builds, then runs build/scry as root).
  man8    man/scry.8, section EXAMPLES: commands, as in readme, after decoding the roff escapes.
  man7    man/scry.7, section EXAMPLES: programs separated by blank lines (with their leading
          `//` comments), each written to example.bt and run as `scry example.bt`.

Each example is run as root by bash in a fresh temporary directory, with scry (the binary under
test), scry_loadgen and with-load first on PATH and SCRY_NOTIFY_PROBES_ATTACHED=1 set, as
tests/runtime/with-load does: once the probes are attached, the expectation's load runs to
completion (it makes the output predictable: known process names, known files, known counts);
then either the example ends by itself (`exit()`, the end of `-c`) or it is sent SIGINT, as Ctrl-C
would. Its output is then checked for sense, not just its exit status: that the map has an entry
for the load's process name with at least the number of events the load caused, that a
histogram has bucket lines, that a `-c` command's own output is there.

EXPECTATIONS holds one entry per example, keyed by the first 12 hex digits of the SHA-256 of its
text as written in the document (before `scripts/run` is replaced). An example without an entry,
or an entry whose example is gone, fails the run (and is printed with its key), so that a new
example cannot go untested. An entry may say the example is not run, with the reason (building
scry or running the whole test suite from inside a test); such examples are listed as NOT RUN.

Output: one line per example (PASS, FAIL with the reasons and what the example printed, or NOT
RUN), then "N passed, M failed, K not run". Exit status: 0 when nothing failed, 1 otherwise, 77
(ctest's SKIP_RETURN_CODE) when this machine cannot run BPF programs as root.
"""

import argparse
import ctypes
import hashlib
import json
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

SKIP = 77
NOTIFY_LINE = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"
SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENTS = {"readme": ("README.md", "markdown"), "man8": ("man/scry.8", "roff-commands"),
             "man7": ("man/scry.7", "roff-programs")}


class DocError(Exception):
    """The document cannot be read into examples (an unknown roff escape, an open quote, ...)."""


# --- extracting the examples ----------------------------------------------------------------------

@dataclass
class Example:
    text: str      # as written in the document (the key is its hash)
    command: str   # what bash runs
    line: int      # where it starts in the document
    files: dict = field(default_factory=dict)      # always written: a program example's file
    doc_files: dict = field(default_factory=dict)  # from `$ cat FILE` blocks: FILE -> text

    @property
    def key(self):
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]


def complete(command):
    """True when `command` is a whole shell command: no quote left open, no trailing backslash."""
    if command.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return True


def split_commands(lines, prompts):
    """[line number, command text, output] for each command in `lines`, a code block as
    [(line number, text)]. With `prompts`, only lines starting with `$ ` begin commands, and the
    lines after a command until the next prompt are its output (None without `prompts`)."""
    commands = []
    current, start, output = None, 0, None
    for number, line in lines:
        if current is not None and not complete(current):
            current += "\n" + line
            continue
        if current is not None:
            commands.append([start, current, output])
            current = None
        if prompts:
            if line.startswith("$ "):
                current, start, output = line[2:], number, []
            elif commands:
                commands[-1][2].append(line)
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        current, start, output = line, number, None
    if current is not None:
        if not complete(current):
            raise DocError(f"line {start}: a quote is still open at the end of the block")
        commands.append([start, current, output])
    return commands


def as_run(text):
    """The command bash runs for a command example: `scripts/run` becomes `scry`."""
    return "scry" + text[len("scripts/run"):] if text.startswith("scripts/run ") else text


def commands_to_examples(blocks):
    """Examples from [(numbered lines, has prompts)], with `$ cat FILE` outputs as files."""
    examples, files = [], {}
    for lines, prompts in blocks:
        for number, text, output in split_commands(lines, prompts):
            words = shlex.split(text, comments=True)
            if prompts and len(words) == 2 and words[0] == "cat":
                files[words[1]] = "\n".join(output) + "\n"
                continue
            examples.append(Example(text, as_run(text), number))
    for example in examples:
        example.doc_files = files
    return examples


INLINE_COMMAND = re.compile(r"^(scry|scripts/run|man) ")


def markdown_examples(text):
    lines = text.split("\n")
    blocks, inline = [], []
    i = 0
    while i < len(lines):
        fence = re.match(r"^(```+)\s*(\S*)", lines[i])
        if not fence:
            for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", lines[i]):
                if INLINE_COMMAND.match(span):
                    inline.append(([(i + 1, span)], False))
            i += 1
            continue
        start = i + 1
        i += 1
        while i < len(lines) and not lines[i].startswith(fence.group(1)):
            i += 1
        if i == len(lines):
            raise DocError(f"line {start}: a code block is not closed")
        language = fence.group(2)
        if language not in ("sh", "bash", "shell", "console"):
            # A new kind of block (a program, say) needs a way to run it before it can be added.
            raise DocError(f"line {start}: a ```{language} block: run_examples.py knows how to "
                           "run only sh blocks")
        body = list(enumerate(lines[start:i], start + 1))
        blocks.append((body, any(l.startswith("$ ") for _, l in body)))
        i += 1
    return commands_to_examples(blocks + inline)


ROFF_ESCAPES = {r"\-": "-", r"\(aq": "'", r"\(dq": '"', r"\(ga": "`", r"\e": "\\", r"\\": "\\",
                r"\&": "", r"\(ti": "~", r"\(ha": "^"}


def roff_decode(line, number):
    def one(match):
        escape = match.group(0)
        if escape not in ROFF_ESCAPES:
            raise DocError(f"line {number}: roff escape {escape} in an example: add it to "
                           "ROFF_ESCAPES")
        return ROFF_ESCAPES[escape]
    return re.sub(r"\\(\(..|\[[^]]*\]|.)", one, line)


def roff_examples_section(text):
    """[(line number, decoded line)] of the EXAMPLES section, requests left out."""
    lines = text.split("\n")
    try:
        start = lines.index(".SH EXAMPLES")
    except ValueError:
        raise DocError("no .SH EXAMPLES section")
    section = []
    for number in range(start + 2, len(lines) + 1):
        line = lines[number - 1]
        if line.startswith(".SH"):
            break
        if line.startswith(".") or line.startswith("'"):
            if line.strip() in (".nf", ".fi") or line.startswith('.\\"'):
                continue
            raise DocError(f"line {number}: request {line.split()[0]} in EXAMPLES: examples are "
                           "expected as .nf text")
        section.append((number, roff_decode(line, number)))
    return section


def roff_command_examples(text):
    return commands_to_examples([(roff_examples_section(text), False)])


def roff_program_examples(text):
    """Programs separated by blank lines; the key leaves out their leading // comments."""
    examples, block = [], []
    for number, line in roff_examples_section(text) + [(0, "")]:
        if line.strip():
            block.append((number, line))
            continue
        if block:
            program = "\n".join(l for _, l in block) + "\n"
            code = [l for _, l in block]
            while code and code[0].lstrip().startswith("//"):
                code.pop(0)
            examples.append(Example("\n".join(code), "scry example.bt", block[0][0],
                                    {"example.bt": program}))
        block = []
    return examples


def extract(doc):
    path, kind = DOCUMENTS[doc]
    with open(os.path.join(SRCDIR, path), encoding="utf-8") as f:
        text = f.read()
    if kind == "markdown":
        return markdown_examples(text)
    if kind == "roff-commands":
        return roff_command_examples(text)
    return roff_program_examples(text)


# --- checks on what an example printed ------------------------------------------------------------

@dataclass
class Result:
    status: int
    stdout: list   # lines, the notify line left out
    stderr: list
    dir: str       # the example's directory (files it wrote)
    load_output: str = ""


def map_lines(lines, name):
    """[(key, value)] of the lines `@name[key]: value` (value an integer)."""
    pattern = re.compile(r"^" + re.escape(name) + r"\[(.*)\]: (-?\d+)$")
    return [(m.group(1), int(m.group(2))) for m in map(pattern.match, lines) if m]


def in_range(value, low, high):
    return value >= low and (high is None or value <= high)


def bounds(low, high):
    return f"= {low}" if low == high else f">= {low}" if high is None else f"in [{low}, {high}]"


def map_entry_once(name, key, low, high=None):
    """The map, printed once, has exactly one line for `key` (a function of the example's
    directory, or a string), its value within [low, high]."""
    def check(r):
        k = key(r.dir) if callable(key) else key
        values = [v for kk, v in map_lines(r.stdout, name) if kk == k]
        if len(values) != 1:
            return [f"expected one line {name}[{k}]: N (N {bounds(low, high)}), found {len(values)}"
                    + (f": {values}" if values else "")]
        if not in_range(values[0], low, high):
            return [f"{name}[{k}]: {values[0]}, expected {bounds(low, high)}"]
        return []
    return check


def map_entry_total(name, key, low, high=None):
    """The values of `key`'s lines add up to [low, high] (a map printed and cleared every
    interval holds each event in one printing only)."""
    def check(r):
        values = [v for k, v in map_lines(r.stdout, name) if k == key]
        if not values:
            return [f"no line {name}[{key}]: N"]
        if not in_range(sum(values), low, high):
            return [f"{name}[{key}] adds up to {sum(values)} ({values}), expected "
                    f"{bounds(low, high)}"]
        return []
    return check


def map_keys_unique(name):
    """A map printed once has each key on one line only (equal strings are one key)."""
    def check(r):
        keys = [k for k, _ in map_lines(r.stdout, name)]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        return [f"{name}: keys printed more than once: {repeated}"] if repeated else []
    return check


def cpu_map(name, min_total):
    """@[cpu] = count(): every key is a CPU number, and the samples add up to at least
    `min_total`."""
    def check(r):
        entries = map_lines(r.stdout, name)
        ncpus = os.cpu_count()
        problems = [f"{name}[{k}]: not a CPU number below {ncpus}" for k, _ in entries
                    if not (k.isdigit() and int(k) < ncpus)]
        total = sum(v for _, v in entries)
        if total < min_total:
            problems.append(f"{name}: {total} samples in all, expected >= {min_total}")
        return problems
    return check


HIST_BUCKET = re.compile(r"^(\(\.\.\., 0\)|\[\d+[KMGTPE]?(, (\d+[KMGTPE]?|\.\.\.)\))?\]?)\s+"
                         r"(\d+) \|@*\s*\|$")


def hist(name, min_total):
    """`name:` is followed by bucket lines `[lo, hi)  count |@@@ |` whose counts add up to at
    least `min_total`."""
    def check(r):
        try:
            start = r.stdout.index(f"{name}:")
        except ValueError:
            return [f"no line {name}:"]
        buckets = []
        for line in r.stdout[start + 1:]:
            m = HIST_BUCKET.match(line)
            if not m:
                break
            buckets.append(int(m.group(4)))
        if not buckets:
            return [f"{name}: no bucket lines after it"]
        if sum(buckets) < min_total:
            return [f"{name}: {sum(buckets)} values in the buckets, expected >= {min_total}"]
        return []
    return check


def stdout_has(*wanted, times=None):
    """Each line in `wanted` is printed (exactly `times` times when given)."""
    def check(r):
        problems = []
        for line in wanted:
            n = r.stdout.count(line)
            if n == 0 or (times is not None and n != times):
                problems.append(f"stdout has {line!r} {n} times, expected "
                                f"{times if times is not None else 'at least once'}")
        return problems
    return check


def stdout_is(*lines):
    """Exactly these lines, then the two empty lines scry (as bpftrace) prints before the maps at
    exit; nothing at all when no line is given (output sent elsewhere, with -o)."""
    want = list(lines) + ["", ""] if lines else []
    def check(r):
        return [] if r.stdout == want else [f"stdout is {r.stdout}, expected {want}"]
    return check


def stdout_lines_with(regex, min_count):
    def check(r):
        n = sum(1 for l in r.stdout if re.search(regex, l))
        return [] if n >= min_count else [f"{n} stdout lines match /{regex}/, expected >= "
                                          f"{min_count}"]
    return check


def stderr_has(regex):
    def check(r):
        return [] if any(re.search(regex, l) for l in r.stderr) else [f"stderr lacks /{regex}/"]
    return check


def stderr_lacks(regex):
    def check(r):
        bad = [l for l in r.stderr if re.search(regex, l)]
        return [f"stderr has {bad[0]!r}"] if bad else []
    return check


def json_output(filename, ncpus_map, min_total):
    """FILE holds JSON lines: the attached count, and the map `ncpus_map` keyed by CPU number."""
    def check(r):
        try:
            with open(os.path.join(r.dir, filename)) as f:
                text = f.read()
        except OSError as e:
            return [f"{filename}: {e.strerror}"]
        try:
            objects = [json.loads(l) for l in text.splitlines() if l.strip()]
        except ValueError as e:
            return [f"{filename}: not JSON lines ({e}): {text[:300]!r}"]
        problems = []
        if not any(o.get("type") == "attached_probes" for o in objects):
            problems.append(f"{filename}: no attached_probes object")
        maps = [o["data"][ncpus_map] for o in objects
                if o.get("type") == "map" and ncpus_map in o.get("data", {})]
        if len(maps) != 1:
            return problems + [f"{filename}: {len(maps)} map objects for {ncpus_map}, expected 1"]
        ncpus = os.cpu_count()
        bad = [k for k in maps[0] if not (k.isdigit() and int(k) < ncpus)]
        if bad:
            problems.append(f"{filename}: keys that are not CPU numbers: {bad}")
        if sum(maps[0].values()) < min_total:
            problems.append(f"{filename}: {sum(maps[0].values())} samples, expected >= "
                            f"{min_total}")
        return problems
    return check


# --- the expectations -----------------------------------------------------------------------------

@dataclass
class Expect:
    name: str
    checks: list = field(default_factory=list)   # functions of a Result, returning problems
    stops: str = "sigint"    # "sigint": stopped after the load; "exits": ends by itself
    load: str = ""           # shell, run in the example's directory once the probes are attached
    linger: float = 0.0      # seconds of tracing after the load, before SIGINT
    attaches: bool = True    # the example attaches probes (wait for them before the load)
    exit: int = 0
    timeout: float = 20.0
    files: dict = field(default_factory=dict)    # the example's directory: name -> text
    doc_files: tuple = ()    # files written from the document's `$ cat FILE` blocks (executable)
    links: dict = field(default_factory=dict)    # name -> path in the source tree
    not_run: str = ""        # why the example is not run (then nothing else applies)


ATTACHED = stderr_has(r"^Attached \d+ probes?$")

# A script for the examples that name script.bt without showing it.
PARAMS_SCRIPT = 'begin { printf("%s %d, %d parameters\\n", str($1), $2, $#); exit(); }\n'
COUNT_SCRIPT = 'begin { printf("script.bt ran with %d parameters\\n", $#); exit(); }\n'

# Loads. Process names are unique to this test, so that other processes on the machine (the
# tracers trace everything) cannot change the counts; a copy of dd is renamed for the same reason.
SYSCALLS_LOAD = "scry_loadgen --comm {comm} getpgid-repeat 200 1"  # 200 + exit_group
READS_LOAD = "cp /bin/dd docs_dd && ./docs_dd if=/dev/zero of=/dev/null bs=1 count=300"


def syscalls_by_comm(comm, **kw):
    # The load's comm enters 200 getpgid and one exit_group (prctl's entry is under the old
    # name); 210 leaves room and still catches a count that doubled.
    return Expect(f"syscall counts by process name ({comm})", load=SYSCALLS_LOAD.format(comm=comm),
                  checks=[map_entry_total("@", comm, 200, 210), ATTACHED], **kw)


def read_latency(**kw):
    # dd reads 300 one-byte blocks: 300 completed read()s at least, each in one bucket.
    return Expect("read() latency histogram", load=READS_LOAD, checks=[hist("@ns", 300), ATTACHED],
                  **kw)


def ls_root():
    # ls / opens the dynamic loader's cache and "/"; its listing shows etc and usr.
    return Expect("-c 'ls /': files the command opened, and its output", stops="exits",
                  checks=[stdout_has("/etc/ld.so.cache", "/", "etc", "usr"), ATTACHED])


EXPECTATIONS = {
    "readme": {
        "7a3084418b5e": Expect("scripts/install", not_run="installs into /usr/local; "
                               "tests/runtime/install-prefix.test installs into a temporary "
                               "prefix and runs a tool from it by name"),
        "3d827c22e59b": Expect(
            "scry-opensnoop: a tool by name", load="scry_loadgen --comm docs_r_tool openat "
            "/nonexistent/docs-tool 3",
            # Each failed open is a line: PID, COMM, FD -1, ERR 2 (ENOENT), the path.
            checks=[stdout_lines_with(r"^\d+ +docs_r_tool +-1 +2 /nonexistent/docs-tool$", 3),
                    ATTACHED]),
        "eaff11b68eb8": syscalls_by_comm("docs_r_count", stops="exits", timeout=20),
        "d7ad7c7666da": Expect("scripts/test", not_run="builds scry and runs every test, this "
                               "one included (it would run itself)"),
        "20351819ba5d": syscalls_by_comm("docs_r_sys", linger=1.2),
        "d86d59dab171": Expect(
            "files opened, by process", load="scry_loadgen --comm docs_r_open openat "
            "/nonexistent/docs-open 3",
            checks=[stdout_has("docs_r_open /nonexistent/docs-open", times=3), ATTACHED]),
        "ad57e420ae29": read_latency(),
        "2254986aa960": Expect(
            "bytes read, by process", load=READS_LOAD.replace("bs=1 count=300",
                                                              "bs=1000 count=50"),
            # 50 reads of 1000 bytes from /dev/zero, and what the loader and libc read (< 10 K).
            checks=[map_entry_once("@bytes", "docs_dd", 50000, 60000), ATTACHED]),
        "5fab5af84422": Expect("on-CPU samples at 99 Hz, by CPU",
                               load="scry_loadgen sleep-ms 1000",
                               # 99 Hz on every CPU for a second; half of it is plenty.
                               checks=[cpu_map("@", 50), ATTACHED]),
        "4bcc3801b348": ls_root(),
        "3832850ae1b8": Expect(
            "./opens.bt cat 5: files opened by cat, counted by name, for 5 seconds",
            stops="exits", timeout=20, doc_files=("opens.bt",), files={"docs-opened": "x\n"},
            load='for i in 1 2 3 4; do cat "$PWD/docs-opened" > /dev/null; done',
            # Each file is one key however many times it was opened: 4 runs of cat open the
            # test's own file 4 times and the loader's cache at least 4 times (other processes
            # named cat may run meanwhile).
            checks=[map_entry_once("@", lambda d: f"{d}/docs-opened", 4, 4),
                    map_entry_once("@", "/etc/ld.so.cache", 4), map_keys_unique("@"), ATTACHED]),
        "1741bfc72dcf": Expect("scry script.bt", stops="exits", attaches=False,
                               files={"script.bt": COUNT_SCRIPT},
                               checks=[stdout_is("script.bt ran with 0 parameters")]),
        "177e88484f1e": Expect("scry - < script.bt", stops="exits", attaches=False,
                               files={"script.bt": COUNT_SCRIPT},
                               checks=[stdout_is("script.bt ran with 0 parameters")]),
        "73d24a152efb": Expect("man ./man/scry.8", stops="exits", attaches=False,
                               links={"man": "man"},
                               checks=[stdout_lines_with(r"^SCRY\(8\)", 1),
                                       stdout_lines_with(r"^EXAMPLES$", 1)]),
        "6360f9f95614": Expect("cmake -S . -B build ...", not_run="configures the shared build "
                               "directory (other runs of scry use it)"),
        "213f7d0e4c5b": Expect("cmake --build build", not_run="rebuilds scry under the tests"),
        "e60e313aaf2f": Expect("ctest --test-dir build", not_run="runs every test, this one "
                               "included"),
    },
    "man8": {
        "596d64f8b0a4": Expect("hello from begin", stops="exits", attaches=False,
                               checks=[stdout_is("hello")]),
        "20351819ba5d": syscalls_by_comm("docs_m8_sys", linger=1.2),
        "6cec6969a05e": ls_root(),
        "8be74d3b9dc9": Expect(
            "-f json -o out.json: maps as JSON in a file", load="scry_loadgen sleep-ms 1000",
            checks=[json_output("out.json", "@", 50), stdout_is()]),
        "0c5ef3b54cf1": Expect(
            "--dry-run -v -d ast: the tree, the programs loaded, nothing attached",
            stops="exits", attaches=False, files={"script.bt": PARAMS_SCRIPT},
            checks=[stdout_lines_with(r"^Program$", 1),
                    stdout_lines_with(r"^\s+attach point: begin", 1),
                    stderr_has(r"^Program ID for begin: \d+$"), stderr_lacks(r"^Attached")]),
        "a7d6169dc71d": Expect(
            "-l: the tracepoints of the syscalls category, by wildcard", stops="exits",
            attaches=False,
            checks=[stdout_lines_with(r"^tracepoint:syscalls:sys_enter_openat$", 1),
                    stdout_lines_with(r"^tracepoint:syscalls:sys_enter_", 100)]),
        "cd61d3b6a243": Expect(
            "-lv: a kernel struct from BTF", stops="exits", attaches=False,
            checks=[stdout_lines_with(r"^struct task_struct \{", 1),
                    stdout_lines_with(r"^\s+pid_t pid;", 1)]),
        "bfac1e6c2a41": Expect(
            "--info: kprobe and fentry support, yes or no", stops="exits", attaches=False,
            checks=[stdout_lines_with(r"^\s*kprobe: (yes|no)$", 1),
                    stdout_lines_with(r"^\s*fentry: (yes|no)$", 1)]),
        "e7d4652507ee": Expect("script.bt with positional parameters", stops="exits",
                               attaches=False, files={"script.bt": PARAMS_SCRIPT},
                               checks=[stdout_is("/bin/bash 42, 2 parameters")]),
    },
    "man7": {
        "95938ff58306": syscalls_by_comm("docs_m7_sys"),
        "1e98f9a6ca5b": read_latency(),
    },
}


# --- running an example ---------------------------------------------------------------------------

class Process:
    """The example's bash, in a session of its own, with threads collecting its output and
    spotting the notify line."""

    def __init__(self, command, cwd, env):
        self.proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.attached = threading.Event()
        self.lines = {"stdout": [], "stderr": []}
        self.readers = [threading.Thread(target=self._read, args=(s, n), daemon=True)
                        for s, n in ((self.proc.stdout, "stdout"), (self.proc.stderr, "stderr"))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, name):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line == NOTIFY_LINE:
                self.attached.set()
            else:
                self.lines[name].append(line)

    def running(self):
        return self.proc.poll() is None

    def signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass


def run_example(example, expect, env):
    """Returns the list of problems and the Result."""
    with tempfile.TemporaryDirectory(prefix="scry-docs-") as tmp:
        for name, text in expect.files.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        for name, text in example.files.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        for name in expect.doc_files:
            if name not in example.doc_files:
                return [f"the document has no `$ cat {name}` block"], None
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(example.doc_files[name])
            os.chmod(path, 0o755)
        for name, target in expect.links.items():
            os.symlink(os.path.join(SRCDIR, target), os.path.join(tmp, name))

        problems = []
        deadline = time.monotonic() + expect.timeout
        proc = Process(example.command, tmp, env)
        load_output = ""
        if expect.attaches:
            while not proc.attached.wait(0.01):
                if not proc.running() or time.monotonic() > deadline:
                    break
            if not proc.attached.is_set():
                problems.append("the probes were never attached")
        if proc.attached.is_set() and expect.load:
            load = subprocess.run(["bash", "-c", expect.load], cwd=tmp, env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT,
                                  timeout=max(1.0, deadline - time.monotonic()))
            load_output = load.stdout.decode("utf-8", "replace")
            if load.returncode != 0:
                problems.append(f"the load exited {load.returncode}: {expect.load}")
        if expect.stops == "sigint" and proc.running():
            time.sleep(expect.linger)
            proc.signal_group(signal.SIGINT)
        try:
            proc.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            problems.append(f"still running after {expect.timeout:g} s; killed")
            proc.signal_group(signal.SIGKILL)
            proc.proc.wait()
        for reader in proc.readers:
            reader.join(5)
        code = proc.proc.returncode
        status = code if code >= 0 else 128 - code
        result = Result(status, proc.lines["stdout"], proc.lines["stderr"], tmp, load_output)
        if status != expect.exit:
            problems.append(f"exit status {status}, expected {expect.exit}")
        for check in expect.checks:
            problems += check(result)
        return problems, result


# --- main -----------------------------------------------------------------------------------------

def bpf_works():
    """Creates (and closes) a one-element BPF array map, as tests/runtime/runner.py does."""
    numbers = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361, "s390x": 351}
    nr = numbers.get(platform.machine())
    if nr is None or os.geteuid() != 0:
        return False
    attr = (ctypes.c_uint32 * 32)(2, 4, 8, 1)
    fd = ctypes.CDLL(None, use_errno=True).syscall(nr, 0, ctypes.byref(attr), ctypes.sizeof(attr))
    if fd < 0:
        return False
    os.close(fd)
    return True


def clip(lines, limit=40):
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"... ({len(lines) - limit} more lines)")
    return "\n".join("    " + l for l in shown)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scry", required=True, help="the scry binary under test")
    parser.add_argument("--list", action="store_true", help="print each example's key and text")
    parser.add_argument("--verbose", action="store_true",
                        help="print what each example printed, passed or not")
    parser.add_argument("doc", choices=sorted(DOCUMENTS))
    args = parser.parse_args()
    path = DOCUMENTS[args.doc][0]
    try:
        examples = extract(args.doc)
    except (DocError, OSError) as e:
        print(f"FAIL: {path}: {e}")
        print("0 passed, 1 failed")
        return 1
    if args.list:
        for ex in examples:
            print(f"{ex.key}  {path}:{ex.line}\n    " + ex.text.replace("\n", "\n    "))
        return 0

    table = EXPECTATIONS[args.doc]
    keys = [ex.key for ex in examples]
    failed = 0
    for key, expect in table.items():
        if key not in keys:
            failed += 1
            print(f"FAIL: {path}: the expectation {key} ({expect.name}) has no example any more: "
                  "remove it or re-key it")
    missing = [ex for ex in examples if ex.key not in table]
    for ex in missing:
        failed += 1
        print(f"FAIL: {path}:{ex.line}: example {ex.key} has no expectation in "
              f"tests/docs/run_examples.py:\n    " + ex.text.replace("\n", "\n    "))

    if not bpf_works():
        print(f"SKIPPED: {path}: needs root and the bpf syscall")
        print(f"0 passed, {failed} failed")
        return 1 if failed else SKIP

    scry = os.path.abspath(args.scry)
    build = os.path.dirname(scry)
    # The examples call scry by name (and `#!/usr/bin/env scry`): a directory first on PATH
    # holds it under that name, whatever --scry's file is called.
    bindir = tempfile.mkdtemp(prefix="scry-docs-bin-")
    os.symlink(scry, os.path.join(bindir, "scry"))
    # The tools by name, as `cmake --install` links them (scry-opensnoop -> tools/opensnoop.bt).
    tools = sorted(f for f in os.listdir(os.path.join(SRCDIR, "tools")) if f.endswith(".bt"))
    for tool in tools:
        os.symlink(os.path.join(SRCDIR, "tools", tool), os.path.join(bindir, "scry-" + tool[:-3]))
    env = dict(os.environ)
    env.update(SCRY_NOTIFY_PROBES_ATTACHED="1", SCRY=scry, SRCDIR=SRCDIR,
               PATH=os.pathsep.join([bindir, os.path.join(build, "tests", "tools"),
                                     os.path.join(SRCDIR, "tests", "runtime"), env["PATH"]]))
    env.pop("__BPFTRACE_NOTIFY_PROBES_ATTACHED", None)
    try:
        return run_all(examples, table, path, env, failed, args.verbose)
    finally:
        os.unlink(os.path.join(bindir, "scry"))
        for tool in tools:
            os.unlink(os.path.join(bindir, "scry-" + tool[:-3]))
        os.rmdir(bindir)


def run_all(examples, table, path, env, failed, verbose):
    passed = not_run = 0
    seen = set()  # an example written twice is run once
    for ex in examples:
        if ex.key not in table or ex.key in seen:
            continue
        seen.add(ex.key)
        expect = table[ex.key]
        where = f"{path}:{ex.line} [{ex.key}] {expect.name}"
        if expect.not_run:
            not_run += 1
            print(f"NOT RUN: {where}: {expect.not_run}")
            continue
        problems, result = run_example(ex, expect, env)
        if not problems:
            passed += 1
            print(f"PASS: {where}")
        else:
            failed += 1
            print(f"FAIL: {where}")
            for p in problems:
                print(f"  - {p}")
        if problems or verbose:
            print("  command:\n    " + ex.command.replace("\n", "\n    "))
        if (problems or verbose) and result is not None:
            print(f"  exit status: {result.status}\n  --- stdout ---\n{clip(result.stdout)}\n"
                  f"  --- stderr ---\n{clip(result.stderr)}")
            if result.load_output.strip():
                print(f"  --- load ---\n{clip(result.load_output.splitlines())}")
    print(f"{passed} passed, {failed} failed" + (f", {not_run} not run" if not_run else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
