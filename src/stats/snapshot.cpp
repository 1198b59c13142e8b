#include "stats/snapshot.hpp"

namespace endure::stats {

const char* to_string(run_state s) {
  switch (s) {
    case run_state::ready: return "ready";
    case run_state::spawning: return "spawning";
    case run_state::running: return "running";
    case run_state::stopping: return "stopping";
    case run_state::stopped: return "stopped";
  }
  return "unknown";
}

}  // namespace endure::stats
