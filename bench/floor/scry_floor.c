/*
 * scry_floor: the minimal libbpf loader of bench/run's floor rows. Loads one program of a
 * floor object (bench/floor/floor.bpf.c), attaches it, says so, waits, detaches, exits.
 *
 *   scry_floor [OPTIONS] OBJECT PROGRAM
 *
 * Only PROGRAM is loaded (the object's other programs are not). It is attached the way its
 * section name says (tracepoint/CATEGORY/NAME, raw_tp/NAME), unless --tracepoints is given.
 * Once attached, "Attached N probes" ("Attached 1 probe") goes to stderr, the line scry prints
 * at the same point. Then it waits for SIGINT or SIGTERM (or --exit-after-ms), detaches,
 * prints what the options ask for and exits 0.
 *
 * Options:
 *   --exit-after-ms MS       also stop MS milliseconds after attaching, like `interval:ms:MS
 *                            { exit(); }`.
 *   --uprobe BINARY:FUNCTION attach PROGRAM (a uprobe program) at FUNCTION of BINARY.
 *   --tracepoints CAT:GLOB   attach PROGRAM to every tracepoint of category CAT whose name
 *                            matches the fnmatch(3) pattern GLOB, each with its index in that
 *                            list as the BPF cookie (probe_count reads it).
 *   --target-pid PID         set the program's `target_pid` (a const volatile in .rodata)
 *                            before loading (getppid_print filters on it).
 *   --print-comm-counts      at exit, print the per-CPU hash `comm_counts` (16-byte names,
 *                            64-bit counts summed over the CPUs) as "@[NAME]: COUNT" lines on
 *                            stdout, smallest count first, as bpftrace prints `@[comm] = count()`.
 *   --print-probe-counts     at exit, print the per-CPU array `probe_counts` as
 *                            "@[tracepoint:CAT:NAME]: COUNT" lines for --tracepoints' list.
 *   --print-syscall-counts   at exit, print the per-CPU array `syscall_counts` (indexed by system
 *                            call number) as "@[syscall NR]: COUNT" lines, for counts not 0.
 *   --ring-buffer            read the ring buffer `events` while waiting (woken by the program,
 *                            and every 10 ms): one "PID NR\n" line on stdout per 8-byte record,
 *                            stdout fully buffered. At exit, after the last records, prints
 *                            "Lost N events" on stderr when the per-CPU counter `lost` is not 0.
 *
 *   --version                print the libbpf version it is linked with, and exit.
 *
 * Exit status: 0 on success, 1 when the object cannot be opened, loaded or attached, 2 for
 * usage errors.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *prog_name = "scry_floor";

#define COMM_LEN 16

static void usage(void) {
  fprintf(stderr,
          "usage: %s [--exit-after-ms MS] [--tracepoints CAT:GLOB] [--uprobe BINARY:FUNCTION] [--target-pid PID]\n"
          "       [--print-comm-counts] [--print-probe-counts] [--print-syscall-counts]\n"
          "       [--ring-buffer] OBJECT PROGRAM\n"
          "       %s --version\n",
          prog_name, prog_name);
  exit(2);
}

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static long long parse_int(const char *s, long long min, long long max, const char *what) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
    fprintf(stderr, "%s: bad %s '%s' (an integer from %lld to %lld)\n", prog_name, what, s, min,
            max);
    exit(2);
  }
  return v;
}

/* libbpf's own messages: warnings and errors only, so that a working run prints nothing. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
    return 0;
  return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --tracepoints: the names in the category's tracefs directory that match, sorted. */
struct name_list {
  char **names;
  size_t count;
};

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct name_list find_tracepoints(const char *category, const char *glob) {
  static const char *roots[] = {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"};
  struct name_list list = {NULL, 0};
  DIR *dir = NULL;
  for (size_t i = 0; i < sizeof roots / sizeof roots[0] && !dir; ++i) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", roots[i], category);
    dir = opendir(path);
  }
  if (!dir)
    fail("no tracefs directory for tracepoint category '%s'", category);
  size_t capacity = 0;
  for (struct dirent *e; (e = readdir(dir));) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.' || fnmatch(glob, e->d_name, 0) != 0)
      continue;
    if (list.count == capacity) {
      capacity = capacity ? 2 * capacity : 64;
      list.names = realloc(list.names, capacity * sizeof *list.names);
      if (!list.names)
        fail("out of memory");
    }
    list.names[list.count++] = strdup(e->d_name);
  }
  closedir(dir);
  if (list.count == 0)
    fail("no tracepoint %s:%s", category, glob);
  qsort(list.names, list.count, sizeof *list.names, compare_names);
  return list;
}

/* --target-pid: the variable's offset in .rodata, from the object's BTF (its DATASEC). */
static void set_target_pid(struct bpf_object *obj, int pid) {
  struct bpf_map *rodata = NULL;
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    const char *name = bpf_map__name(map);
    size_t len = strlen(name);
    if (len >= 7 && strcmp(name + len - 7, ".rodata") == 0)
      rodata = map;
  }
  struct btf *btf = bpf_object__btf(obj);
  int sec_id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
  if (!rodata || sec_id < 0)
    fail("--target-pid: the object has no .rodata");
  const struct btf_type *sec = btf__type_by_id(btf, sec_id);
  const struct btf_var_secinfo *var = btf_var_secinfos(sec);
  for (int i = 0; i < btf_vlen(sec); ++i, ++var) {
    const struct btf_type *type = btf__type_by_id(btf, var->type);
    if (strcmp(btf__name_by_offset(btf, type->name_off), "target_pid") != 0)
      continue;
    size_t size = 0;
    const char *initial = bpf_map__initial_value(rodata, &size);
    if (!initial || var->offset + sizeof(int32_t) > size)
      fail("--target-pid: .rodata is too small");
    char *data = malloc(size);
    if (!data)
      fail("out of memory");
    memcpy(data, initial, size);
    int32_t value = pid;
    memcpy(data + var->offset, &value, sizeof value);
    if (bpf_map__set_initial_value(rodata, data, size) != 0)
      fail("--target-pid: cannot set .rodata");
    free(data);
    return;
  }
  fail("--target-pid: the object has no target_pid");
}

/* The per-CPU values of one key, summed. */
static uint64_t percpu_sum(int fd, const void *key, uint64_t *values, int ncpus) {
  if (bpf_map_lookup_elem(fd, key, values) != 0)
    return 0;
  uint64_t sum = 0;
  for (int c = 0; c < ncpus; ++c)
    sum += values[c];
  return sum;
}

struct comm_count {
  char comm[COMM_LEN + 1];
  uint64_t count;
};

static int compare_counts(const void *a, const void *b) {
  const struct comm_count *x = a, *y = b;
  if (x->count != y->count)
    return x->count < y->count ? -1 : 1;
  return strcmp(x->comm, y->comm);
}

static void print_comm_counts(struct bpf_object *obj, int ncpus, uint64_t *values) {
  int fd = bpf_object__find_map_fd_by_name(obj, "comm_counts");
  if (fd < 0)
    fail("--print-comm-counts: the object has no map comm_counts");
  struct comm_count *rows = NULL;
  size_t count = 0, capacity = 0;
  char key[COMM_LEN], next[COMM_LEN];
  for (const void *prev = NULL; bpf_map_get_next_key(fd, prev, next) == 0; prev = key) {
    memcpy(key, next, sizeof key);
    if (count == capacity) {
      capacity = capacity ? 2 * capacity : 64;
      rows = realloc(rows, capacity * sizeof *rows);
      if (!rows)
        fail("out of memory");
    }
    memcpy(rows[count].comm, key, COMM_LEN);
    rows[count].comm[COMM_LEN] = '\0';
    rows[count].count = percpu_sum(fd, key, values, ncpus);
    ++count;
  }
  qsort(rows, count, sizeof *rows, compare_counts);
  fputs("\n\n", stdout);
  for (size_t i = 0; i < count; ++i)
    printf("@[%s]: %llu\n", rows[i].comm, (unsigned long long)rows[i].count);
  free(rows);
}

static void print_syscall_counts(struct bpf_object *obj, int ncpus, uint64_t *values) {
  int fd = bpf_object__find_map_fd_by_name(obj, "syscall_counts");
  if (fd < 0)
    fail("--print-syscall-counts: the object has no map syscall_counts");
  uint32_t entries = bpf_map__max_entries(bpf_object__find_map_by_name(obj, "syscall_counts"));
  fputs("\n\n", stdout);
  for (uint32_t nr = 0; nr < entries; ++nr) {
    uint64_t count = percpu_sum(fd, &nr, values, ncpus);
    if (count)
      printf("@[syscall %u]: %llu\n", nr, (unsigned long long)count);
  }
}

static void print_probe_counts(struct bpf_object *obj, const char *category,
                               const struct name_list *tps, int ncpus, uint64_t *values) {
  int fd = bpf_object__find_map_fd_by_name(obj, "probe_counts");
  if (fd < 0)
    fail("--print-probe-counts: the object has no map probe_counts");
  fputs("\n\n", stdout);
  for (uint32_t i = 0; i < tps->count; ++i) {
    uint64_t count = percpu_sum(fd, &i, values, ncpus);
    if (count)
      printf("@[tracepoint:%s:%s]: %llu\n", category, tps->names[i], (unsigned long long)count);
  }
}

struct line {
  int32_t pid;
  int32_t syscall_nr;
};

static int print_line(void *ctx, void *data, size_t size) {
  (void)ctx;
  struct line rec;
  if (size < sizeof rec)
    return 0;
  memcpy(&rec, data, sizeof rec);
  printf("%d %d\n", rec.pid, rec.syscall_nr);
  return 0;
}

int main(int argc, char **argv) {
  long long exit_after_ms = -1, target_pid = -1;
  char *tracepoints = NULL;
  char *uprobe = NULL; /* --uprobe BINARY:FUNCTION */
  int print_comms = 0, print_probes = 0, print_syscalls = 0, ring = 0;

  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; ++i) {
    const char *opt = argv[i];
    int has_value = i + 1 < argc;
    if (strcmp(opt, "--exit-after-ms") == 0 && has_value) {
      exit_after_ms = parse_int(argv[++i], 0, 86400000, "--exit-after-ms");
    } else if (strcmp(opt, "--uprobe") == 0 && has_value) {
      uprobe = argv[++i];
      if (!strrchr(uprobe, ':'))
        usage();
    } else if (strcmp(opt, "--tracepoints") == 0 && has_value) {
      tracepoints = argv[++i];
      if (!strchr(tracepoints, ':'))
        usage();
    } else if (strcmp(opt, "--target-pid") == 0 && has_value) {
      target_pid = parse_int(argv[++i], 1, INT32_MAX, "--target-pid");
    } else if (strcmp(opt, "--print-comm-counts") == 0) {
      print_comms = 1;
    } else if (strcmp(opt, "--print-probe-counts") == 0) {
      print_probes = 1;
    } else if (strcmp(opt, "--print-syscall-counts") == 0) {
      print_syscalls = 1;
    } else if (strcmp(opt, "--ring-buffer") == 0) {
      ring = 1;
    } else if (strcmp(opt, "--version") == 0) {
      printf("scry_floor (libbpf %u.%u)\n", libbpf_major_version(), libbpf_minor_version());
      return 0;
    } else {
      usage();
    }
  }
  if (argc - i != 2 || (print_probes && !tracepoints))
    usage();
  const char *object_path = argv[i], *program_name = argv[i + 1];

  /* SIGINT and SIGTERM are taken synchronously (sigtimedwait), so none can be missed between
   * attaching and waiting. */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, NULL);

  libbpf_set_print(libbpf_log);
  struct bpf_object *obj = bpf_object__open_file(object_path, NULL);
  if (!obj)
    fail("cannot open %s: %s", object_path, strerror(errno));
  struct bpf_program *prog = NULL, *p;
  bpf_object__for_each_program(p, obj) {
    if (strcmp(bpf_program__name(p), program_name) == 0)
      prog = p;
    else
      bpf_program__set_autoload(p, false);
  }
  if (!prog)
    fail("%s has no program %s", object_path, program_name);
  if (target_pid > 0)
    set_target_pid(obj, (int)target_pid);
  if (bpf_object__load(obj) != 0)
    fail("cannot load %s from %s: %s", program_name, object_path, strerror(errno));

  struct bpf_link **links = NULL;
  size_t nlinks = 0;
  struct name_list tps = {NULL, 0};
  char *category = NULL;
  if (tracepoints) {
    category = strdup(tracepoints);
    char *glob = strchr(category, ':');
    *glob++ = '\0';
    tps = find_tracepoints(category, glob);
    links = calloc(tps.count, sizeof *links);
    for (size_t t = 0; t < tps.count; ++t) {
      LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = t);
      links[t] = bpf_program__attach_tracepoint_opts(prog, category, tps.names[t], &opts);
      if (!links[t])
        fail("cannot attach %s to %s:%s: %s", program_name, category, tps.names[t],
             strerror(errno));
      ++nlinks;
    }
  } else if (uprobe) {
    /* libbpf finds FUNCTION's file offset in BINARY's symbol table (bpf_uprobe_opts.func_name). */
    char *binary = strdup(uprobe);
    char *function = strrchr(binary, ':');
    *function++ = '\0';
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = function);
    links = calloc(1, sizeof *links);
    links[0] = bpf_program__attach_uprobe_opts(prog, -1, binary, 0, &opts);
    if (!links[0])
      fail("cannot attach %s to %s:%s: %s", program_name, binary, function, strerror(errno));
    nlinks = 1;
  } else {
    links = calloc(1, sizeof *links);
    links[0] = bpf_program__attach(prog);
    if (!links[0])
      fail("cannot attach %s: %s", program_name, strerror(errno));
    nlinks = 1;
  }

  struct ring_buffer *rb = NULL;
  if (ring) {
    int fd = bpf_object__find_map_fd_by_name(obj, "events");
    if (fd < 0)
      fail("--ring-buffer: the object has no map events");
    rb = ring_buffer__new(fd, print_line, NULL, NULL);
    if (!rb)
      fail("cannot read the ring buffer: %s", strerror(errno));
    static char out_buffer[1 << 16];
    setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  }

  fprintf(stderr, "Attached %zu %s\n", nlinks, nlinks == 1 ? "probe" : "probes");

  uint64_t deadline = exit_after_ms >= 0 ? now_ns() + (uint64_t)exit_after_ms * 1000000u : 0;
  for (;;) {
    uint64_t now = now_ns();
    if (deadline && now >= deadline)
      break;
    /* Without a ring buffer, sleep in sigtimedwait until a signal or the deadline; with one,
     * read it for up to 10 ms at a time and look for a signal in between. */
    uint64_t wait_ns = ring ? 0 : (deadline ? deadline - now : 3600 * 1000000000ull);
    if (ring) {
      int err = ring_buffer__poll(rb, 10);
      if (err < 0 && err != -EINTR)
        fail("reading the ring buffer: %s", strerror(-err));
    }
    struct timespec ts = {(time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u)};
    if (sigtimedwait(&stop_signals, NULL, &ts) >= 0)
      break;
  }

  for (size_t l = 0; l < nlinks; ++l)
    bpf_link__destroy(links[l]);

  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0)
    fail("cannot count the possible CPUs");
  uint64_t *values = calloc((size_t)ncpus, sizeof *values);
  if (ring) {
    ring_buffer__consume(rb);
    fflush(stdout);
    int fd = bpf_object__find_map_fd_by_name(obj, "lost");
    uint32_t zero = 0;
    uint64_t lost = fd >= 0 ? percpu_sum(fd, &zero, values, ncpus) : 0;
    if (lost)
      fprintf(stderr, "Lost %llu events\n", (unsigned long long)lost);
    ring_buffer__free(rb);
  }
  if (print_comms)
    print_comm_counts(obj, ncpus, values);
  if (print_probes)
    print_probe_counts(obj, category, &tps, ncpus, values);
  if (print_syscalls)
    print_syscall_counts(obj, ncpus, values);
  fflush(stdout);
  bpf_object__close(obj);
  return 0;
}
