// analysis Mann-Kendall: the rank trend test with the Hamed-Rao (1998) variance correction for
// autocorrelation, and Sen's (1968) slope with its confidence interval from the same corrected
// variance. Pure functions on (time, value) points; the caller removes missing values first.
#pragma once
#include <cstddef>
#include <vector>

namespace endure::analysis {

struct sen_slope {
  double slope = 0;             // median of pairwise slopes, value units per time unit
  double intercept = 0;         // median of x - slope t: the line is intercept + slope t
  double lower = 0, upper = 0;  // confidence interval at 1 - alpha
  double lower_narrow = 0, upper_narrow = 0;  // at 1 - 2 alpha (for equivalence: TOST)
};

struct mann_kendall {
  size_t n = 0;
  double s = 0;           // sum over i < j of sign(x_j - x_i)
  double variance = 0;    // Var(S) for independent data, ties corrected
  double correction = 1;  // Hamed-Rao n/n*: the variance inflation from autocorrelation (>= 1)
  // Its two estimates (correction is the larger, at least 1): from the lags significant at 5%
  // (Hamed and Rao), and from the AR(1) model of the bias-corrected lag-1 autocorrelation.
  double correction_significant_lags = 1, correction_ar1 = 1;
  double z = 0, p = 1;    // two-sided, with the corrected variance
  sen_slope sen;
};

// The test and Sen's slope with a (1 - alpha) interval. t must be increasing. With fewer than
// 3 points, p is 1 and the slope 0.
mann_kendall mann_kendall_test(const std::vector<double>& t, const std::vector<double>& x,
                               double alpha = 0.05);

// Sen's slope alone (median pairwise slope) and the matching intercept.
sen_slope theil_sen(const std::vector<double>& t, const std::vector<double>& x);

}  // namespace endure::analysis
