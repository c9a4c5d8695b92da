// The abstract syntax tree of a scry program.
//
// Plain data: nodes hold what the source said and where; passes (visitors) hold behaviour.
// Every node is owned by an ast::Context and referenced by raw pointer from its parent, so
// passes may rewrite the tree without ownership bookkeeping. Nesting depth is bounded by the
// parser (see kMaxNesting), so recursive passes cannot overflow the stack.
#pragma once

#include "base/builtins.h"
#include "base/source.h"
#include "base/types.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scry::ast {

/// The deepest nesting of expressions, statements and brackets the parser accepts.
/// Deeper programs get a "nesting-too-deep" error instead of a stack overflow in a later pass.
inline constexpr int kMaxNesting = 512;

class Visitor;

struct Node {
  explicit Node(SourceRange loc) : loc(loc) {}
  virtual ~Node() = default;
  virtual void accept(Visitor &v) = 0;
  SourceRange loc;
};

// ---------------------------------------------------------------------------------------------
// Types as written in the source (casts, let annotations, sizeof). Sema turns them into types.

/// A type expression: a base name followed by pointer and array suffixes, in source order.
/// `(struct task_struct *)`, `(int8[8])`, `int32*[4]`, `string[64]`, `typeof($x)`.
struct TypeSpec : Node {
  enum class Base { Named, Struct, Union, Enum, Typeof };
  /// One suffix: a pointer (`*`) or an array of `size` elements (`[size]`); size 0 is `[]`,
  /// an array whose size a cast takes from its value (`(int8[])12345`).
  struct Suffix {
    bool pointer;
    uint64_t size;
  };
  TypeSpec(SourceRange loc, Base base, std::string name)
      : Node(loc), base(base), name(std::move(name)) {}
  void accept(Visitor &v) override;

  Base base;
  std::string name;                  // "uint32", "task_struct", ""; empty for Typeof
  struct Node *typeof_arg = nullptr; // Typeof: an Expression or a TypeSpec
  std::vector<Suffix> suffixes;
};

// ---------------------------------------------------------------------------------------------
// Expressions

struct Expression : Node {
  using Node::Node;
  int depth = 1; // 1 + the deepest child expression; bounded by kMaxNesting
  Type type;     // set by semantic analysis
};

/// An integer literal. Duration suffixes are already applied (`5ms` is 5000000, in ns).
struct Integer : Expression {
  Integer(SourceRange loc, uint64_t value, bool is_unsigned)
      : Expression(loc), value(value), is_unsigned(is_unsigned) {}
  void accept(Visitor &v) override;
  uint64_t value;
  bool is_unsigned; // a `u`/`U` suffix, or a value that does not fit int64
};

/// A string literal with escapes decoded. May contain NUL bytes (`"\0"`).
struct String : Expression {
  String(SourceRange loc, std::string value) : Expression(loc), value(std::move(value)) {}
  void accept(Visitor &v) override;
  std::string value;
};

struct Boolean : Expression {
  Boolean(SourceRange loc, bool value) : Expression(loc), value(value) {}
  void accept(Visitor &v) override;
  bool value;
};

/// A bare name: a builtin (`pid`, `comm`, `args`), an enum constant, a zero-argument macro, or an
/// argument such as `monotonic` in `nsecs(monotonic)`. Sema decides which.
struct Identifier : Expression {
  Identifier(SourceRange loc, std::string name) : Expression(loc), name(std::move(name)) {}
  void accept(Visitor &v) override;
  std::string name;
  BuiltinVariable builtin = BuiltinVariable::None; // set by semantic analysis
  /// Set by semantic analysis when the name is a constant (an enumerator of a kernel enum, or of
  /// the script's C definitions): its value as 64 bits; `type` says its enum. Codegen emits it.
  std::optional<uint64_t> constant;
  /// A string constant's text (a `#define NAME "text"` of the C definitions; `type` is a string
  /// and `constant` is set).
  std::string constant_text;
  /// cpid without -c: the runtime warning (Resources::runtime_errors) it sends when it runs.
  int warning = -1;
};

/// A scratch variable `$name` (name stored without the `$`).
struct Variable : Expression {
  Variable(SourceRange loc, std::string name) : Expression(loc), name(std::move(name)) {}
  void accept(Visitor &v) override;
  std::string name;
  int var_id = -1; // set by semantic analysis: which declaration this name refers to
};

/// `$1`..`$N` (index >= 1), or `$#` (index 0, the number of positional parameters).
struct PositionalParameter : Expression {
  PositionalParameter(SourceRange loc, int index) : Expression(loc), index(index) {}
  void accept(Visitor &v) override;
  int index;
};

/// A map named `@name`, or the anonymous map `@` (name is empty). Without a key: `@x`, `print(@x)`.
struct Map : Expression {
  Map(SourceRange loc, std::string name) : Expression(loc), name(std::move(name)) {}
  void accept(Visitor &v) override;
  std::string name;
  int map_id = -1; // set by semantic analysis: index into Resources::maps
};

/// `@map[key]`. Several keys (`@m[a, b]`) are one Tuple key, as in bpftrace where `@m[(a, b)]`
/// means the same.
struct MapAccess : Expression {
  MapAccess(SourceRange loc, Map *map, Expression *key) : Expression(loc), map(map), key(key) {}
  void accept(Visitor &v) override;
  Map *map;
  Expression *key;
};

/// A function call `name(args...)`: builtin functions, aggregations, macros.
struct Call : Expression {
  Call(SourceRange loc, std::string name, std::vector<Expression *> args)
      : Expression(loc), name(std::move(name)), args(std::move(args)) {}
  void accept(Visitor &v) override;
  std::string name;
  std::vector<Expression *> args;
  int id = -1; // set by semantic analysis: printf/time/print-value/error index in Resources
  BuiltinFunction builtin = BuiltinFunction::None; // set by semantic analysis
  uint64_t address = 0;      // kaddr(): the kernel symbol's address, set by semantic analysis;
                             // getopt(): an integer or bool value
  std::string constant_text; // getopt(): a string value; str($N + k): the text from byte k
  /// delete() as a statement of its own, its value unused: it warns when the key is not there,
  /// without -k (bpftrace's docs/stdlib.md "delete"). Set by semantic analysis.
  bool discarded = false;
};

enum class UnaryOp {
  Neg,
  Plus,
  LogicalNot,
  BitNot,
  Deref,
  AddressOf,
  PreInc,
  PreDec,
  PostInc,
  PostDec
};
const char *unary_op_spelling(UnaryOp op); // "-", "+", "!", "~", "*", "&", "++", "--"

struct Unary : Expression {
  Unary(SourceRange loc, UnaryOp op, Expression *operand)
      : Expression(loc), op(op), operand(operand) {}
  void accept(Visitor &v) override;
  UnaryOp op;
  Expression *operand;
};

enum class BinaryOp {
  Mul,
  Div,
  Mod,
  Add,
  Sub,
  Shl,
  Shr,
  Lt,
  Gt,
  Le,
  Ge,
  Eq,
  Ne,
  BitAnd,
  BitXor,
  BitOr,
  LogicalAnd,
  LogicalOr
};
const char *binary_op_spelling(BinaryOp op); // "*", "/", ..., "||"

struct Binary : Expression {
  Binary(SourceRange loc, BinaryOp op, Expression *lhs, Expression *rhs)
      : Expression(loc), op(op), lhs(lhs), rhs(rhs) {}
  void accept(Visitor &v) override;
  BinaryOp op;
  Expression *lhs;
  Expression *rhs;
  /// `/` and `%` by a divisor known only at run time: the index of the runtime warning the
  /// program reports when it is 0 (set by sema), or -1.
  int division_warning = -1;
};

/// `cond ? then : otherwise`, or `cond ?: otherwise` (then_expr is null: the condition's value).
struct Ternary : Expression {
  Ternary(SourceRange loc, Expression *cond, Expression *then_expr, Expression *else_expr)
      : Expression(loc), cond(cond), then_expr(then_expr), else_expr(else_expr) {}
  void accept(Visitor &v) override;
  Expression *cond;
  Expression *then_expr; // may be null
  Expression *else_expr;
};

/// `base.field` or `base->field`. `.` on a pointer dereferences it as `->` does (newest bpftrace);
/// `arrow` only records the spelling.
struct FieldAccess : Expression {
  FieldAccess(SourceRange loc, Expression *base, std::string field, bool arrow)
      : Expression(loc), base(base), field(std::move(field)), arrow(arrow) {}
  void accept(Visitor &v) override;
  Expression *base;
  std::string field;
  bool arrow;
};

/// `tuple.N`: a constant element index into a tuple.
struct TupleAccess : Expression {
  TupleAccess(SourceRange loc, Expression *base, uint64_t index)
      : Expression(loc), base(base), index(index) {}
  void accept(Visitor &v) override;
  Expression *base;
  uint64_t index;
};

/// `base[index]`: arrays, pointers, strings, tuples with a constant index.
struct Index : Expression {
  Index(SourceRange loc, Expression *base, Expression *index)
      : Expression(loc), base(base), index(index) {}
  void accept(Visitor &v) override;
  Expression *base;
  Expression *index;
  /// An array indexed by a value known only at run time: the index of the runtime warning the
  /// program reports when it is out of range (the value is then 0), set by sema; else -1.
  int bounds_warning = -1;
};

/// `(type)operand`.
struct Cast : Expression {
  Cast(SourceRange loc, TypeSpec *target, Expression *operand)
      : Expression(loc), target(target), operand(operand) {}
  void accept(Visitor &v) override;
  TypeSpec *target;
  Expression *operand;
  /// The function whose expansion made this cast ("container_of"), or empty for a cast the
  /// user wrote: such a cast is never unnecessary, keeps the address space of its operand,
  /// and a type error names the function.
  std::string implicit_for;
};

/// `(a, b)`, `(a,)`, `()`.
struct Tuple : Expression {
  Tuple(SourceRange loc, std::vector<Expression *> elems)
      : Expression(loc), elems(std::move(elems)) {}
  void accept(Visitor &v) override;
  std::vector<Expression *> elems;
};

/// `(a = 1, b = "x")`.
struct Record : Expression {
  struct Field {
    std::string name;
    Expression *value;
    SourceRange loc; // of the name
  };
  Record(SourceRange loc, std::vector<Field> fields) : Expression(loc), fields(std::move(fields)) {}
  void accept(Visitor &v) override;
  std::vector<Field> fields;
};

/// `sizeof(type)` or `sizeof(expr)`: exactly one of type_spec/expr is set. A bare identifier
/// (`sizeof(task_struct)`) parses as an expression; sema resolves it as a type name if it is one.
struct Sizeof : Expression {
  Sizeof(SourceRange loc, TypeSpec *type_spec, Expression *expr)
      : Expression(loc), type_spec(type_spec), expr(expr) {}
  void accept(Visitor &v) override;
  TypeSpec *type_spec;
  Expression *expr;
  uint64_t value = 0; // set by semantic analysis: the size in bytes
};

/// `offsetof(type, a.b.c)` or `offsetof(expr, a.b.c)`: exactly one of type_spec/expr is set.
struct Offsetof : Expression {
  Offsetof(SourceRange loc, TypeSpec *type_spec, Expression *expr, std::vector<std::string> fields)
      : Expression(loc), type_spec(type_spec), expr(expr), fields(std::move(fields)) {}
  void accept(Visitor &v) override;
  TypeSpec *type_spec;
  Expression *expr;
  std::vector<std::string> fields;
  uint64_t value = 0;                // set by semantic analysis: the offset in bytes
  std::string function = "offsetof"; // the call errors name ("container_of" in its expansion)
};

struct Block;

/// A block in expression position: `$a = { let $b = 1; $b + 1 };` Its value is block->value.
struct BlockExpr : Expression {
  BlockExpr(SourceRange loc, Block *block) : Expression(loc), block(block) {}
  void accept(Visitor &v) override;
  Block *block;
};

// ---------------------------------------------------------------------------------------------
// Statements

struct Statement : Node {
  using Node::Node;
};

/// `{ stmts... [value] }`. `value` is a final expression written without `;`; it is the block's
/// value where the block is an expression or a macro body, and an ordinary statement elsewhere.
struct Block : Node {
  Block(SourceRange loc, std::vector<Statement *> stmts, Expression *value)
      : Node(loc), stmts(std::move(stmts)), value(value) {}
  void accept(Visitor &v) override;
  std::vector<Statement *> stmts;
  Expression *value;
};

struct ExprStatement : Statement {
  ExprStatement(SourceRange loc, Expression *expr) : Statement(loc), expr(expr) {}
  void accept(Visitor &v) override;
  Expression *expr;
};

/// `target = value` and compound forms (`+=`, ...). `op` is nullopt-like: has_op false for `=`.
/// The target is a Variable, a Map, a MapAccess, or the discard Identifier `_`.
struct Assignment : Statement {
  Assignment(SourceRange loc, Expression *target, bool compound, BinaryOp op, Expression *value)
      : Statement(loc), target(target), compound(compound), op(op), value(value) {}
  void accept(Visitor &v) override;
  Expression *target;
  bool compound; // true for `op=`
  BinaryOp op;   // meaningful only when compound
  Expression *value;
  int division_warning = -1; // as Binary's, for `/=` and `%=`
};

/// `let $x;`, `let $x = e;`, `let $x: type = e;`
struct VarDecl : Statement {
  VarDecl(SourceRange loc, Variable *var, TypeSpec *type, Expression *init)
      : Statement(loc), var(var), type(type), init(init) {}
  void accept(Visitor &v) override;
  Variable *var;
  TypeSpec *type;   // may be null
  Expression *init; // may be null
};

/// `if cond { } else ...`; else_branch is null, a Block, or an If (for `else if`).
struct If : Statement {
  If(SourceRange loc, Expression *cond, Block *then_block, Node *else_branch)
      : Statement(loc), cond(cond), then_block(then_block), else_branch(else_branch) {}
  void accept(Visitor &v) override;
  Expression *cond;
  Block *then_block;
  Node *else_branch;
  int chain_depth = 1; // length of the `else if` chain from here, bounded by kMaxNesting
  /// `if comptime (cond)`: cond is known when compiling, and only the branch it takes is
  /// typed and generated (sema sets `taken`: 1 the then block, 2 the else branch, 0 neither
  /// after an error).
  bool comptime = false;
  int taken = 0;
};

/// `unroll (count) { }`: the body repeated `count` times at compile time.
struct Unroll : Statement {
  Unroll(SourceRange loc, Expression *count, Block *body)
      : Statement(loc), count(count), body(body) {}
  void accept(Visitor &v) override;
  Expression *count;
  Block *body;
};

struct While : Statement {
  While(SourceRange loc, Expression *cond, Block *body) : Statement(loc), cond(cond), body(body) {}
  void accept(Visitor &v) override;
  Expression *cond;
  Block *body;
};

/// `for ($kv : @map) { }`: $kv is (key, value).
struct ForMap : Statement {
  ForMap(SourceRange loc, Variable *var, Map *map, Block *body)
      : Statement(loc), var(var), map(map), body(body) {}
  void accept(Visitor &v) override;
  Variable *var;
  Map *map;
  Block *body;
};

/// `for ($i : start..end) { }`: end exclusive, both evaluated once.
struct ForRange : Statement {
  ForRange(SourceRange loc, Variable *var, Expression *start, Expression *end, Block *body)
      : Statement(loc), var(var), start(start), end(end), body(body) {}
  void accept(Visitor &v) override;
  Variable *var;
  Expression *start;
  Expression *end;
  Block *body;
  /// Bounds known only at run time: the index of the runtime warning sent when the range has
  /// more iterations than bpf_loop() runs (set by sema), or -1.
  int too_long_warning = -1;
};

/// `break`, `continue`, `return [value]`.
struct Jump : Statement {
  enum class Kind { Break, Continue, Return };
  Jump(SourceRange loc, Kind kind, Expression *value) : Statement(loc), kind(kind), value(value) {}
  void accept(Visitor &v) override;
  Kind kind;
  Expression *value; // Return only; may be null
};

/// A nested `{ ... }` in statement position.
struct BlockStatement : Statement {
  BlockStatement(SourceRange loc, Block *block) : Statement(loc), block(block) {}
  void accept(Visitor &v) override;
  Block *block;
};

// ---------------------------------------------------------------------------------------------
// Top level

/// Probe types, one per provider. Aliases map onto these (see attach_point.h).
enum class ProbeType {
  Invalid,
  Begin,
  End,
  Kprobe,
  Kretprobe,
  Fentry,
  Fexit,
  Uprobe,
  Uretprobe,
  Usdt,
  Tracepoint,
  RawTracepoint,
  Profile,
  Interval,
  Software,
  Hardware,
  Watchpoint,
  Iter,
  Self,
  Test,
  Bench,
};

/// One attach point. The parser keeps the raw text; the attach-point pass (attach_point.h)
/// fills in the rest, after positional parameters are substituted.
struct AttachPoint : Node {
  AttachPoint(SourceRange loc, std::string raw) : Node(loc), raw(std::move(raw)) {}
  void accept(Visitor &v) override;

  std::string raw; // as written, including quotes
  ProbeType type = ProbeType::Invalid;
  std::string provider; // canonical provider name: "tracepoint", "kprobe", "begin", ...
  std::string target;   // binary path, module, tracepoint category, event name, iter name
  std::string ns;       // usdt provider namespace
  std::string func;     // function, tracepoint event, usdt probe, symbol
  std::string lang;     // "cpp" for C++ symbols in uprobes
  std::string unit;     // profile/interval: "hz", "s", "ms", "us", "ns"
  uint64_t freq = 0;    // profile/interval rate or period in `unit`; software/hardware count
  uint64_t offset = 0;  // `func+offset`
  uint64_t address = 0; // `0xaddr` (kprobe, uprobe, watchpoint)
  uint64_t length = 0;  // watchpoint length in bytes
  std::string mode;     // watchpoint "rwx" subset; self "signal"
  bool has_offset = false;
  bool has_address = false;
  bool wildcard = false; // contains `*`, `?` or `[`: expanded against the kernel later
};

/// `#include`/`#define` lines and C struct/union/enum definitions and typedefs, kept as text for
/// the Clang-based importer.
struct CDefinition : Node {
  enum class Kind { Preprocessor, Struct, Union, Enum, Typedef };
  CDefinition(SourceRange loc, Kind kind, std::string text)
      : Node(loc), kind(kind), text(std::move(text)) {}
  void accept(Visitor &v) override;
  Kind kind;
  std::string text;
};

/// `config = { key = value; ... }`.
struct Config : Node {
  struct Entry {
    std::string key;
    Expression *value;
    SourceRange loc; // of the key
  };
  Config(SourceRange loc, std::vector<Entry> entries) : Node(loc), entries(std::move(entries)) {}
  void accept(Visitor &v) override;
  std::vector<Entry> entries;
};

/// `import "path";`
struct Import : Node {
  Import(SourceRange loc, std::string path) : Node(loc), path(std::move(path)) {}
  void accept(Visitor &v) override;
  std::string path;
  bool in_block = false; // an import statement in a block (config unstable_import_statement)
};

/// `macro name(params) { body }`. Parameters are `$var` (a value bound to a variable), `@map`
/// (a map passed by name) or a bare identifier (an expression substituted as written).
struct Macro : Node {
  struct Param {
    enum class Kind { Variable, Map, Expression };
    Kind kind;
    std::string name; // without sigil
    SourceRange loc;
  };
  Macro(SourceRange loc, std::string name, std::vector<Param> params, Block *body)
      : Node(loc), name(std::move(name)), params(std::move(params)), body(body) {}
  void accept(Visitor &v) override;
  std::string name;
  std::vector<Param> params;
  Block *body;
};

/// `let @name = hash(N);` and lruhash, percpuhash, percpulruhash, percpuarray.
struct MapDecl : Node {
  MapDecl(SourceRange loc, std::string name, std::string kind, Expression *max_entries)
      : Node(loc), name(std::move(name)), kind(std::move(kind)), max_entries(max_entries) {}
  void accept(Visitor &v) override;
  std::string name; // without '@'
  std::string kind;
  Expression *max_entries;
};

/// `attach_points /predicate/ { body }`.
struct Probe : Node {
  Probe(SourceRange loc, std::vector<AttachPoint *> attach_points, Expression *predicate,
        Block *body)
      : Node(loc), attach_points(std::move(attach_points)), predicate(predicate), body(body) {}
  void accept(Visitor &v) override;
  std::string name; // `name=provider:...`, reserved for future use as in bpftrace
  std::vector<AttachPoint *> attach_points;
  Expression *predicate; // may be null
  Block *body;
};

/// A C file a program imports (`import "lib.bpf.c";`, `import "lib.h";`, `import "lib.bpf.o";`),
/// read by the parser's import pass; sema compiles the `.bpf.c` ones (sema/c_imports.h).
struct ImportedC {
  // a .bpf.c file; a .h file its #include lines may name; a compiled .bpf.o object
  enum class Kind { Source, Header, Object };
  Kind kind = Kind::Source;
  SourceRange loc;  // the import statement
  std::string name; // as #include names a header: its file name ("lib.h")
  std::string path; // absolute
  std::string text; // the file's bytes
};

struct Program : Node {
  using Node::Node;
  void accept(Visitor &v) override;
  std::vector<CDefinition *> c_definitions;
  Config *config = nullptr;
  std::vector<Import *> imports;
  std::vector<ImportedC> c_imports; // set by the import pass (parser/parse.h's import_files)
  std::vector<MapDecl *> map_decls;
  std::vector<Macro *> macros;
  std::vector<Probe *> probes;
};

// ---------------------------------------------------------------------------------------------

/// Owns every node of one program.
class Context {
public:
  template <typename T, typename... Args>
  T *make(Args &&...args) {
    auto node = std::make_unique<T>(std::forward<Args>(args)...);
    T *raw = node.get();
    nodes_.push_back(std::move(node));
    return raw;
  }
  size_t node_count() const { return nodes_.size(); }

private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

/// Double dispatch over node kinds. Visitor's defaults do nothing; Walker's defaults visit the
/// children in source order, so a pass overrides only the kinds it cares about.
class Visitor {
public:
  virtual ~Visitor() = default;
// clang-format 14 does not settle on one layout for this list.
// clang-format off
#define SCRY_AST_NODES(X) \
  X(TypeSpec) X(Integer) X(String) X(Boolean) X(Identifier) X(Variable) \
  X(PositionalParameter) X(Map) X(MapAccess) X(Call) X(Unary) X(Binary) \
  X(Ternary) X(FieldAccess) X(TupleAccess) X(Index) X(Cast) X(Tuple) \
  X(Record) X(Sizeof) X(Offsetof) X(BlockExpr) X(Block) X(ExprStatement) \
  X(Assignment) X(VarDecl) X(If) X(Unroll) X(While) X(ForMap) \
  X(ForRange) X(Jump) X(BlockStatement) X(AttachPoint) X(CDefinition) X(Config) \
  X(Import) X(Macro) X(MapDecl) X(Probe) X(Program)
// clang-format on
#define SCRY_AST_VISIT(T)                                                                          \
  virtual void visit(T &) {}
  SCRY_AST_NODES(SCRY_AST_VISIT)
#undef SCRY_AST_VISIT
};

class Walker : public Visitor {
public:
  using Visitor::visit;
  void visit(TypeSpec &n) override;
  void visit(MapAccess &n) override;
  void visit(Call &n) override;
  void visit(Unary &n) override;
  void visit(Binary &n) override;
  void visit(Ternary &n) override;
  void visit(FieldAccess &n) override;
  void visit(TupleAccess &n) override;
  void visit(Index &n) override;
  void visit(Cast &n) override;
  void visit(Tuple &n) override;
  void visit(Record &n) override;
  void visit(Sizeof &n) override;
  void visit(Offsetof &n) override;
  void visit(BlockExpr &n) override;
  void visit(Block &n) override;
  void visit(ExprStatement &n) override;
  void visit(Assignment &n) override;
  void visit(VarDecl &n) override;
  void visit(If &n) override;
  void visit(Unroll &n) override;
  void visit(While &n) override;
  void visit(ForMap &n) override;
  void visit(ForRange &n) override;
  void visit(Jump &n) override;
  void visit(BlockStatement &n) override;
  void visit(Config &n) override;
  void visit(Macro &n) override;
  void visit(MapDecl &n) override;
  void visit(Probe &n) override;
  void visit(Program &n) override;

protected:
  void walk(Node *n) {
    if (n)
      n->accept(*this);
  }
};

} // namespace scry::ast
