// Deep copies of AST subtrees. See ast_clone.h.
//
// Each node is copied with its copy constructor, which takes every field (source range, types,
// ids, flags), and then each child pointer is replaced by a clone of the child. A field added to
// a node is copied without a change here; a child pointer added to a node must be cloned below,
// or the copy would share it.
#include "parser/ast_clone.h"

#include <cstdio>
#include <cstdlib>

namespace scry::ast {

namespace {

/// Copies the node it visits (not through the hooks: Cloner calls it from the default hooks).
class Copier : public Visitor {
public:
  explicit Copier(Cloner &cloner) : c_(cloner), ctx_(cloner.context()) {}

  Node *copy(Node &n) {
    n.accept(*this);
    if (!out_) {
      // A node kind without a visit() below: a copy sharing its children would be a silent bug.
      std::fprintf(stderr, "scry: internal error: ast_clone cannot copy a node kind\n");
      std::abort();
    }
    return out_;
  }

  void visit(TypeSpec &n) override {
    auto *t = make(n);
    t->typeof_arg = c_.clone(n.typeof_arg);
  }
  void visit(Integer &n) override { make(n); }
  void visit(String &n) override { make(n); }
  void visit(Boolean &n) override { make(n); }
  void visit(Identifier &n) override { make(n); }
  void visit(Variable &n) override { make(n); }
  void visit(PositionalParameter &n) override { make(n); }
  void visit(Map &n) override { make(n); }
  void visit(MapAccess &n) override {
    auto *m = make(n);
    m->map = c_.clone(n.map);
    m->key = c_.clone(n.key);
  }
  void visit(Call &n) override {
    auto *call = make(n);
    for (Expression *&a : call->args)
      a = c_.clone(a);
  }
  void visit(Unary &n) override { make(n)->operand = c_.clone(n.operand); }
  void visit(Binary &n) override {
    auto *b = make(n);
    b->lhs = c_.clone(n.lhs);
    b->rhs = c_.clone(n.rhs);
  }
  void visit(Ternary &n) override {
    auto *t = make(n);
    t->cond = c_.clone(n.cond);
    t->then_expr = c_.clone(n.then_expr);
    t->else_expr = c_.clone(n.else_expr);
  }
  void visit(FieldAccess &n) override { make(n)->base = c_.clone(n.base); }
  void visit(TupleAccess &n) override { make(n)->base = c_.clone(n.base); }
  void visit(Index &n) override {
    auto *i = make(n);
    i->base = c_.clone(n.base);
    i->index = c_.clone(n.index);
  }
  void visit(Cast &n) override {
    auto *cast = make(n);
    cast->target = c_.clone(n.target);
    cast->operand = c_.clone(n.operand);
  }
  void visit(Tuple &n) override {
    auto *t = make(n);
    for (Expression *&e : t->elems)
      e = c_.clone(e);
  }
  void visit(Record &n) override {
    auto *r = make(n);
    for (Record::Field &f : r->fields)
      f.value = c_.clone(f.value);
  }
  void visit(Sizeof &n) override {
    auto *s = make(n);
    s->type_spec = c_.clone(n.type_spec);
    s->expr = c_.clone(n.expr);
  }
  void visit(Offsetof &n) override {
    auto *o = make(n);
    o->type_spec = c_.clone(n.type_spec);
    o->expr = c_.clone(n.expr);
  }
  void visit(BlockExpr &n) override { make(n)->block = c_.clone(n.block); }
  void visit(Block &n) override {
    auto *b = make(n);
    for (Statement *&s : b->stmts)
      s = c_.clone(s);
    b->value = c_.clone(n.value);
  }
  void visit(ExprStatement &n) override { make(n)->expr = c_.clone(n.expr); }
  void visit(Assignment &n) override {
    auto *a = make(n);
    a->target = c_.clone(n.target);
    a->value = c_.clone(n.value);
  }
  void visit(VarDecl &n) override {
    auto *d = make(n);
    d->var = c_.clone(n.var);
    d->type = c_.clone(n.type);
    d->init = c_.clone(n.init);
  }
  void visit(If &n) override {
    auto *i = make(n);
    i->cond = c_.clone(n.cond);
    i->then_block = c_.clone(n.then_block);
    i->else_branch = c_.clone(n.else_branch);
  }
  void visit(Unroll &n) override {
    auto *u = make(n);
    u->count = c_.clone(n.count);
    u->body = c_.clone(n.body);
  }
  void visit(While &n) override {
    auto *w = make(n);
    w->cond = c_.clone(n.cond);
    w->body = c_.clone(n.body);
  }
  void visit(ForMap &n) override {
    auto *f = make(n);
    f->var = c_.clone(n.var);
    f->map = c_.clone(n.map);
    f->body = c_.clone(n.body);
  }
  void visit(ForRange &n) override {
    auto *f = make(n);
    f->var = c_.clone(n.var);
    f->start = c_.clone(n.start);
    f->end = c_.clone(n.end);
    f->body = c_.clone(n.body);
  }
  void visit(Jump &n) override { make(n)->value = c_.clone(n.value); }
  void visit(BlockStatement &n) override { make(n)->block = c_.clone(n.block); }
  void visit(AttachPoint &n) override { make(n); }
  void visit(CDefinition &n) override { make(n); }
  void visit(Config &n) override {
    auto *c = make(n);
    for (Config::Entry &e : c->entries)
      e.value = c_.clone(e.value);
  }
  void visit(Import &n) override { make(n); }
  void visit(Macro &n) override { make(n)->body = c_.clone(n.body); }
  void visit(MapDecl &n) override { make(n)->max_entries = c_.clone(n.max_entries); }
  void visit(Probe &n) override {
    auto *p = make(n);
    for (AttachPoint *&a : p->attach_points)
      a = c_.clone(a);
    p->predicate = c_.clone(n.predicate);
    p->body = c_.clone(n.body);
  }
  void visit(Program &n) override {
    auto *p = make(n);
    for (CDefinition *&c : p->c_definitions)
      c = c_.clone(c);
    p->config = c_.clone(n.config);
    for (Import *&i : p->imports)
      i = c_.clone(i);
    for (MapDecl *&m : p->map_decls)
      m = c_.clone(m);
    for (Macro *&m : p->macros)
      m = c_.clone(m);
    for (Probe *&pr : p->probes)
      pr = c_.clone(pr);
  }

private:
  // A copy of `n` with every field, children still shared until the caller replaces them.
  template <typename T>
  T *make(T &n) {
    T *copy = ctx_.make<T>(n);
    out_ = copy;
    return copy;
  }

  Cloner &c_;
  Context &ctx_;
  Node *out_ = nullptr;
};

template <typename T>
T *copy_as(Cloner &c, T &n) {
  return static_cast<T *>(Copier(c).copy(n));
}

} // namespace

Node *Cloner::clone(Node *n) {
  if (!n)
    return nullptr;
  if (auto *e = dynamic_cast<Expression *>(n))
    return clone(e);
  if (auto *s = dynamic_cast<Statement *>(n))
    return clone(s);
  if (auto *b = dynamic_cast<Block *>(n))
    return clone(b);
  return Copier(*this).copy(*n);
}

Expression *Cloner::clone(Expression *e) {
  return e ? copy_expression(*e) : nullptr;
}
Statement *Cloner::clone(Statement *s) {
  return s ? copy_statement(*s) : nullptr;
}
Block *Cloner::clone(Block *b) {
  return b ? copy_block(*b) : nullptr;
}
Variable *Cloner::clone(Variable *v) {
  return v ? copy_variable(*v) : nullptr;
}
Map *Cloner::clone(Map *m) {
  return m ? copy_map(*m) : nullptr;
}
TypeSpec *Cloner::clone(TypeSpec *t) {
  return t ? copy_as(*this, *t) : nullptr;
}
AttachPoint *Cloner::clone(AttachPoint *a) {
  return a ? copy_as(*this, *a) : nullptr;
}
CDefinition *Cloner::clone(CDefinition *c) {
  return c ? copy_as(*this, *c) : nullptr;
}
Config *Cloner::clone(Config *c) {
  return c ? copy_as(*this, *c) : nullptr;
}
Import *Cloner::clone(Import *i) {
  return i ? copy_as(*this, *i) : nullptr;
}
Macro *Cloner::clone(Macro *m) {
  return m ? copy_as(*this, *m) : nullptr;
}
MapDecl *Cloner::clone(MapDecl *m) {
  return m ? copy_as(*this, *m) : nullptr;
}
Probe *Cloner::clone(Probe *p) {
  return p ? copy_as(*this, *p) : nullptr;
}
Program *Cloner::clone(Program *p) {
  return p ? copy_as(*this, *p) : nullptr;
}

Expression *Cloner::copy_expression(Expression &e) {
  if (auto *v = dynamic_cast<Variable *>(&e))
    return copy_variable(*v);
  if (auto *m = dynamic_cast<Map *>(&e))
    return copy_map(*m);
  return static_cast<Expression *>(Copier(*this).copy(e));
}

Statement *Cloner::copy_statement(Statement &s) {
  return copy_as(*this, s);
}

Block *Cloner::copy_block(Block &b) {
  return copy_as(*this, b);
}

Variable *Cloner::copy_variable(Variable &v) {
  return copy_as(*this, v);
}

Map *Cloner::copy_map(Map &m) {
  return copy_as(*this, m);
}

} // namespace scry::ast
