#include "sinks/sink.hpp"

#include "base/log.hpp"

namespace endure::sinks {

sink::~sink() = default;

output_status sink::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void sink::publish(output_status s) {
  std::lock_guard lock(mutex_);
  status_ = std::move(s);
}

std::vector<file_problem> incomplete_files(const std::vector<const sink*>& outputs) {
  std::vector<file_problem> out;
  for (const sink* s : outputs)
    for (auto& p : s->status().incomplete) out.push_back(std::move(p));
  if (auto log = base::log_file_status(); log.lost_lines > 0)
    out.push_back(
        {log.path, std::to_string(log.lost_lines) + " log lines lost: " + log.last_error});
  return out;
}

std::string incomplete_summary(const std::vector<file_problem>& files) {
  if (files.empty()) return {};
  std::string out = "endure: " + std::to_string(files.size()) +
                    (files.size() == 1 ? " output file incomplete" : " output files incomplete") +
                    ":\n";
  for (const auto& f : files) out += "  " + f.path + ": " + f.reason + "\n";
  return out;
}

}  // namespace endure::sinks
