#include "symbols/instructions.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <llvm-c/Disassembler.h>
#include <unistd.h>

namespace scry {

// llvm-c/Disassembler.h is included only for these types: every LLVM function here is called
// through a pointer from dlsym, so that the link pulls in no part of LLVM's x86 target.
struct X86Disassembler {
  decltype(&LLVMCreateDisasm) create = nullptr;
  decltype(&LLVMDisasmInstruction) instruction = nullptr;
  decltype(&LLVMDisasmDispose) dispose = nullptr;
};

namespace {

/// Reads `size` bytes at `offset` of the file `path` into `out`.
bool read_at(const std::string &path, uint64_t offset, size_t size, uint8_t *out,
             std::string &error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = "cannot read " + std::to_string(size) + " bytes at offset " + std::to_string(offset) +
              " of " + path + ": " + (n < 0 ? std::strerror(errno) : "the file is shorter");
      close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return true;
}

/// An ELF e_machine's name, for the error about a file scry does not decode.
std::string machine_name(uint16_t machine, bool elf64) {
  switch (machine) {
  case EM_386:
    return "32-bit x86";
  case EM_X86_64:
    return elf64 ? "x86-64" : "x32";
  case EM_AARCH64:
    return "AArch64";
  case EM_ARM:
    return "32-bit ARM";
  case EM_RISCV:
    return "RISC-V";
  case EM_PPC64:
    return "64-bit PowerPC";
  case EM_S390:
    return "s390";
  }
  return "e_machine " + std::to_string(machine);
}

/// An x86-64 disassembler context, or null with `error` set.
LLVMDisasmContextRef create_x86_64_disassembler(const X86Disassembler &x86, std::string &error) {
  LLVMDisasmContextRef dc = x86.create("x86_64-unknown-linux-gnu", nullptr, 0, nullptr, nullptr);
  if (!dc)
    error = "LLVM's x86-64 disassembler is not available";
  return dc;
}

} // namespace

const X86Disassembler *x86_64_disassembler(std::string &error) {
  static std::string load_error;
  static const X86Disassembler *const loaded =
      load_x86_64_disassembler({"libLLVM-16.so.1", "libLLVM-16.so"}, load_error);
  if (!loaded)
    error = load_error;
  return loaded;
}

const X86Disassembler *load_x86_64_disassembler(std::initializer_list<const char *> libraries,
                                                std::string &error) {
  void *handle = nullptr;
  const char *library = nullptr;
  std::string first_failure;
  for (const char *name : libraries) {
    // RTLD_LOCAL keeps its symbols out of the global scope, away from the static LLVM that
    // codegen links (scry exports none of that one's).
    handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      library = name;
      break;
    }
    const char *why = dlerror();
    if (first_failure.empty())
      first_failure = why ? why : name;
  }
  if (!handle) {
    error = "LLVM's x86-64 disassembler cannot be loaded (" + first_failure +
            "); install LLVM 16's shared library libLLVM-16.so.1 (package libllvm16 on Debian " +
            "and Ubuntu)";
    return nullptr;
  }
  std::string missing;
  auto find = [&](const char *symbol) {
    void *p = dlsym(handle, symbol);
    if (!p && missing.empty())
      missing = symbol;
    return p;
  };
  X86Disassembler x86;
  x86.create = reinterpret_cast<decltype(x86.create)>(find("LLVMCreateDisasm"));
  x86.instruction = reinterpret_cast<decltype(x86.instruction)>(find("LLVMDisasmInstruction"));
  x86.dispose = reinterpret_cast<decltype(x86.dispose)>(find("LLVMDisasmDispose"));
  // What LLVMCreateDisasm needs of the x86 target: its triple, its MC layer (registers,
  // instruction printer) and its decoder. LLVM allows registering a target again.
  using Initialize = void();
  Initialize *initialize[] = {
      reinterpret_cast<Initialize *>(find("LLVMInitializeX86TargetInfo")),
      reinterpret_cast<Initialize *>(find("LLVMInitializeX86TargetMC")),
      reinterpret_cast<Initialize *>(find("LLVMInitializeX86Disassembler")),
  };
  if (!missing.empty()) {
    error = std::string(library) + " has no " + missing +
            ": it is not LLVM 16 with its x86 target; install LLVM 16's shared library " +
            "libLLVM-16.so.1 (package libllvm16 on Debian and Ubuntu)";
    dlclose(handle);
    return nullptr;
  }
  for (Initialize *f : initialize)
    f();
  return new X86Disassembler(x86); // kept, as the library is, for the life of the process
}

std::optional<std::vector<uint8_t>>
read_function_code(const ElfImage &image, const ElfFunction &function, std::string &error) {
  if (function.size == 0) {
    error = "the symbol table gives " + function.name + " no size, so where it ends is unknown";
    return std::nullopt;
  }
  for (const ElfSegment &s : image.segments) {
    if (!s.executable || function.address < s.vaddr)
      continue;
    uint64_t into = function.address - s.vaddr;
    if (into > s.filesz || s.filesz - into < function.size)
      continue;
    std::vector<uint8_t> code(function.size);
    if (!read_at(image.path, s.offset + into, code.size(), code.data(), error))
      return std::nullopt;
    return code;
  }
  error = "the " + std::to_string(function.size) + " bytes of " + function.name +
          " are not in an executable segment of " + image.path;
  return std::nullopt;
}

std::optional<InstructionBoundary>
decode_instruction_boundary(std::span<const uint8_t> code, uint64_t offset, std::string &error) {
  if (offset >= code.size()) {
    error = "offset " + std::to_string(offset) + " is not inside the " +
            std::to_string(code.size()) + " bytes decoded";
    return std::nullopt;
  }
  const X86Disassembler *x86 = x86_64_disassembler(error);
  if (!x86)
    return std::nullopt;
  LLVMDisasmContextRef dc = create_x86_64_disassembler(*x86, error);
  if (!dc)
    return std::nullopt;
  // LLVMDisasmInstruction takes a mutable pointer but only reads the bytes.
  auto *bytes = const_cast<uint8_t *>(code.data());
  char text[256];
  uint64_t at = 0;
  std::optional<InstructionBoundary> result;
  while (!result) {
    size_t length = x86->instruction(dc, bytes + at, code.size() - at, at, text, sizeof text);
    if (length == 0) {
      error = "the bytes at offset " + std::to_string(at) + " do not decode as an x86-64 " +
              "instruction (data among the instructions, or not x86-64 code)";
      break;
    }
    if (at + length > offset)
      result = InstructionBoundary{at == offset, at, at + length};
    at += length;
  }
  x86->dispose(dc);
  return result;
}

std::optional<InstructionBoundary> check_instruction_boundary(const ElfImage &image,
                                                              const ElfFunction &function,
                                                              uint64_t offset, std::string &error) {
  // e_ident and e_type precede e_machine at the same offsets in ELF32 and ELF64 headers.
  uint8_t header[EI_NIDENT + 4];
  if (!read_at(image.path, 0, sizeof header, header, error))
    return std::nullopt;
  const bool elf64 = header[EI_CLASS] == ELFCLASS64;
  const bool little = header[EI_DATA] == ELFDATA2LSB;
  const uint16_t machine = little ? header[EI_NIDENT + 2] | header[EI_NIDENT + 3] << 8
                                  : header[EI_NIDENT + 2] << 8 | header[EI_NIDENT + 3];
  if (!elf64 || !little || machine != EM_X86_64) {
    error = image.path + " is " + machine_name(machine, elf64) +
            " code, and scry decodes only x86-64 instructions";
    return std::nullopt;
  }
  // Loaded first so that its error is not given as one about the function.
  if (!x86_64_disassembler(error))
    return std::nullopt;
  auto code = read_function_code(image, function, error);
  if (!code)
    return std::nullopt;
  std::optional<InstructionBoundary> result = decode_instruction_boundary(*code, offset, error);
  if (!result)
    error = "in " + function.name + ", " + error;
  return result;
}

} // namespace scry
