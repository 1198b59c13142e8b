// sinks: consumers of run snapshots that print or write files (console, CSV, JSON, HTML).
// Each sink is driven by one thread, one snapshot at a time; sinks never touch engine state.
#pragma once
#include "stats/snapshot.hpp"

namespace endure::sinks {

struct sink {
  virtual ~sink();
  // Called once per interval and once more with the final snapshot (snapshot.is_final).
  virtual void on_snapshot(const stats::snapshot& s) = 0;
};

}  // namespace endure::sinks
