// analysis seasonal: a daily (or other periodic) shape in a series, such as traffic that follows
// the time of day. When a series covers at least two whole periods and a mean profile by phase
// explains a real share of its variance, the profile is removed before the trend tests, so a
// run that ends mid-afternoon does not read as a trend. Pure.
#pragma once
#include <vector>

namespace endure::analysis {

struct seasonal_fit {
  bool applied = false;
  double period_s = 0;
  double strength = 0;          // share of the detrended variance the profile explains (0..1)
  std::vector<double> profile;  // one offset per phase bin, mean zero
};

// Tries each period (seconds, on the time axis t) and keeps the strongest whose strength is at
// least min_strength. wall_offset_s is added to t to compute phases (the time of day of t = 0).
seasonal_fit fit_seasonal(const std::vector<double>& t, const std::vector<double>& x,
                          const std::vector<double>& periods_s, double wall_offset_s = 0,
                          double min_strength = 0.2);

// x minus the profile at each point's phase (x unchanged when the fit was not applied).
std::vector<double> remove_seasonal(const std::vector<double>& t, const std::vector<double>& x,
                                    const seasonal_fit& fit, double wall_offset_s = 0);

}  // namespace endure::analysis
