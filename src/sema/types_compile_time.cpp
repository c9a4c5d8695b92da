// The builtins whose value is known when compiling: the type predicates (is_str, is_ptr,
// is_array, is_integer, is_unsigned_integer, is_literal), static_assert and fail, strcap of a
// string or an array, and kfunc_exist. Their value goes in Call::address; codegen emits it as a
// constant (strcap of a pointer is the one that runs in the probe).
#include "sema/type_checker.h"

#include <cstdio>
#include <string>
#include <vector>

namespace scry {

using namespace ast;

namespace {

/// bpftrace's Expression::is_literal: an integer, a negative integer, a string, a bool, or a
/// tuple of literals.
bool is_literal(const Expression *e) {
  if (dynamic_cast<const Integer *>(e) || dynamic_cast<const String *>(e) ||
      dynamic_cast<const Boolean *>(e))
    return true;
  if (auto *u = dynamic_cast<const Unary *>(e); u && u->op == UnaryOp::Neg)
    return dynamic_cast<const Integer *>(u->operand) != nullptr;
  if (auto *t = dynamic_cast<const Tuple *>(e)) {
    for (const Expression *part : t->elems)
      if (!is_literal(part))
        return false;
    return true;
  }
  return false;
}

/// fail()'s message: `format` with printf's conversions applied to literal `args` (an integer
/// or bool for d, i, u, x, X, o and c, a string for s); nullopt with `error` set when they do not
/// match.
std::optional<std::string> format_literals(const std::string &format,
                                           const std::vector<Expression *> &args,
                                           std::string &error) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    size_t end = i + 1;
    while (end < format.size() &&
           std::string_view("-+ #0123456789.").find(format[end]) != std::string_view::npos)
      ++end;
    if (end >= format.size()) {
      error = "the format ends inside a conversion";
      return std::nullopt;
    }
    const char conv = format[end];
    const std::string spec = format.substr(i, end - i + 1);
    i = end;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) {
      error = "the format has more conversions than arguments";
      return std::nullopt;
    }
    const Expression *a = args[next++];
    char text[1024];
    if (conv == 's') {
      auto *s = dynamic_cast<const String *>(a);
      if (!s) {
        error = "%s needs a string";
        return std::nullopt;
      }
      std::snprintf(text, sizeof(text), spec.c_str(), s->value.c_str());
    } else if (std::string_view("diuxXoc").find(conv) != std::string_view::npos) {
      int64_t v;
      if (auto *n = dynamic_cast<const Integer *>(a))
        v = static_cast<int64_t>(n->value);
      else if (auto *b = dynamic_cast<const Boolean *>(a))
        v = b->value;
      else if (auto *u = dynamic_cast<const Unary *>(a);
               u && dynamic_cast<const Integer *>(u->operand))
        v = -static_cast<int64_t>(static_cast<const Integer *>(u->operand)->value);
      else {
        error = "%" + std::string(1, conv) + " needs an integer";
        return std::nullopt;
      }
      std::string ll = spec.substr(0, spec.size() - 1) + (conv == 'c' ? "" : "ll") + conv;
      if (conv == 'c')
        std::snprintf(text, sizeof(text), ll.c_str(), static_cast<int>(v));
      else
        std::snprintf(text, sizeof(text), ll.c_str(), static_cast<long long>(v));
    } else {
      error = "fail() formats %s, %d, %i, %u, %x, %X, %o and %c, not %" + std::string(1, conv);
      return std::nullopt;
    }
    out += text;
  }
  if (next < args.size()) {
    error = "the format has fewer conversions than arguments";
    return std::nullopt;
  }
  return out;
}

} // namespace

std::optional<bool> TypeChecker::static_truth(Expression *e) {
  if (auto *b = dynamic_cast<Boolean *>(e))
    return b->value;
  if (auto *c = dynamic_cast<Call *>(e); c && compile_time_value(*c))
    return c->address != 0;
  if (auto *s = dynamic_cast<Sizeof *>(e))
    return s->value != 0;
  if (auto *block = dynamic_cast<BlockExpr *>(e); block && block->block->stmts.empty())
    return block->block->value ? static_truth(block->block->value) : std::nullopt;
  if (auto *u = dynamic_cast<Unary *>(e); u && u->op == UnaryOp::LogicalNot) {
    auto v = static_truth(u->operand);
    return v ? std::optional<bool>(!*v) : std::nullopt;
  }
  if (auto *b = dynamic_cast<Binary *>(e)) {
    if (b->op == BinaryOp::LogicalAnd || b->op == BinaryOp::LogicalOr) {
      auto l = static_truth(b->lhs), r = static_truth(b->rhs);
      if (l && (*l == (b->op == BinaryOp::LogicalOr)))
        return *l;
      if (!l || !r)
        return std::nullopt;
      return *r;
    }
    auto value = [&](Expression *x) -> std::optional<int64_t> {
      if (auto *s = dynamic_cast<Sizeof *>(x))
        return static_cast<int64_t>(s->value);
      if (auto *c = dynamic_cast<Call *>(x); c && compile_time_value(*c))
        return static_cast<int64_t>(c->address);
      if (auto *b = dynamic_cast<Boolean *>(x))
        return b->value ? 1 : 0;
      return constant_value(x);
    };
    auto l = value(b->lhs), r = value(b->rhs);
    if (!l || !r)
      return std::nullopt;
    switch (b->op) {
    case BinaryOp::Eq:
      return *l == *r;
    case BinaryOp::Ne:
      return *l != *r;
    case BinaryOp::Lt:
      return *l < *r;
    case BinaryOp::Le:
      return *l <= *r;
    case BinaryOp::Gt:
      return *l > *r;
    case BinaryOp::Ge:
      return *l >= *r;
    default:
      break;
    }
  }
  if (auto v = constant_value(e))
    return *v != 0;
  return std::nullopt;
}

bool TypeChecker::compile_time_value(const Call &n) const {
  switch (n.builtin) {
  case BuiltinFunction::IsStr:
  case BuiltinFunction::IsPtr:
  case BuiltinFunction::IsArray:
  case BuiltinFunction::IsInteger:
  case BuiltinFunction::IsUnsignedInteger:
  case BuiltinFunction::IsLiteral:
  case BuiltinFunction::KfuncExist:
  case BuiltinFunction::KfuncAllowed:
    return true;
  case BuiltinFunction::Strcap:
    return n.args.size() == 1 && n.args[0]->type.kind != TypeKind::Pointer;
  default:
    return false;
  }
}

void TypeChecker::type_compile_time_call(Call &n) {
  if (!arity(n))
    return;
  if (n.builtin != BuiltinFunction::Fail)
    for (Expression *a : n.args)
      check(a);
  const Type &t = n.args[0]->type;
  n.type = make_bool();
  switch (n.builtin) {
  case BuiltinFunction::IsStr:
    n.address = t.kind == TypeKind::String;
    return;
  case BuiltinFunction::IsPtr:
    n.address = t.kind == TypeKind::Pointer;
    return;
  case BuiltinFunction::IsArray:
    n.address = t.kind == TypeKind::Array;
    return;
  case BuiltinFunction::IsInteger:
    n.address = t.kind == TypeKind::Integer;
    return;
  case BuiltinFunction::IsUnsignedInteger:
    n.address = t.kind == TypeKind::Integer && !t.is_signed;
    return;
  case BuiltinFunction::IsLiteral:
    n.address = is_literal(n.args[0]);
    return;
  case BuiltinFunction::KfuncExist: {
    auto *s = dynamic_cast<String *>(n.args[0]);
    if (!s) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "kfunc_exist() accepts a string literal only");
      return;
    }
    n.address = btf_.is_kfunc(s->value);
    return;
  }
  case BuiltinFunction::KfuncAllowed: {
    // As bpftrace's: false for a kfunc the kernel lacks or outside a probe; else whether the
    // kernel lets this probe's programs call it (the caller's check loads one that does).
    auto *s = dynamic_cast<String *>(n.args[0]);
    if (!s) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "kfunc_allowed() accepts a string literal only");
      return;
    }
    bool allowed = btf_.is_kfunc(s->value) && !current_programs_.empty();
    for (size_t i : current_programs_) {
      if (!allowed || !options_.kfunc_allowed)
        break;
      const std::string &section = result_.resources.programs[i].section;
      allowed = options_.kfunc_allowed(s->value, section);
      // A tracepoint probe may yet attach through its raw tracepoint (sema/tracepoint_attach.h,
      // decided after this), a program type that allows fewer kfuncs: true only when both do.
      if (allowed && options_.raw_tracepoints && section.rfind("tracepoint/", 0) == 0)
        allowed =
            options_.kfunc_allowed(s->value, "raw_tp/" + section.substr(section.rfind('/') + 1));
    }
    n.address = allowed;
    return;
  }
  case BuiltinFunction::Strcap: {
    // The capacity of a string-like value: a string's bytes (its NUL included), an array's
    // elements, or for a char * the length of the string it points to (max_strlen at most).
    n.type = uint64_type();
    if (t.kind == TypeKind::String) {
      n.address = t.size;
    } else if (t.kind == TypeKind::Array && t.elem && t.elem->kind == TypeKind::Integer &&
               t.elem->size == 1) {
      n.address = t.count;
    } else if (t.kind == TypeKind::Pointer && t.elem &&
               (t.elem->kind == TypeKind::Integer && t.elem->size == 1)) {
      if (!quiet_)
        n.id = static_cast<int>(result_.resources.max_strlen);
    } else if (t.kind != TypeKind::None) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "strcap() takes a string, an array of chars or a char pointer, not " + type_name(t));
    }
    return;
  }
  case BuiltinFunction::StaticAssert: {
    n.type = make_void();
    auto *msg = dynamic_cast<String *>(n.args[1]);
    if (!msg) {
      error(DiagCode::ConstantRequired, n.args[1]->loc,
            "static_assert()'s message must be a string literal");
      return;
    }
    if (n.args[0]->type.kind == TypeKind::None)
      return;
    auto truth = static_truth(n.args[0]);
    if (!truth) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "static_assert()'s condition must be known when compiling",
            "test types and constants: is_str(x), sizeof(x) == 8; test a run-time value with "
            "assert(cond, \"msg\")");
      return;
    }
    if (!*truth)
      error(DiagCode::StaticAssertion, n.loc, msg->value);
    return;
  }
  case BuiltinFunction::Fail: {
    n.type = make_void();
    auto *fmt = dynamic_cast<String *>(n.args[0]);
    if (!fmt) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "fail()'s first argument must be a string literal");
      return;
    }
    // A positional parameter is a literal here, as in bpftrace: its number, or its text.
    std::vector<std::unique_ptr<Expression>> params;
    std::vector<Expression *> args;
    for (size_t i = 1; i < n.args.size(); ++i) {
      Expression *a = n.args[i];
      if (auto *p = dynamic_cast<PositionalParameter *>(a)) {
        const size_t at = static_cast<size_t>(p->index - 1);
        const std::string text = at < options_.params.size() ? options_.params[at] : "";
        if (auto v = constant_value(a))
          params.push_back(std::make_unique<Integer>(a->loc, static_cast<uint64_t>(*v), false));
        else
          params.push_back(std::make_unique<String>(a->loc, text));
        a = params.back().get();
      }
      if (!is_literal(a)) {
        error(DiagCode::ConstantRequired, a->loc, "fail()'s arguments must be literals");
        return;
      }
      args.push_back(a);
    }
    if (skipped_branch_depth_ > 0)
      return; // not reached: its branch's condition is false when compiling
    std::string why;
    auto text = format_literals(fmt->value, args, why);
    if (!text) {
      error(DiagCode::InvalidPrintfFormat, n.args[0]->loc, "fail(): " + why);
      return;
    }
    error(DiagCode::StaticAssertion, n.loc, *text);
    return;
  }
  default:
    return;
  }
}

} // namespace scry
