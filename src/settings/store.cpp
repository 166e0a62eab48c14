// The resolved settings map and how values get into it: apply() checks a name against the table
// (unknown: an error with a "did you mean"; ignored on purpose or a deprecated alias: one warning),
// validates the value and stores its canonical form with where it came from. lookup() and the
// get_*() helpers read a setting or its table default.
//
// Decision (also in docs/settings.md): a key with an empty value (`pipeline.workers:`) leaves the
// setting at its default.
#include <algorithm>
#include <limits>

#include "settings/internal.hpp"

namespace sluice::settings::detail {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

const std::vector<std::string>& known_for_suggestions() {
  static const std::vector<std::string> k = known_settings();
  return k;
}

}  // namespace

std::string suggestion(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const std::string& c : candidates) {
    std::size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  std::size_t limit = std::max<std::size_t>(2, std::min<std::size_t>(4, name.size() / 4));
  if (best.empty() || best_d > limit) return "";
  return " Did you mean \"" + best + "\"?";
}

// The canonical value of `name` in `s`, or its table default (computed defaults are "").
Canon lookup(const Settings& s, const std::string& name) {
  auto it = s.find(name);
  if (it != s.end()) return it->second.canon;
  const Def* d = find_def(name);
  Canon c;
  if (!d || d->default_value[0] == 0 || d->default_value[0] == '<') return c;
  Value v = Value::str(d->default_value);
  normalize(*d, v, &c);
  return c;
}
bool is_set(const Settings& s, const std::string& name) {
  return s.count(name) > 0;
}
std::string get_text(const Settings& s, const std::string& name) {
  return lookup(s, name).text;
}
bool get_bool(const Settings& s, const std::string& name) {
  return lookup(s, name).text == "true";
}
int64_t get_int(const Settings& s, const std::string& name) {
  std::string t = lookup(s, name).text;
  return t.empty() ? 0 : std::stoll(t);
}
uint64_t get_u64(const Settings& s, const std::string& name) {
  std::string t = lookup(s, name).text;
  return t.empty() ? 0 : std::stoull(t);
}
int clamp_int(int64_t v) {
  return static_cast<int>(std::clamp<int64_t>(v, 0, std::numeric_limits<int>::max()));
}

// Validates one assignment and stores it. Unknown names are an error in the process scope (the
// pipeline scope checks its allow-list first).
bool apply(const Assignment& a, Settings* s, Sink* sink, ApplyState* state, std::string* error) {
  const Def* d = find_def(a.name);
  if (!d) {
    if (const Family* f = find_family(a.name)) {
      sink->warn_once("ignored:" + a.name,
                      "Ignoring setting \"" + a.name + "\"" + a.origin.suffix() + ": " + f->note);
      return true;
    }
    *error = "Your settings are invalid. Reason: Setting \"" + a.name +
             "\" doesn't exist. Please check if you haven't made a typo." +
             suggestion(a.name, known_for_suggestions()) + a.origin.suffix();
    return false;
  }
  if (d->use == Use::Ignored) {
    sink->warn_once("ignored:" + a.name,
                    "Ignoring setting \"" + a.name + "\"" + a.origin.suffix() + ": " + d->note);
    return true;
  }
  std::string name = d->name;
  if (d->use == Use::Alias) {
    name = d->note;
    sink->warn_once("alias:" + a.name, "The setting `" + a.name + "` is a deprecated alias for `" + name +
                                           "` and will be removed in version 9. Please use `" + name +
                                           "` instead" + a.origin.suffix());
    if (state) state->set_by_alias[name] = a.name;
    d = find_def(name);
  } else if (state) {
    state->set_directly.insert(name);
  }
  if (a.value.kind == Value::Kind::Null) return true;  // `key:` with no value keeps the default
  Canon c;
  Normalized n = normalize(*d, a.value, &c);
  if (!n.ok) {
    std::string shown = d->type == Type::Password ? std::string("[redacted]") : a.value.shown();
    *error = "Invalid value \"" + shown + "\" for " + name + ": " + n.detail + a.origin.suffix();
    return false;
  }
  if (!n.warning.empty()) sink->warn_once("duration:" + name, n.warning + a.origin.suffix());
  if (name == "queue.checkpoint.interval") {
    sink->warn_once(
        "checkpoint.interval",
        "The setting `queue.checkpoint.interval` has no effect and will be removed from both logstash.yml "
        "and pipeline.yml in a future release.");
  }
  (*s)[name] = Entry{std::move(c), a.origin};
  return true;
}

}  // namespace sluice::settings::detail
