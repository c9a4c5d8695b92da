// Type checking of function calls (part of the TypeChecker, type_checker.h): each builtin
// function's arguments and the formats of printf() and time() (aggregations:
// types_aggregations.cpp).
// Reads the calls and their arguments; writes Call::type and Call::id, Resources::printfs,
// time_formats and print_values.
#include "base/kernel_printf.h"
#include "base/printf_format.h"
#include "parser/suggest.h"
#include "sema/type_checker.h"
#include "symbols/kernel_symbols.h"

#include <algorithm>

namespace scry {

using namespace ast;

void TypeChecker::visit(Call &n) {
  type_call(n);
}

bool TypeChecker::arity(Call &n, size_t min, size_t max) {
  if (n.args.size() >= min && n.args.size() <= max)
    return true;
  std::string expected =
      min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
  error(DiagCode::WrongArgumentCount, n.loc,
        n.name + "() takes " + expected + (max == 1 && min == 1 ? " argument" : " arguments") +
            ", not " + std::to_string(n.args.size()));
  return false;
}

bool TypeChecker::arity(Call &n) {
  const BuiltinFunctionInfo &info = builtin_function_info(n.builtin);
  return arity(n, info.min_args, info.max_args);
}

void TypeChecker::want_integer(Call &n, size_t i, const char *what) {
  const Type &t = n.args[i]->type;
  if (t.kind != TypeKind::Integer && t.kind != TypeKind::Boolean && t.kind != TypeKind::None)
    error(DiagCode::WrongArgumentType, n.args[i]->loc,
          n.name + "() needs an integer " + what + ", not " + type_name(t));
}

Map *TypeChecker::map_argument(Call &n, size_t i, bool allow_keyed_element) {
  Expression *a = n.args[i];
  if (auto *m = dynamic_cast<Map *>(a)) {
    bool saved = map_as_argument_;
    map_as_argument_ = true;
    m->accept(*this);
    map_as_argument_ = saved;
    return m;
  }
  if (allow_keyed_element && dynamic_cast<MapAccess *>(a))
    return nullptr;
  error(DiagCode::WrongArgumentType, a->loc, n.name + "() needs a map as its argument",
        "pass the map by name, e.g. " + n.name + "(@x)");
  return nullptr;
}

void TypeChecker::type_call(Call &n) {
  size_t errors_before = errors_;
  type_call_checked(n);
  // A call with errors has no type, so that it causes no second error where it is used.
  if (errors_ != errors_before)
    n.type = Type{};
}

void TypeChecker::type_call_checked(Call &n) {
  const BuiltinFunctionInfo *builtin = find_builtin_function(n.name);
  n.type = make_void();
  if (!builtin) {
    not_a_builtin_function(n);
    return;
  }
  n.builtin = builtin->id;
  if (builtin->aggregation) {
    type_aggregation(n);
    return;
  }
  switch (builtin->id) {
  case BuiltinFunction::Printf: {
    type_printf(n);
    break;
  }
  case BuiltinFunction::Print: {
    if (!arity(n))
      return;
    if (dynamic_cast<Map *>(n.args[0])) {
      map_argument(n, 0);
      for (size_t i = 1; i < n.args.size(); ++i) {
        check(n.args[i]);
        if (!constant_value(n.args[i]))
          constant_required(n.args[i], "print()'s top and divisor must be constants");
      }
      if (loop_depth_ > 0)
        warning(DiagCode::PrintInLoop, n.loc,
                "due to its asynchronous nature, print() in a loop can lead to unexpected "
                "behavior: the map will likely be updated before the runtime prints it");
      if (n.args[0]->type.kind == TypeKind::Tseries && n.args.size() == 2) {
        error(DiagCode::WrongArgumentCount, n.loc,
              "print() must provide both min and max arguments when used on tseries() maps.",
              "print(@m, min, max) draws the charts from min to max; print(@m) fits them to "
              "the values");
        return;
      }
      if (n.args[0]->type.kind == TypeKind::Tseries && n.args.size() == 3) {
        auto lo = constant_value(n.args[1]), hi = constant_value(n.args[2]);
        if (lo && hi && *lo >= *hi)
          error(DiagCode::WrongArgumentType, n.args[1]->loc,
                "print()'s min must be below its max for a tseries map (" + std::to_string(*lo) +
                    " >= " + std::to_string(*hi) + ")");
      }
      if (n.args.size() > 1 && n.args[0]->type.kind == TypeKind::Stats) {
        // As bpftrace: a stats map prints whole.
        warning(DiagCode::IgnoredArgument, n.args[1]->loc,
                "print()'s top and div arguments are ignored when used on stats() maps");
        if (!quiet_) // the last walk: the first one learns map types
          n.args.resize(1);
      }
    } else {
      if (n.args.size() > 1) {
        error(DiagCode::WrongArgumentCount, n.loc,
              "print() of a value takes one argument; top and divisor apply to maps");
        return;
      }
      check(n.args[0]);
      const Type &t = n.args[0]->type;
      if (t.kind == TypeKind::Void || t.kind == TypeKind::None) {
        if (t.kind == TypeKind::Void)
          error(DiagCode::WrongArgumentType, n.args[0]->loc,
                "this expression has no value to print");
        return;
      }
      if (!quiet_) {
        n.id = static_cast<int>(result_.resources.print_values.size());
        result_.resources.print_values.push_back(storage_type(t));
      }
    }
    break;
  }
  case BuiltinFunction::Clear:
  case BuiltinFunction::Zero: {
    if (arity(n))
      map_argument(n, 0);
    break;
  }
  case BuiltinFunction::Delete: {
    if (!arity(n))
      return;
    if (n.args.size() == 1) {
      auto *ma = dynamic_cast<MapAccess *>(n.args[0]);
      if (auto *m = dynamic_cast<Map *>(n.args[0])) {
        // delete(@x) on a map without keys resets its value.
        map_argument(n, 0);
        const MapInfo *info = find_map(m->name);
        if (info && info->key.kind != TypeKind::None)
          error(DiagCode::WrongArgumentType, n.args[0]->loc,
                "delete() of " + info->name + " needs a key",
                "write delete(" + info->name + "[key]) or delete(" + info->name + ", key)");
        n.type = make_bool();
        return;
      }
      if (!ma) {
        error(DiagCode::WrongArgumentType, n.args[0]->loc, "delete() needs a map element",
              "write delete(@m[key]) or delete(@m, key)");
        return;
      }
      bool saved = map_as_argument_;
      map_as_argument_ = true;
      ma->accept(*this);
      map_as_argument_ = saved;
    } else {
      Map *m = map_argument(n, 0);
      check(n.args[1]);
      if (m && find_map(m->name))
        check_key(*find_map(m->name), n.args[1]);
    }
    n.type = make_bool();
    break;
  }
  case BuiltinFunction::HasKey: { // stdlib/map.bt's has_key
    if (!arity(n))
      return;
    Map *m = map_argument(n, 0);
    check(n.args[1]);
    if (m && find_map(m->name))
      check_key(*find_map(m->name), n.args[1]);
    n.type = make_bool();
    break;
  }
  case BuiltinFunction::Find: {
    // find(@m, key, $v): has_key and a read of the value into $v, with one lookup.
    if (!arity(n))
      return;
    Map *m = map_argument(n, 0);
    check(n.args[1]);
    n.type = make_bool();
    auto *var = dynamic_cast<Variable *>(n.args[2]);
    if (!var) {
      check(n.args[2]);
      error(DiagCode::WrongArgumentType, n.args[2]->loc,
            "find() stores the value in a scratch variable: find(@m, key, $v)");
      return;
    }
    const MapInfo *info = m ? find_map(m->name) : nullptr;
    if (!info)
      return;
    if (info->key.kind == TypeKind::None) {
      error(DiagCode::InvalidMapUse, n.args[0]->loc,
            "call to find() expects a map with explicit keys (non-scalar map)",
            "@" + m->name + " has no keys: read it as @" + m->name);
      return;
    }
    if (info->value.is_aggregation() || info->per_cpu) {
      error(DiagCode::InvalidMapUse, n.args[0]->loc,
            "find() reads maps of plain values; @" + m->name + " holds " + type_name(info->value) +
                (info->per_cpu ? ", one per CPU" : ""),
            "read it with @" + m->name + "[key] (and has_key() to tell a missing key)");
      return;
    }
    check_key(*info, n.args[1]);
    assign_variable(*var, info->value, n.args[2]->loc);
    break;
  }
  case BuiltinFunction::Len: {
    if (!arity(n))
      return;
    n.type = make_int(8, true);
    if (!dynamic_cast<Map *>(n.args[0])) {
      // len(kstack), len(ustack): the frames the stack holds (docs/stdlib.md "len").
      check(n.args[0]);
      const Type &t = n.args[0]->type;
      if (t.kind != TypeKind::None && t.kind != TypeKind::Stack)
        error(DiagCode::WrongArgumentType, n.args[0]->loc,
              "len() counts the keys of a map or the frames of a stack, not " + type_name(t),
              "pass a map by name, len(@x), or a stack, len(ustack)");
      return;
    }
    Map *m = map_argument(n, 0);
    if (m && find_map(m->name) &&
        (find_map(m->name)->value.kind == TypeKind::Hist ||
         find_map(m->name)->value.kind == TypeKind::Lhist ||
         find_map(m->name)->value.kind == TypeKind::Tseries))
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "len() of a hist, lhist or tseries map is not supported",
            "count the keys in another map: @keys[k] = count(); len(@keys)");
    break;
  }
  case BuiltinFunction::Exit: {
    if (!arity(n))
      return;
    if (n.args.size() == 1) {
      check(n.args[0]);
      want_integer(n, 0, "exit code");
    }
    break;
  }
  case BuiltinFunction::Time: {
    if (!arity(n))
      return;
    std::string format = "%H:%M:%S\n";
    if (n.args.size() == 1) {
      auto *s = dynamic_cast<String *>(n.args[0]);
      if (!s) {
        error(DiagCode::ConstantRequired, n.args[0]->loc,
              "time()'s format must be a string literal");
        return;
      }
      format = s->value;
      s->type = make_string(static_cast<uint32_t>(s->value.size() + 1));
    }
    if (!quiet_) {
      n.id = static_cast<int>(result_.resources.time_formats.size());
      result_.resources.time_formats.push_back(format);
    }
    break;
  }
  case BuiltinFunction::Str: {
    if (!arity(n))
      return;
    // str($1 + 2): the parameter's text from its third byte. bpftrace reads a parameter in
    // str() as a pointer to its text, and allows adding one constant up to the text's length.
    if (auto *sum = dynamic_cast<Binary *>(n.args[0]); sum && sum->op == BinaryOp::Add) {
      if (auto *p = dynamic_cast<PositionalParameter *>(sum->lhs); p && p->index > 0) {
        param_as_text_ = true;
        check(p);
        param_as_text_ = false;
        check(sum->rhs);
        std::string text = static_cast<size_t>(p->index) <= options_.params.size()
                               ? options_.params[static_cast<size_t>(p->index) - 1]
                               : "";
        std::optional<int64_t> skip = constant_value(sum->rhs);
        if (!skip || *skip < 0 || static_cast<uint64_t>(*skip) > text.size()) {
          error(DiagCode::InvalidOperand, sum->rhs->loc,
                "str($" + std::to_string(p->index) + " + N) needs a constant N from 0 to " +
                    std::to_string(text.size()) + ", the length of $" + std::to_string(p->index) +
                    " (\"" + text + "\")",
                "only a constant offset into the parameter's text can be added");
          return;
        }
        sum->type = make_string(static_cast<uint32_t>(text.size() + 1));
        n.constant_text = text.substr(static_cast<size_t>(*skip));
        n.type = make_string(std::min<uint32_t>(static_cast<uint32_t>(n.constant_text.size() + 1),
                                                result_.resources.max_strlen));
        return;
      }
    }
    // str($1) is the parameter's text, even when it looks like a number (bpftrace), so a
    // number too large for an integer is fine there.
    param_as_text_ = dynamic_cast<PositionalParameter *>(n.args[0]) != nullptr;
    check(n.args[0]);
    param_as_text_ = false;
    if (auto *p = dynamic_cast<PositionalParameter *>(n.args[0]); p && p->index > 0) {
      std::string text = static_cast<size_t>(p->index) <= options_.params.size()
                             ? options_.params[static_cast<size_t>(p->index) - 1]
                             : "";
      n.type = make_string(
          std::min<uint32_t>(static_cast<uint32_t>(text.size() + 1), result_.resources.max_strlen));
      return;
    }
    const Type &t = n.args[0]->type;
    // An aggregation reads as a number, but it is no address (bpftrace refuses it too).
    const Map *m = dynamic_cast<Map *>(n.args[0]);
    if (auto *ma = dynamic_cast<MapAccess *>(n.args[0]))
      m = ma->map;
    const MapInfo *info = m ? find_map(m->name) : nullptr;
    if (info && info->value.is_aggregation()) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "str() expects a string, integer or a pointer type as first argument (" +
                type_name(info->value) + " provided)",
            "str() reads the string at an address; print a count with %d");
      return;
    }
    if (t.kind != TypeKind::Pointer && t.kind != TypeKind::Integer && t.kind != TypeKind::String &&
        t.kind != TypeKind::None)
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "str() reads a string from a pointer, not from " + type_name(t));
    uint32_t size = result_.resources.max_strlen;
    if (n.args.size() == 2) {
      check(n.args[1]);
      want_integer(n, 1, "length");
      if (auto v = constant_value(n.args[1])) {
        if (*v < 1) {
          error(DiagCode::WrongArgumentType, n.args[1]->loc, "str()'s length must be positive");
        } else {
          // The length counts the terminator, as in bpftrace: str("abcdef", 3) is "ab".
          if (*v > static_cast<int64_t>(size))
            warning(DiagCode::IgnoredArgument, n.args[1]->loc,
                    "length param (" + std::to_string(*v) +
                        ") is too long and will be shortened "
                        "to " +
                        std::to_string(size) + " bytes (see BPFTRACE_MAX_STRLEN)");
          size = static_cast<uint32_t>(std::min<int64_t>(*v, size));
        }
      }
    }
    if (t.kind == TypeKind::String)
      size = std::min(size, t.size);
    n.type = make_string(size);
    break;
  }
  case BuiltinFunction::Strnlen: { // stdlib/strings.bt's strlen
    if (!arity(n))
      return;
    check(n.args[0]);
    const Type &t = n.args[0]->type;
    if (t.kind != TypeKind::String && t.kind != TypeKind::None) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "strlen() needs a string, not " + type_name(t),
            t.kind == TypeKind::Pointer ? "read it as a string first: strlen(str(p))" : "");
      return;
    }
    n.type = uint64_type();
    break;
  }
  case BuiltinFunction::Kstack:
  case BuiltinFunction::Ustack:
    type_stack_call(n, builtin->id == BuiltinFunction::Ustack);
    break;
  case BuiltinFunction::Ksym:
  case BuiltinFunction::Usym:
  case BuiltinFunction::Kaddr:
    type_symbol_call(n);
    break;
  case BuiltinFunction::Uaddr:
    type_uaddr(n);
    break;
  case BuiltinFunction::NsecsClock:
  case BuiltinFunction::PidNs:
  case BuiltinFunction::TidNs:
    type_mode_call(n);
    break;
  case BuiltinFunction::IsStr:
  case BuiltinFunction::IsPtr:
  case BuiltinFunction::IsArray:
  case BuiltinFunction::IsInteger:
  case BuiltinFunction::IsUnsignedInteger:
  case BuiltinFunction::IsLiteral:
  case BuiltinFunction::StaticAssert:
  case BuiltinFunction::Fail:
  case BuiltinFunction::Strcap:
  case BuiltinFunction::KfuncExist:
  case BuiltinFunction::KfuncAllowed:
    type_compile_time_call(n);
    break;
  case BuiltinFunction::Getopt:
    type_getopt(n);
    break;
  case BuiltinFunction::Bswap:
  case BuiltinFunction::Ntop:
  case BuiltinFunction::Strftime:
  case BuiltinFunction::Buf:
  case BuiltinFunction::Cat:
  case BuiltinFunction::System:
  case BuiltinFunction::Strncmp:
  case BuiltinFunction::Strstr:
  case BuiltinFunction::Globmatch:
  case BuiltinFunction::Strerror:
  case BuiltinFunction::Errorf:
  case BuiltinFunction::Warnf:
  case BuiltinFunction::Signal:
  case BuiltinFunction::SignalThread:
  case BuiltinFunction::Reg:
  case BuiltinFunction::Pton:
  case BuiltinFunction::Cgroupid:
  case BuiltinFunction::Memcmp:
  case BuiltinFunction::Debugf:
  case BuiltinFunction::CgroupPath:
  case BuiltinFunction::StrConcat:
  case BuiltinFunction::CommPid:
  case BuiltinFunction::SocketCookie:
  case BuiltinFunction::Path:
  case BuiltinFunction::Override:
  case BuiltinFunction::WriteUser:
  case BuiltinFunction::PercpuKaddr:
  case BuiltinFunction::SkbOutput:
  case BuiltinFunction::SignalName:
  case BuiltinFunction::Macaddr:
  case BuiltinFunction::SyscallName:
  case BuiltinFunction::Join:
    type_library_call(n);
    break;
  case BuiltinFunction::Uptr:
  case BuiltinFunction::Kptr: {
    // The value as it is, read from then on as an address in the process's (uptr) or the
    // kernel's (kptr) memory: str(uptr(p)) uses bpf_probe_read_user_str.
    if (!arity(n))
      return;
    check(n.args[0]);
    Type t = n.args[0]->type;
    if (t.kind != TypeKind::Integer && t.kind != TypeKind::Pointer) {
      if (t.kind != TypeKind::None)
        error(DiagCode::WrongArgumentType, n.args[0]->loc,
              n.name + "() needs an address (an integer or a pointer), not " + type_name(t));
      return;
    }
    if (t.kind == TypeKind::Integer)
      t = uint64_type();
    t.address_space =
        n.builtin == BuiltinFunction::Uptr ? AddressSpace::User : AddressSpace::Kernel;
    n.type = t;
    break;
  }
  case BuiltinFunction::Count:
  case BuiltinFunction::Sum:
  case BuiltinFunction::Min:
  case BuiltinFunction::Max:
  case BuiltinFunction::Avg:
  case BuiltinFunction::Stats:
  case BuiltinFunction::Hist:
  case BuiltinFunction::Lhist:
  case BuiltinFunction::Tseries:
  case BuiltinFunction::CFunction:
  case BuiltinFunction::None:
    break; // aggregations are typed above
  }
}

Type TypeChecker::stack_type(bool user, StackMode mode, uint32_t frames, const SourceRange &at) {
  // The kernel gives build ids of user stacks only (bpf_get_stack's BPF_F_USER_BUILD_ID);
  // bpftrace prints a kernel stack raw then, with this warning.
  if (!user && mode == StackMode::BuildId) {
    warning(DiagCode::IgnoredArgument, at,
            "'build_id' stack mode can only be used for ustack. Falling back to 'raw' mode.");
    mode = StackMode::Raw;
  }
  // A build_id stack names files, not addresses in a process: nothing to symbolize.
  if (user && mode != StackMode::BuildId && !quiet_)
    result_.resources.user_symbols = true;
  return make_stack(user, mode, frames);
}

// bpftrace's forms: kstack(), kstack(N), kstack(mode), kstack(mode, N), with mode one of
// bpftrace, perf, raw written as a bare word and N a constant frame limit.
void TypeChecker::type_mode_call(Call &n) {
  // nsecs(clock), pid(ns), tid(ns): a bare word names the clock or the pid namespace (Call::id).
  const bool clock = n.builtin == BuiltinFunction::NsecsClock;
  n.type = clock ? uint64_type() : make_int(4, false);
  if (!arity(n))
    return;
  static constexpr const char *kClocks[] = {"boot", "monotonic", "tai", "sw_tai"};
  static constexpr const char *kNamespaces[] = {"curr_ns", "init"};
  const char *const *words = clock ? kClocks : kNamespaces;
  const size_t count = clock ? std::size(kClocks) : std::size(kNamespaces);
  const std::string choices = clock ? "boot, monotonic, tai or sw_tai" : "curr_ns or init";
  auto *id = dynamic_cast<Identifier *>(n.args[0]);
  for (size_t i = 0; id && i < count; ++i)
    if (id->name == words[i]) {
      n.id = static_cast<int>(i);
      return;
    }
  error(DiagCode::WrongArgumentType, n.args[0]->loc,
        id ? n.name + "(): unknown " + (clock ? "clock" : "pid namespace") + " '" + id->name + "'"
           : n.name + "() takes " + (clock ? "a clock" : "a pid namespace") + ": " + choices,
        "use " + choices);
}

void TypeChecker::type_stack_call(Call &n, bool user) {
  if (!arity(n))
    return;
  StackMode mode = result_.resources.stack_mode;
  uint32_t frames = kDefaultStackFrames;
  size_t next = 0;
  if (!n.args.empty()) {
    if (auto *id = dynamic_cast<Identifier *>(n.args[0]); id && !find_builtin_variable(id->name)) {
      bool known = false;
      for (StackMode m : kStackModes)
        if (id->name == stack_mode_name(m))
          mode = m, known = true;
      if (!known) {
        error(DiagCode::WrongArgumentType, id->loc,
              n.name + "(): unknown stack mode '" + id->name + "'",
              "use bpftrace, perf, raw, build_id or folded");
        return;
      }
      next = 1;
    }
  }
  if (next < n.args.size()) {
    if (n.args.size() - next > 1) {
      error(DiagCode::WrongArgumentCount, n.loc,
            n.name + "() takes a stack mode and a frame limit, in that order");
      return;
    }
    check(n.args[next]);
    auto v = constant_value(n.args[next]);
    // The kernel collects at most perf_event_max_stack frames (127 by default); a larger
    // limit only makes every stack value larger. bpftrace allows up to 1024.
    if (!v || *v < 1 || *v > 1024) {
      constant_required(n.args[next],
                        n.name + "()'s frame limit must be a constant from 1 to 1024");
      return;
    }
    frames = static_cast<uint32_t>(*v);
  }
  n.type = stack_type(user, mode, frames, n.loc);
}

// bpftrace's uaddr: a pointer to the variable (or function) `name` of the probed binary, typed by
// the symbol's size (uint8/16/32/64 *, uint64 * otherwise), in the process's memory. In a
// position-independent binary the link-time address is moved by where the process loaded it,
// found from the address the probe fired at (bpftrace does this with task_vma iterators).
void TypeChecker::type_uaddr(Call &n) {
  if (!arity(n))
    return;
  auto *s = dynamic_cast<String *>(n.args[0]);
  if (!s) {
    check(n.args[0]);
    error(DiagCode::ConstantRequired, n.args[0]->loc,
          "uaddr()'s argument must be a string literal: the name of a symbol");
    return;
  }
  s->type = make_string(static_cast<uint32_t>(s->value.size() + 1));
  std::optional<uint64_t> address, size;
  for (size_t index : current_programs_) {
    ProbeProgram &p = result_.resources.programs[index];
    const bool uprobe = p.attach == AttachMechanism::Uprobe;
    if (!uprobe && p.attach != AttachMechanism::Usdt) {
      error(DiagCode::BuiltinNotAvailable, n.loc,
            "uaddr() is only available in uprobe, uretprobe and usdt probes, not in " +
                p.probe_name);
      return;
    }
    const std::string &path = uprobe ? p.uprobe.path : p.usdt.path;
    auto [it, fresh] = elf_images_.try_emplace(path);
    std::string why;
    if (fresh)
      it->second = read_elf_image(path, why);
    if (!it->second) {
      error(DiagCode::UnknownBinary, n.loc, "uaddr(): " + (why.empty() ? path : why));
      return;
    }
    const ElfImage &image = *it->second;
    const ElfFunction *sym = image.find_object(s->value);
    if (!sym)
      sym = image.find(s->value);
    if (!sym) {
      error(DiagCode::UnknownSymbol, s->loc, "no symbol '" + s->value + "' in " + path,
            "uaddr() takes a variable or function of the probed binary");
      return;
    }
    if (image.position_independent) {
      auto at = uprobe ? image.address_of_offset(p.uprobe.offset) : std::nullopt;
      if (!at) {
        error(DiagCode::NotSupported, n.loc,
              "uaddr() in a usdt probe of a position-independent binary (" + path +
                  ") is not supported by scry yet",
              "use a uprobe on a function of the same binary");
        return;
      }
      p.uprobe.needs_load_address = true;
      p.uprobe.address = *at;
    }
    if (address && *address != sym->address) {
      error(DiagCode::TypeMismatch, n.loc,
            "uaddr(\"" + s->value + "\") names different symbols in the probe's binaries",
            "split the probe so that each part probes one binary");
      return;
    }
    address = sym->address;
    size = sym->size;
  }
  if (!address)
    return;
  n.address = *address;
  const uint32_t width = *size == 1 || *size == 2 || *size == 4 ? static_cast<uint32_t>(*size) : 8;
  n.type = make_pointer(make_int(width, false), AddressSpace::User);
}

void TypeChecker::type_symbol_call(Call &n) {
  if (!arity(n))
    return;
  if (n.builtin == BuiltinFunction::Kaddr) {
    auto *s = dynamic_cast<String *>(n.args[0]);
    if (!s) {
      check(n.args[0]);
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "kaddr()'s argument must be a string literal: the name of a kernel symbol");
      return;
    }
    s->type = make_string(static_cast<uint32_t>(s->value.size() + 1));
    // Both walks of the type checker reach this call: kallsyms is read once.
    auto address = n.address ? std::optional<uint64_t>(n.address) : kernel_symbol_address(s->value);
    if (!address) {
      error(DiagCode::UnknownSymbol, s->loc, "no kernel symbol '" + s->value + "'",
            "kernel symbols are listed in /proc/kallsyms");
      return;
    }
    n.address = *address;
    n.type = uint64_type();
    return;
  }
  check(n.args[0]);
  if (n.args[0]->type.kind != TypeKind::Pointer) // a pointer is an address too
    want_integer(n, 0, "address");
  if (n.builtin == BuiltinFunction::Ksym) {
    n.type = make_ksym();
  } else {
    if (!quiet_)
      result_.resources.user_symbols = true;
    n.type = make_usym();
  }
}

void TypeChecker::not_a_builtin_function(Call &n) {
  for (Expression *a : n.args)
    check(a);
  if (result_.c_imports)
    if (const CFunction *f = result_.c_imports->function(n.name)) {
      type_c_function_call(n, *f);
      return;
    }
  if (n.name == "unwatch")
    // bpftrace's unwatch() detached a watchpoint set on a function's argument
    // (watchpoint:func+argN, asyncwatchpoint:); bpftrace dropped both in PR #4890.
    error(DiagCode::NotSupported, n.loc,
          "unwatch() removed the watchpoints of watchpoint:FUNC+argN and asyncwatchpoint:, "
          "which bpftrace has dropped and scry does not have",
          "watch a fixed address (watchpoint:0xADDR:8:w) and end the run with exit()");
  else if (is_planned_builtin(n.name))
    error(DiagCode::NotSupported, n.loc, n.name + "() is not supported by scry yet");
  else
    error(DiagCode::UnknownFunction, n.loc, "unknown function '" + n.name + "'",
          did_you_mean(n.name, names_for_suggestions(true)));
}

void TypeChecker::type_c_function_call(Call &n, const CFunction &f) {
  if (!f.unsupported.empty()) {
    error(DiagCode::NotSupported, n.loc,
          "scry cannot call " + f.name + "() of " + f.file + ": " + f.unsupported,
          "write a wrapper in C that takes integers or pointers: " + f.c_signature());
    return;
  }
  if (n.args.size() != f.params.size()) {
    error(DiagCode::WrongArgumentCount, n.loc,
          n.name + "() takes " + std::to_string(f.params.size()) + " argument" +
              (f.params.size() == 1 ? "" : "s") + ", not " + std::to_string(n.args.size()),
          "it is " + f.c_signature() + ", in " + f.file);
    return;
  }
  for (size_t i = 0; i < n.args.size(); ++i) {
    const Type &want = f.params[i].type;
    const Type &got = n.args[i]->type;
    if (got.kind == TypeKind::None)
      continue; // an error already
    bool ok;
    if (want.kind == TypeKind::Pointer) {
      // An integer is an address; a string is passed as the address of its bytes to a `char *`.
      const bool char_pointer =
          want.elem && want.elem->kind == TypeKind::Integer && want.elem->size == 1;
      ok = got.kind == TypeKind::Pointer || got.kind == TypeKind::Integer ||
           (char_pointer && got.kind == TypeKind::String);
    } else {
      ok = got.kind == TypeKind::Integer || got.kind == TypeKind::Boolean;
    }
    if (!ok)
      error(DiagCode::WrongArgumentType, n.args[i]->loc,
            "argument " + std::to_string(i + 1) + " of " + n.name + "() is `" + f.params[i].c_decl +
                "`: scry cannot pass a " + type_name(got) + " as it",
            "it is " + f.c_signature() + ", in " + f.file);
  }
  n.builtin = BuiltinFunction::CFunction;
  n.type = f.return_type;
}

void TypeChecker::type_printf(Call &n) {
  // printf() and cat() (whose format names a file).
  if (n.args.empty()) {
    error(DiagCode::WrongArgumentCount, n.loc, n.name + "() needs a format string");
    return;
  }
  auto *fmt = dynamic_cast<String *>(n.args[0]);
  if (!fmt) {
    check(n.args[0]);
    error(DiagCode::ConstantRequired, n.args[0]->loc,
          n.name + "()'s format must be a string literal");
    return;
  }
  fmt->type = make_string(static_cast<uint32_t>(fmt->value.size() + 1));
  std::vector<Type> types;
  for (size_t i = 1; i < n.args.size(); ++i) {
    check(n.args[i]);
    Type t = n.args[i]->type;
    if (t.kind == TypeKind::Void || t.is_aggregation()) {
      error(DiagCode::WrongArgumentType, n.args[i]->loc, n.name + "() argument has no value");
      return;
    }
    types.push_back(t);
  }
  if (quiet_)
    return;
  for (const Type &t : types)
    if (t.kind == TypeKind::None)
      return; // already reported
  int bad_arg = -1;
  std::string problem = check_printf(fmt->value, types, bad_arg);
  if (!problem.empty()) {
    SourceRange at = bad_arg >= 0 && static_cast<size_t>(bad_arg) + 1 < n.args.size()
                         ? n.args[static_cast<size_t>(bad_arg) + 1]->loc
                         : n.loc;
    error(DiagCode::InvalidPrintfFormat, at, n.name + ": " + problem);
    return;
  }
  // A pinned iterator's printf is formatted by the kernel (codegen/seq_printf.cpp).
  if (n.builtin == BuiltinFunction::Printf && !current_programs_.empty() &&
      !result_.resources.programs[current_programs_[0]].iterator_pin.empty()) {
    kernel_printf_format(fmt->value, types, problem);
    if (!problem.empty()) {
      error(DiagCode::NotSupported, n.loc,
            "printf in a pinned iterator is formatted by the kernel (bpf_seq_printf), which "
            "cannot print " +
                problem,
            "use %d, %i, %u, %x, %X, %c, %p or %s of a string, without precision");
      return;
    }
  }
  n.id = static_cast<int>(result_.resources.printfs.size());
  result_.resources.printfs.push_back({fmt->value, make_tuple_type(types), n.loc});
}

} // namespace scry
