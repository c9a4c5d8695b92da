// Type checking of getopt() (part of the TypeChecker, type_checker.h): named parameters given
// after `--` on the command line (`--name=value`, or `--name` for true), as bpftrace's
// docs/language.md "Named Parameters" describes. scry compiles per run, so each call becomes its
// value: an int64, a string or a bool constant. Reads SemaOptions::named_params; writes
// Call::address (integers and bools) and Call::constant_text (strings).
#include "sema/type_checker.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace scry {

using namespace ast;

namespace {

/// `text` as a whole integer (decimal, 0x hex or 0 octal, with a sign), or nullopt.
std::optional<int64_t> parse_integer(const std::string &text) {
  if (text.empty())
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 0);
  if (errno != 0 || *end != '\0')
    return std::nullopt;
  return v;
}

/// Collects getopt() calls as written (written_named_options).
class WrittenGetopts : public Walker {
public:
  std::vector<NamedOption> options;

  using Walker::visit;
  void visit(Call &n) override {
    Walker::visit(n);
    if (n.name != "getopt" || n.args.empty() || n.args.size() > 3)
      return;
    auto *name = dynamic_cast<String *>(n.args[0]);
    auto *description = n.args.size() == 3 ? dynamic_cast<String *>(n.args[2]) : nullptr;
    if (!name || (n.args.size() == 3 && !description))
      return;
    NamedOption o{name->value, "bool", "false", description ? description->value : ""};
    if (n.args.size() >= 2) {
      Expression *d = n.args[1];
      auto *neg = dynamic_cast<Unary *>(d);
      bool negative = neg && neg->op == UnaryOp::Neg;
      if (negative)
        d = neg->operand;
      if (auto *b = dynamic_cast<Boolean *>(d); b && !negative) {
        o.default_text = b->value ? "true" : "false";
      } else if (auto *s = dynamic_cast<String *>(d); s && !negative) {
        o.kind = "string";
        o.default_text = s->value;
      } else if (auto *i = dynamic_cast<Integer *>(d)) {
        o.kind = "int";
        o.default_text = (negative ? "-" : "") + std::to_string(i->value);
      } else {
        return;
      }
    }
    auto it = std::find_if(options.begin(), options.end(),
                           [&](const NamedOption &seen) { return seen.name == o.name; });
    if (it == options.end())
      options.push_back(o);
    else if (it->description.empty())
      it->description = o.description;
  }
};

} // namespace

std::vector<NamedOption> written_named_options(Program &program) {
  WrittenGetopts finder;
  program.accept(finder);
  return finder.options;
}

void TypeChecker::type_getopt(Call &n) {
  if (!arity(n))
    return;
  auto *name = dynamic_cast<String *>(n.args[0]);
  if (!name) {
    check(n.args[0]);
    error(DiagCode::WrongArgumentType, n.args[0]->loc,
          "getopt()'s first argument must be a string literal: the parameter's name",
          "write getopt(\"name\", default) and pass --name=value after --");
    return;
  }
  name->type = make_string(static_cast<uint32_t>(name->value.size() + 1));
  enum class Kind { Bool, Int, Text } kind = Kind::Bool;
  std::string default_text = "false";
  int64_t default_int = 0;
  std::string description;
  if (n.args.size() == 3) {
    auto *s = dynamic_cast<String *>(n.args[2]);
    if (!s) {
      check(n.args[2]);
      error(DiagCode::WrongArgumentType, n.args[2]->loc,
            "getopt()'s description must be a string literal",
            "describe the parameter for -- --help: getopt(\"count\", 10, \"events to show\")");
      return;
    }
    s->type = make_string(static_cast<uint32_t>(s->value.size() + 1));
    description = s->value;
  }
  if (n.args.size() >= 2) {
    Expression *d = n.args[1];
    check(d);
    if (auto *b = dynamic_cast<Boolean *>(d)) {
      default_text = b->value ? "true" : "false";
      default_int = b->value;
    } else if (auto *s = dynamic_cast<String *>(d)) {
      kind = Kind::Text;
      default_text = s->value;
    } else if (auto v = constant_value(d); v && d->type.is_integer()) {
      kind = Kind::Int;
      default_int = *v;
      default_text = std::to_string(*v);
    } else {
      error(DiagCode::WrongArgumentType, d->loc,
            "getopt()'s default must be a string, integer or boolean literal",
            "the default's type is the parameter's: getopt(\"count\", 10), getopt(\"name\", "
            "\"x\"), getopt(\"verbose\", false)");
      return;
    }
  }
  const char *kind_name = kind == Kind::Int ? "int " : kind == Kind::Text ? "string " : "bool ";
  std::string signature = kind_name + default_text;
  auto [seen, inserted] = getopt_defaults_.emplace(name->value, signature);
  if (!inserted && seen->second != signature) {
    error(DiagCode::WrongArgumentType, n.loc,
          "getopt(\"" + name->value +
              "\") has a different default here than where it is "
              "first used (" +
              seen->second + ")",
          "give every getopt() of one name the same default");
    return;
  }
  record_named_option(name->value, kind_name, default_text, description);

  auto given = options_.named_params.find(name->value);
  const bool present = given != options_.named_params.end();
  const std::optional<std::string> value = present ? given->second : std::optional<std::string>();
  const std::string option = "--" + name->value;
  switch (kind) {
  case Kind::Bool: {
    bool v = default_int != 0;
    if (present) {
      if (!value || *value == "true" || *value == "1")
        v = true;
      else if (*value == "false" || *value == "0")
        v = false;
      else
        error(DiagCode::WrongArgumentType, n.loc,
              option + "=" + *value + " is not a boolean (getopt(\"" + name->value +
                  "\") reads true or false)",
              "pass " + option + ", " + option + "=true or " + option + "=false");
    }
    n.type = make_bool();
    n.address = v ? 1 : 0;
    return;
  }
  case Kind::Int: {
    int64_t v = default_int;
    if (present) {
      std::optional<int64_t> parsed = value ? parse_integer(*value) : std::nullopt;
      if (!parsed)
        error(DiagCode::WrongArgumentType, n.loc,
              (value ? option + "=" + *value : option) + " is not an integer (getopt(\"" +
                  name->value + "\") has an integer default)",
              "pass " + option + "=NUMBER after --");
      else
        v = *parsed;
    }
    n.type = int64_type();
    n.address = static_cast<uint64_t>(v);
    return;
  }
  case Kind::Text: {
    if (present && !value)
      error(DiagCode::WrongArgumentType, n.loc,
            option + " needs a value (getopt(\"" + name->value + "\") has a string default)",
            "pass " + option + "=TEXT after --");
    n.constant_text = present && value ? *value : default_text;
    n.type = make_string(std::max<uint32_t>(result_.resources.max_strlen,
                                            static_cast<uint32_t>(n.constant_text.size() + 1)));
    return;
  }
  }
}

void TypeChecker::record_named_option(const std::string &name, std::string kind,
                                      const std::string &default_text,
                                      const std::string &description) {
  if (quiet_)
    return;
  kind.pop_back(); // "int " -> "int"
  auto &options = result_.named_options;
  auto it = std::find_if(options.begin(), options.end(),
                         [&](const NamedOption &o) { return o.name == name; });
  if (it == options.end())
    options.push_back({name, kind, default_text, description});
  else if (it->description.empty())
    it->description = description;
}

void TypeChecker::check_named_params_used() {
  for (const auto &[name, value] : options_.named_params)
    // -- --help asks for the list of named parameters, unless the program reads a "help".
    if (!getopt_defaults_.count(name) && name != "help")
      error(DiagCode::InvalidPositionalParameter, kNoLocation,
            "the program has no getopt(\"" + name + "\") to read --" + name,
            "named parameters after -- are read with getopt(\"NAME\", default)");
}

} // namespace scry
