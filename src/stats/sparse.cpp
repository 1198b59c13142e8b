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
  // Common case in a steady run: b's buckets are mostly a's. Merge-join into a new vector.
  sparse_counts out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].first < b[j].first) {
      out.push_back(a[i++]);
    } else if (b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      out.emplace_back(a[i].first, a[i].second + b[j].second);
      ++i;
      ++j;
    }
  }
  out.insert(out.end(), a.begin() + static_cast<std::ptrdiff_t>(i), a.end());
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(j), b.end());
  a.swap(out);
}

void counts_of_sorted(const uint32_t* indices, size_t n, sparse_counts& out) {
  out.clear();
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

void sparse_quantiles(const sparse_counts& c, uint64_t min_us, uint64_t max_us, const double* qs,
                      size_t n, uint64_t* out) {
  const uint64_t count = total_count(c);
  size_t k = 0;
  for (; k < n && (count == 0 || !(qs[k] > 0)); ++k) out[k] = count ? min_us : 0;
  auto rank_of = [count](double q) {
    return std::clamp<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(count))),
                                1, count);
  };
  uint64_t seen = 0;
  for (size_t b = 0; b < c.size() && k < n; ++b) {
    seen += c[b].second;
    while (k < n && qs[k] < 1 && seen >= rank_of(qs[k]))
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

}  // namespace endure::stats
