#include "runtime/verifier_log.h"

#include <gtest/gtest.h>

namespace scry {
namespace {

// The end of libbpf's log for `begin { while (1) { } }` on Linux 6.18 (scry -v --dry-run): an
// infinite loop is reported before the two states the verifier compared.
const char *const kInfiniteLoopLog =
    "libbpf: prog 'probe_0': BPF program load failed: Invalid argument\n"
    "libbpf: prog 'probe_0': -- BEGIN PROG LOAD LOG --\n"
    "0: R1=ctx() R10=fp0\n"
    "; begin { while (1) { } } @ stdin:1\n"
    "0: (05) goto pc-1\n"
    "infinite loop detected at insn 0\n"
    "cur state: R1=ctx() R10=fp0\n"
    "old state: R1=ctx() R10=fp0\n"
    "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 "
    "mark_read 0\n"
    "-- END PROG LOAD LOG --\n"
    "libbpf: prog 'probe_0': failed to load: -22\n"
    "libbpf: failed to load object 'scry'\n";

TEST(VerifierLog, StopNamesTheLastSourceLineAndTheReasonBeforeTheStateDump) {
  VerifierStop stop = verifier_stop(kInfiniteLoopLog);
  EXPECT_EQ(stop.line, 1);
  EXPECT_EQ(stop.file, "stdin");
  EXPECT_EQ(stop.text, "begin { while (1) { } }");
  EXPECT_EQ(stop.reason, "infinite loop detected at insn 0");
}

TEST(VerifierLog, StopTakesTheLastOfSeveralSourceLines) {
  VerifierStop stop = verifier_stop("; $a = 1; @ x.bt:3\n"
                                    "0: (b7) r1 = 1\n"
                                    "; @m[$a] = *$a; @ x.bt:4\n"
                                    "1: (79) r2 = *(u64 *)(r1 +0)\n"
                                    "R1 invalid mem access 'scalar'\n"
                                    "processed 2 insns (limit 1000000)\n");
  EXPECT_EQ(stop.line, 4);
  EXPECT_EQ(stop.file, "x.bt");
  EXPECT_EQ(stop.text, "@m[$a] = *$a;");
  EXPECT_EQ(stop.reason, "R1 invalid mem access 'scalar'");
}

TEST(VerifierLog, StopWithoutLineInfoHasAReasonButNoLine) {
  VerifierStop stop = verifier_stop("0: (85) call bpf_probe_read#4\n"
                                    "R2 min value is negative\n"
                                    "processed 1 insns (limit 1000000)\n");
  EXPECT_EQ(stop.line, 0);
  EXPECT_EQ(stop.reason, "R2 min value is negative");
}

TEST(VerifierLog, StopOfALogWithoutProcessedLineIsEmpty) {
  VerifierStop stop = verifier_stop("libbpf: map 'm': failed to create: Cannot allocate memory\n");
  EXPECT_EQ(stop.line, 0);
  EXPECT_EQ(stop.reason, "");
}

TEST(VerifierLog, FailedProgramNameFromEitherOfLibbpfsMessages) {
  EXPECT_EQ(failed_program_name(kInfiniteLoopLog), "probe_0");
  EXPECT_EQ(failed_program_name("libbpf: prog 'probe_12': failed to load: -13\n"), "probe_12");
}

TEST(VerifierLog, FailedProgramNameSkipsOtherMessagesAboutPrograms) {
  EXPECT_EQ(failed_program_name("libbpf: prog 'probe_1': relo #0: patched insn\n"
                                "libbpf: prog 'probe_2': BPF program load failed: Permission "
                                "denied\n"),
            "probe_2");
  EXPECT_EQ(failed_program_name("libbpf: prog 'probe_1': relo #0: patched insn\n"), "");
  EXPECT_EQ(failed_program_name("libbpf: prog 'probe_1"), "");
}

TEST(VerifierLog, ComplexityLimitFromEitherOfTheVerifiersMessages) {
  EXPECT_TRUE(at_complexity_limit("BPF program is too large. Processed 1000001 insn"));
  EXPECT_TRUE(at_complexity_limit("The sequence of 8193 jumps is too complex."));
  EXPECT_FALSE(at_complexity_limit("infinite loop detected at insn 0"));
  EXPECT_FALSE(at_complexity_limit("R1 invalid mem access 'scalar'"));
}

// Linux 6.18 can print the complexity limit at the end of an instruction's line, with an
// unrelated message (BTF's func-info check) earlier in the log (a program middle_fuzz found).
TEST(VerifierLog, ComplexityLimitAtTheEndOfAnInstructionLine) {
  VerifierStop stop = verifier_stop(
      "arg#0 reference type('UNKNOWN ') size cannot be determined: -22\n"
      "0: R1=ctx() R10=fp0\n"
      "; @m3[(bool)(60)] = max(1); @ fuzz.bt:18\n"
      "254: (bf) r1 = r6\n"
      "255: (6d) if r8 s> r1 goto pc+1 BPF program is too large. Processed 1000001 insn\n"
      "processed 1000001 insns (limit 1000000) max_states_per_insn 20 total_states 14636\n");
  EXPECT_EQ(stop.reason, "BPF program is too large. Processed 1000001 insn");
  EXPECT_TRUE(at_complexity_limit(stop.reason));
  EXPECT_EQ(stop.line, 18);
}

TEST(VerifierLog, TailKeepsTheLastLines) {
  EXPECT_EQ(tail("a\nb\nc\nd\n", 2), "c\nd\n");
  EXPECT_EQ(tail("a\nb\n", 5), "a\nb\n");
  EXPECT_EQ(tail("", 3), "");
}

} // namespace
} // namespace scry
