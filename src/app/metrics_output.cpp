#include "app/metrics_output.hpp"

#include "base/log.hpp"
#include "engine/totals_stage.hpp"
#include "server/http_server.hpp"

namespace endure::app {
namespace {

// --metrics-buckets, or the default buckets.
base::result<std::vector<double>> buckets_of(const cli::options &o) {
  if (o.metrics_buckets.empty())
    return exports::default_buckets();
  auto b = exports::parse_buckets(o.metrics_buckets);
  if (!b)
    return base::make_error("invalid value '" + o.metrics_buckets +
                            "' for --metrics-buckets: expected " +
                            b.err().message);
  return *b;
}

} // namespace

base::result<std::unique_ptr<metrics_output>>
metrics_output::for_web_ui(const cli::options &o) {
  auto buckets = buckets_of(o);
  if (!buckets)
    return buckets.err();
  return std::unique_ptr<metrics_output>(new metrics_output(
      std::make_unique<exports::prom_exposition>(std::move(*buckets)), nullptr));
}

std::string metrics_output::scrape() {
  std::string body = exposition_->render();
  {
    std::lock_guard lock(mutex_);
    ++scrapes_;
  }
  scraped_.notify_all();
  return body;
}

base::result<std::unique_ptr<metrics_output>>
metrics_output::open(const cli::options &o) {
  if (!o.metrics_port)
    return std::unique_ptr<metrics_output>();
  auto buckets = buckets_of(o);
  if (!buckets)
    return buckets.err();
  server::http_server_options so;
  so.host = o.metrics_host == "*" ? "0.0.0.0" : o.metrics_host;
  so.port = *o.metrics_port;
  auto srv = std::make_unique<server::http_server>(so);
  auto out = std::unique_ptr<metrics_output>(new metrics_output(
      std::make_unique<exports::prom_exposition>(std::move(*buckets)),
      std::move(srv)));
  auto *self = out.get();
  out->server_->route(
      "GET", "/metrics",
      [self](const server::request &, server::responder res) {
        std::string body = self->scrape();
        res.send(server::response::text(
            200, std::move(body), "text/plain; version=0.0.4; charset=utf-8"));
      });
  if (auto r = out->server_->start(1); !r)
    return base::make_error("--metrics-port " +
                            std::to_string(*o.metrics_port) + ": " +
                            r.err().message);
  base::log_info("metrics",
                 "Prometheus metrics on http://" +
                     (so.host == "0.0.0.0" ? std::string("0.0.0.0") : so.host) +
                     ":" + std::to_string(out->server_->port()) + "/metrics");
  return out;
}

metrics_output::metrics_output(std::unique_ptr<exports::prom_exposition> e,
                               std::unique_ptr<server::http_server> s)
    : exposition_(std::move(e)), server_(std::move(s)) {}

metrics_output::~metrics_output() {
  sub_.reset();
  if (queue_)
    queue_->stop();
  if (server_)
    server_->stop();
}

void metrics_output::attach(engine::run_bus &bus) {
  auto *e = exposition_.get();
  queue_ = std::make_unique<engine::async_output<engine::run_item>>(
      "/metrics", engine::output_policy::lossless, 600,
      [e](const engine::run_item &item) {
        if (const auto *rec = std::get_if<stats::record_ptr>(&item);
            rec && *rec)
          e->add(**rec);
      },
      engine::coalesce_records);
  auto *q = queue_.get();
  sub_ = bus.subscribe([q](const engine::run_item &item) { q->push(item); });
}

void metrics_output::finish(std::chrono::milliseconds linger) {
  if (queue_)
    queue_->drain(std::chrono::seconds(30));
  std::unique_lock lock(mutex_);
  if (scrapes_ == 0)
    return; // nobody is scraping: nothing to wait for
  const uint64_t seen = scrapes_;
  if (!scraped_.wait_for(lock, linger, [&] { return scrapes_ > seen; }))
    base::log_warning("metrics",
                      "no scrape read the final values of /metrics within " +
                          std::to_string(linger.count() / 1000) + " s");
}

uint16_t metrics_output::port() const { return server_ ? server_->port() : 0; }

} // namespace endure::app
