"""The one place that lists how scry's output may differ from bpftrace 0.17's, and why.

scry prints what the newest bpftrace prints. Where bpftrace 0.17 prints something else, a rule
below rewrites 0.17's output into the newest layout, citing the newest bpftrace's source. Each
rule is narrow: it rewrites only the construct it names (a line shape, or maps the program
declares with a given aggregation), so that it cannot hide a wrong number, key or line.
Everything else must be byte-identical. One rule (TIES) applies to both tools: it orders what
neither tool orders.

Rules applied to bpftrace 0.17's stdout (file names are bpftrace master's):
  ATTACHING   0.17 starts stdout with "Attaching N probes..."; the newest prints "Attached N
              probes" through TextOutput::attached_probes (src/output/text.cpp), which scry
              writes to stderr. The first line, when it is exactly that notice, is dropped.
  HIST_HEADER 0.17 prints a histogram's header as "@h: " / "@h[k]: " with a trailing space;
              the newest writes `name << ":" << std::endl` and `"]:" << std::endl`
              (TextOutput::map and emit_map, src/output/text.cpp). Only a header line followed
              by a histogram row loses its trailing space, and so does the header of a zeroed
              hist()/lhist() map of the program followed by an empty line.
  EMPTY_MAP   0.17 prints a map without entries at exit as one empty line (bpftrace PR #57,
              "print newline for empty maps"); the newest's emit_map prints nothing for a map
              without values (src/output/text.cpp). In the maps printed at exit (after the
              two newlines that start them), empty lines that do not end a histogram are
              dropped.
  STATS_BLANK 0.17 prints an empty line after every avg() and stats() map; the newest prints
              them like any other map (the Value::Stats branch of TextOutput::map,
              src/output/text.cpp). One empty line right after the last entry of a map that
              the program assigns with avg() or stats() is dropped.
  LHIST_LABEL 0.17 labels lhist's overflow row [max, ...); the newest labels it with the last
              bucket bound min + B*step ("[9, ...)" for lhist(x, 0, 10, 3)), and prints a
              bucket [a, a+1) as [a] (build_linear_histogram in src/types_format.cpp,
              single_value in src/output/text.cpp). Applied only to the rows of maps the
              program assigns with lhist() with literal bounds; the row is re-padded as
              TextEmitter<Value::Histogram> pads it (16 and 8 columns).
  SUM_SIGNED  0.17 prints sum() as unsigned 64-bit, so sum(-1) prints 18446744073709551615;
              the newest prints sum_t as signed when its argument is signed (case
              Type::sum_t in format(), src/types_format.cpp) and sorts the map by the signed
              value (format() of a map, same file). Applied only to maps the program assigns
              with sum() of an argument that is signed for bpftrace: a cast to int8..int64, or
              a syscall field declared `int` in an 8-byte slot (dfd, flags, error_code: s64 by
              adjust_integer_types in src/tracepoint_format_parser.cpp). Values of 2^63 and
              more become negative, and the map's entries are re-sorted by value.
  KEY_ORDER   Maps of string values are sorted by key. 0.17 compares integer keys as unsigned
              (-1 sorts last); the newest compares them by their type (sort_by_key in
              src/types_format.cpp: tuple fields from the last to the first, stable, integers
              as signed, strings bytewise). A run of map entries whose values are all
              non-numbers is re-sorted that way; no line changes.
  BOOL_KEY    0.17 types a comparison as an integer and prints 1 / 0; the newest types it as
              bool and prints true / false (TextEmitter<bool>, src/output/text.cpp). Applied
              only to the key parts of maps whose key expression at that position is a
              comparison (== != < > <= >=).
  W32         0.17 formats a 32-bit argument of printf's %u %x %X %o in 32 bits; the newest
              formats every integer as (unsigned) long long unless a length modifier says
              otherwise (as_unsigned_integer in src/format_string.cpp), so (int32)-1 prints
              18446744073709551615 / ffffffffffffffff. Applied only to lines that start with
              "w32: " (a marker the corpus's programs print for this purpose), holding exactly
              the four conversions "%u %x %X %o".
  U64_KEY     0.17 prints every 8-byte integer map key as signed, so @m[(uint64)-2] prints
              @m[-2]; the newest prints an integer by its type's sign (case Type::integer of
              format(), src/types_format.cpp). Applied only to the key parts of maps whose key
              expression at that position is a (uint64) cast or args->pid (`pid_t` in an
              8-byte syscall slot, u64 by adjust_integer_types in
              src/tracepoint_format_parser.cpp): a negative number there gains 2^64.
  STATS_RECORD 0.17 prints a stats() value as "count N, average A, total T"; the newest
              builds a Record of count, average and total (case Type::stats_t of format(),
              src/types_format.cpp) and prints it as "{ .count = N, .average = A, .total = T }"
              (TextEmitter<Primitive::Record>, src/output/text.cpp). Applied to map entries
              whose value has exactly 0.17's form.
  STR_N       0.17's str(p, n) keeps n bytes; the newest keeps n - 1 and ends the string with
              its NUL (bpftrace PR #3849, "codegen: str: Fix off-by-one error for clamped
              string size", merged 2025-02-27 and backported; docs: "only length - 1 bytes
              are copied"). Applied to the key parts of maps whose key expression has a
              str(E, N) with a literal N at that position, and to lines starting with
              "strN: " (a marker). Should shortening make two keys equal, the rule refuses
              and leaves a line saying so, so that the comparison fails.
Applied to both:
  TIES        Entries with equal values (equal totals for histograms, equal averages for
              avg/stats) come out in the order the kernel's hash map iterates them: both
              tools sort by value only (std::sort in format() of a map,
              src/types_format.cpp). Runs of consecutive entries of one map with equal value
              are sorted by their text.
The exit status is appended as a last line "exit status N" for both.
"""

import re

HIST_ROW = re.compile(r"^(\(\.\.\., [^)]*\)|\[[^\]]*\]|\[[^)]*\))\s+(\d+) (\|[@ ]*\|)$")
ENTRY = re.compile(r"^(@\w*)(?:\[(.*)\])?: (.*)$")
HIST_HEAD = re.compile(r"^(@\w*)(?:\[(.*)\])?:$")
STATS_VALUE = re.compile(r"^count (-?\d+), average (-?\d+), total (-?\d+)$")
STATS_RECORD = re.compile(r"^\{ \.count = (-?\d+), \.average = (-?\d+), \.total = (-?\d+) \}$")
INT_VALUE = re.compile(r"^-?\d+$")
SIGNED_ARG = re.compile(r"^(\(\s*int(8|16|32|64)\s*\)|args->(dfd|flags|error_code)\b)")


# --- what the program declares -----------------------------------------------------------------

def _split_top(text):
    """Splits text at commas outside brackets and parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def _call_args(text, start):
    """The argument text of the call whose '(' is at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return text[start + 1:]


ASSIGN = re.compile(r"(@\w*)\s*(\[)?")


def assignments(program):
    """Yields (map name, key expression or None, function name, argument text) for every
    `@m[key] = f(args)` in the program."""
    for m in ASSIGN.finditer(program):
        name = m.group(1)
        pos = m.end()
        key = None
        if m.group(2):
            depth, i = 1, pos
            while i < len(program) and depth:
                if program[i] == "[":
                    depth += 1
                elif program[i] == "]":
                    depth -= 1
                i += 1
            key = program[pos:i - 1]
            pos = i
        rest = re.match(r"\s*=\s*(\w+)\s*\(", program[pos:])
        if not rest or program[pos:].lstrip().startswith("=="):
            continue
        paren = pos + rest.end() - 1
        yield name, key, rest.group(1), _call_args(program, paren)


def declared(program):
    info = {"stats": set(), "lhist": {}, "sum_signed": set(), "str_n": {}, "u64_key": {},
            "hist": set(), "bool_key": {}}
    for name, key, func, args in assignments(program):
        if func in ("avg", "stats"):
            info["stats"].add(name)
        if func in ("hist", "lhist"):
            info["hist"].add(name)
        if func in ("avg", "stats"):
            pass
        elif func == "lhist":
            parts = _split_top(args)
            if len(parts) == 4 and all(re.fullmatch(r"-?\d+", p) for p in parts[1:]):
                info["lhist"][name] = tuple(int(p) for p in parts[1:])
        elif func == "sum" and SIGNED_ARG.match(args.strip()):
            info["sum_signed"].add(name)
    for m in ASSIGN.finditer(program):
        if not program[m.end() - 1:m.end()] == "[":
            continue
        # the key expression of every use of the map
        depth, i = 1, m.end()
        while i < len(program) and depth:
            depth += {"[": 1, "]": -1}.get(program[i], 0)
            i += 1
        for pos, part in enumerate(_split_top(program[m.end():i - 1])):
            n = re.fullmatch(r"str\(.*,\s*(\d+)\s*\)", part)
            if n:
                info["str_n"].setdefault(m.group(1), {})[pos] = int(n.group(1))
            bare = part.replace("->", ".")
            if re.search(r"[=!]=|[<>]", bare) and not re.search(r"<<|>>|\?", bare):
                info["bool_key"].setdefault(m.group(1), set()).add(pos)
            if re.match(r"\(\s*uint64\s*\)|args->pid$", part):
                info["u64_key"].setdefault(m.group(1), set()).add(pos)
    return info


# --- parsing the output into items -------------------------------------------------------------

class Item:
    """A line that is not a map entry ("other"), a one-line map entry ("entry") or a
    histogram ("hist": its header, rows, and the empty line after them)."""

    def __init__(self, kind, lines, name=None, key=None, value=None):
        self.kind, self.lines, self.name, self.key, self.value = kind, lines, name, key, value

    def sort_value(self):
        if self.kind == "hist":
            return sum(int(HIST_ROW.match(r).group(2)) for r in self.lines[1:]
                       if HIST_ROW.match(r))
        if self.kind != "entry":
            return None
        if INT_VALUE.match(self.value):
            return int(self.value)
        s = STATS_VALUE.match(self.value) or STATS_RECORD.match(self.value)
        return int(s.group(2)) if s else None

    def text(self):
        return "\n".join(self.lines)


def parse(lines, hist_maps=()):
    items, i = [], 0
    while i < len(lines):
        line = lines[i]
        head = HIST_HEAD.match(line.rstrip(" ")) if line.startswith("@") else None
        zeroed = (head and head.group(1) in hist_maps and i + 1 < len(lines)
                  and lines[i + 1] == "")
        if head and i + 1 < len(lines) and (HIST_ROW.match(lines[i + 1]) or zeroed):
            j = i + 1
            while j < len(lines) and HIST_ROW.match(lines[j]):
                j += 1
            if j < len(lines) and lines[j] == "":
                j += 1
            items.append(Item("hist", lines[i:j], head.group(1), head.group(2)))
            i = j
            continue
        entry = ENTRY.match(line) if line.startswith("@") else None
        if entry:
            items.append(Item("entry", [line], entry.group(1), entry.group(2), entry.group(3)))
        else:
            items.append(Item("other", [line]))
        i += 1
    return items


def runs(items):
    """Yields (start, end) of maximal runs of map items (entry or hist) of one map."""
    i = 0
    while i < len(items):
        if items[i].kind == "other":
            i += 1
            continue
        j = i + 1
        while (j < len(items) and items[j].kind == items[i].kind
               and items[j].name == items[i].name):
            j += 1
        yield i, j
        i = j


def render_entry(item):
    key = "" if item.key is None else f"[{item.key}]"
    item.lines = [f"{item.name}{key}: {item.value}"]


# --- the rules ---------------------------------------------------------------------------------

def rule_attaching(lines):
    if lines and re.fullmatch(r"Attaching \d+ probes?\.\.\.", lines[0]):
        return lines[1:]
    return lines


def rule_hist_header(lines, decl):
    def is_header(i, line):
        if not (line.startswith("@") and line.endswith(": ") and i + 1 < len(lines)):
            return False
        if HIST_ROW.match(lines[i + 1]):
            return True
        head = HIST_HEAD.match(line.rstrip(" "))
        return bool(head) and head.group(1) in decl["hist"] and lines[i + 1] == ""
    return [line[:-1] if is_header(i, line) else line for i, line in enumerate(lines)]


def rule_empty_map(items):
    """Drops 0.17's empty lines for maps without entries, in the maps printed at exit: the
    trailing run of map items and empty lines, after its first two empty lines."""
    start = len(items)
    while start > 0 and (items[start - 1].kind != "other" or items[start - 1].lines == [""]):
        start -= 1
    while start < len(items) and items[start].kind != "other":
        start += 1  # the section starts with the two newlines
    if start + 1 >= len(items) or items[start + 1].lines != [""]:
        return items
    tail = [it for it in items[start + 2:] if not (it.kind == "other" and it.lines == [""])]
    return items[:start + 2] + tail


def _key_sort(item):
    parts = [] if item.key is None else item.key.split(", ")
    return [(0, int(p), b"") if re.fullmatch(r"-?\d+", p) else (1, 0, p.encode()) for p in parts]


def rule_key_order(items):
    for start, end in list(runs(items)):
        run = items[start:end]
        if run[0].kind == "entry" and all(it.sort_value() is None for it in run):
            items[start:end] = sorted(run, key=_key_sort)


def rule_bool_key(items, decl):
    for item in items:
        positions = decl["bool_key"].get(item.name)
        if item.kind == "other" or not positions or item.key is None:
            continue
        parts = item.key.split(", ")
        for pos in positions:
            if pos < len(parts) and parts[pos] in ("0", "1"):
                parts[pos] = "true" if parts[pos] == "1" else "false"
        item.key = ", ".join(parts)
        if item.kind == "entry":
            render_entry(item)
        else:
            item.lines[0] = f"{item.name}[{item.key}]:"


def rule_stats_blank(items, decl):
    out = []
    for i, item in enumerate(items):
        if (item.kind == "other" and item.lines == [""] and i > 0
                and items[i - 1].kind == "entry" and items[i - 1].name in decl["stats"]
                and (i + 1 == len(items) or items[i + 1].kind != "entry"
                     or items[i + 1].name != items[i - 1].name)):
            continue
        out.append(item)
    return out


def hist_row(label, count, bar):
    return f"{label:<16}{count:>8} {bar}"


def rule_lhist_label(items, decl):
    for item in items:
        if item.kind != "hist" or item.name not in decl["lhist"]:
            continue
        lo, hi, step = decl["lhist"][item.name]
        last = lo + ((hi - lo) // step) * step
        for k, row in enumerate(item.lines):
            m = HIST_ROW.match(row)
            if not m:
                continue
            label = m.group(1)
            if label == f"[{hi}, ...)" and last != hi:
                label = f"[{last}, ...)"
            pair = re.fullmatch(r"\[(-?\d+), (-?\d+)\)", label)
            if pair and int(pair.group(2)) == int(pair.group(1)) + 1:
                label = f"[{pair.group(1)}]"
            item.lines[k] = hist_row(label, m.group(2), m.group(3))


def rule_sum_signed(items, decl):
    for item in items:
        if item.kind == "entry" and item.name in decl["sum_signed"] and INT_VALUE.match(item.value):
            v = int(item.value)
            if v >= 2 ** 63:
                item.value = str(v - 2 ** 64)
                render_entry(item)
    for start, end in list(runs(items)):
        if items[start].name in decl["sum_signed"] and items[start].kind == "entry":
            items[start:end] = sorted(items[start:end], key=lambda it: (it.sort_value() or 0))


def rule_w32(lines):
    out = []
    for line in lines:
        m = re.fullmatch(r"w32: (\d+) ([0-9a-f]+) ([0-9A-F]+) ([0-7]+)", line)
        if m:
            u = int(m.group(1))
            if u >= 2 ** 31 and u < 2 ** 32:
                v = u + 2 ** 64 - 2 ** 32
                line = f"w32: {v} {v:x} {v:X} {v:o}"
        out.append(line)
    return out


def rule_str_n(items, decl):
    for item in items:
        if item.kind == "other":
            m = re.fullmatch(r"str(\d+): \[(.*)\]", item.lines[0])
            if m:
                n = int(m.group(1))
                item.lines = [f"str{n}: [{m.group(2)[:n - 1]}]"]
            continue
        positions = decl["str_n"].get(item.name)
        if not positions or item.key is None:
            continue
        parts = item.key.split(", ")
        for pos, n in positions.items():
            if pos < len(parts):
                parts[pos] = parts[pos][:n - 1]
        item.key = ", ".join(parts)
        if item.kind == "entry":
            render_entry(item)
        else:
            item.lines[0] = f"{item.name}[{item.key}]:"
    seen = set()
    for item in items:
        if item.kind != "other" and item.name in decl["str_n"]:
            if (item.name, item.key) in seen:
                item.lines.append(f"[normalise.py STR_N: shortening made the key {item.key!r} "
                                  "appear twice; not comparable]")
            seen.add((item.name, item.key))


def rule_u64_key(items, decl):
    for item in items:
        positions = decl["u64_key"].get(item.name)
        if item.kind == "other" or not positions or item.key is None:
            continue
        parts = item.key.split(", ")
        for pos in positions:
            if pos < len(parts) and re.fullmatch(r"-\d+", parts[pos]):
                parts[pos] = str(int(parts[pos]) + 2 ** 64)
        item.key = ", ".join(parts)
        if item.kind == "entry":
            render_entry(item)
        else:
            item.lines[0] = f"{item.name}[{item.key}]:"


def rule_stats_record(items):
    for item in items:
        if item.kind == "entry":
            s = STATS_VALUE.match(item.value)
            if s:
                item.value = (f"{{ .count = {s.group(1)}, .average = {s.group(2)}, "
                              f".total = {s.group(3)} }}")
                render_entry(item)


def rule_ties(items):
    for start, end in list(runs(items)):
        k = start
        while k < end:
            v = items[k].sort_value()
            j = k + 1
            while j < end and v is not None and items[j].sort_value() == v:
                j += 1
            items[k:j] = sorted(items[k:j], key=lambda it: it.text())
            k = j


def normalise(tool, stdout, status, program):
    """The text compared for `tool` ("scry" or "bpftrace"): stdout after the rules, then the
    exit status."""
    lines = stdout.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    decl = declared(program)
    if tool == "bpftrace":
        lines = rule_attaching(lines)
        lines = rule_hist_header(lines, decl)
        lines = rule_w32(lines)
    items = parse(lines, decl["hist"])
    if tool == "bpftrace":
        items = rule_stats_blank(items, decl)
        items = rule_empty_map(items)
        rule_lhist_label(items, decl)
        rule_str_n(items, decl)
        rule_u64_key(items, decl)
        rule_bool_key(items, decl)
        rule_key_order(items)
        rule_stats_record(items)
        rule_sum_signed(items, decl)
    rule_ties(items)
    text = "\n".join(item.text() for item in items)
    return f"{text}\nexit status {status}\n"
