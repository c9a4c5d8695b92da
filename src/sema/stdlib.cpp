#include "sema/stdlib.h"

#include "parser/ast_clone.h"
#include "parser/parse.h"

#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>

namespace scry {

namespace {

using namespace ast;

struct EmbeddedFile {
  const char *name;
  const char *text;
};

constexpr EmbeddedFile kFiles[] = {
#include "stdlib_files.inc"
};

/// Copies a parsed standard-library macro with every line number moved past kStdlibFirstLine.
class ShiftLines : public Cloner {
public:
  using Cloner::Cloner;

  static void shift(SourceRange &r) {
    r.begin.line += kStdlibFirstLine;
    r.end.line += kStdlibFirstLine;
  }

protected:
  Expression *copy_expression(Expression &e) override { return moved(Cloner::copy_expression(e)); }
  Statement *copy_statement(Statement &s) override { return moved(Cloner::copy_statement(s)); }
  Block *copy_block(Block &b) override { return moved(Cloner::copy_block(b)); }
  Variable *copy_variable(Variable &v) override { return moved(Cloner::copy_variable(v)); }
  Map *copy_map(Map &m) override { return moved(Cloner::copy_map(m)); }

private:
  template <typename T>
  T *moved(T *n) {
    if (n && !in_stdlib(n->loc))
      shift(n->loc);
    return n;
  }
};

/// The standard library's macros by name (several of one name take different numbers of
/// arguments), parsed on first use.
struct Library {
  Context ctx;
  std::multimap<std::string, Macro *, std::less<>> macros;
};

const Library &library() {
  static std::unique_ptr<Library> lib;
  static std::once_flag once;
  std::call_once(once, [] {
    lib = std::make_unique<Library>();
    for (const EmbeddedFile &f : kFiles) {
      SourceFile source(std::string("stdlib/") + f.name, f.text);
      Diagnostics diags;
      Context parsed;
      Program *program = parse(source, parsed, diags);
      // The library is tested at build time (tests/unit/stdlib_test.cpp); a file that does not
      // parse contributes nothing rather than failing every program.
      if (!program || diags.has_errors())
        continue;
      ShiftLines shifter(lib->ctx);
      for (Macro *m : program->macros) {
        Macro *copy = shifter.clone(m);
        ShiftLines::shift(copy->loc);
        for (Macro::Param &p : copy->params)
          ShiftLines::shift(p.loc);
        lib->macros.emplace(copy->name, copy);
      }
    }
  });
  return *lib;
}

/// The names the library's files declare with `macro NAME`, found by scanning the text (a
/// mention in a comment adds a name too, which only costs a parse). A program that uses none of
/// them does not pay for parsing the library (about 0.1 ms of every start).
const std::set<std::string, std::less<>> &declared_names() {
  static const std::set<std::string, std::less<>> names = [] {
    std::set<std::string, std::less<>> found;
    constexpr std::string_view kKeyword = "macro ";
    for (const EmbeddedFile &f : kFiles) {
      std::string_view text(f.text);
      for (size_t at = text.find(kKeyword); at != std::string_view::npos;
           at = text.find(kKeyword, at + 1)) {
        size_t begin = at + kKeyword.size();
        size_t end = begin;
        while (end < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
          ++end;
        if (end > begin)
          found.emplace(text.substr(begin, end - begin));
      }
    }
    return found;
  }();
  return names;
}

/// The names a subtree calls (`f(...)`) or names bare (`ppid`).
class UsedNames : public Walker {
public:
  using Walker::visit;
  void visit(Identifier &n) override { names.insert(n.name); }
  void visit(Call &n) override {
    names.insert(n.name);
    Walker::visit(n);
  }
  std::set<std::string> names;
};

} // namespace

void add_stdlib_macros(Program &program) {
  UsedNames used;
  for (Probe *p : program.probes)
    p->accept(used);
  for (Macro *m : program.macros)
    m->accept(used);
  const auto &declared = declared_names();
  bool uses_library = false;
  for (const std::string &name : used.names)
    uses_library = uses_library || declared.count(name);
  if (!uses_library)
    return;
  std::set<std::string> own;
  for (const Macro *m : program.macros)
    own.insert(m->name);

  const Library &lib = library();
  std::vector<std::string> pending(used.names.begin(), used.names.end());
  std::set<std::string> added;
  while (!pending.empty()) {
    std::string name = std::move(pending.back());
    pending.pop_back();
    auto [first, last] = lib.macros.equal_range(name);
    if (first == last || own.count(name) || !added.insert(name).second)
      continue;
    for (auto it = first; it != last; ++it) {
      program.macros.push_back(it->second);
      UsedNames inner;
      it->second->accept(inner);
      pending.insert(pending.end(), inner.names.begin(), inner.names.end());
    }
  }
}

std::vector<std::string> stdlib_macro_names(bool with_parameters) {
  std::vector<std::string> names;
  for (const auto &[name, macro] : library().macros)
    if (macro->params.empty() != with_parameters && (names.empty() || names.back() != name))
      names.push_back(name);
  return names;
}

} // namespace scry
