// printf in a pinned iterator (iter:NAME:PIN): the text goes into the iterator's seq_file with
// bpf_seq_printf, formatted by the kernel, so that whoever reads the pin reads it (bpftrace does
// the same for every iter probe). scry's other programs, unpinned iterators among them, send
// printf's arguments through the ring buffer and format them in user space, which knows every
// conversion; the kernel's bprintf knows integers and strings only (base/kernel_printf.h).
#include "base/kernel_printf.h"
#include "codegen/generator.h"

namespace scry::codegen_detail {

void Generator::emit_seq_printf(Call &n) {
  const PrintfInfo &info = res_.printfs[static_cast<size_t>(n.id)];
  std::vector<Type> types;
  for (size_t i = 1; i < n.args.size(); ++i)
    types.push_back(n.args[i]->type);
  std::string why;
  const std::string format = kernel_printf_format(info.format, types, why);
  if (!why.empty()) // sema refuses these (types_calls.cpp)
    return internal_error(n.loc, "printf in a pinned iterator cannot print " + why);
  // The arguments, each as a u64: integers widened by their sign, strings as the address of
  // their bytes (the kernel copies them from there).
  const uint32_t data_bytes = static_cast<uint32_t>(8 * types.size());
  llvm::Value *data = types.empty() ? nullptr : entry_alloca(data_bytes);
  for (size_t i = 0; i < types.size(); ++i) {
    llvm::Value *v = emit(n.args[i + 1]);
    if (v->getType()->isPointerTy())
      v = b_.CreatePtrToInt(v, i64_);
    else if (v->getType() != i64_)
      v = types[i].is_signed ? b_.CreateSExtOrTrunc(v, i64_) : b_.CreateZExtOrTrunc(v, i64_);
    b_.CreateStore(v, b_.CreateGEP(i8_, data, b_.getInt64(8 * i)));
  }
  // The format must be in read-only map memory (ARG_PTR_TO_CONST_STR): a constant in .rodata,
  // which libbpf loads as a frozen map. An explicit section keeps LLVM from putting it in a
  // mergeable .rodata.str1.1, which libbpf does not load.
  llvm::Constant *text = llvm::ConstantDataArray::getString(ctx_, format, true);
  auto *fmt = new llvm::GlobalVariable(mod_.module(), text->getType(), true,
                                       llvm::GlobalValue::InternalLinkage, text,
                                       "seq_fmt_" + std::to_string(n.id));
  fmt->setSection(".rodata");
  fmt->setAlignment(llvm::Align(1));
  // ctx->meta->seq: direct loads, which the verifier types as BTF pointers (struct
  // bpf_iter_meta *, then struct seq_file *), as bpf_seq_printf requires.
  llvm::Value *meta = b_.CreateLoad(ptr_, ctx_arg_);
  llvm::Value *seq = b_.CreateLoad(ptr_, meta);
  // Without arguments the data pointer must be NULL (bpf_seq_printf refuses data without length).
  call(SeqPrintf, i64_,
       {seq, fmt, b_.getInt64(format.size() + 1),
        types.empty() ? llvm::ConstantPointerNull::get(llvm::PointerType::get(ctx_, 0)) : data,
        b_.getInt64(types.empty() ? 0 : data_bytes)});
}

} // namespace scry::codegen_detail
