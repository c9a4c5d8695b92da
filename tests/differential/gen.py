"""The differential corpus: programs that run under scry and under bpftrace 0.17 against the same
workload, and whose outputs must match after normalise.py (run.py runs them).

Most programs come from tables (KEYS x VALUES x PRINTS for the getpgid workload, STR_KEYS x
STR_VALUES for the openat workload), so coverage grows with the product of the dimensions; the
rest are written by hand (operators, casts, control flow, processes, command-line options).

Every program is written in syntax both tools accept: bpftrace 0.17 wants `args->field`, has no
`let`, no macros, no `for` ranges and only one BEGIN and END. Every probe is filtered by a comm
that only the workload uses, so that other processes on the machine cannot change a number.

    python3 gen.py            prints one line per program: id, family, workload
    python3 gen.py ID         prints that program
"""

import re
import sys
from dataclasses import dataclass, field

# Both tools get the same max_strlen: bpftrace 0.17's default is 64, scry's (the newest
# bpftrace's) 1024. 32 keeps the strings of the openat workload short and lets paths sit at and
# beyond the limit. run.py sets BPFTRACE_STRLEN (0.17) and BPFTRACE_MAX_STRLEN (scry) to it.
STRLEN = 32


@dataclass
class Program:
    id: str
    family: str  # the ctest test that runs it: differential.<family>
    workload: str  # a key of WORKLOADS
    text: str
    params: tuple = ()  # positional parameters, after `--`
    mode: str = "load"  # load: run the workload once all are attached; cmd: -c; pid: -p
    cmd: str = ""  # mode cmd: the -c command (words as in Workload.commands)


@dataclass
class Workload:
    """Commands run one after the other once every tracer is attached. Words may name
    {loadgen} (scry_loadgen), {dt_proc} (dt_proc.c, compiled) and {tmp} (a directory holding
    copies of /bin/true named dt_ex and dt_sl, so that their comm is known)."""
    commands: list
    description: str
    settle_ms: int = 0  # wait after the load before SIGINT (interval probes must fire)
    # mode "pid": the single command is started first with --print-pid --wait-file.
    extra: dict = field(default_factory=dict)


# getpgid arguments: every cast width meets a value at, inside and beyond its range, and the
# values repeat a different number of times so that counts differ. args->pid is `pid_t pid` in
# an 8-byte slot, which bpftrace types u64 (adjust_integer_types in
# src/tracepoint_format_parser.cpp) and scry int64 (FINDINGS.md), so the tables cast it to int64
# and only the lang.pid_t.* programs use it bare.
PGID_VALUES = [0, 1, 2, 3, 7, 100, 127, 128, 255, 256, 1000, 32767, 32768, 65535, 65536, 100000,
               2147483647, -1, -2, -128, -129, -32768, -100000, -2147483648]
PGID_CALLS = [v for i, v in enumerate(PGID_VALUES) for _ in range(i % 3 + 1)]

# The print programs see these: every value a different number of times, and distinct under
# every cast of PRINT_KEYS, so that counts, sums, averages and totals differ and print(@m, top)
# has no tie at its cut (which entries a tie keeps is unspecified in both tools).
PRINT_CALLS = [v for i, v in enumerate([1, 2, 3, 5, 8, 13, 21, -5, 100000]) for _ in range(i + 1)]

# The operator programs see these, once each, in this order.
OPS_VALUES = [7, -3, 0, 255, 65537, -2147483648, 2147483647]

# openat paths (relative, need not exist) and how often each is opened. With STRLEN 32 a str()
# keeps 31 bytes, so the three "d" paths (31, 32 and 33 bytes) are the same string to both tools.
# Their prefixes of 1 and 5 bytes split them as their prefixes of 2 and 6 do, so that
# str(p, 2) and str(p, 6) give the same keys under either reading of the length (see the
# str_n rule in normalise.py).
# The order puts each short path after a longer one, on one CPU: a str() buffer left with a
# longer string's bytes after the terminator must not make a different key (issue 8, item 1).
OPEN_PATHS = [
    ("e" + "y" * 44, 2),
    ("", 1),
    ("d" + "x" * 32, 1),
    ("", 1),
    ("d" + "x" * 31, 2),
    ("bcdefgh", 3),
    ("d" + "x" * 30, 1),
    ("c" + "x" * 29, 2),
    ("a", 1),
]

def getpgid_load(comm, values, description, settle_ms=0):
    """scry_loadgen on CPU 0 as `comm`, calling getpgid(v) for each of `values` in order."""
    return Workload([["{loadgen}", "--cpu", "0", "--comm", comm, "getpgid",
                      ",".join(map(str, values))]], description, settle_ms=settle_ms)


WORKLOADS = {
    "pgid": getpgid_load("dt_pg", PGID_CALLS,
                         f"scry_loadgen --cpu 0 --comm dt_pg getpgid <{len(PGID_CALLS)} values>"),
    "pgid_settle": getpgid_load("dt_pg", PGID_CALLS, "as pgid, then 300 ms for interval probes",
                                settle_ms=300),
    "pgid_print": getpgid_load(
        "dt_pg", PRINT_CALLS,
        f"scry_loadgen --cpu 0 --comm dt_pg getpgid <{len(PRINT_CALLS)} values>"),
    "pgid_print_settle": getpgid_load("dt_pg", PRINT_CALLS,
                                      "as pgid_print, then 300 ms for interval probes",
                                      settle_ms=300),
    "ops": getpgid_load("dt_op", OPS_VALUES,
                        "scry_loadgen --cpu 0 --comm dt_op getpgid " +
                        ",".join(map(str, OPS_VALUES))),
    "open": Workload(
        [["{loadgen}", "--cpu", "0", "--comm", "dt_of", "openat", p, str(n)]
         for p, n in OPEN_PATHS],
        "scry_loadgen --cpu 0 --comm dt_of openat PATH N, for " + ", ".join(
            f"{len(p)}-byte path x{n}" for p, n in OPEN_PATHS)),
    "fork": Workload([["{dt_proc}", "dt_fk", "fork", "5"]],
                     "dt_proc dt_fk fork 5 (5 children, child i calls getpgid(i))"),
    "exec": Workload([["{dt_proc}", "dt_xp", "exec", "4", "{tmp}/dt_ex"]],
                     "dt_proc dt_xp exec 4 TMP/dt_ex (a copy of /bin/true)"),
    "short": Workload([["{tmp}/dt_sl"]] * 6, "TMP/dt_sl (a copy of /bin/true) run 6 times"),
    "none": Workload([], "no load (BEGIN/END only)"),
    "pid": Workload([["{loadgen}", "--comm", "dt_pp", "getpgid", "1,2,3,4"]],
                    "scry_loadgen --comm dt_pp getpgid 1,2,3,4, traced with -p", settle_ms=300),
    "cmd": Workload([], "the program's own -c command"),
}

PG = 'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_pg"/'
# In a program's text, the directory of the traced test programs (tests/targets in scry's build
# directory; run.py replaces it).
TARGETS = "TARGETS_DIR"
OP = 'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_op"/'


def op_where(condition):
    """OP with `condition` added to its predicate (a probe has one predicate)."""
    return f'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_op" && ({condition})/'
OF = 'tracepoint:syscalls:sys_enter_openat /comm == "dt_of"/'

# --- the getpgid tables ------------------------------------------------------------------------

KEYS = {
    "none": None,
    "i8": "(int8)args->pid",
    "u8": "(uint8)args->pid",
    "i16": "(int16)args->pid",
    "u16": "(uint16)args->pid",
    "i32": "(int32)args->pid",
    "u32": "(uint32)args->pid",
    "i64": "(int64)args->pid",
    "u64": "(uint64)args->pid",
    "comm": "comm",
    "probe": "probe",
    "cpu": "cpu",
    "t_comm_i16": "comm, (int16)args->pid",
    "t_u8_i32": "(uint8)args->pid, (int32)args->pid",
    "t_probe_u64": "probe, (uint64)args->pid",
    "t_cpu_comm_i8": "cpu, comm, (int8)args->pid",
}

VALUES = {
    "count": "count()",
    "sum": "sum((int64)args->pid)",
    "sum_u16": "sum((uint16)args->pid)",
    "min": "min((int64)args->pid)",
    "max": "max((int64)args->pid)",
    "avg": "avg((int64)args->pid)",
    "stats": "stats((int64)args->pid)",
    "hist": "hist((int64)args->pid)",
    "lhist": "lhist((int64)args->pid, 0, 1000, 100)",
    "lhist_odd": "lhist((int64)args->pid, 0, 100, 7)",
    "int": "(int64)args->pid",
    "int8": "(int8)args->pid",
    "str": "comm",
}


def map_ref(key):
    return "@m" if key is None else f"@m[{key}]"


def key_programs():
    for kname, key in KEYS.items():
        for vname, value in VALUES.items():
            yield Program(f"keys.{kname}.{vname}", "keys", "pgid",
                          f"{PG} {{ {map_ref(key)} = {value}; }}")


# Printing: a smaller set of keys and values, each printed in the ways below.
PRINT_KEYS = ["none", "u16", "i64", "comm", "t_comm_i16"]
PRINT_VALUES = ["count", "sum", "avg", "stats", "hist", "lhist", "int", "str"]


def print_programs():
    """Each value printed in the ways below. Left out, with the reason:
    - clear() of a keyless map: the newest bpftrace keeps keyless maps in BPF arrays, so clear()
      leaves `@m: 0` to print at exit (bpftrace issue #3548), where 0.17 prints nothing;
    - delete() from avg, stats, hist and lhist maps: 0.17 deletes only part of the entry and
      prints it again as 0 or as an empty histogram (a 0.17 bug);
    - print(@m, top) of string values: they are sorted by key, which 0.17 compares as
      unsigned and the newest as signed (sort_by_key in src/types_format.cpp), so top keeps
      other entries when keys are negative;
    - print(@m, top) of stats maps: 0.17 ignores top for them (a 0.17 bug);
    - print(@m, top, div) of hist and lhist maps: div makes every bucket 0, and the bar width
      becomes 0/0 in float, which each tool turns into a different number of '@'."""
    last = PRINT_CALLS[-1]
    for kname in PRINT_KEYS:
        key = KEYS[kname]
        for vname in PRINT_VALUES:
            value = VALUES[vname]
            m = map_ref(key)
            base = f"{PG} {{ {m} = {value}; }}"
            pid = f"p{kname}.{vname}"
            if key is not None:
                if vname not in ("str", "stats"):
                    yield Program(f"print.top.{pid}", "print", "pgid_print",
                                  f"{base} END {{ print(@m, 3); clear(@m); @after = 1; }}")
                if vname not in ("str", "stats", "hist", "lhist"):
                    yield Program(f"print.topdiv.{pid}", "print", "pgid_print",
                                  f"{base} END {{ print(@m, 2, 10); }}")
                if vname in ("count", "sum", "int", "str"):
                    # delete() of the entry that the value 3 made, each time it is made.
                    yield Program(
                        f"print.delete.{pid}", "print", "pgid_print",
                        f"{PG} {{ {m} = {value}; if ((int64)args->pid == 3) {{ delete({m}); }} }}")
                yield Program(f"print.clear.{pid}", "print", "pgid_print",
                              f"{base} END {{ clear(@m); @after = 1; }}")
            else:
                yield Program(f"print.end.{pid}", "print", "pgid_print",
                              f"{base} END {{ print(@m); }}")
            if vname != "str":
                yield Program(f"print.zero.{pid}", "print", "pgid_print",
                              f"{base} END {{ zero(@m); }}")
            # An interval probe prints and clears the map once the last call was seen (a keyless
            # map is not cleared: see above).
            clear = "" if key is None else "clear(@m); "
            yield Program(
                f"print.interval.{pid}", "print", "pgid_print_settle",
                f"{PG} {{ {m} = {value}; if ((int64)args->pid == {last}) {{ @done = 1; }} }} "
                f"interval:ms:20 /@done == 1/ {{ print(@m); {clear}@done = 2; }}")


# --- the openat tables -------------------------------------------------------------------------

STR_KEYS = {
    "str": "str(args->filename)",
    "str6": "str(args->filename, 6)",
    "str2": "str(args->filename, 2)",
    "t_str_comm": "str(args->filename), comm",
    "t_comm_str6": "comm, str(args->filename, 6)",
    "t_str_dfd": "str(args->filename), (int32)args->dfd",
}

STR_VALUES = {
    "count": "count()",
    "sum_dfd": "sum(args->dfd)",
    "min_dfd": "min(args->dfd)",
    "hist_flags": "hist(args->flags)",
    "int_dfd": "args->dfd",
    "strval": "str(args->filename)",
}


def string_programs():
    for kname, key in STR_KEYS.items():
        for vname, value in STR_VALUES.items():
            yield Program(f"strings.{kname}.{vname}", "strings", "open",
                          f"{OF} {{ @m[{key}] = {value}; }}")
    yield Program("strings.printf", "strings", "open",
                  f'{OF} {{ printf("[%s] [%s]\\n", str(args->filename), comm); @n = count(); }}')
    yield Program("strings.printf_n", "strings", "open",
                  f'{OF} {{ printf("str6: [%s]\\n", str(args->filename, 6)); @n = count(); }}')
    yield Program("strings.scalar", "strings", "open",
                  f"{OF} {{ @last = str(args->filename); @n = count(); }}")
    yield Program("strings.empty_lit", "strings", "open",
                  f'{OF} {{ @m[""] = count(); @e = ""; }}')
    yield Program("strings.compare", "strings", "open",
                  f'{OF} {{ @eq[str(args->filename) == "a"] = count(); '
                  f'@ne[str(args->filename) != ""] = count(); }}')
    yield Program("strings.var", "strings", "open",
                  f'{OF} {{ $s = str(args->filename); @m[$s] = count(); @l = $s; }}')
    yield Program("strings.tuple_val", "strings", "open",
                  f'{OF} {{ @t = (str(args->filename), comm, 1); }}')
    yield Program("strings.print_tuple", "strings", "open",
                  f'{OF} {{ print((1, str(args->filename), comm)); @n = count(); }}')
    # strcontains() is an int in 0.17 and a bool in the newest: compared as numbers with %d.
    yield Program("strings.search", "strings", "open",
                  f'{OF} {{ @c[strncmp(str(args->filename), "/etc", 4), '
                  f'strncmp(comm, str(args->filename), 2)] = count(); '
                  f'printf("%d %d\\n", strcontains(str(args->filename), "a"), '
                  f'strcontains(comm, "")); }}')


# --- hand-written programs ---------------------------------------------------------------------

def lang_programs():
    progs = {}

    def p(name, body, workload="ops"):
        # @n keeps a map to print at exit, so that both tools end with their exit output
        # (scry leaves out the two newlines when no map has entries: FINDINGS.md). %d takes 32
        # bits in 0.17 and 64 in the newest (format_string.cpp), so 64-bit results use %ld.
        if not name.startswith("printf."):
            body = re.sub(r"%([-0-9]*)([dux])", r"%\1l\2", body)
        body += " @n = count();"
        progs[name] = (f"{OP} {{ {body} }}", workload)

    # Operators on a signed ($x) and an unsigned ($u) run-time value.
    binops = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">",
              ">=", "&&", "||"]
    names = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "&": "and", "|": "or",
             "^": "xor", "<<": "shl", ">>": "shr", "==": "eq", "!=": "ne", "<": "lt", "<=": "le",
             ">": "gt", ">=": "ge", "&&": "land", "||": "lor"}
    for op in binops:
        n = names[op]
        p(f"op.{n}.signed", f'$x = (int64)args->pid; printf("%d %d\\n", $x {op} 3, 5 {op} $x);')
        p(f"op.{n}.unsigned",
          f'$u = (uint64)args->pid; printf("%lu %lu\\n", $u {op} 3, 5 {op} $u);')
        p(f"op.{n}.mixed", f'$x = (int64)args->pid; $u = (uint32)args->pid; '
          f'printf("%ld\\n", $x {op} $u);')
    p("op.neg", 'printf("%d %d\\n", -(int64)args->pid, -(-(int64)args->pid));')
    p("op.not", 'printf("%d %d\\n", !(int64)args->pid, !!(int64)args->pid);')
    p("op.bnot", 'printf("%d %lu\\n", ~(int64)args->pid, ~(uint64)args->pid);')
    p("op.divzero", '$z = (int64)args->pid - (int64)args->pid; printf("%d %d\\n", 100 / $z, 100 % $z);')
    p("op.divzero_u", '$z = (uint64)((int64)args->pid - (int64)args->pid); printf("%lu\\n", (uint64)100 / $z);')
    p("op.div_neg", '$x = (int64)args->pid; printf("%d %d\\n", $x / -2, $x % -2);')
    p("op.shift_big", '$x = (int64)args->pid; printf("%ld %ld %ld\\n", $x << 63, $x >> 63, 1 << ($x & 63));')
    p("op.shift_u", '$u = (uint64)args->pid; printf("%lu %lu\\n", $u >> 1, $u << 1);')
    p("op.overflow_mul", '$x = (int64)args->pid; printf("%ld\\n", $x * 2147483647 * 4);')
    p("op.overflow_add", '$x = (int64)9223372036854775807; printf("%ld\\n", $x + (int64)args->pid);')
    p("op.overflow_u8", 'printf("%d %d\\n", (uint8)((int64)args->pid + 200), (int8)((int64)args->pid + 200));')
    p("op.precedence", 'printf("%d %d %d\\n", 1 + 2 * (int64)args->pid, (1 + 2) * (int64)args->pid, '
      '(int64)args->pid & 3 == 3);')
    p("op.compound", '$a = (int64)args->pid; $a += 3; $a -= 1; $a *= 2; $a /= 3; $a %= 7; $a <<= 2; '
      '$a >>= 1; $a &= 255; $a |= 1; $a ^= 8; printf("%d\\n", $a);')
    p("op.incdec_var", '$a = (int64)args->pid; $a++; $a++; $a--; printf("%d\\n", $a);')
    p("op.incdec_map", '@a++; @b--; @c[comm]++; @d = @a * 2;')
    p("op.map_compound", '@s += (int64)args->pid; @p -= 1; @q[(int8)args->pid] += 2;')
    # Casts of every width and sign, printed with %d and %u.
    for t in ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]:
        p(f"cast.{t}", f'printf("%d\\n", ({t})args->pid);')
        p(f"cast.{t}.map", f'@m[({t})args->pid] = ({t})((int64)args->pid * 3);')
    p("cast.chain", 'printf("%d %d\\n", (int8)(uint16)args->pid, (uint16)(int8)args->pid);')
    # printf conversions (all of a 64-bit or explicitly sized value, see normalise.py w32).
    p("printf.conv", '$x = (int64)args->pid; printf("%d|%5d|%-5d|%05d|%lx|%lX|%lo|%lu\\n", '
      '$x, $x, $x, $x, $x, $x, $x, $x);')
    p("printf.len", '$x = (int64)args->pid; printf("%hhd %hd %hhu %hu %hhx %hx\\n", $x, $x, $x, '
      '$x, $x, $x);')
    p("printf.w32", '$x = (int32)args->pid; printf("w32: %u %x %X %o\\n", $x, $x, $x, $x);')
    p("printf.char", 'printf("%c|%s\\n", 65 + ((int64)args->pid & 15), comm);')
    p("printf.str_width", 'printf("[%10s][%-10s][%.2s]\\n", comm, comm, comm);')
    # Predicates, ternaries, control flow.
    progs["pred.and"] = (
        'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_op" && (int64)args->pid > 0/ '
        '{ @ = count(); @s = sum((int64)args->pid); }', "ops")
    progs["pred.or"] = (
        'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_op" && ((int64)args->pid < 0 || '
        '(int64)args->pid == 7)/ { @ = count(); @s = sum((int64)args->pid); }', "ops")
    progs["pred.not"] = (
        'tracepoint:syscalls:sys_enter_getpgid /!(comm != "dt_op") && !(int64)args->pid/ { @ = count(); }',
        "ops")
    progs["pred.unsigned"] = (
        'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_op" && (uint64)args->pid > 100/ '
        '{ @ = count(); }', "ops")
    progs["pred.map"] = (
        'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_op"/ { @n++; } '
        'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_op" && @n > 3/ { @late = count(); }',
        "ops")
    p("ternary.int", 'printf("%d\\n", (int64)args->pid > 0 ? 1 : (int64)args->pid < 0 ? -1 : 0);')
    p("ternary.str", '$s = (int64)args->pid > 0 ? "pos" : "nonpos"; printf("%s\\n", $s); @m[$s] = count();')
    # Through a variable: 0.17 builds a ternary's string in a map key without clearing the
    # bytes after it, so its keys split on stack garbage, differently from run to run
    # (comm-key-equal-names.test and key-string-canonical.test check scry's keys directly).
    p("ternary.map", '$k = (int64)args->pid % 2 == 0 ? "even" : "odd"; '
      '@m[$k] = sum((int64)args->pid);')
    p("if.else", 'if ((int64)args->pid > 100) { printf("big\\n"); } else if ((int64)args->pid < 0) '
      '{ printf("neg\\n"); } else { printf("small %d\\n", (int64)args->pid); }')
    p("if.nested", 'if ((int64)args->pid != 0) { if ((int64)args->pid & 1) { @odd = count(); } else '
      '{ @even = count(); } } else { @zero = count(); }')
    p("while.sum", '$i = 0; $s = 0; while ($i < 10) { $s += $i * (int64)args->pid; $i++; } '
      'printf("%d\\n", $s);')
    p("while.break", '$i = 0; while ($i < 100) { $i++; if ($i == 7) { break; } } '
      'printf("%d\\n", $i);')
    p("while.continue", '$i = 0; $n = 0; while ($i < 10) { $i++; if ($i % 3 == 0) { continue; } '
      '$n++; } printf("%d\\n", $n);')
    p("unroll", '$a = (int64)args->pid; unroll (5) { $a = $a * 2 + 1; } printf("%d\\n", $a);')
    p("vars.scratch", '$a = (int64)args->pid; $b = $a * $a; $c = comm; printf("%d %d %s\\n", $a, $b, $c);')
    p("builtins", 'printf("%s %d %d\\n", comm, cpu, (int64)args->pid);')
    p("maps.multi", '@a[(int64)args->pid] = count(); @b[(int64)args->pid, comm] = sum((int64)args->pid); '
      '@c = max((int64)args->pid); @d = min((int64)args->pid);')
    p("maps.read", '@last = (int64)args->pid; @prev[comm] = @last; printf("%d\\n", @prev[comm]);')
    p("maps.missing", 'printf("%d\\n", @never[(int64)args->pid]);')
    # args->pid is `pid_t pid` in an 8-byte slot: bpftrace types it u64
    # (adjust_integer_types in src/tracepoint_format_parser.cpp), so these use it uncast.
    p("pid_t.sum", '@s = sum(args->pid); @m = args->pid; @k[args->pid] = count();')
    p("pid_t.value", 'if ((int64)args->pid < 0) { @v = args->pid; }')
    p("pid_t.compare", 'printf("%d %d\\n", args->pid < 0, args->pid > 100);')
    p("pid_t.max", '@mx = max(args->pid); @mn = min(args->pid); @a = avg(args->pid);')
    p("pid_t.hist", '@h = hist(args->pid);')
    progs["no_maps.printf"] = (f'{OP} {{ printf("%ld\\n", (int64)args->pid); }}', "ops")
    progs["no_maps.cleared"] = (f'{OP} {{ @m[(int64)args->pid] = count(); }} END {{ clear(@m); }}',
                                "ops")
    progs["begin_end"] = (
        'BEGIN { @b = 1; printf("begin\\n"); } '
        f'{OP} {{ @n = count(); }} '
        'END { printf("end %d\\n", @b); }', "ops")
    progs["exit_in_probe"] = (
        f'{op_where("(int64)args->pid == 0")} {{ printf("exiting\\n"); @seen = count(); exit(); }} '
        'END { printf("end\\n"); }', "ops")
    for name, (text, workload) in progs.items():
        yield Program(f"lang.{name}", "lang", workload, text)


def proc_programs():
    fk = 'tracepoint:sched:sched_process_fork /comm == "dt_fk"/'
    yield Program("procs.fork.count", "procs", "fork", f"{fk} {{ @ = count(); @c[comm] = count(); }}")
    yield Program("procs.fork.children", "procs", "fork",
                  'tracepoint:syscalls:sys_enter_getpgid /comm == "dt_fk"/ { $p = (int64)args->pid; '
                  '@s = sum($p); @h = lhist($p, 0, 10, 1); @k[$p] = count(); }')
    yield Program("procs.fork.exit", "procs", "fork",
                  'tracepoint:sched:sched_process_exit /comm == "dt_fk"/ { @ = count(); }')
    yield Program("procs.fork.exit_group", "procs", "fork",
                  'tracepoint:syscalls:sys_enter_exit_group /comm == "dt_fk"/ '
                  '{ @[args->error_code] = count(); }')
    yield Program("procs.fork.clone", "procs", "fork",
                  'tracepoint:syscalls:sys_enter_clone /comm == "dt_fk"/ { @ = count(); } '
                  'tracepoint:syscalls:sys_exit_clone /comm == "dt_fk" && args->ret == 0/ '
                  '{ @child = count(); }')
    yield Program("procs.exec.count", "procs", "exec",
                  'tracepoint:sched:sched_process_exec /comm == "dt_ex"/ { @ = count(); @c[comm] = count(); }')
    yield Program("procs.exec.execve", "procs", "exec",
                  'tracepoint:syscalls:sys_enter_execve /comm == "dt_xp"/ { @ = count(); }')
    yield Program("procs.exec.exit", "procs", "exec",
                  'tracepoint:sched:sched_process_exit /comm == "dt_ex" || comm == "dt_xp"/ '
                  '{ @[comm] = count(); }')
    yield Program("procs.exec.both", "procs", "exec",
                  'tracepoint:syscalls:sys_exit_execve /comm == "dt_ex"/ { @ok[args->ret] = count(); } '
                  'tracepoint:sched:sched_process_fork /comm == "dt_xp"/ { @forks = count(); }')
    yield Program("procs.short.exit", "procs", "short",
                  'tracepoint:sched:sched_process_exit /comm == "dt_sl"/ { @ = count(); @c[comm] = count(); }')
    yield Program("procs.short.exit_group", "procs", "short",
                  'tracepoint:syscalls:sys_enter_exit_group /comm == "dt_sl"/ '
                  '{ @[args->error_code] = count(); @h = hist(args->error_code); }')
    yield Program("procs.short.exec", "procs", "short",
                  'tracepoint:sched:sched_process_exec /comm == "dt_sl"/ { @n = count(); '
                  '@p[comm, cpu >= 0] = count(); }')


def cli_programs():
    yield Program("cli.params", "cli", "ops",
                  f'{op_where("(int64)args->pid == $1")} {{ printf("%d %s %d\\n", $1, str($2), $#); @ = count(); }}',
                  params=("7", "hello"))
    yield Program("cli.params_neg", "cli", "ops",
                  f'{op_where("(int64)args->pid == $1")} {{ @ = count(); @v = $1 * 2; }}', params=("-3",))
    yield Program("cli.params_begin", "cli", "none",
                  'BEGIN { printf("%d %d %s\\n", $1 + $2, $#, str($3)); @a = 1; exit(); }',
                  params=("40", "2", "word"))
    yield Program("cli.params_missing", "cli", "none",
                  'BEGIN { printf("[%d]\\n", $5); @a = 1; exit(); }', params=("1",))
    yield Program("cli.begin_only", "cli", "none",
                  'BEGIN { @a = 1; @b["x"] = 2; @c[1, "y"] = 3; printf("hi\\n"); exit(); }')
    yield Program("cli.cmd.count", "cli", "cmd",
                  'tracepoint:syscalls:sys_enter_getpgid /pid == cpid/ { @ = count(); '
                  '@s = sum((int64)args->pid); }',
                  cmd="{loadgen} --comm dt_c1 getpgid 1,2,3,5")
    yield Program("cli.cmd.comm", "cli", "cmd",
                  'tracepoint:syscalls:sys_enter_getpgid /pid == cpid/ { @[comm] = count(); } '
                  'END { printf("done\\n"); }',
                  cmd="{loadgen} --comm dt_c1 getpgid 1,2,3,5")
    yield Program("cli.pid.count", "cli", "pid", 'tracepoint:syscalls:sys_enter_getpgid '
                  '{ @ = count(); @s = sum((int64)args->pid); }', mode="pid")
    yield Program("cli.pid.comm", "cli", "pid", 'tracepoint:syscalls:sys_enter_getpgid '
                  '{ @[comm] = count(); }', mode="pid")
    yield Program("cli.pid.interval", "cli", "pid", 'tracepoint:syscalls:sys_enter_getpgid '
                  '{ @n = count(); } interval:ms:50 /@once == 0/ { @once = 1; printf("tick\\n"); }',
                  mode="pid")


def uprobe_programs():
    """uprobe, uretprobe and usdt on tests/targets' programs, each run with -c (the counts and
    sums of tests/targets/CMakeLists.txt's header). Every probe filters on /pid == cpid/: with
    -c, scry (as the newest bpftrace) fires uprobes only in the command, but bpftrace 0.17 in
    every process that runs the binary, here the other tracer's command too."""
    pie = f"{TARGETS}/scry_target_pie"
    lib = f"{TARGETS}/libscrytarget.so"
    usdt = f"{TARGETS}/scry_target_usdt"
    yield Program("uprobes.pie.args", "uprobes", "cmd",
                  f"uprobe:{pie}:scry_add /pid == cpid/ {{ @n = count(); @a0 = sum(arg0); @a1 = sum(arg1); "
                  f"@h = hist(arg0); @k[arg0 % 4] = count(); }}",
                  cmd="{targets}/scry_target_pie 20")
    # usym(reg("ip")) is left out: 0.17 cannot name a symbol of a PIE process that has exited.
    yield Program("uprobes.pie.reg", "uprobes", "cmd",
                  f'uprobe:{pie}:scry_add /pid == cpid/ {{ @di[reg("di") % 4] = count(); '
                  f'@si = sum(reg("si")); @ip = count(); }}',
                  cmd="{targets}/scry_target_pie 20")
    yield Program("uprobes.pie.retval", "uprobes", "cmd",
                  f"uretprobe:{pie}:scry_add /pid == cpid/ {{ @r = sum(retval); @l = lhist(retval, 0, 100, 10); }} "
                  f"uretprobe:{pie}:scry_square /pid == cpid/ {{ @s = stats(retval); @m = max(retval); }} "
                  f"uretprobe:{pie}:scry_ret7 /pid == cpid/ {{ @seven[retval] = count(); }}",
                  cmd="{targets}/scry_target_pie 20")
    yield Program("uprobes.pie.str", "uprobes", "cmd",
                  f"uprobe:{pie}:scry_greet /pid == cpid/ {{ @[str(arg0)] = count(); }} "
                  f"uretprobe:{pie}:scry_greet /pid == cpid/ {{ @back[str(retval)] = count(); }}",
                  cmd="{targets}/scry_target_pie 9")
    yield Program("uprobes.pie.wildcard", "uprobes", "cmd",
                  f"uprobe:{pie}:scry_* /pid == cpid/ {{ @[probe] = count(); }}",
                  cmd="{targets}/scry_target_pie 5")
    yield Program("uprobes.nopie.lib", "uprobes", "cmd",
                  f"uprobe:{TARGETS}/scry_target_nopie:scry_add /pid == cpid/ {{ @n = count(); }} "
                  f"uprobe:{lib}:scry_lib_mul /pid == cpid/ {{ @m[arg0 % 3] = count(); }} "
                  f"uretprobe:{lib}:scry_lib_mul /pid == cpid/ {{ @r = avg(retval); }}",
                  cmd="{targets}/scry_target_nopie 12")
    yield Program("uprobes.lib.ctor", "uprobes", "cmd",
                  f"uprobe:{lib}:scry_lib_ctor_hit /pid == cpid/ {{ @[arg0] = count(); @s = sum(arg0); }}",
                  cmd="{targets}/scry_target_pie 1")
    yield Program("uprobes.usdt.tick", "uprobes", "cmd",
                  f"usdt:{usdt}:scry:tick /pid == cpid/ {{ @n = count(); @a = sum(arg0); @b = sum(arg1); "
                  f"@s[str(arg2)] = count(); }}",
                  cmd="{targets}/scry_target_usdt 10")
    # bpftrace 0.17 types a USDT argument u64 whatever its sign (-55 prints as
    # 18446744073709551561); the newest bpftrace and scry sign-extend, so the sum is cast.
    yield Program("uprobes.usdt.guarded", "uprobes", "cmd",
                  f"usdt:{usdt}:scry:guarded /pid == cpid/ {{ @n = count(); @neg = sum((int64)arg1); "
                  f"@a = sum(arg0); }}",
                  cmd="{targets}/scry_target_usdt 10")
    # Kernel stacks in printf and print: the same frames and layout (indent 8; perf mode's tab
    # and address). Map keys are left out: 0.17 indents a stack key by 4, the newest by 8. The
    # frames depend on how many tracers share the tracepoint (one is called directly, several
    # through __traceiter_sys_enter), so both tools must see the same: they run at once. END
    # keeps print()'s blank last line away from normalise.py's rule for 0.17's empty maps. The
    # load lingers after its calls: 0.17 runs END as soon as the -c child exits, sometimes before
    # it has printed the last events.
    yield Program("uprobes.kstack.printf", "uprobes", "cmd",
                  'tracepoint:syscalls:sys_enter_getpgid /pid == cpid/ { printf("[%s]\\n", kstack(3)); '
                  'print(kstack(perf, 2)); @[ksym(kaddr("do_syscall_64"))] = count(); } '
                  'END { printf("end\\n"); }',
                  cmd="{loadgen} --comm dt_ks --linger-ms 300 getpgid 1,2,3")


def programs():
    out = []
    for gen in (key_programs, print_programs, string_programs, lang_programs, proc_programs,
                cli_programs, uprobe_programs):
        out.extend(gen())
    for prog in out:
        if prog.workload == "cmd":
            prog.mode = "cmd"
    ids = [prog.id for prog in out]
    assert len(ids) == len(set(ids)), "duplicate program ids"
    return out


# Programs that fail because of a known scry bug, each keyed by program id with the title of its
# entry in FINDINGS.md. run.py still runs and compares them, and reports them as known failures;
# one that passes is reported as a failure so that this list is kept up to date.
KNOWN_SCRY_BUGS = {
}

# Programs whose bpftrace 0.17 output is wrong in a way no narrow rule of normalise.py can undo
# (a line 0.17 leaves out, a value it computes with the wrong signedness). They run and are
# compared like the others; a difference is reported as a known 0.17 bug, not as a failure, and
# a program that passes is reported as a failure so that the list stays true. See FINDINGS.md
# (class c) for each.
_MAX = "0.17 drops max() entries whose maximum is negative"
_UDIV = "0.17 divides, takes remainders and shifts right as unsigned whatever the sign"
_DIV0 = ("0.17 divides by a run-time zero as the BPF instruction set does (x/0 = 0, x%0 = x); the "
         "newest uses 1 as the divisor and warns (bpftrace PR #4383), as scry does")
_MIXED = ("0.17 makes an operation on an int64 and a uint32 variable unsigned (is_signed = lsign && "
          "rsign); the newest makes it signed (type_resolver.cpp: signed when either side is; a "
          "comparison promotes both to a signed type that holds them), as scry does now that "
          "variables keep their width")
KNOWN_BPFTRACE_017_BUGS = {
    "lang.op.divzero": _DIV0, "lang.op.divzero_u": _DIV0, "lang.op.div.unsigned": _DIV0,
    "lang.op.mod.unsigned": _DIV0,
    **{f"keys.{k}.max": _MAX for k in KEYS if k not in ("none", "comm", "probe", "cpu")},
    "lang.op.div.signed": _UDIV, "lang.op.mod.signed": _UDIV,
    "lang.op.shr.signed": _UDIV, "lang.op.shr.mixed": _UDIV,
    "lang.op.div_neg": _UDIV, "lang.op.shift_big": _UDIV, "lang.op.compound": _UDIV,
    "lang.cast.chain": "0.17 zero-extends (uint16)(int8)-3 to 253 (C: 65533)",
    "lang.op.map_compound": "0.17 prints `@p -= 1` (an int64 map) as unsigned",
    "strings.var": "0.17 prints `@l = $s` of a str() variable as an empty string",
    **{f"lang.op.{op}.mixed": _MIXED for op in ("div", "mod", "lt", "le", "gt", "ge")},
}


if __name__ == "__main__":
    all_programs = programs()
    if len(sys.argv) > 1:
        for prog in all_programs:
            if prog.id in sys.argv[1:]:
                print(f"{prog.id} [{prog.family}, {prog.workload}, {prog.mode}] {prog.params}")
                print(prog.text)
    else:
        for prog in all_programs:
            print(prog.id, prog.family, prog.workload)
        print(f"{len(all_programs)} programs", file=sys.stderr)
