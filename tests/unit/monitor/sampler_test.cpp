// monitor::sampler: the newest sample of each source per take(), a failing
// source reported once, counted, retried and said back; the threads sample on
// their own and stop promptly.
#include <gtest/gtest.h>

#include <thread>

#include "monitor/sampler.hpp"

namespace endure::monitor {
namespace {

// Answers with a counter, or fails while `failing` is set.
class scripted_source final : public source {
public:
  explicit scripted_source(std::string name,
                           std::shared_ptr<std::atomic<bool>> failing)
      : name_(std::move(name)), failing_(std::move(failing)) {}
  const std::string &name() const override { return name_; }
  base::result<std::vector<stats::monitor_sample>>
  sample(double now_s, const std::atomic<bool> &) override {
    ++calls_;
    if (failing_->load())
      return base::make_error("connection refused");
    return std::vector<stats::monitor_sample>{{name_, "value", now_s}};
  }
  std::atomic<int> calls_{0};

private:
  std::string name_;
  std::shared_ptr<std::atomic<bool>> failing_;
};

TEST(sampler, take_returns_the_newest_sample_of_each_source_once) {
  auto fail_a = std::make_shared<std::atomic<bool>>(false),
       fail_b = std::make_shared<std::atomic<bool>>(false);
  std::vector<std::unique_ptr<source>> v;
  v.push_back(std::make_unique<scripted_source>("a", fail_a));
  v.push_back(std::make_unique<scripted_source>("b", fail_b));
  sampler s(std::move(v), std::chrono::milliseconds(1000));
  EXPECT_TRUE(s.take().empty());
  s.poll(0, 1.0);
  s.poll(0, 2.0); // replaces the untaken 1.0
  s.poll(1, 3.0);
  auto t = s.take();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].source, "a");
  EXPECT_EQ(t[0].value, 2.0);
  EXPECT_EQ(t[1].source, "b");
  EXPECT_TRUE(s.take().empty()); // nothing new: nothing twice
}

TEST(sampler, a_failing_source_is_counted_retried_and_never_blocks_the_others) {
  auto fail_a = std::make_shared<std::atomic<bool>>(true),
       fail_b = std::make_shared<std::atomic<bool>>(false);
  std::vector<std::unique_ptr<source>> v;
  v.push_back(std::make_unique<scripted_source>("down", fail_a));
  v.push_back(std::make_unique<scripted_source>("up", fail_b));
  sampler s(std::move(v), std::chrono::milliseconds(1000));
  for (int i = 0; i < 3; ++i) {
    s.poll(0, i);
    s.poll(1, i);
  }
  auto st = s.status();
  EXPECT_EQ(st[0].failures, 3u);
  EXPECT_TRUE(st[0].down);
  EXPECT_EQ(st[0].last_error, "connection refused");
  EXPECT_EQ(st[1].samples, 3u);
  auto t = s.take();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].source, "up");
  fail_a->store(false);
  s.poll(0, 9);
  st = s.status();
  EXPECT_FALSE(st[0].down);
  EXPECT_EQ(st[0].samples, 1u);
  EXPECT_EQ(st[0].failures, 3u);
  EXPECT_EQ(s.take().size(), 1u);
}

TEST(sampler, threads_sample_every_interval_and_stop_promptly) {
  auto ok = std::make_shared<std::atomic<bool>>(false);
  std::vector<std::unique_ptr<source>> v;
  auto src = std::make_unique<scripted_source>("t", ok);
  auto *raw = src.get();
  v.push_back(std::move(src));
  sampler s(std::move(v), std::chrono::milliseconds(20));
  s.start();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (raw->calls_.load() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(raw->calls_.load(), 3);
  const auto t0 = std::chrono::steady_clock::now();
  s.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_FALSE(s.take().empty());
}

} // namespace
} // namespace endure::monitor
