// Deep copies of AST subtrees.
//
// A copy is made of new nodes owned by an ast::Context, like parsed nodes, and keeps every field
// of the original: its source range (so errors found in a copy point where the original was
// written) and whatever analysis has already set (types, ids). No node of the copy is shared
// with the original.
//
// Passes that rewrite while they copy (macro expansion) derive from Cloner and override the hooks
// of the nodes they change; the defaults copy one node and clone its children through clone(),
// so an override applies at every depth.
#pragma once

#include "parser/ast.h"

namespace scry::ast {

class Cloner {
public:
  explicit Cloner(Context &ctx) : ctx_(ctx) {}
  virtual ~Cloner() = default;
  Cloner(const Cloner &) = delete;
  Cloner &operator=(const Cloner &) = delete;

  /// A copy of `n` and everything under it, made through the hooks below; null for null. The
  /// typed overloads keep the static type where a hook cannot change the kind of node (a hook
  /// may replace an expression or a statement by another kind of expression or statement).
  Node *clone(Node *n);
  Expression *clone(Expression *e);
  Statement *clone(Statement *s);
  Block *clone(Block *b);
  Variable *clone(Variable *v);
  Map *clone(Map *m);
  TypeSpec *clone(TypeSpec *t);
  AttachPoint *clone(AttachPoint *a);
  CDefinition *clone(CDefinition *c);
  Config *clone(Config *c);
  Import *clone(Import *i);
  Macro *clone(Macro *m);
  MapDecl *clone(MapDecl *m);
  Probe *clone(Probe *p);
  Program *clone(Program *p);

  Context &context() { return ctx_; }

protected:
  /// Hooks: each returns the copy of one node. The defaults copy the node and clone its children;
  /// copy_expression hands variables and maps to copy_variable and copy_map.
  virtual Expression *copy_expression(Expression &e);
  virtual Statement *copy_statement(Statement &s);
  virtual Block *copy_block(Block &b);
  virtual Variable *copy_variable(Variable &v);
  virtual Map *copy_map(Map &m);

private:
  Context &ctx_;
};

/// A plain deep copy of `n` (null for null), owned by `ctx`.
template <typename T>
T *clone(Context &ctx, T *n) {
  Cloner cloner(ctx);
  return static_cast<T *>(cloner.clone(n));
}

} // namespace scry::ast
