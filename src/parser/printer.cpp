// Two printers over the AST: the indented tree of `-d ast`, and scry source text.
#include "parser/printer.h"

#include "parser/attach_point.h"

#include <ostream>
#include <sstream>

namespace scry {

namespace {

using namespace ast;

std::string quote(const std::string &s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\r':
      out += "\\r";
      break;
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    default:
      if (c < 0x20 || c >= 0x7f) {
        // Always three octal digits, so a following digit is not taken into the escape.
        out += '\\';
        out += static_cast<char>('0' + ((c >> 6) & 7));
        out += static_cast<char>('0' + ((c >> 3) & 7));
        out += static_cast<char>('0' + (c & 7));
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out + "\"";
}

const char *cdef_kind_name(CDefinition::Kind k) {
  switch (k) {
  case CDefinition::Kind::Preprocessor:
    return "preprocessor";
  case CDefinition::Kind::Struct:
    return "struct";
  case CDefinition::Kind::Union:
    return "union";
  case CDefinition::Kind::Enum:
    return "enum";
  case CDefinition::Kind::Typedef:
    return "typedef";
  }
  return "?";
}

const char *jump_name(Jump::Kind k) {
  switch (k) {
  case Jump::Kind::Break:
    return "break";
  case Jump::Kind::Continue:
    return "continue";
  case Jump::Kind::Return:
    return "return";
  }
  return "?";
}

bool is_postfix(UnaryOp op) {
  return op == UnaryOp::PostInc || op == UnaryOp::PostDec;
}

// ---------------------------------------------------------------------------------------------
// Source printer

class SourcePrinter : public Visitor {
public:
  explicit SourcePrinter(std::ostream &out) : out_(out) {}

  void expr(Node *n) { n->accept(*this); }

  void visit(TypeSpec &n) override {
    switch (n.base) {
    case TypeSpec::Base::Named:
      out_ << n.name;
      break;
    case TypeSpec::Base::Struct:
      out_ << "struct " << n.name;
      break;
    case TypeSpec::Base::Union:
      out_ << "union " << n.name;
      break;
    case TypeSpec::Base::Enum:
      out_ << "enum " << n.name;
      break;
    case TypeSpec::Base::Typeof:
      out_ << "typeof(";
      expr(n.typeof_arg);
      out_ << ")";
      break;
    }
    for (const TypeSpec::Suffix &s : n.suffixes) {
      if (s.pointer)
        out_ << " *";
      else
        out_ << "[" << s.size << "]";
    }
  }
  void visit(Integer &n) override {
    out_ << n.value;
    if (n.is_unsigned && n.value <= static_cast<uint64_t>(INT64_MAX))
      out_ << "u";
  }
  void visit(String &n) override { out_ << quote(n.value); }
  void visit(Boolean &n) override { out_ << (n.value ? "true" : "false"); }
  void visit(Identifier &n) override { out_ << n.name; }
  void visit(Variable &n) override { out_ << "$" << n.name; }
  void visit(PositionalParameter &n) override {
    if (n.index == 0)
      out_ << "$#";
    else
      out_ << "$" << n.index;
  }
  void visit(Map &n) override { out_ << "@" << n.name; }
  void visit(MapAccess &n) override {
    expr(n.map);
    out_ << "[";
    expr(n.key);
    out_ << "]";
  }
  void visit(Call &n) override {
    out_ << n.name << "(";
    list(n.args);
    out_ << ")";
  }
  void visit(Unary &n) override {
    out_ << "(";
    if (is_postfix(n.op)) {
      expr(n.operand);
      out_ << unary_op_spelling(n.op);
    } else {
      out_ << unary_op_spelling(n.op);
      expr(n.operand);
    }
    out_ << ")";
  }
  void visit(Binary &n) override {
    out_ << "(";
    expr(n.lhs);
    out_ << " " << binary_op_spelling(n.op) << " ";
    expr(n.rhs);
    out_ << ")";
  }
  void visit(Ternary &n) override {
    out_ << "(";
    expr(n.cond);
    if (n.then_expr) {
      out_ << " ? ";
      expr(n.then_expr);
      out_ << " : ";
    } else {
      out_ << " ?: ";
    }
    expr(n.else_expr);
    out_ << ")";
  }
  void visit(FieldAccess &n) override {
    expr(n.base);
    out_ << (n.arrow ? "->" : ".") << n.field;
  }
  void visit(TupleAccess &n) override {
    expr(n.base);
    out_ << "." << n.index;
  }
  void visit(Index &n) override {
    expr(n.base);
    out_ << "[";
    expr(n.index);
    out_ << "]";
  }
  void visit(Cast &n) override {
    out_ << "((";
    expr(n.target);
    out_ << ")";
    expr(n.operand);
    out_ << ")";
  }
  void visit(Tuple &n) override {
    out_ << "(";
    list(n.elems);
    if (n.elems.size() == 1)
      out_ << ",";
    out_ << ")";
  }
  void visit(Record &n) override {
    out_ << "(";
    for (size_t i = 0; i < n.fields.size(); ++i) {
      out_ << (i ? ", " : "") << n.fields[i].name << " = ";
      expr(n.fields[i].value);
    }
    out_ << ")";
  }
  void visit(Sizeof &n) override {
    out_ << "sizeof(";
    expr(n.type_spec ? static_cast<Node *>(n.type_spec) : n.expr);
    out_ << ")";
  }
  void visit(Offsetof &n) override {
    out_ << "offsetof(";
    expr(n.type_spec ? static_cast<Node *>(n.type_spec) : n.expr);
    out_ << ", ";
    for (size_t i = 0; i < n.fields.size(); ++i)
      out_ << (i ? "." : "") << n.fields[i];
    out_ << ")";
  }
  void visit(BlockExpr &n) override { expr(n.block); }

  void visit(Block &n) override {
    out_ << "{\n";
    ++indent_;
    for (Statement *s : n.stmts)
      statement(s);
    if (n.value) {
      pad();
      expr(n.value);
      out_ << "\n";
    }
    --indent_;
    pad();
    out_ << "}";
  }
  void visit(ExprStatement &n) override {
    expr(n.expr);
    out_ << ";";
  }
  void visit(Assignment &n) override {
    expr(n.target);
    out_ << " " << (n.compound ? binary_op_spelling(n.op) : "") << "= ";
    expr(n.value);
    out_ << ";";
  }
  void visit(VarDecl &n) override {
    out_ << "let ";
    expr(n.var);
    if (n.type) {
      out_ << ": ";
      expr(n.type);
    }
    if (n.init) {
      out_ << " = ";
      expr(n.init);
    }
    out_ << ";";
  }
  void visit(If &n) override {
    out_ << (n.comptime ? "if comptime (" : "if (");
    expr(n.cond);
    out_ << ") ";
    expr(n.then_block);
    if (n.else_branch) {
      out_ << " else ";
      expr(n.else_branch);
    }
  }
  void visit(Unroll &n) override {
    out_ << "unroll (";
    expr(n.count);
    out_ << ") ";
    expr(n.body);
  }
  void visit(While &n) override {
    out_ << "while (";
    expr(n.cond);
    out_ << ") ";
    expr(n.body);
  }
  void visit(ForMap &n) override {
    out_ << "for (";
    expr(n.var);
    out_ << " : ";
    expr(n.map);
    out_ << ") ";
    expr(n.body);
  }
  void visit(ForRange &n) override {
    out_ << "for (";
    expr(n.var);
    out_ << " : ";
    expr(n.start);
    out_ << "..";
    expr(n.end);
    out_ << ") ";
    expr(n.body);
  }
  void visit(Jump &n) override {
    out_ << jump_name(n.kind);
    if (n.value) {
      out_ << " ";
      expr(n.value);
    }
    out_ << ";";
  }
  void visit(BlockStatement &n) override { expr(n.block); }

  void visit(AttachPoint &n) override { out_ << n.raw; }
  void visit(CDefinition &n) override { out_ << n.text << "\n"; }
  void visit(Config &n) override {
    out_ << "config = {\n";
    for (Config::Entry &e : n.entries) {
      out_ << "  " << e.key << " = ";
      expr(e.value);
      out_ << ";\n";
    }
    out_ << "}\n";
  }
  void visit(Import &n) override { out_ << "import " << quote(n.path) << ";\n"; }
  void visit(Macro &n) override {
    out_ << "macro " << n.name << "(";
    for (size_t i = 0; i < n.params.size(); ++i) {
      const Macro::Param &p = n.params[i];
      out_ << (i ? ", " : "")
           << (p.kind == Macro::Param::Kind::Variable ? "$"
               : p.kind == Macro::Param::Kind::Map    ? "@"
                                                      : "")
           << p.name;
    }
    out_ << ") ";
    expr(n.body);
    out_ << "\n";
  }
  void visit(MapDecl &n) override {
    out_ << "let @" << n.name << " = " << n.kind << "(";
    if (n.max_entries)
      expr(n.max_entries);
    out_ << ");\n";
  }
  void visit(Probe &n) override {
    for (size_t i = 0; i < n.attach_points.size(); ++i) {
      out_ << (i ? ",\n" : "");
      expr(n.attach_points[i]);
    }
    if (n.predicate) {
      out_ << " /";
      expr(n.predicate);
      out_ << "/";
    }
    out_ << " ";
    expr(n.body);
    out_ << "\n";
  }
  void visit(Program &n) override {
    for (CDefinition *c : n.c_definitions)
      expr(c);
    if (n.config)
      expr(n.config);
    for (Import *i : n.imports)
      expr(i);
    for (MapDecl *m : n.map_decls)
      expr(m);
    for (Macro *m : n.macros)
      expr(m);
    for (Probe *p : n.probes)
      expr(p);
  }

private:
  void list(const std::vector<Expression *> &items) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (i)
        out_ << ", ";
      expr(items[i]);
    }
  }
  void pad() {
    for (int i = 0; i < indent_; ++i)
      out_ << "  ";
  }
  void statement(Statement *s) {
    pad();
    expr(s);
    out_ << "\n";
  }

  std::ostream &out_;
  int indent_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Tree printer

class TreePrinter : public Visitor {
public:
  explicit TreePrinter(std::ostream &out) : out_(out) {}

  void node(Node *n) {
    if (!n)
      return;
    ++depth_;
    n->accept(*this);
    --depth_;
  }

  void visit(TypeSpec &n) override {
    std::ostringstream s;
    SourcePrinter(s).expr(&n);
    line("type: " + s.str());
  }
  void visit(Integer &n) override {
    line("int: " + std::to_string(n.value) + (n.is_unsigned ? " (unsigned)" : ""));
  }
  void visit(String &n) override { line("string: " + quote(n.value)); }
  void visit(Boolean &n) override { line(std::string("bool: ") + (n.value ? "true" : "false")); }
  void visit(Identifier &n) override { line("identifier: " + n.name); }
  void visit(Variable &n) override { line("variable: $" + n.name); }
  void visit(PositionalParameter &n) override {
    line(n.index == 0 ? "positional parameter: $#"
                      : "positional parameter: $" + std::to_string(n.index));
  }
  void visit(Map &n) override { line("map: @" + n.name); }
  void visit(MapAccess &n) override {
    line("map access: @" + n.map->name);
    node(n.key);
  }
  void visit(Call &n) override {
    line("call: " + n.name);
    for (Expression *a : n.args)
      node(a);
  }
  void visit(Unary &n) override {
    line(std::string(is_postfix(n.op) ? "postfix " : "unary ") + unary_op_spelling(n.op));
    node(n.operand);
  }
  void visit(Binary &n) override {
    line(std::string("binary ") + binary_op_spelling(n.op));
    node(n.lhs);
    node(n.rhs);
  }
  void visit(Ternary &n) override {
    line(n.then_expr ? "?:" : "?: (elvis)");
    node(n.cond);
    node(n.then_expr);
    node(n.else_expr);
  }
  void visit(FieldAccess &n) override {
    line(std::string(n.arrow ? "->" : ".") + " " + n.field);
    node(n.base);
  }
  void visit(TupleAccess &n) override {
    line(". " + std::to_string(n.index));
    node(n.base);
  }
  void visit(Index &n) override {
    line("[]");
    node(n.base);
    node(n.index);
  }
  void visit(Cast &n) override {
    line("cast");
    node(n.target);
    node(n.operand);
  }
  void visit(Tuple &n) override {
    line("tuple");
    for (Expression *e : n.elems)
      node(e);
  }
  void visit(Record &n) override {
    line("record");
    ++depth_;
    for (Record::Field &f : n.fields) {
      line("field: " + f.name);
      node(f.value);
    }
    --depth_;
  }
  void visit(Sizeof &n) override {
    line("sizeof");
    node(n.type_spec);
    node(n.expr);
  }
  void visit(Offsetof &n) override {
    std::string path;
    for (size_t i = 0; i < n.fields.size(); ++i)
      path += (i ? "." : "") + n.fields[i];
    line("offsetof: " + path);
    node(n.type_spec);
    node(n.expr);
  }
  void visit(BlockExpr &n) override {
    line("block expression");
    node(n.block);
  }
  void visit(Block &n) override {
    line("block");
    for (Statement *s : n.stmts)
      node(s);
    if (n.value) {
      ++depth_;
      line("value");
      node(n.value);
      --depth_;
    }
  }
  void visit(ExprStatement &n) override {
    line("expression statement");
    node(n.expr);
  }
  void visit(Assignment &n) override {
    line(std::string(n.compound ? binary_op_spelling(n.op) : "") + "=");
    node(n.target);
    node(n.value);
  }
  void visit(VarDecl &n) override {
    line("let $" + n.var->name);
    node(n.type);
    node(n.init);
  }
  void visit(If &n) override {
    line(n.comptime ? "if comptime" : "if");
    node(n.cond);
    node(n.then_block);
    if (n.else_branch) {
      ++depth_;
      line("else");
      node(n.else_branch);
      --depth_;
    }
  }
  void visit(Unroll &n) override {
    line("unroll");
    node(n.count);
    node(n.body);
  }
  void visit(While &n) override {
    line("while");
    node(n.cond);
    node(n.body);
  }
  void visit(ForMap &n) override {
    line("for $" + n.var->name + " in map");
    node(n.map);
    node(n.body);
  }
  void visit(ForRange &n) override {
    line("for $" + n.var->name + " in range");
    node(n.start);
    node(n.end);
    node(n.body);
  }
  void visit(Jump &n) override {
    line(jump_name(n.kind));
    node(n.value);
  }
  void visit(BlockStatement &n) override { n.block->accept(*this); }
  void visit(AttachPoint &n) override {
    std::string s = "attach point: " + n.raw;
    if (n.type != ProbeType::Invalid) {
      s += " (" + std::string(probe_type_name(n.type));
      auto field = [&](const char *name, const std::string &v) {
        if (!v.empty())
          s += std::string(" ") + name + "=" + v;
      };
      field("target", n.target);
      field("ns", n.ns);
      field("func", n.func);
      field("lang", n.lang);
      field("unit", n.unit);
      if (n.freq)
        s += " " +
             std::string(n.type == ProbeType::Software || n.type == ProbeType::Hardware ? "count"
                                                                                        : "rate") +
             "=" + std::to_string(n.freq);
      if (n.has_offset)
        s += " offset=" + std::to_string(n.offset);
      if (n.has_address) {
        std::ostringstream hex;
        hex << std::hex << n.address;
        s += " address=0x" + hex.str();
      }
      if (n.length)
        s += " length=" + std::to_string(n.length);
      field("mode", n.mode);
      if (n.wildcard)
        s += " wildcard";
      s += ")";
    }
    line(s);
  }
  void visit(CDefinition &n) override {
    std::string text = n.text;
    for (char &c : text)
      if (c == '\n')
        c = ' ';
    line(std::string("c definition (") + cdef_kind_name(n.kind) + "): " + text);
  }
  void visit(Config &n) override {
    line("config");
    ++depth_;
    for (Config::Entry &e : n.entries) {
      line(e.key);
      node(e.value);
    }
    --depth_;
  }
  void visit(Import &n) override { line("import: " + quote(n.path)); }
  void visit(Macro &n) override {
    std::string s = "macro: " + n.name + "(";
    for (size_t i = 0; i < n.params.size(); ++i) {
      const Macro::Param &p = n.params[i];
      s += (i ? ", " : "");
      s += p.kind == Macro::Param::Kind::Variable ? "$"
           : p.kind == Macro::Param::Kind::Map    ? "@"
                                                  : "";
      s += p.name;
    }
    line(s + ")");
    node(n.body);
  }
  void visit(MapDecl &n) override {
    line("map declaration: @" + n.name + " = " + n.kind);
    node(n.max_entries);
  }
  void visit(Probe &n) override {
    line(n.name.empty() ? "probe" : "probe " + n.name);
    for (AttachPoint *ap : n.attach_points)
      node(ap);
    if (n.predicate) {
      ++depth_;
      line("predicate");
      node(n.predicate);
      --depth_;
    }
    node(n.body);
  }
  void visit(Program &n) override {
    line("Program");
    for (CDefinition *c : n.c_definitions)
      node(c);
    node(n.config);
    for (Import *i : n.imports)
      node(i);
    for (MapDecl *m : n.map_decls)
      node(m);
    for (Macro *m : n.macros)
      node(m);
    for (Probe *p : n.probes)
      node(p);
  }

private:
  void line(const std::string &text) {
    for (int i = 0; i < depth_; ++i)
      out_ << ' ';
    out_ << text << '\n';
  }

  std::ostream &out_;
  int depth_ = -1; // the root prints at column 0
};

} // namespace

void print_ast_tree(std::ostream &out, ast::Program &program) {
  TreePrinter printer(out);
  printer.node(&program);
}

std::string print_source(ast::Program &program) {
  std::ostringstream out;
  SourcePrinter(out).expr(&program);
  return out.str();
}

std::string print_source(ast::Expression &expr) {
  std::ostringstream out;
  SourcePrinter(out).expr(&expr);
  return out.str();
}

} // namespace scry
