// client::poller: edge-triggered delivery, removal inside a batch, destruction with a wait pending.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>

#include "client/poller.hpp"

namespace endure::client {
namespace {

using namespace std::chrono_literals;

struct pair_fds {
  int mine = -1, peer = -1;
  pair_fds() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
      mine = fds[0];
      peer = fds[1];
    }
  }
  ~pair_fds() {
    if (mine >= 0) ::close(mine);
    if (peer >= 0) ::close(peer);
  }
  void send_byte() const { ASSERT_EQ(::write(peer, "x", 1), 1); }
};

struct recording_target final : poll_target {
  int calls = 0;
  uint32_t last = 0;
  std::function<void()> then;
  void on_ready(uint32_t events) override {
    ++calls;
    last = events;
    if (then) then();
  }
};

void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
  io.restart();
  io.run_for(d);
}

TEST(poller, an_edge_is_delivered_once_until_new_bytes_arrive) {
  boost::asio::io_context io;
  poller p(io);
  pair_fds s;
  recording_target t;
  uint64_t h = p.add(s.mine, &t);
  ASSERT_NE(h, 0u);
  run_for(io, 20ms);
  EXPECT_EQ(t.calls, 1);  // registration reports the socket writable
  EXPECT_TRUE(t.last & EPOLLOUT);
  EXPECT_FALSE(t.last & EPOLLIN);

  s.send_byte();
  run_for(io, 20ms);
  EXPECT_EQ(t.calls, 2);
  EXPECT_TRUE(t.last & EPOLLIN);
  run_for(io, 30ms);  // the byte is still unread, but edge-triggered: no second event
  EXPECT_EQ(t.calls, 2);

  s.send_byte();
  run_for(io, 20ms);
  EXPECT_EQ(t.calls, 3);

  ::close(s.peer);
  s.peer = -1;
  run_for(io, 20ms);
  EXPECT_EQ(t.calls, 4);
  EXPECT_TRUE(t.last & EPOLLRDHUP);
  p.remove(h, s.mine);
}

TEST(poller, a_target_removed_during_a_batch_gets_no_event) {
  boost::asio::io_context io;
  poller p(io);
  pair_fds a, b;
  recording_target ta, tb;
  uint64_t ha = p.add(a.mine, &ta);
  uint64_t hb = p.add(b.mine, &tb);
  run_for(io, 20ms);  // the writable edges of registration
  ASSERT_EQ(ta.calls, 1);
  ASSERT_EQ(tb.calls, 1);
  // Both become readable before the io_context runs, so one batch holds both events; whichever
  // runs first removes the other, which must then not be called (its memory may be gone).
  ta.then = [&] { p.remove(hb, b.mine); };
  tb.then = [&] { p.remove(ha, a.mine); };
  a.send_byte();
  b.send_byte();
  run_for(io, 30ms);
  EXPECT_EQ(ta.calls + tb.calls, 3);
  // A removed handle is dead for good, and its slot's next user gets a different handle.
  pair_fds c;
  recording_target tc;
  uint64_t hc = p.add(c.mine, &tc);
  EXPECT_NE(hc, ha);
  EXPECT_NE(hc, hb);
  p.remove(ha, a.mine);
  p.remove(hb, b.mine);
  c.send_byte();
  run_for(io, 30ms);
  EXPECT_EQ(tc.calls, 1);  // the edge of registration and the byte, harvested together
  p.remove(hc, c.mine);
}

TEST(poller, destroyed_with_a_wait_pending_then_the_io_context_runs) {
  boost::asio::io_context io;
  pair_fds s;
  recording_target t;
  {
    poller p(io);
    p.add(s.mine, &t);
  }
  s.send_byte();
  run_for(io, 20ms);
  EXPECT_EQ(t.calls, 0);
}

}  // namespace
}  // namespace endure::client
