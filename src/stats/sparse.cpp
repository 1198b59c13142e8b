#include "stats/sparse.hpp"

#include <algorithm>
#include <cmath>

#include "stats/histogram.hpp"

namespace endure::stats {

void merge_into(sparse_counts& a, const sparse_counts& b) {
  if (b.empty()) return;
  if (a.empty()) {
    a = b;
    return;
  }
  // In place, from the back: no second vector. Equal indices collapse, which leaves room at the
  // front that one move closes at the end.
  const size_t n = a.size(), m = b.size();
  a.resize(n + m);
  size_t i = n, j = m, k = n + m;
  while (j > 0) {
    if (i > 0 && a[i - 1].first > b[j - 1].first) {
      a[--k] = a[--i];
    } else if (i > 0 && a[i - 1].first == b[j - 1].first) {
      a[--k] = {a[i - 1].first, a[i - 1].second + b[j - 1].second};
      --i;
      --j;
    } else {
      a[--k] = b[--j];
    }
  }
  // a[0, i) is in place already; [i, k) is the gap.
  if (k != i) {
    std::move(a.begin() + static_cast<std::ptrdiff_t>(k), a.end(), a.begin() + static_cast<std::ptrdiff_t>(i));
    a.resize(a.size() - (k - i));
  }
}

void counts_of_sorted(const uint32_t* indices, size_t n, sparse_counts& out) {
  out.clear();
  // Distinct buckets are at most n (and usually close to it at low rates): one allocation.
  out.reserve(std::min<size_t>(n, 4096));
  for (size_t k = 0; k < n;) {
    const uint32_t v = indices[k];
    size_t e = k + 1;
    while (e < n && indices[e] == v) ++e;
    out.emplace_back(v, static_cast<uint64_t>(e - k));
    k = e;
  }
}

uint64_t total_count(const sparse_counts& c) {
  uint64_t n = 0;
  for (const auto& [i, k] : c) n += k;
  return n;
}

namespace {
// The rank each ascending quantile needs (UINT64_MAX for q >= 1: the exact max).
void ranks_of(const double* qs, size_t n, uint64_t count, uint64_t* ranks) {
  for (size_t k = 0; k < n; ++k)
    ranks[k] = qs[k] >= 1 ? UINT64_MAX
                          : std::clamp<uint64_t>(
                                static_cast<uint64_t>(std::ceil(qs[k] * static_cast<double>(count))),
                                1, count);
}
}  // namespace

void sparse_quantiles(const sparse_counts& c, uint64_t min_us, uint64_t max_us, const double* qs,
                      size_t n, uint64_t* out) {
  const uint64_t count = total_count(c);
  size_t k = 0;
  for (; k < n && (count == 0 || !(qs[k] > 0)); ++k) out[k] = count ? min_us : 0;
  uint64_t ranks[32];
  const size_t m = std::min<size_t>(n, 32);
  ranks_of(qs, m, count, ranks);
  uint64_t seen = 0;
  for (size_t b = 0; b < c.size() && k < m && ranks[k] != UINT64_MAX; ++b) {
    seen += c[b].second;
    while (k < m && ranks[k] != UINT64_MAX && seen >= ranks[k])
      out[k++] = std::clamp(histogram::bucket_mid_us(c[b].first), min_us, max_us);
  }
  for (; k < n; ++k) out[k] = count ? max_us : 0;
}

namespace {
void put_varint(std::string& s, uint64_t v) {
  while (v >= 0x80) {
    s.push_back(static_cast<char>(static_cast<uint8_t>(v) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& s, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (s.empty()) return false;
    const auto b = static_cast<uint8_t>(s.front());
    s.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}
}  // namespace

std::string pack(const sparse_counts& c) {
  std::string s;
  s.reserve(c.size() * 3);
  uint32_t prev = 0;
  for (const auto& [i, n] : c) {
    put_varint(s, i - prev);  // ascending: the delta fits in a byte or two
    put_varint(s, n);
    prev = i;
  }
  return s;
}

bool unpack(std::string_view bytes, sparse_counts& out) {
  const size_t start = out.size();
  uint64_t index = 0;
  bool first = true;
  while (!bytes.empty()) {
    uint64_t d = 0, n = 0;
    if (!get_varint(bytes, d) || !get_varint(bytes, n) || n == 0 || (!first && d == 0)) {
      out.resize(start);
      return false;
    }
    index += d;
    if (index >= histogram::bucket_total) {
      out.resize(start);
      return false;
    }
    out.emplace_back(static_cast<uint32_t>(index), n);
    first = false;
  }
  return true;
}

void merge_packed(const std::string* const* parts, size_t k, sparse_counts& out) {
  out.clear();
  sparse_counts one;
  for (size_t p = 0; p < k; ++p) {
    one.clear();
    if (parts[p] == nullptr || !unpack(*parts[p], one)) continue;
    merge_into(out, one);
  }
}

uint64_t packed_quantiles(const std::string* const* parts, size_t k, uint64_t min_us,
                          uint64_t max_us, const double* qs, size_t n, uint64_t* out) {
  // Each part is decoded straight into a dense table (one per thread, reused), then one scan of
  // the range the parts touched: cheaper than merging k sorted lists, and no allocation.
  thread_local std::vector<uint64_t> dense(histogram::bucket_total, 0);
  uint32_t lo = UINT32_MAX, hi = 0;
  uint64_t count = 0;
  for (size_t p = 0; p < k; ++p) {
    if (parts[p] == nullptr) continue;
    std::string_view bytes = *parts[p];
    uint64_t index = 0;
    while (!bytes.empty()) {
      uint64_t d = 0, c = 0;
      if (!get_varint(bytes, d) || !get_varint(bytes, c)) break;
      index += d;
      if (index >= histogram::bucket_total) break;
      const auto i = static_cast<uint32_t>(index);
      dense[i] += c;
      count += c;
      lo = std::min(lo, i);
      hi = std::max(hi, i);
    }
  }
  size_t q = 0;
  for (; q < n && (count == 0 || !(qs[q] > 0)); ++q) out[q] = count ? min_us : 0;
  if (count != 0) {
    uint64_t ranks[32];
    const size_t m = std::min<size_t>(n, 32);
    ranks_of(qs, m, count, ranks);
    uint64_t seen = 0;
    for (uint32_t i = lo; i <= hi; ++i) {
      const uint64_t v = dense[i];
      if (v == 0) continue;
      dense[i] = 0;
      seen += v;
      while (q < m && ranks[q] != UINT64_MAX && seen >= ranks[q])
        out[q++] = std::clamp(histogram::bucket_mid_us(i), min_us, max_us);
    }
  }
  for (; q < n; ++q) out[q] = count ? max_us : 0;
  return count;
}

}  // namespace endure::stats
