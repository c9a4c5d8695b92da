#include "sema/constant.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace scry {

using namespace ast;

namespace {

/// The operators fold_constant evaluates.
bool folds(BinaryOp op) {
  return op == BinaryOp::Add || op == BinaryOp::Sub || op == BinaryOp::Mul || op == BinaryOp::Div ||
         op == BinaryOp::Shl;
}

} // namespace

bool is_numeric_string(const std::string &s) {
  if (s.empty())
    return false;
  size_t i = (s[0] == '-') ? 1 : 0;
  if (i == s.size())
    return false;
  if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
    return std::all_of(s.begin() + static_cast<long>(i) + 2, s.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  return std::all_of(s.begin() + static_cast<long>(i), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

bool numeric_string_fits(const std::string &s) {
  errno = 0;
  std::strtoll(s.c_str(), nullptr, 0);
  return errno != ERANGE;
}

namespace {

int64_t wrap(uint64_t bits) {
  return static_cast<int64_t>(bits);
}

} // namespace

std::optional<int64_t> fold_constant(const Expression *e, const std::vector<std::string> &params) {
  if (auto *i = dynamic_cast<const Integer *>(e))
    return static_cast<int64_t>(i->value);
  if (auto *id = dynamic_cast<const Identifier *>(e); id && id->constant) // an enum constant
    return static_cast<int64_t>(*id->constant);
  if (auto *u = dynamic_cast<const Unary *>(e); u && u->op == UnaryOp::Neg) {
    if (auto v = fold_constant(u->operand, params))
      return wrap(0 - static_cast<uint64_t>(*v));
    return std::nullopt;
  }
  if (auto *p = dynamic_cast<const PositionalParameter *>(e)) {
    if (p->index == 0)
      return static_cast<int64_t>(params.size());
    if (static_cast<size_t>(p->index) > params.size())
      return 0;
    const std::string &s = params[static_cast<size_t>(p->index) - 1];
    if (s.empty())
      return 0;
    if (is_numeric_string(s))
      return std::strtoll(s.c_str(), nullptr, 0);
    return std::nullopt; // text: sema types it as a string
  }
  // A block with nothing but a value is that value: `{ 4 }`, what `macro n() { 4 }` expands to.
  if (auto *b = dynamic_cast<const BlockExpr *>(e); b && b->block->stmts.empty())
    return b->block->value ? fold_constant(b->block->value, params) : std::nullopt;
  if (auto *b = dynamic_cast<const Binary *>(e); b && folds(b->op)) {
    auto l = fold_constant(b->lhs, params), r = fold_constant(b->rhs, params);
    if (!l || !r)
      return std::nullopt;
    switch (b->op) {
    // Two's complement, wrapping as the BPF program's 64-bit arithmetic does: never C++'s
    // signed overflow (INT64_MIN / -1 killed scry with SIGFPE; found by tests/fuzz's middle_fuzz).
    case BinaryOp::Add:
      return wrap(static_cast<uint64_t>(*l) + static_cast<uint64_t>(*r));
    case BinaryOp::Sub:
      return wrap(static_cast<uint64_t>(*l) - static_cast<uint64_t>(*r));
    case BinaryOp::Mul:
      return wrap(static_cast<uint64_t>(*l) * static_cast<uint64_t>(*r));
    case BinaryOp::Div:
      if (*r == -1)
        return wrap(0 - static_cast<uint64_t>(*l));
      return *r ? *l / *r : 0;
    case BinaryOp::Shl:
      // The amount modulo 64, as BPF's shift instruction takes it (codegen's Shl).
      return wrap(static_cast<uint64_t>(*l) << (static_cast<uint64_t>(*r) & 63));
    default:
      return std::nullopt;
    }
  }
  return std::nullopt;
}

const PositionalParameter *non_numeric_parameter(const Expression *e,
                                                 const std::vector<std::string> &params) {
  if (auto *p = dynamic_cast<const PositionalParameter *>(e))
    return fold_constant(p, params) ? nullptr : p;
  if (auto *u = dynamic_cast<const Unary *>(e); u && u->op == UnaryOp::Neg)
    return non_numeric_parameter(u->operand, params);
  if (auto *b = dynamic_cast<const BlockExpr *>(e); b && b->block->stmts.empty())
    return b->block->value ? non_numeric_parameter(b->block->value, params) : nullptr;
  if (auto *b = dynamic_cast<const Binary *>(e); b && folds(b->op)) {
    if (const PositionalParameter *p = non_numeric_parameter(b->lhs, params))
      return p;
    return non_numeric_parameter(b->rhs, params);
  }
  return nullptr;
}

} // namespace scry
