#include "codegen/bpf_module.h"

#include "codegen/stdlib_bitcode.h"

#include <bpf/btf.h>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <mutex>
#include <set>

extern "C" {
void LLVMInitializeBPFTargetInfo();
void LLVMInitializeBPFTarget();
void LLVMInitializeBPFTargetMC();
void LLVMInitializeBPFAsmPrinter();
void LLVMInitializeBPFAsmParser();
}

namespace scry {

namespace {

// Called when LLVM's backend fails fatally while the module is emitted; set by emit().
std::function<void(const char *reason)> g_fatal_reporter;

// LLVM reports some failures (e.g. "Branch target out of insn range" for a huge function) with
// report_fatal_error, which aborts. Turn that into an error message and exit status 1: bad input
// must never crash scry. Nothing is loaded into the kernel before code generation ends.
void on_llvm_fatal_error(void *, const char *reason, bool) {
  if (g_fatal_reporter)
    g_fatal_reporter(reason);
  else
    std::fprintf(stderr, "scry: LLVM cannot generate this program: %s\n", reason);
  std::fflush(stderr);
  std::_Exit(1);
}

void init_bpf_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::install_fatal_error_handler(on_llvm_fatal_error, nullptr);
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    // Context loads are inline assembly (codegen/memory.cpp, load_context), which the object
    // streamer assembles with the target's parser.
    LLVMInitializeBPFAsmParser();
  });
}

// LLVM's default diagnostic handler prints and calls exit(1) from inside codegen (e.g. for
// "BPF stack limit of 512 bytes is exceeded"); collect instead, once per distinct message.
void collect_diagnostic(const llvm::DiagnosticInfo &info, void *context) {
  auto *out = static_cast<std::vector<std::string> *>(context);
  if (info.getSeverity() != llvm::DS_Error)
    return;
  std::string text;
  if (const auto *unsupported = llvm::dyn_cast<llvm::DiagnosticInfoUnsupported>(&info)) {
    // Once per function and message, without the source position LLVM prefixes (the stack
    // limit is reported at every statement that adds to the stack). The function is quoted so
    // that codegen can name its probe.
    text =
        "'" + unsupported->getFunction().getName().str() + "': " + unsupported->getMessage().str();
  } else {
    llvm::raw_string_ostream os(text);
    llvm::DiagnosticPrinterRawOStream printer(os);
    info.print(printer);
    os.flush();
  }
  for (const std::string &s : *out)
    if (s == text)
      return;
  out->push_back(text);
}

} // namespace

BpfModule::BpfModule(const std::string &source_name, const std::string &source_text) {
  init_bpf_target();
  context_ = std::make_unique<llvm::LLVMContext>();
  context_->setDiagnosticHandlerCallBack(collect_diagnostic, &diagnostics_);
  module_ = std::make_unique<llvm::Module>("scry", *context_);
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget("bpfel", error);
  llvm::TargetOptions options;
  target_.reset(target->createTargetMachine("bpfel", "v3", "", options, llvm::Reloc::PIC_));
  module_->setTargetTriple("bpfel");
  module_->setDataLayout(target_->createDataLayout());
  module_->addModuleFlag(llvm::Module::Warning, "Debug Info Version", llvm::DEBUG_METADATA_VERSION);
  module_->addModuleFlag(llvm::Module::Warning, "Dwarf Version", 4);

  // GPL-only helpers (probe_read_*_str among them) need a GPL-compatible license section.
  llvm::Constant *license = llvm::ConstantDataArray::getString(*context_, "GPL", true);
  auto *license_var = new llvm::GlobalVariable(
      *module_, license->getType(), true, llvm::GlobalValue::ExternalLinkage, license, "_license");
  license_var->setSection("license");

  di_ = std::make_unique<llvm::DIBuilder>(*module_);
  file_ = di_->createFile(source_name, ".", std::nullopt, llvm::StringRef(source_text));
  unit_ = di_->createCompileUnit(llvm::dwarf::DW_LANG_C, file_, "scry", true, "", 0);
}

// DIBuilder keeps temporary metadata (each subprogram's retained-nodes list) that only
// finalize() resolves and frees; a module dropped on an error path before emit() would leak it.
BpfModule::~BpfModule() {
  finalize_debug_info();
  for (ObjectState &o : objects_)
    btf__free(o.btf);
}

void BpfModule::finalize_debug_info() {
  if (finalized_)
    return;
  di_->finalize();
  finalized_ = true;
}

llvm::DIType *BpfModule::attribute_type(uint32_t value) {
  // libbpf reads an integer attribute N from a pointer to an array of N ints (its __uint macro).
  llvm::DIType *int_type = di_->createBasicType("int", 32, llvm::dwarf::DW_ATE_signed);
  llvm::DIType *array = di_->createArrayType(
      static_cast<uint64_t>(value) * 32, 32, int_type,
      di_->getOrCreateArray({di_->getOrCreateSubrange(0, static_cast<int64_t>(value))}));
  return di_->createPointerType(array, 64);
}

llvm::DIType *BpfModule::bytes_type(uint32_t bytes) {
  if (bytes == 4)
    return di_->createBasicType("unsigned int", 32, llvm::dwarf::DW_ATE_unsigned);
  if (bytes == 8)
    return di_->createBasicType("unsigned long", 64, llvm::dwarf::DW_ATE_unsigned);
  llvm::DIType *byte = di_->createBasicType("unsigned char", 8, llvm::dwarf::DW_ATE_unsigned_char);
  return di_->createArrayType(
      static_cast<uint64_t>(bytes) * 8, 8, byte,
      di_->getOrCreateArray({di_->getOrCreateSubrange(0, static_cast<int64_t>(bytes))}));
}

llvm::GlobalVariable *BpfModule::add_map(const std::string &name, uint32_t map_type,
                                         uint32_t max_entries, uint32_t key_bytes,
                                         uint32_t value_bytes) {
  llvm::LLVMContext &ctx = *context_;
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  std::vector<std::pair<std::string, llvm::DIType *>> attrs = {
      {"type", attribute_type(map_type)}, {"max_entries", attribute_type(max_entries)}};
  if (key_bytes)
    attrs.emplace_back("key", di_->createPointerType(bytes_type(key_bytes), 64));
  if (value_bytes)
    attrs.emplace_back("value", di_->createPointerType(bytes_type(value_bytes), 64));

  std::vector<llvm::Type *> members(attrs.size(), ptr);
  llvm::StructType *type = llvm::StructType::get(ctx, members);
  auto *gv = new llvm::GlobalVariable(*module_, type, false, llvm::GlobalValue::ExternalLinkage,
                                      llvm::ConstantAggregateZero::get(type), name);
  gv->setSection(".maps");
  gv->setAlignment(llvm::Align(8));

  std::vector<llvm::Metadata *> elements;
  for (size_t i = 0; i < attrs.size(); ++i)
    elements.push_back(di_->createMemberType(file_, attrs[i].first, file_, 0, 64, 64, i * 64,
                                             llvm::DINode::FlagZero, attrs[i].second));
  llvm::DICompositeType *di_type =
      di_->createStructType(file_, "", file_, 0, attrs.size() * 64, 64, llvm::DINode::FlagZero,
                            nullptr, di_->getOrCreateArray(elements));
  gv->addDebugInfo(
      di_->createGlobalVariableExpression(unit_, name, name, file_, 0, di_type, false));
  return gv;
}

llvm::GlobalVariable *BpfModule::kernel_variable(const KernelVariable &var) {
  if (llvm::GlobalVariable *gv = module_->getGlobalVariable(var.name))
    return gv;
  llvm::LLVMContext &ctx = *context_;
  llvm::DIType *di_type = nullptr;
  llvm::Type *type = nullptr;
  if (var.kind == KernelVariable::Kind::Integer) {
    type = llvm::Type::getIntNTy(ctx, var.size * 8);
    di_type = di_->createBasicType(var.size == 8 ? "long" : "int", var.size * 8,
                                   llvm::dwarf::DW_ATE_signed);
  } else {
    // One char member: a complete type (a forward declaration is a FWD, which libbpf does not
    // match with the kernel's STRUCT).
    type = llvm::Type::getInt8Ty(ctx);
    llvm::DIType *byte = di_->createBasicType("char", 8, llvm::dwarf::DW_ATE_signed_char);
    llvm::Metadata *member =
        di_->createMemberType(file_, "unused", file_, 0, 8, 8, 0, llvm::DINode::FlagZero, byte);
    di_type = var.kind == KernelVariable::Kind::Struct
                  ? static_cast<llvm::DIType *>(di_->createStructType(
                        file_, var.type_name, file_, 0, 8, 8, llvm::DINode::FlagZero, nullptr,
                        di_->getOrCreateArray({member})))
                  : di_->createUnionType(file_, var.type_name, file_, 0, 8, 8,
                                         llvm::DINode::FlagZero, di_->getOrCreateArray({member}));
  }
  auto *gv = new llvm::GlobalVariable(*module_, type, true, llvm::GlobalValue::ExternalLinkage,
                                      nullptr, var.name);
  gv->setSection(".ksyms");
  gv->addDebugInfo(di_->createGlobalVariableExpression(unit_, var.name, var.name, file_, 0, di_type,
                                                       false, false));
  return gv;
}

llvm::Function *BpfModule::add_program(const std::string &name, const std::string &section,
                                       llvm::IRBuilder<> &builder, unsigned line) {
  llvm::LLVMContext &ctx = *context_;
  auto *fn_type =
      llvm::FunctionType::get(llvm::Type::getInt64Ty(ctx), {llvm::PointerType::get(ctx, 0)}, false);
  auto *fn = llvm::Function::Create(fn_type, llvm::GlobalValue::ExternalLinkage, name, *module_);
  fn->setSection(section);
  fn->getArg(0)->setName("ctx");

  llvm::DIType *long_type = di_->createBasicType("long", 64, llvm::dwarf::DW_ATE_signed);
  llvm::DIType *void_ptr = di_->createPointerType(nullptr, 64);
  llvm::DISubroutineType *sub_type =
      di_->createSubroutineType(di_->getOrCreateTypeArray({long_type, void_ptr}));
  llvm::DISubprogram *sp =
      di_->createFunction(file_, name, name, file_, line, sub_type, line,
                          llvm::DINode::FlagPrototyped, llvm::DISubprogram::SPFlagDefinition);
  fn->setSubprogram(sp);
  di_->createParameterVariable(sp, "ctx", 1, file_, line, void_ptr, true);

  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  builder.SetInsertPoint(entry);
  builder.SetCurrentDebugLocation(location(fn, line, 1));
  return fn;
}

llvm::Function *BpfModule::add_map_callback(const std::string &name, llvm::IRBuilder<> &builder) {
  llvm::LLVMContext &ctx = *context_;
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  auto *fn_type = llvm::FunctionType::get(llvm::Type::getInt64Ty(ctx), {ptr, ptr, ptr, ptr}, false);
  auto *fn = llvm::Function::Create(fn_type, llvm::GlobalValue::InternalLinkage, name, *module_);
  llvm::DIType *long_type = di_->createBasicType("long", 64, llvm::dwarf::DW_ATE_signed);
  llvm::DIType *void_ptr = di_->createPointerType(nullptr, 64);
  llvm::DISubroutineType *sub_type = di_->createSubroutineType(
      di_->getOrCreateTypeArray({long_type, void_ptr, void_ptr, void_ptr, void_ptr}));
  llvm::DISubprogram *sp = di_->createFunction(
      file_, name, name, file_, 0, sub_type, 0, llvm::DINode::FlagPrototyped,
      llvm::DISubprogram::SPFlagDefinition | llvm::DISubprogram::SPFlagLocalToUnit);
  fn->setSubprogram(sp);
  const char *names[] = {"map", "key", "value", "ctx"};
  for (unsigned i = 0; i < 4; ++i) {
    fn->getArg(i)->setName(names[i]);
    di_->createParameterVariable(sp, names[i], i + 1, file_, 0, void_ptr, true);
  }
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  builder.SetInsertPoint(entry);
  builder.SetCurrentDebugLocation(location(fn, 0, 0));
  return fn;
}

llvm::Function *BpfModule::add_loop_callback(const std::string &name, llvm::IRBuilder<> &builder) {
  llvm::LLVMContext &ctx = *context_;
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  auto *fn_type = llvm::FunctionType::get(i64, {i64, ptr}, false);
  auto *fn = llvm::Function::Create(fn_type, llvm::GlobalValue::InternalLinkage, name, *module_);
  llvm::DIType *long_type = di_->createBasicType("long", 64, llvm::dwarf::DW_ATE_signed);
  llvm::DIType *u64_type = di_->createBasicType("u64", 64, llvm::dwarf::DW_ATE_unsigned);
  llvm::DIType *void_ptr = di_->createPointerType(nullptr, 64);
  llvm::DISubroutineType *sub_type =
      di_->createSubroutineType(di_->getOrCreateTypeArray({long_type, u64_type, void_ptr}));
  llvm::DISubprogram *sp = di_->createFunction(
      file_, name, name, file_, 0, sub_type, 0, llvm::DINode::FlagPrototyped,
      llvm::DISubprogram::SPFlagDefinition | llvm::DISubprogram::SPFlagLocalToUnit);
  fn->setSubprogram(sp);
  fn->getArg(0)->setName("index");
  fn->getArg(1)->setName("ctx");
  di_->createParameterVariable(sp, "index", 1, file_, 0, u64_type, true);
  di_->createParameterVariable(sp, "ctx", 2, file_, 0, void_ptr, true);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  builder.SetInsertPoint(entry);
  builder.SetCurrentDebugLocation(location(fn, 0, 0));
  return fn;
}

llvm::DebugLoc BpfModule::location(llvm::Function *fn, unsigned line, unsigned column) {
  return llvm::DILocation::get(*context_, line, column, fn->getSubprogram());
}

bool BpfModule::emit(std::vector<uint8_t> &object, std::string &error, std::string *ir_before,
                     std::string *ir_after) {
  finalize_debug_info();
  if (ir_before) {
    llvm::raw_string_ostream os(*ir_before);
    module_->print(os, nullptr);
  }
  if (!link_imported_bitcode(*module_, imported_, error) || !link_stdlib_bitcode(*module_, error))
    return false;
  if (!objects_.empty())
    hide_undescribed_globals();
  // BPF code does not unwind: marked so (as clang marks BPF functions), no function gets an
  // .eh_frame entry, which libbpf's loader would skip with a note in every log and libbpf's
  // linker would refuse (its relocations name sections).
  for (llvm::Function &fn : *module_)
    if (!fn.isDeclaration())
      fn.addFnAttr(llvm::Attribute::NoUnwind);
  std::string verify;
  llvm::raw_string_ostream vos(verify);
  if (llvm::verifyModule(*module_, &vos)) {
    error = "internal error: invalid IR: " + vos.str();
    return false;
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(target_.get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(*module_, mam);

  // BPF jumps have 16-bit offsets (LLVM 16 has no long jump), so a function beyond ~32767
  // instructions cannot be emitted and LLVM fails fatally. The largest function is the one.
  llvm::Function *largest = nullptr;
  for (llvm::Function &fn : *module_)
    if (!fn.isDeclaration() &&
        (!largest || fn.getInstructionCount() > largest->getInstructionCount()))
      largest = &fn;
  const std::string largest_name = largest ? largest->getName().str() : "";
  if (ir_after) {
    llvm::raw_string_ostream os(*ir_after);
    module_->print(os, nullptr);
  }

  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (target_->addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_ObjectFile)) {
    error = "internal error: the BPF target cannot emit an object file";
    return false;
  }
  if (on_fatal_)
    g_fatal_reporter = [&](const char *reason) { on_fatal_(largest_name, reason); };
  pm.run(*module_);
  g_fatal_reporter = nullptr;
  if (!diagnostics_.empty()) {
    error = diagnostics_.front();
    for (size_t i = 1; i < diagnostics_.size(); ++i)
      error += "\n" + diagnostics_[i];
    return false;
  }
  object.assign(buffer.begin(), buffer.end());
  return objects_.empty() || link_imported_objects(object, error);
}

} // namespace scry
