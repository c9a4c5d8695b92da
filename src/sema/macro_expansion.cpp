// Macro expansion. See macro_expansion.h.
//
// Every probe is copied through a Cloner whose hooks do the expansion: a macro call becomes a
// copy of the macro's body, made while a Frame says what the body's parameters stand for. The
// copy of a body is made from the definition each time, so no expansion sees another's names.
// An `x` argument is copied at each of its uses, in the frame of the call that wrote it (so a
// macro call in an argument is expanded there, and its variables are the caller's).
#include "sema/macro_expansion.h"

#include "base/builtins.h"
#include "parser/ast_clone.h"
#include "sema/stdlib.h"

#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace scry {

namespace {

using namespace ast;

// Each expansion copies a body, and a body may use a parameter several times, so nested calls
// can grow a program exponentially (`d(d(d(...)))` with `macro d(x) { x + x }`). This budget of
// nodes made by expansion stops that long before memory runs out; a sensible program needs a
// small fraction of it.
constexpr size_t kMaxExpansionNodes = size_t{1} << 18;

// Expansions nested in expansions deepen the tree, and later passes recurse once per level.
// Counted in expressions, statements and blocks, the deepest tree the parser lets through
// (kMaxNesting brackets around an expression kMaxNesting deep) stays below this.
constexpr int kMaxDepth = 4 * kMaxNesting;

// The deepest chain of macros calling macros that is expanded (see expand()).
constexpr size_t kMaxMacroCalls = 100;

std::string at_line_column(const SourceRange &r) {
  if (in_stdlib(r))
    return "scry's standard library (stdlib/)";
  return position_text(r.begin);
}

/// The `macro` keyword of a definition: what errors about the definition as a whole underline.
SourceRange keyword(const Macro &m) {
  SourceRange r{m.loc.begin, m.loc.begin};
  r.end.column += 5;
  return r;
}

std::string spelling(const Macro::Param &p) {
  switch (p.kind) {
  case Macro::Param::Kind::Variable:
    return "$" + p.name;
  case Macro::Param::Kind::Map:
    return "@" + p.name;
  case Macro::Param::Kind::Expression:
    return p.name;
  }
  return p.name;
}

/// `macro name($a, b, @c)`, as a definition's first line shows it.
std::string signature(const Macro &m) {
  std::string out = "macro " + m.name + "(";
  for (size_t i = 0; i < m.params.size(); ++i)
    out += (i ? ", " : "") + spelling(m.params[i]);
  return out + ")";
}

std::string arguments(size_t n) {
  return std::to_string(n) + (n == 1 ? " argument" : " arguments");
}

/// What an argument is, for "needs a scratch variable, not ...".
std::string describe(const Expression &e) {
  if (auto *m = dynamic_cast<const Map *>(&e))
    return "the map @" + m->name;
  if (dynamic_cast<const MapAccess *>(&e))
    return "a map element";
  if (auto *v = dynamic_cast<const Variable *>(&e))
    return "the variable $" + std::string(variable_source_name(v->name));
  return "an expression";
}

/// The program's macros by name: several of one name take different numbers of arguments
/// (`macro pcomm()` and `macro pcomm(task)`), as in the newest bpftrace.
using MacroTable = std::unordered_map<std::string, std::vector<Macro *>>;

/// The macro of `table` called `name` with `arity` arguments; when none takes that many, the
/// first of that name (whose argument count the caller then reports); null for no macro.
const Macro *find_macro(const MacroTable &table, const std::string &name, size_t arity) {
  auto it = table.find(name);
  if (it == table.end() || it->second.empty())
    return nullptr;
  for (const Macro *m : it->second)
    if (m->params.size() == arity)
      return m;
  return it->second.front();
}

/// The variables a macro body writes itself: assigns with `=`, declares with `let` or as a loop
/// variable, or hands to a `$` parameter of a macro it calls. Any other variable it uses would be
/// a caller's, which a macro does not see.
class WrittenVariables : public Walker {
public:
  explicit WrittenVariables(const MacroTable &macros) : macros_(macros) {}
  std::set<std::string> names;

  using Walker::visit;
  void visit(Assignment &n) override {
    if (auto *v = dynamic_cast<Variable *>(n.target); v && !n.compound)
      names.insert(v->name);
    Walker::visit(n);
  }
  void visit(VarDecl &n) override {
    names.insert(n.var->name);
    Walker::visit(n);
  }
  void visit(ForMap &n) override {
    names.insert(n.var->name);
    Walker::visit(n);
  }
  void visit(ForRange &n) override {
    names.insert(n.var->name);
    Walker::visit(n);
  }
  void visit(Call &n) override {
    if (const Macro *m = find_macro(macros_, n.name, n.args.size())) {
      const std::vector<Macro::Param> &params = m->params;
      for (size_t i = 0; i < n.args.size() && i < params.size(); ++i)
        if (auto *v = dynamic_cast<Variable *>(n.args[i]);
            v && params[i].kind == Macro::Param::Kind::Variable)
          names.insert(v->name);
    }
    Walker::visit(n);
  }

private:
  const MacroTable &macros_;
};

/// One expansion being copied: the macro, the call, and what the parameters stand for.
struct Frame {
  const Macro *macro = nullptr;
  Frame *caller = nullptr; // the expansion whose body holds the call; null in a probe
  SourceRange call;
  int id = 0; // unique in the program: the suffix of the body's own variables
  std::unordered_map<std::string, std::string> vars;   // `$a` parameter -> caller's variable
  std::unordered_map<std::string, std::string> maps;   // `@m` parameter -> caller's map
  std::unordered_map<std::string, Expression *> exprs; // `x` parameter -> argument, uncopied
  const std::set<std::string> *written = nullptr;      // see WrittenVariables
};

class Expander : public Cloner {
public:
  Expander(Context &ctx, Diagnostics &diags) : Cloner(ctx), diags_(diags) {}

  bool run(Program &program) {
    collect(program);
    first_node_ = context().node_count();
    for (Probe *probe : program.probes) {
      probe->predicate = clone(probe->predicate);
      probe->body = clone(probe->body);
    }
    return errors_ == 0;
  }

protected:
  Expression *copy_expression(Expression &e) override { return relocated(expand_expression(e)); }

  Expression *expand_expression(Expression &e) {
    Depth depth(*this, e.loc);
    if (stop_)
      return &e;
    if (auto *id = dynamic_cast<Identifier *>(&e)) {
      if (Expression *arg = parameter(*id))
        return argument(*arg);
      if (const Macro *m = find(id->name, 0))
        return expand_value(*m, e, nullptr);
    }
    if (auto *call = dynamic_cast<Call *>(&e)) {
      if (const Macro *m = find(call->name, call->args.size()))
        return expand_value(*m, e, &call->args);
      if (call->args.empty() && is_variable_call(call->name))
        return context().make<Identifier>(call->loc, call->name);
    }
    if (dynamic_cast<BlockExpr *>(&e))
      block_value_used_ = true; // for the copy_block that copies its block, next
    return Cloner::copy_expression(e);
  }

  Statement *copy_statement(Statement &s) override { return relocated(expand_statement(s)); }

  Statement *expand_statement(Statement &s) {
    Depth depth(*this, s.loc);
    if (stop_)
      return &s;
    if (auto *es = dynamic_cast<ExprStatement *>(&s))
      if (Statement *expanded = as_statement(*es->expr, s.loc))
        return expanded;
    if (frame_) {
      Variable *declared = nullptr;
      if (auto *d = dynamic_cast<VarDecl *>(&s))
        declared = d->var;
      else if (auto *f = dynamic_cast<ForMap *>(&s))
        declared = f->var;
      else if (auto *f = dynamic_cast<ForRange *>(&s))
        declared = f->var;
      if (declared && frame_->vars.count(declared->name))
        report(DiagCode::MacroHygiene, declared->loc,
               "this declares a new $" + declared->name + ", hiding the parameter $" +
                   declared->name + " of macro '" + frame_->macro->name + "'",
               "assign the caller's variable instead ($" + declared->name +
                   " = ...), or use another name" + called_at());
    }
    return Cloner::copy_statement(s);
  }

  Block *copy_block(Block &b) override { return relocated(expand_block(b)); }

  Block *expand_block(Block &b) {
    bool value_used = std::exchange(block_value_used_, false);
    Depth depth(*this, b.loc);
    if (stop_)
      return &b;
    auto *out = context().make<Block>(b);
    out->stmts.clear();
    out->value = nullptr;
    for (Statement *s : b.stmts)
      out->stmts.push_back(clone(s));
    if (!b.value)
      return out;
    // A block's last expression is only a statement where nothing reads the block's value: a
    // macro without a value may stand there.
    Statement *expanded = value_used ? nullptr : as_statement(*b.value, b.value->loc);
    if (!expanded)
      out->value = clone(b.value);
    else if (auto *es = dynamic_cast<ExprStatement *>(expanded))
      out->value = es->expr;
    else
      out->stmts.push_back(expanded);
    return out;
  }

  Variable *copy_variable(Variable &v) override { return relocated(expand_variable(v)); }

  Variable *expand_variable(Variable &v) {
    Variable *copy = Cloner::copy_variable(v);
    if (!frame_)
      return copy;
    if (auto it = frame_->vars.find(v.name); it != frame_->vars.end()) {
      copy->name = it->second;
      return copy;
    }
    if (!frame_->written->count(v.name))
      report(DiagCode::MacroHygiene, v.loc,
             "macro '" + frame_->macro->name + "' uses $" + v.name +
                 ", which is neither one of its parameters nor assigned in it",
             "a macro sees only the variables passed to it: add a parameter $" + v.name +
                 " and pass the variable" + called_at());
    copy->name = v.name + "#" + std::to_string(frame_->id);
    return copy;
  }

  Map *copy_map(Map &m) override { return relocated(expand_map(m)); }

  Map *expand_map(Map &m) {
    Map *copy = Cloner::copy_map(m);
    if (!frame_)
      return copy;
    if (auto it = frame_->maps.find(m.name); it != frame_->maps.end())
      copy->name = it->second;
    else
      report(DiagCode::MacroHygiene, m.loc,
             "macro '" + frame_->macro->name + "' uses the map @" + m.name +
                 ", which is not one of its parameters",
             "a macro sees only the maps passed to it: add a parameter @" + m.name +
                 " and pass the map" + called_at());
    return copy;
  }

private:
  /// A copy made from a standard-library macro (stdlib.h) gets the range of the call in the
  /// user's program that led to it: errors point at what the user wrote.
  template <typename T>
  T *relocated(T *n) {
    if (!n || !in_stdlib(n->loc))
      return n;
    for (const Frame *f = frame_; f; f = f->caller)
      if (!in_stdlib(f->call)) {
        n->loc = f->call;
        break;
      }
    return n;
  }

  /// Counts the nesting of the copy being made; past kMaxDepth, reports it once and stops.
  class Depth {
  public:
    Depth(Expander &x, const SourceRange &at) : x_(x) {
      if (++x_.depth_ > kMaxDepth && !x_.stop_) {
        x_.report(DiagCode::NestingTooDeep, x_.frame_ ? x_.frame_->call : at,
                  "macro expansion nests more than " + std::to_string(kMaxDepth) + " levels deep",
                  "split the work into smaller macros, or bind arguments to variables");
        x_.stop_ = true;
      }
    }
    ~Depth() { --x_.depth_; }
    Depth(const Depth &) = delete;
    Depth &operator=(const Depth &) = delete;

  private:
    Expander &x_;
  };

  void collect(Program &program) {
    for (Macro *m : program.macros) {
      std::vector<Macro *> &same_name = macros_[m->name];
      for (const Macro *other : same_name)
        if (other->params.size() == m->params.size()) {
          report(DiagCode::MacroDuplicate, keyword(*m),
                 "macro '" + m->name + "' is defined twice with " + arguments(m->params.size()),
                 "the first definition is at " + at_line_column(other->loc) +
                     "; rename or remove one of them (macros of one name must differ in how "
                     "many arguments they take)");
          break;
        }
      same_name.push_back(m);
      std::set<std::pair<Macro::Param::Kind, std::string>> seen;
      for (const Macro::Param &p : m->params)
        if (!seen.emplace(p.kind, p.name).second)
          report(DiagCode::MacroDuplicate, p.loc,
                 "macro '" + m->name + "' names the parameter " + spelling(p) + " twice",
                 "give each parameter its own name");
    }
  }

  /// The macro called `name` with `arity` arguments (see find_macro), or null.
  const Macro *find(const std::string &name, size_t arity) const {
    return find_macro(macros_, name, arity);
  }

  /// The argument an `x` parameter of the current expansion stands for, or null.
  Expression *parameter(const Identifier &id) const {
    if (!frame_)
      return nullptr;
    auto it = frame_->exprs.find(id.name);
    return it == frame_->exprs.end() ? nullptr : it->second;
  }

  /// A copy of `arg` for one use of its parameter, made where the call was written.
  Expression *argument(Expression &arg) {
    Frame *use = frame_;
    frame_ = use->caller;
    Expression *copy = clone(&arg);
    frame_ = use;
    if (!dynamic_cast<Variable *>(copy) && !dynamic_cast<Map *>(copy))
      return copy;
    // A variable or map given for an expression is its value, as `{ $v }` would be: the macro
    // cannot assign it or use it as a map.
    auto *block = context().make<Block>(copy->loc, std::vector<Statement *>{}, copy);
    auto *value = context().make<BlockExpr>(copy->loc, block);
    value->depth = copy->depth + 1;
    return value;
  }

  /// The macro `e` calls, where an `x` parameter does not hide it, or null.
  const Macro *called(const Expression &e) const {
    if (auto *call = dynamic_cast<const Call *>(&e))
      return find(call->name, call->args.size());
    if (auto *id = dynamic_cast<const Identifier *>(&e); id && !parameter(*id))
      return find(id->name, 0);
    return nullptr;
  }

  /// The statement that expression statement `e` becomes when it is a macro call (also through
  /// an `x` parameter whose argument is one), or null when it is copied as written.
  Statement *as_statement(Expression &e, const SourceRange &loc) {
    if (auto *id = dynamic_cast<Identifier *>(&e)) {
      if (Expression *arg = parameter(*id)) {
        Frame *use = frame_;
        frame_ = use->caller;
        Statement *s = as_statement(*arg, loc);
        frame_ = use;
        return s;
      }
    }
    const Macro *m = called(e);
    if (!m)
      return nullptr;
    auto *call = dynamic_cast<Call *>(&e);
    Block *body = expand(*m, e, call ? &call->args : nullptr, false);
    if (!body)
      return context().make<ExprStatement>(loc, &e);
    if (body->value)
      return context().make<ExprStatement>(loc, block_expr(e, body));
    return context().make<BlockStatement>(loc, body);
  }

  Expression *expand_value(const Macro &m, Expression &e, const std::vector<Expression *> *args) {
    Block *body = expand(m, e, args, true);
    return body ? block_expr(e, body) : &e;
  }

  BlockExpr *block_expr(const Expression &call, Block *body) {
    auto *be = context().make<BlockExpr>(call.loc, body);
    be->depth = (body->value ? body->value->depth : 0) + 1;
    return be;
  }

  /// A copy of `m`'s body for `call` (written in the current frame), with `args` (null for a
  /// bare name), or null after reporting why it cannot be expanded.
  Block *expand(const Macro &m, const Expression &call, const std::vector<Expression *> *args,
                bool value_used) {
    // Kept small: this frame is on the stack once per level of nested expansions.
    auto defined = [&m] {
      if (in_stdlib(m.loc))
        return "'" + m.name + "' is a macro of scry's standard library";
      return "'" + m.name + "' is defined at " + at_line_column(m.loc);
    };
    // Each level of macros calling macros costs a dozen stack frames here and in every later
    // pass (many more under AddressSanitizer): chains deeper than any program needs are refused
    // before they can overflow the stack.
    size_t calls = 0;
    for (Frame *f = frame_; f; f = f->caller)
      ++calls;
    if (calls >= kMaxMacroCalls && !stop_) {
      report(DiagCode::NestingTooDeep, call.loc,
             "macros call macros more than " + std::to_string(kMaxMacroCalls) + " levels deep",
             "call fewer macros inside one another; " + defined());
      stop_ = true;
      return nullptr;
    }
    for (Frame *f = frame_; f; f = f->caller) {
      if (f->macro != &m)
        continue;
      std::string chain = m.name;
      for (Frame *g = frame_; g != f; g = g->caller)
        chain = g->macro->name + " -> " + chain;
      chain = m.name + " -> " + chain;
      report(DiagCode::MacroRecursion, call.loc, "macro '" + m.name + "' calls itself: " + chain,
             "a macro is expanded where it is called, so it cannot call itself, directly or "
             "through other macros; " +
                 defined());
      return nullptr;
    }

    const size_t given = args ? args->size() : 0;
    if (!args && !m.params.empty()) {
      report(DiagCode::MacroArgument, call.loc,
             "macro '" + m.name + "' takes " + arguments(m.params.size()),
             "call it as " + m.name + "(...); " + defined() + ": " + signature(m));
      return nullptr;
    }
    if (given != m.params.size()) {
      report(DiagCode::MacroArgument, call.loc,
             "macro '" + m.name + "' takes " + arguments(m.params.size()) + ", not " +
                 std::to_string(given),
             defined() + ": " + signature(m));
      return nullptr;
    }
    if (context().node_count() - first_node_ > kMaxExpansionNodes) {
      report(DiagCode::ProgramTooLarge, call.loc,
             "macro expansion makes the program larger than " + std::to_string(kMaxExpansionNodes) +
                 " nodes",
             "bind arguments used several times to variables: let $v = x;");
      stop_ = true;
      return nullptr;
    }

    Frame f;
    f.macro = &m;
    f.caller = frame_;
    f.call = call.loc;
    f.id = ++last_id_;
    f.written = &written(m);
    bool ok = true;
    for (size_t i = 0; i < given; ++i) {
      const Macro::Param &p = m.params[i];
      Expression *arg = (*args)[i];
      switch (p.kind) {
      case Macro::Param::Kind::Variable:
        if (auto *v = dynamic_cast<Variable *>(arg)) {
          f.vars[p.name] = clone(v)->name;
          break;
        }
        report(DiagCode::MacroArgument, arg->loc,
               "macro '" + m.name + "' needs a scratch variable for $" + p.name + ", not " +
                   describe(*arg),
               "$" + p.name + " is the caller's own variable, which the macro may change; to " +
                   "pass any value, name the parameter without '$'. " + defined());
        ok = false;
        break;
      case Macro::Param::Kind::Map:
        if (auto *map = dynamic_cast<Map *>(arg)) {
          f.maps[p.name] = clone(map)->name;
          break;
        }
        report(DiagCode::MacroArgument, arg->loc,
               "macro '" + m.name + "' needs a map for @" + p.name + ", not " + describe(*arg),
               "pass a map by its name alone, e.g. @counts. " + defined());
        ok = false;
        break;
      case Macro::Param::Kind::Expression:
        f.exprs[p.name] = arg;
        break;
      }
    }
    if (!ok)
      return nullptr;

    Frame *caller = frame_;
    frame_ = &f;
    block_value_used_ = value_used;
    Block *body = clone(m.body);
    frame_ = caller;
    if (value_used && !body->value && !stop_) {
      report(DiagCode::TypeMismatch, call.loc,
             "macro '" + m.name + "' has no value: its body ends with a statement",
             "end the body with an expression without ';', or call " + m.name +
                 " as a statement; " + defined());
      return nullptr;
    }
    return body;
  }

  const std::set<std::string> &written(const Macro &m) {
    auto it = written_.find(&m);
    if (it == written_.end()) {
      WrittenVariables w(macros_);
      m.body->accept(w);
      it = written_.emplace(&m, std::move(w.names)).first;
    }
    return it->second;
  }

  /// ", called at line N": which call a hygiene error was found expanding.
  std::string called_at() const {
    return frame_ ? " (the macro is called at " + position_text(frame_->call.begin) + ")" : "";
  }

  /// Reports an error once per code and place: a definition's error would otherwise be repeated
  /// for every call.
  void report(DiagCode code, const SourceRange &at, std::string message, std::string hint) {
    ++errors_;
    auto key = std::make_tuple(static_cast<int>(code), at.begin.line, at.begin.column, at.end.line,
                               at.end.column);
    if (reported_.insert(key).second)
      diags_.error(code, at, std::move(message), std::move(hint));
  }

  Diagnostics &diags_;
  MacroTable macros_;
  std::unordered_map<const Macro *, std::set<std::string>> written_;
  Frame *frame_ = nullptr;
  int last_id_ = 0;
  bool block_value_used_ = false; // the next copy_block copies a block whose value is read
  int depth_ = 0;
  bool stop_ = false; // too deep or too large: copying stops, the program is refused
  size_t first_node_ = 0;
  size_t errors_ = 0;
  std::set<std::tuple<int, int, int, int, int>> reported_;
};

/// Whether a probe calls a builtin variable as a function (`pid()`), which expansion rewrites.
bool calls_a_variable(Program &program) {
  struct Finder : Walker {
    using Walker::visit;
    void visit(Call &n) override {
      found = found || (n.args.empty() && is_variable_call(n.name));
      Walker::visit(n);
    }
    bool found = false;
  } finder;
  for (Probe *p : program.probes)
    p->accept(finder);
  return finder.found;
}

} // namespace

bool expand_macros(ast::Program &program, ast::Context &ctx, Diagnostics &diags) {
  if (program.macros.empty() && !calls_a_variable(program))
    return true;
  Expander expander(ctx, diags);
  return expander.run(program);
}

std::string_view variable_source_name(std::string_view name) {
  return name.substr(0, name.find('#'));
}

} // namespace scry
