// scry's standard library: USDT arguments, through libbpf's own implementation
// (<bpf/usdt.bpf.h>): libbpf reads the probe's notes when it attaches
// (bpf_program__attach_usdt) and fills the maps that header defines with each argument's
// location (a register, memory at a register plus an offset, or a constant), size and sign;
// bpf_usdt_arg() reads one at run time.
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

// USDT argument `n` (from 0) of the probe that fired, sign- or zero-extended to 64 bits as its
// note says; 0 when the probe has no argument `n`.
long __scry_usdt_arg(struct pt_regs *ctx, __u64 n) {
  long value = 0;
  bpf_usdt_arg(ctx, n, &value);
  return value;
}
