// Imported .bpf.o files (sema/c_imports.h): the declarations of their functions the program
// calls, described from the objects' BTF, and the link of the program's object to them with
// libbpf's static linker (bpf_linker, as `bpftool gen object` links).
#include "codegen/bpf_module.h"
#include "sema/c_imports.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <linux/btf.h>
#include <llvm/Transforms/Utils/ModuleUtils.h>
#include <sys/mman.h>
#include <unistd.h>

namespace scry {

namespace {

/// An anonymous in-memory file, with a path other code can open (/proc/self/fd/N).
class MemoryFile {
public:
  explicit MemoryFile(const char *name) : fd_(memfd_create(name, MFD_CLOEXEC)) {}
  ~MemoryFile() {
    if (fd_ >= 0)
      close(fd_);
  }
  MemoryFile(const MemoryFile &) = delete;
  MemoryFile &operator=(const MemoryFile &) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

  bool write_all(const void *data, size_t size) {
    const char *p = static_cast<const char *>(data);
    for (size_t done = 0; done < size;) {
      ssize_t n = pwrite(fd_, p + done, size - done, static_cast<off_t>(done));
      if (n <= 0)
        return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  bool read_all(std::vector<uint8_t> &out) {
    off_t size = lseek(fd_, 0, SEEK_END);
    if (size < 0)
      return false;
    out.resize(static_cast<size_t>(size));
    for (size_t done = 0; done < out.size();) {
      ssize_t n = pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
      if (n <= 0)
        return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

private:
  int fd_;
};

} // namespace

llvm::DIType *BpfModule::debug_type(const struct btf *in, uint32_t id, int depth) {
  const struct btf_type *t = id ? btf__type_by_id(in, id) : nullptr;
  if (!t || depth > 32)
    return nullptr;
  const char *raw_name = btf__name_by_offset(in, t->name_off);
  const std::string name = raw_name ? raw_name : "";
  switch (btf_kind(t)) {
  case BTF_KIND_INT: {
    const unsigned encoding = btf_int_encoding(t);
    unsigned ate = encoding & BTF_INT_BOOL ? llvm::dwarf::DW_ATE_boolean
                   : encoding & BTF_INT_CHAR
                       ? (encoding & BTF_INT_SIGNED ? llvm::dwarf::DW_ATE_signed_char
                                                    : llvm::dwarf::DW_ATE_unsigned_char)
                   : encoding & BTF_INT_SIGNED ? llvm::dwarf::DW_ATE_signed
                                               : llvm::dwarf::DW_ATE_unsigned;
    return di_->createBasicType(name, t->size * 8, ate);
  }
  case BTF_KIND_PTR:
    return di_->createPointerType(debug_type(in, t->type, depth + 1), 64);
  case BTF_KIND_TYPEDEF:
    return di_->createTypedef(debug_type(in, t->type, depth + 1), name, file_, 0, unit_);
  case BTF_KIND_CONST:
    return di_->createQualifiedType(llvm::dwarf::DW_TAG_const_type,
                                    debug_type(in, t->type, depth + 1));
  case BTF_KIND_VOLATILE:
    return di_->createQualifiedType(llvm::dwarf::DW_TAG_volatile_type,
                                    debug_type(in, t->type, depth + 1));
  case BTF_KIND_RESTRICT:
    return di_->createQualifiedType(llvm::dwarf::DW_TAG_restrict_type,
                                    debug_type(in, t->type, depth + 1));
  case BTF_KIND_STRUCT:
  case BTF_KIND_FWD:
    return di_->createForwardDecl(btf_kind(t) == BTF_KIND_FWD && btf_kflag(t)
                                      ? llvm::dwarf::DW_TAG_union_type
                                      : llvm::dwarf::DW_TAG_structure_type,
                                  name, unit_, file_, 0);
  case BTF_KIND_UNION:
    return di_->createForwardDecl(llvm::dwarf::DW_TAG_union_type, name, unit_, file_, 0);
  case BTF_KIND_ENUM:
  case BTF_KIND_ENUM64:
    return di_->createForwardDecl(llvm::dwarf::DW_TAG_enumeration_type, name, unit_, file_, 0, 0,
                                  t->size * 8);
  default:
    return nullptr;
  }
}

void BpfModule::describe_imported_function(llvm::Function *fn, size_t object, uint32_t proto) {
  if (fn->getSubprogram() || object >= objects_.size())
    return;
  ObjectState &o = objects_[object];
  if (!o.btf)
    o.btf = object_btf(o.file.bytes);
  const struct btf_type *t = o.btf ? btf__type_by_id(o.btf, proto) : nullptr;
  if (!t || !btf_is_func_proto(t))
    return;
  std::vector<llvm::Metadata *> types = {debug_type(o.btf, t->type)};
  const struct btf_param *p = btf_params(t);
  for (__u16 i = 0; i < btf_vlen(t); ++i, ++p)
    types.push_back(debug_type(o.btf, p->type));
  llvm::DISubroutineType *sub = di_->createSubroutineType(di_->getOrCreateTypeArray(types));
  llvm::DISubprogram *sp =
      di_->createFunction(file_, fn->getName(), fn->getName(), file_, 0, sub, 0,
                          llvm::DINode::FlagPrototyped, llvm::DISubprogram::SPFlagZero);
  di_->finalizeSubprogram(sp); // a declaration's retained-nodes list is left temporary
  fn->setSubprogram(sp);
}

void BpfModule::hide_undescribed_globals() {
  std::vector<llvm::GlobalValue *> kept;
  for (llvm::GlobalVariable &gv : module_->globals()) {
    llvm::SmallVector<llvm::DIGlobalVariableExpression *, 1> debug;
    gv.getDebugInfo(debug);
    if (gv.isDeclaration() || !gv.hasExternalLinkage() || !debug.empty())
      continue;
    gv.setLinkage(llvm::GlobalValue::InternalLinkage);
    kept.push_back(&gv);
  }
  // clang writes an object's `char LICENSE[] SEC("license")` to a writable section; the linker
  // merges sections of the same name only when their flags agree.
  for (llvm::GlobalVariable &gv : module_->globals())
    if (gv.getSection() == "license")
      gv.setConstant(false);
  llvm::appendToCompilerUsed(*module_, kept);
}

bool BpfModule::link_imported_objects(std::vector<uint8_t> &object, std::string &error) {
  MemoryFile own("scry-program"), out("scry-linked");
  if (!own.ok() || !out.ok() || !own.write_all(object.data(), object.size())) {
    error = std::string("cannot link the imported objects: memfd: ") + std::strerror(errno);
    return false;
  }
  struct bpf_linker *linker = bpf_linker__new(out.path().c_str(), nullptr);
  if (!linker) {
    error = std::string("cannot link the imported objects: ") + std::strerror(errno);
    return false;
  }
  std::vector<std::unique_ptr<MemoryFile>> inputs;
  bool ok = bpf_linker__add_file(linker, own.path().c_str(), nullptr) == 0;
  std::string failed = ok ? "" : "the program's object";
  for (const ObjectState &o : objects_) {
    if (!ok)
      break;
    inputs.push_back(std::make_unique<MemoryFile>("scry-import"));
    MemoryFile &in = *inputs.back();
    ok = in.ok() && in.write_all(o.file.bytes.data(), o.file.bytes.size()) &&
         bpf_linker__add_file(linker, in.path().c_str(), nullptr) == 0;
    if (!ok)
      failed = o.file.name;
  }
  const int saved = errno;
  if (ok && bpf_linker__finalize(linker) != 0) {
    ok = false;
    failed = "the linked object";
  }
  bpf_linker__free(linker);
  if (!ok) {
    error = "cannot link " + failed + " (libbpf's linker: " + std::strerror(saved ? saved : errno) +
            "; its messages above say why)";
    return false;
  }
  if (!out.read_all(object)) {
    error = "cannot read the linked object";
    return false;
  }
  return true;
}

} // namespace scry
