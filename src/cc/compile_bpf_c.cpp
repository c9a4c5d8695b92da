// libscry-cc.so: compiles a program's imported `.bpf.c` files to BPF with the Clang 16 libraries,
// in process, as bpftrace does (its clang_build pass). The interface is base/c_compiler_abi.h;
// scry loads this library with dlopen only for a program that imports C, so that no other
// program pays for Clang.
//
// A file is compiled as `clang -target bpf -O2 -g` would: its #include lines find, in this order,
// the headers scry gives in memory (the program's imported `.h` files and vmlinux.h, the kernel's
// BTF as C), libbpf's BPF headers (<bpf/bpf_helpers.h> and the others, embedded at build time from
// the libbpf the build used), Clang's own headers (stddef.h, stdint.h), then /usr/include.
#include "base/c_compiler_abi.h"

#include <clang/Basic/CodeGenOptions.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

// The BPF target of libLLVM-16, which only these four register.
extern "C" void LLVMInitializeBPFTargetInfo();
extern "C" void LLVMInitializeBPFTarget();
extern "C" void LLVMInitializeBPFTargetMC();
extern "C" void LLVMInitializeBPFAsmPrinter();

namespace {

struct EmbeddedHeader {
  const char *name;
  std::vector<uint8_t> bytes;
};

// Written by cmake/embed_bitcode.cmake from the build's libbpf headers (/usr/include/bpf/*.h).
const std::vector<EmbeddedHeader> &libbpf_headers() {
  static const std::vector<EmbeddedHeader> headers = {
#include "libbpf_headers.inc"
  };
  return headers;
}

// Where the in-memory headers live: a directory no real file system has.
constexpr const char *kMemoryIncludeDir = "/scry-memory-include";

char *copy_out(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (p) {
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = 0;
  }
  return p;
}

/// Reads the whole of file descriptor `fd` from its start.
bool read_fd(int fd, std::string &out) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return false;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void compile(const ScryCcRequest &request, ScryCcResult &result) {
  static std::once_flag targets;
  std::call_once(targets, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
  });
  auto memory = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  // The file is given in memory under its own path, so that clang's messages name it and its
  // #include "..." lines search its directory first, as a compiler run on it would.
  const std::string main_path = request.name;
  memory->addFile(main_path, 0,
                  llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(request.text, request.size),
                                                       request.name));
  for (size_t i = 0; i < request.header_count; ++i) {
    const ScryCcFile &h = request.headers[i];
    memory->addFile(std::string(kMemoryIncludeDir) + "/" + h.name, 0,
                    llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(h.text, h.size), h.name));
  }
  for (const EmbeddedHeader &h : libbpf_headers())
    memory->addFile(std::string(kMemoryIncludeDir) + "/bpf/" + h.name, 0,
                    llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(
                        reinterpret_cast<const char *>(h.bytes.data()), h.bytes.size())));
  auto files =
      llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
  files->pushOverlay(memory);

  // The object is written to a memfd: clang's output is a path.
  const int out_fd = memfd_create("scry-cc-object", MFD_CLOEXEC);
  if (out_fd < 0) {
    result.diagnostics = copy_out(std::string("cannot create a memfd: ") + std::strerror(errno));
    return;
  }
  const std::string out_path = "/proc/self/fd/" + std::to_string(out_fd);

  std::string messages;
  llvm::raw_string_ostream message_stream(messages);
  llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> diag_options = new clang::DiagnosticOptions();
  diag_options->ShowColors = false;
  auto *printer = new clang::TextDiagnosticPrinter(message_stream, diag_options.get());
  llvm::IntrusiveRefCntPtr<clang::DiagnosticsEngine> diags =
      clang::CompilerInstance::createDiagnostics(diag_options.get(), printer, true);

  // The cc1 arguments of `clang -target bpf -O2 -g -c`, with the include search above.
  std::vector<const char *> args = {"-triple",
                                    "bpf",
                                    "-emit-obj",
                                    "-O2",
                                    "-ferror-limit",
                                    "20",
                                    "-fgnuc-version=4.2.1",
                                    "-D__TARGET_ARCH_x86",
                                    "-resource-dir",
                                    SCRY_CLANG_RESOURCE_DIR,
                                    "-I",
                                    kMemoryIncludeDir,
                                    "-internal-isystem",
                                    SCRY_CLANG_RESOURCE_DIR "/include",
                                    "-internal-externc-isystem",
                                    "/usr/include/x86_64-linux-gnu",
                                    "-internal-externc-isystem",
                                    "/usr/include",
                                    "-x",
                                    "c",
                                    "-o",
                                    out_path.c_str(),
                                    main_path.c_str()};
  auto invocation = std::make_shared<clang::CompilerInvocation>();
  if (!clang::CompilerInvocation::CreateFromArgs(*invocation, args, *diags)) {
    message_stream.flush();
    result.diagnostics = copy_out(messages);
    close(out_fd);
    return;
  }
  invocation->getCodeGenOpts().setDebugInfo(clang::codegenoptions::FullDebugInfo);
  invocation->getCodeGenOpts().DwarfVersion = 5;
  invocation->getCodeGenOpts().DebugColumnInfo = true;
  invocation->getFrontendOpts().UseTemporary = false;

  clang::CompilerInstance ci;
  ci.setInvocation(invocation);
  ci.setDiagnostics(diags.get());
  ci.setVerboseOutputStream(llvm::nulls()); // not "1 error generated." on scry's stderr
  ci.setFileManager(new clang::FileManager(clang::FileSystemOptions(), files));
  ci.createSourceManager(ci.getFileManager());

  llvm::LLVMContext context;
  clang::EmitObjAction action(&context);
  const bool compiled = ci.ExecuteAction(action);
  message_stream.flush();
  result.diagnostics = copy_out(messages);
  std::unique_ptr<llvm::Module> module = compiled ? action.takeModule() : nullptr;
  std::string object;
  if (compiled && module && read_fd(out_fd, object)) {
    std::string bitcode;
    llvm::raw_string_ostream bitcode_stream(bitcode);
    llvm::WriteBitcodeToFile(*module, bitcode_stream);
    bitcode_stream.flush();
    result.bitcode = copy_out(bitcode);
    result.bitcode_size = bitcode.size();
    result.object = copy_out(object);
    result.object_size = object.size();
    result.ok = result.bitcode && result.object;
  } else if (compiled) {
    free(result.diagnostics);
    result.diagnostics = copy_out(messages + "internal error: clang made no module or object");
  }
  close(out_fd);
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) int scry_cc_abi_version(void) {
  return SCRY_CC_ABI_VERSION;
}

__attribute__((visibility("default"))) void scry_cc_compile(const ScryCcRequest *request,
                                                            ScryCcResult *result) {
  *result = ScryCcResult{};
  compile(*request, *result);
}

__attribute__((visibility("default"))) void scry_cc_free(ScryCcResult *result) {
  std::free(result->bitcode);
  std::free(result->object);
  std::free(result->diagnostics);
  *result = ScryCcResult{};
}

} // extern "C"
