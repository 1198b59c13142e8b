#include "app/influx_output.hpp"

#include <ctime>

#include "base/log.hpp"
#include "engine/totals_stage.hpp"

namespace endure::app {

base::result<std::unique_ptr<influx_output>>
influx_output::open(const cli::options &o) {
  if (o.influxdb.empty()) {
    if (!o.influxdb_org.empty() || !o.influxdb_bucket.empty() ||
        !o.influxdb_token.empty())
      return base::make_error("--influxdb-org, --influxdb-bucket and "
                              "--influxdb-token need --influxdb URL");
    return std::unique_ptr<influx_output>();
  }
  auto t = exports::parse_influx_target(o.influxdb, o.influxdb_org,
                                        o.influxdb_bucket, o.influxdb_token);
  if (!t)
    return base::make_error("invalid value for --influxdb: expected " +
                            t.err().message);
  exports::influx_tags tags;
  char run[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(run, sizeof run, "%Y-%m-%dT%H-%M-%SZ", &tm);
  std::string lf = o.locustfile;
  if (auto slash = lf.rfind('/'); slash != std::string::npos)
    lf = lf.substr(slash + 1);
  tags.common = {{"run", run}, {"locustfile", lf}};
  if (!o.host.empty())
    tags.common.emplace_back("host", o.host);
  const std::string display = t->display;
  base::log_info("influxdb", "Writing to " + display + " every interval");
  return std::unique_ptr<influx_output>(
      new influx_output(std::make_unique<exports::influx_writer>(std::move(*t)),
                        std::move(tags), display));
}

influx_output::influx_output(std::unique_ptr<exports::influx_writer> w,
                             exports::influx_tags tags, std::string display)
    : writer_(std::move(w)), tags_(std::move(tags)),
      display_(std::move(display)) {}

influx_output::~influx_output() {
  sub_.reset();
  if (queue_)
    queue_->stop();
}

void influx_output::attach(engine::run_bus &bus) {
  queue_ = std::make_unique<engine::async_output<engine::run_item>>(
      "--influxdb", engine::output_policy::lossless, 600,
      [this](const engine::run_item &item) {
        const auto *rec = std::get_if<stats::record_ptr>(&item);
        if (!rec || !*rec || (*rec)->stalled)
          return;
        size_t points = 0;
        std::string lines = exports::influx_lines(**rec, tags_, points);
        writer_->push(std::move(lines), points);
      },
      engine::coalesce_records);
  auto *q = queue_.get();
  sub_ = bus.subscribe([q](const engine::run_item &item) { q->push(item); });
}

void influx_output::finish(std::chrono::milliseconds limit) {
  if (queue_)
    queue_->drain(std::chrono::seconds(30));
  writer_->finish(limit);
  const auto c = writer_->counters();
  const std::string summary =
      "InfluxDB " + display_ + ": " + std::to_string(c.written) +
      " points written in " + std::to_string(c.requests) + " requests";
  if (c.dropped + c.rejected > 0)
    base::log_warning(
        "influxdb", summary + "; " + std::to_string(c.dropped) +
                        " dropped (queue full or InfluxDB down at the end), " +
                        std::to_string(c.rejected) + " rejected by InfluxDB");
  else
    base::log_info("influxdb", summary);
}

} // namespace endure::app
