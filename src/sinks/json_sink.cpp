#include "sinks/json_sink.hpp"

#include <cstdio>

#include "report/json.hpp"

namespace endure::sinks {

namespace {
const char* const not_yet = "not written yet: it is written at the end of the run";
}

json_sink::json_sink(std::string path, shape what, file_io& io)
    : path_(std::move(path)),
      shape_(what),
      io_(io),
      health_("json", path_ == "-" ? "stdout" : path_) {
  publish({{{health_.path(), not_yet}}});
}

void json_sink::on_snapshot(const stats::snapshot& s) {
  if (s.is_final) (void)write(s);  // a failure is logged and published by write()
}

base::result<base::unit> json_sink::write(const stats::snapshot& s) {
  std::optional<final_annex> annex;
  if (annex_ && s.is_final) annex = annex_();
  report::entry_extras extras;
  if (annex) {
    extras.key = annex->entry_key;
    extras.by_entry = &annex->entries;
  }
  auto j = shape_ == shape::entries ? report::entries_json(s, extras) : report::run_json(s, extras);
  if (annex && shape_ == shape::run && !annex->run.is_null()) j[annex->entry_key] = annex->run;
  // Names are user data and may hold invalid UTF-8: replace rather than throw.
  const std::string text = j.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string why =
      path_ == "-" ? write_stream_whole(stdout, text) : replace_file(io_, path_, text);
  if (!why.empty()) {
    health_.failed(why, "the JSON statistics are not written");
    publish({{{health_.path(), "not written: " + why}}});
    return base::make_error("cannot write " + health_.path() + ": " + why,
                            base::exit_code::outputs_incomplete);
  }
  health_.succeeded();
  publish({});
  return base::unit{};
}

}  // namespace endure::sinks
