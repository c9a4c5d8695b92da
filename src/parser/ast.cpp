#include "parser/ast.h"

namespace scry::ast {

#define SCRY_AST_ACCEPT(T)                                                                         \
  void T::accept(Visitor &v) {                                                                     \
    v.visit(*this);                                                                                \
  }
SCRY_AST_NODES(SCRY_AST_ACCEPT)
#undef SCRY_AST_ACCEPT

const char *unary_op_spelling(UnaryOp op) {
  switch (op) {
  case UnaryOp::Neg:
    return "-";
  case UnaryOp::Plus:
    return "+";
  case UnaryOp::LogicalNot:
    return "!";
  case UnaryOp::BitNot:
    return "~";
  case UnaryOp::Deref:
    return "*";
  case UnaryOp::AddressOf:
    return "&";
  case UnaryOp::PreInc:
  case UnaryOp::PostInc:
    return "++";
  case UnaryOp::PreDec:
  case UnaryOp::PostDec:
    return "--";
  }
  return "?";
}

const char *binary_op_spelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::Mod:
    return "%";
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Shl:
    return "<<";
  case BinaryOp::Shr:
    return ">>";
  case BinaryOp::Lt:
    return "<";
  case BinaryOp::Gt:
    return ">";
  case BinaryOp::Le:
    return "<=";
  case BinaryOp::Ge:
    return ">=";
  case BinaryOp::Eq:
    return "==";
  case BinaryOp::Ne:
    return "!=";
  case BinaryOp::BitAnd:
    return "&";
  case BinaryOp::BitXor:
    return "^";
  case BinaryOp::BitOr:
    return "|";
  case BinaryOp::LogicalAnd:
    return "&&";
  case BinaryOp::LogicalOr:
    return "||";
  }
  return "?";
}

void Walker::visit(TypeSpec &n) {
  walk(n.typeof_arg);
}
void Walker::visit(MapAccess &n) {
  walk(n.map);
  walk(n.key);
}
void Walker::visit(Call &n) {
  for (Expression *a : n.args)
    walk(a);
}
void Walker::visit(Unary &n) {
  walk(n.operand);
}
void Walker::visit(Binary &n) {
  walk(n.lhs);
  walk(n.rhs);
}
void Walker::visit(Ternary &n) {
  walk(n.cond);
  walk(n.then_expr);
  walk(n.else_expr);
}
void Walker::visit(FieldAccess &n) {
  walk(n.base);
}
void Walker::visit(TupleAccess &n) {
  walk(n.base);
}
void Walker::visit(Index &n) {
  walk(n.base);
  walk(n.index);
}
void Walker::visit(Cast &n) {
  walk(n.target);
  walk(n.operand);
}
void Walker::visit(Tuple &n) {
  for (Expression *e : n.elems)
    walk(e);
}
void Walker::visit(Record &n) {
  for (Record::Field &f : n.fields)
    walk(f.value);
}
void Walker::visit(Sizeof &n) {
  walk(n.type_spec);
  walk(n.expr);
}
void Walker::visit(Offsetof &n) {
  walk(n.type_spec);
  walk(n.expr);
}
void Walker::visit(BlockExpr &n) {
  walk(n.block);
}
void Walker::visit(Block &n) {
  for (Statement *s : n.stmts)
    walk(s);
  walk(n.value);
}
void Walker::visit(ExprStatement &n) {
  walk(n.expr);
}
void Walker::visit(Assignment &n) {
  walk(n.target);
  walk(n.value);
}
void Walker::visit(VarDecl &n) {
  walk(n.var);
  walk(n.type);
  walk(n.init);
}
void Walker::visit(If &n) {
  walk(n.cond);
  walk(n.then_block);
  walk(n.else_branch);
}
void Walker::visit(Unroll &n) {
  walk(n.count);
  walk(n.body);
}
void Walker::visit(While &n) {
  walk(n.cond);
  walk(n.body);
}
void Walker::visit(ForMap &n) {
  walk(n.var);
  walk(n.map);
  walk(n.body);
}
void Walker::visit(ForRange &n) {
  walk(n.var);
  walk(n.start);
  walk(n.end);
  walk(n.body);
}
void Walker::visit(Jump &n) {
  walk(n.value);
}
void Walker::visit(BlockStatement &n) {
  walk(n.block);
}
void Walker::visit(Config &n) {
  for (Config::Entry &e : n.entries)
    walk(e.value);
}
void Walker::visit(Macro &n) {
  walk(n.body);
}
void Walker::visit(MapDecl &n) {
  walk(n.max_entries);
}
void Walker::visit(Probe &n) {
  for (AttachPoint *ap : n.attach_points)
    walk(ap);
  walk(n.predicate);
  walk(n.body);
}
void Walker::visit(Program &n) {
  for (CDefinition *c : n.c_definitions)
    walk(c);
  walk(n.config);
  for (Import *i : n.imports)
    walk(i);
  for (MapDecl *m : n.map_decls)
    walk(m);
  for (Macro *m : n.macros)
    walk(m);
  for (Probe *p : n.probes)
    walk(p);
}

} // namespace scry::ast
