#include "sinks/monitor_sink.hpp"

#include "report/csv.hpp"

namespace endure::sinks {

base::result<std::unique_ptr<monitor_sink>>
monitor_sink::open(const std::string &prefix, file_io *io_in) {
  file_io &io = io_in != nullptr ? *io_in : real_file_io();
  const std::string path = prefix + "_monitor.csv";
  const std::string header = report::monitor_csv_header();
  int h = -1;
  if (auto ec = io.create(path, h))
    return base::make_error("cannot write " + path + ": " + ec.message());
  size_t written = 0;
  if (auto ec = io.write_at(h, 0, header, written)) {
    io.close(h);
    io.remove(path);
    return base::make_error("cannot write " + path + ": " + ec.message());
  }
  return std::unique_ptr<monitor_sink>(
      new monitor_sink(io, append_file(io, h, path, header.size())));
}

monitor_sink::monitor_sink(file_io &io, append_file file)
    : io_(io), file_(std::move(file)), health_("csv", file_.path()) {
  publish({});
}

void monitor_sink::on_snapshot(const stats::snapshot &s) {
  const std::string rows = report::monitor_csv_rows(s);
  if (rows.empty())
    return;
  if (auto ec = file_.append(rows)) {
    // Whole records or none (append_file cuts a partial write back): this
    // interval is lost.
    ++rows_lost_;
    health_.failed(ec.message(),
                   "intervals are missing from it until space returns");
  } else {
    health_.succeeded(rows_lost_ ? std::to_string(rows_lost_) +
                                       " intervals are missing"
                                 : "");
  }
  output_status st;
  if (rows_lost_ > 0)
    st.incomplete.push_back(
        {file_.path(), std::to_string(rows_lost_) + " intervals not written"});
  publish(std::move(st));
}

} // namespace endure::sinks
