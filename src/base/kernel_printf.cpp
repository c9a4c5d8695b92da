#include "base/kernel_printf.h"

#include "base/printf_format.h"

namespace scry {

std::string kernel_printf_format(const std::string &format, const std::vector<Type> &args,
                                 std::string &why) {
  if (args.size() > kMaxKernelPrintfArgs) {
    why = std::to_string(args.size()) + " arguments (at most " +
          std::to_string(kMaxKernelPrintfArgs) + ")";
    return {};
  }
  const ParsedFormat &parsed = parsed_printf_format(format);
  auto literal = [](const std::string &text) {
    std::string out;
    for (char c : text)
      out += c == '%' ? std::string("%%") : std::string(1, c);
    return out;
  };
  std::string out = parsed.literals.empty() ? "" : literal(parsed.literals[0]);
  for (size_t i = 0; i < parsed.conversions.size() && i < args.size(); ++i) {
    const Conversion &c = parsed.conversions[i];
    const Type &arg = args[i];
    const bool text = c.conversion == "s" && arg.is(TypeKind::String);
    const bool number =
        (c.conversion == "d" || c.conversion == "i" || c.conversion == "u" || c.conversion == "x" ||
         c.conversion == "X" || c.conversion == "c" || c.conversion == "p") &&
        (arg.is(TypeKind::Integer) || arg.is(TypeKind::Boolean) || arg.is(TypeKind::Pointer));
    const std::string spec = c.flags + (c.width >= 0 ? std::to_string(c.width) : "");
    if ((!text && !number) || c.precision >= 0 || c.flags.find('#') != std::string::npos) {
      why = "%" + spec + (c.precision >= 0 ? "." + std::to_string(c.precision) : "") + c.length +
            c.conversion + " of " + type_name(arg);
      return {};
    }
    if (c.conversion == "p")
      out += "0x%" + spec + "llx";
    else
      out += "%" + spec + (text || c.conversion == "c" ? c.conversion : "ll" + c.conversion);
    out += literal(parsed.literals[i + 1]);
  }
  return out;
}

} // namespace scry
