// Type checking of aggregations (part of the TypeChecker, type_checker.h): count, sum, min, max,
// avg, stats, hist, lhist and tseries, assigned to a map element. Reads the call's arguments;
// writes Call::type, the map value's type (its parameters: hist's k, lhist's bounds, tseries'
// interval, intervals and aggregation).
#include "sema/type_checker.h"

#include <algorithm>
#include <iterator>

namespace scry {

using namespace ast;

void TypeChecker::type_aggregation(Call &n) {
  const std::string &name = n.name;
  if (!aggregation_allowed_here_) {
    for (Expression *a : n.args)
      check(a);
    error(DiagCode::InvalidMapUse, n.loc, name + "() is an aggregation: assign it to a map",
          "write @x = " + name + "(...) or @x[key] = " + name + "(...)");
    return;
  }
  for (Expression *a : n.args)
    check(a);
  auto value_arg = [&]() {
    want_integer(n, 0, "value");
    return n.args[0]->type.kind == TypeKind::Integer ? n.args[0]->type.is_signed : true;
  };
  switch (n.builtin) {
  case BuiltinFunction::Count:
    if (arity(n))
      n.type = make_aggregation(TypeKind::Count, false);
    break;
  case BuiltinFunction::Sum:
  case BuiltinFunction::Min:
  case BuiltinFunction::Max:
  case BuiltinFunction::Avg:
  case BuiltinFunction::Stats: {
    if (!arity(n))
      return;
    bool is_signed = value_arg();
    TypeKind k = n.builtin == BuiltinFunction::Sum   ? TypeKind::Sum
                 : n.builtin == BuiltinFunction::Min ? TypeKind::Min
                 : n.builtin == BuiltinFunction::Max ? TypeKind::Max
                 : n.builtin == BuiltinFunction::Avg ? TypeKind::Avg
                                                     : TypeKind::Stats;
    n.type = make_aggregation(k, k == TypeKind::Sum ? is_signed : true);
    break;
  }
  case BuiltinFunction::Hist: {
    if (!arity(n))
      return;
    value_arg();
    Type t = make_aggregation(TypeKind::Hist);
    if (n.args.size() == 2) {
      auto k = constant_value(n.args[1]);
      if (!k || *k < 0 || *k > 5) {
        constant_required(n.args[1], "hist()'s second argument must be a constant from 0 to 5");
        return;
      }
      t.hist_bits = *k;
    }
    n.type = t;
    break;
  }
  case BuiltinFunction::Lhist: {
    if (!arity(n))
      return;
    value_arg();
    int64_t v[3];
    for (size_t i = 1; i < 4; ++i) {
      auto c = constant_value(n.args[i]);
      if (!c) {
        constant_required(n.args[i], "lhist()'s min, max and step must be constants");
        return;
      }
      v[i - 1] = *c;
    }
    if (v[0] < 0 || v[1] <= v[0] || v[2] <= 0) {
      error(DiagCode::WrongArgumentType, n.loc, "lhist() needs 0 <= min < max and step > 0");
      return;
    }
    if ((v[1] - v[0]) / v[2] > 1000) {
      error(DiagCode::WrongArgumentType, n.loc, "lhist() would have more than 1000 buckets",
            "use a larger step");
      return;
    }
    Type t = make_aggregation(TypeKind::Lhist);
    t.lhist_min = v[0];
    t.lhist_max = v[1];
    t.lhist_step = v[2];
    n.type = t;
    break;
  }
  case BuiltinFunction::Tseries: {
    // tseries(value, interval_ns, num_intervals[, "avg"|"max"|"min"|"sum"]): the limits and
    // messages of the newest bpftrace's semantic analyser.
    if (!arity(n))
      return;
    Type t = make_aggregation(TypeKind::Tseries, value_arg());
    auto interval = constant_value(n.args[1]);
    if (!interval || *interval < 0) {
      constant_required(n.args[1],
                        "tseries: invalid interval_ns value (must be non-negative literal)");
      return;
    }
    if (*interval < 1) {
      error(DiagCode::WrongArgumentType, n.args[1]->loc,
            "tseries() interval_ns must be >= 1 (0 provided)", "a duration: 100ms, 1s");
      return;
    }
    auto intervals = constant_value(n.args[2]);
    if (!intervals || *intervals < 0) {
      constant_required(n.args[2],
                        "tseries: invalid num_intervals value (must be non-negative literal)");
      return;
    }
    if (*intervals < 1 || *intervals > 1000000) {
      error(DiagCode::WrongArgumentType, n.args[2]->loc,
            "tseries() num_intervals must be " +
                std::string(*intervals < 1 ? ">= 1" : "< 1000000") + " (" +
                std::to_string(*intervals) + " provided)");
      return;
    }
    t.tseries_interval_ns = *interval;
    t.tseries_intervals = *intervals;
    if (n.args.size() == 4) {
      auto *s = dynamic_cast<String *>(n.args[3]);
      static const std::pair<const char *, TseriesAgg> kAggs[] = {{"avg", TseriesAgg::Avg},
                                                                  {"max", TseriesAgg::Max},
                                                                  {"min", TseriesAgg::Min},
                                                                  {"sum", TseriesAgg::Sum}};
      const auto *agg = s ? std::find_if(std::begin(kAggs), std::end(kAggs),
                                         [&](const auto &a) { return s->value == a.first; })
                          : std::end(kAggs);
      if (agg == std::end(kAggs)) {
        error(DiagCode::WrongArgumentType, n.args[3]->loc,
              "tseries() expects one of the following aggregation functions: avg, max, min, "
              "sum (" +
                  (s ? "\"" + s->value + "\"" : type_name(n.args[3]->type)) + " provided)",
              "without it, each interval keeps the last value written");
        return;
      }
      t.tseries_agg = agg->second;
    }
    n.type = t;
    break;
  }
  default: // not an aggregation (base/builtins.cpp marks them): typed by type_call_checked
    break;
  }
}

} // namespace scry
