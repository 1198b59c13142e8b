#include "proto/msgpack.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

namespace endure::proto {
namespace {

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_uint(std::string& out, uint64_t v) {
  if (v < 0x80) {
    out.push_back(static_cast<char>(v));
  } else if (v <= 0xff) {
    out.push_back(static_cast<char>(0xcc));
    put_be(out, v, 1);
  } else if (v <= 0xffff) {
    out.push_back(static_cast<char>(0xcd));
    put_be(out, v, 2);
  } else if (v <= 0xffffffffULL) {
    out.push_back(static_cast<char>(0xce));
    put_be(out, v, 4);
  } else {
    out.push_back(static_cast<char>(0xcf));
    put_be(out, v, 8);
  }
}

void put_int(std::string& out, int64_t v) {
  if (v >= 0) return put_uint(out, static_cast<uint64_t>(v));
  if (v >= -32) {
    out.push_back(static_cast<char>(static_cast<uint8_t>(v)));
  } else if (v >= INT8_MIN) {
    out.push_back(static_cast<char>(0xd0));
    put_be(out, static_cast<uint8_t>(v), 1);
  } else if (v >= INT16_MIN) {
    out.push_back(static_cast<char>(0xd1));
    put_be(out, static_cast<uint16_t>(v), 2);
  } else if (v >= INT32_MIN) {
    out.push_back(static_cast<char>(0xd2));
    put_be(out, static_cast<uint32_t>(v), 4);
  } else {
    out.push_back(static_cast<char>(0xd3));
    put_be(out, static_cast<uint64_t>(v), 8);
  }
}

void put_str(std::string& out, std::string_view s) {
  const size_t n = s.size();
  if (n < 32) {
    out.push_back(static_cast<char>(0xa0 | n));
  } else if (n <= 0xff) {
    out.push_back(static_cast<char>(0xd9));
    put_be(out, n, 1);
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(0xda));
    put_be(out, n, 2);
  } else {
    out.push_back(static_cast<char>(0xdb));
    put_be(out, n, 4);
  }
  out.append(s);
}

void put_header(std::string& out, size_t n, uint8_t fix, uint8_t fix_max, uint8_t c16, uint8_t c32) {
  if (n < fix_max) {
    out.push_back(static_cast<char>(fix | n));
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(c16));
    put_be(out, n, 2);
  } else {
    out.push_back(static_cast<char>(c32));
    put_be(out, n, 4);
  }
}

// A decimal integer key ("150", "-3") as a number; false for anything else.
bool integer_key(const std::string& k, int64_t& v) {
  if (k.empty() || k.size() > 19) return false;
  size_t i = k[0] == '-' ? 1 : 0;
  if (i == k.size()) return false;
  int64_t r = 0;
  for (; i < k.size(); ++i) {
    if (k[i] < '0' || k[i] > '9') return false;
    r = r * 10 + (k[i] - '0');
  }
  v = k[0] == '-' ? -r : r;
  return true;
}

void encode(const nlohmann::json& j, std::string& out, const msgpack_options& o, bool int_keys) {
  using t = nlohmann::json::value_t;
  switch (j.type()) {
    case t::null:
    case t::discarded: out.push_back(static_cast<char>(0xc0)); break;
    case t::boolean: out.push_back(static_cast<char>(j.get<bool>() ? 0xc3 : 0xc2)); break;
    case t::number_unsigned: put_uint(out, j.get<uint64_t>()); break;
    case t::number_integer: put_int(out, j.get<int64_t>()); break;
    case t::number_float: {
      out.push_back(static_cast<char>(0xcb));
      double d = j.get<double>();
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      put_be(out, bits, 8);
      break;
    }
    case t::string: put_str(out, j.get_ref<const std::string&>()); break;
    case t::binary: {
      const auto& b = j.get_binary();
      const size_t n = b.size();
      if (n <= 0xff) {
        out.push_back(static_cast<char>(0xc4));
        put_be(out, n, 1);
      } else if (n <= 0xffff) {
        out.push_back(static_cast<char>(0xc5));
        put_be(out, n, 2);
      } else {
        out.push_back(static_cast<char>(0xc6));
        put_be(out, n, 4);
      }
      out.append(reinterpret_cast<const char*>(b.data()), n);
      break;
    }
    case t::array:
      put_header(out, j.size(), 0x90, 16, 0xdc, 0xdd);
      for (const auto& v : j) encode(v, out, o, false);
      break;
    case t::object:
      put_header(out, j.size(), 0x80, 16, 0xde, 0xdf);
      for (auto it = j.begin(); it != j.end(); ++it) {
        int64_t k = 0;
        if (int_keys && integer_key(it.key(), k)) put_int(out, k);
        else put_str(out, it.key());
        encode(it.value(), out, o, o.integer_keyed.count(it.key()) > 0);
      }
      break;
  }
}

class reader {
 public:
  explicit reader(std::string_view b) : b_(b) {}

  bool value(nlohmann::json& out, int depth) {
    if (depth > 64) return fail("nested deeper than 64");
    uint8_t c = 0;
    if (!byte(c)) return false;
    if (c <= 0x7f) return out = c, true;
    if (c >= 0xe0) return out = static_cast<int64_t>(static_cast<int8_t>(c)), true;
    if ((c & 0xf0) == 0x80) return map(out, c & 0x0f, depth);
    if ((c & 0xf0) == 0x90) return array(out, c & 0x0f, depth);
    if ((c & 0xe0) == 0xa0) return str(out, c & 0x1f);
    uint64_t n = 0;
    switch (c) {
      case 0xc0: return out = nullptr, true;
      case 0xc2: return out = false, true;
      case 0xc3: return out = true, true;
      case 0xc4: return be(n, 1) && bin(out, n);
      case 0xc5: return be(n, 2) && bin(out, n);
      case 0xc6: return be(n, 4) && bin(out, n);
      case 0xca: {
        if (!be(n, 4)) return false;
        uint32_t u = static_cast<uint32_t>(n);
        float f = 0;
        std::memcpy(&f, &u, sizeof f);
        return out = static_cast<double>(f), true;
      }
      case 0xcb: {
        if (!be(n, 8)) return false;
        double d = 0;
        std::memcpy(&d, &n, sizeof d);
        return out = d, true;
      }
      case 0xcc: return be(n, 1) && (out = n, true);
      case 0xcd: return be(n, 2) && (out = n, true);
      case 0xce: return be(n, 4) && (out = n, true);
      case 0xcf: return be(n, 8) && (out = n, true);
      case 0xd0: return be(n, 1) && (out = static_cast<int64_t>(static_cast<int8_t>(n)), true);
      case 0xd1: return be(n, 2) && (out = static_cast<int64_t>(static_cast<int16_t>(n)), true);
      case 0xd2: return be(n, 4) && (out = static_cast<int64_t>(static_cast<int32_t>(n)), true);
      case 0xd3: return be(n, 8) && (out = static_cast<int64_t>(n), true);
      case 0xd9: return be(n, 1) && str(out, n);
      case 0xda: return be(n, 2) && str(out, n);
      case 0xdb: return be(n, 4) && str(out, n);
      case 0xdc: return be(n, 2) && array(out, n, depth);
      case 0xdd: return be(n, 4) && array(out, n, depth);
      case 0xde: return be(n, 2) && map(out, n, depth);
      case 0xdf: return be(n, 4) && map(out, n, depth);
      default: break;
    }
    return fail("unsupported msgpack type 0x" + hex(c) + " (extension types are not used by Locust)");
  }

  bool at_end() const { return pos_ == b_.size(); }
  size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why) + " at byte " + std::to_string(pos_);
    return false;
  }

 private:
  static std::string hex(uint8_t c) {
    const char* d = "0123456789abcdef";
    return {d[c >> 4], d[c & 15]};
  }
  bool byte(uint8_t& c) {
    if (pos_ >= b_.size()) return fail("truncated");
    c = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  bool be(uint64_t& v, int n) {
    if (b_.size() - pos_ < static_cast<size_t>(n)) return fail("truncated");
    v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  bool str(nlohmann::json& out, uint64_t n) {
    if (b_.size() - pos_ < n) return fail("truncated string");
    out = std::string(b_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool bin(nlohmann::json& out, uint64_t n) {
    if (b_.size() - pos_ < n) return fail("truncated binary");
    const auto* p = reinterpret_cast<const uint8_t*>(b_.data() + pos_);
    out = nlohmann::json::binary(std::vector<uint8_t>(p, p + n));
    pos_ += n;
    return true;
  }
  bool array(nlohmann::json& out, uint64_t n, int depth) {
    // Each element takes at least one byte: a count beyond the input is a lie, not an allocation.
    if (n > b_.size() - pos_) return fail("array longer than the message");
    out = nlohmann::json::array();
    for (uint64_t i = 0; i < n; ++i) {
      nlohmann::json v;
      if (!value(v, depth + 1)) return false;
      out.push_back(std::move(v));
    }
    return true;
  }
  bool map(nlohmann::json& out, uint64_t n, int depth) {
    if (n > (b_.size() - pos_) / 2) return fail("map longer than the message");
    out = nlohmann::json::object();
    for (uint64_t i = 0; i < n; ++i) {
      nlohmann::json k, v;
      if (!value(k, depth + 1) || !value(v, depth + 1)) return false;
      std::string key;
      if (k.is_string()) key = k.get<std::string>();
      else if (k.is_number_integer() || k.is_number_unsigned()) key = k.dump();
      else if (k.is_number_float() || k.is_boolean() || k.is_null()) key = k.dump();
      else return fail("a map key that is not a string or a number");
      out[key] = std::move(v);
    }
    return true;
  }

  std::string_view b_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

void msgpack_encode(const nlohmann::json& j, std::string& out, const msgpack_options& o) {
  encode(j, out, o, false);
}

std::string msgpack_encode(const nlohmann::json& j, const msgpack_options& o) {
  std::string out;
  encode(j, out, o, false);
  return out;
}

base::result<nlohmann::json> msgpack_decode(std::string_view bytes) {
  reader r(bytes);
  nlohmann::json j;
  if (!r.value(j, 0)) return base::make_error("bad MessagePack: " + r.error());
  if (!r.at_end())
    return base::make_error("bad MessagePack: " + std::to_string(bytes.size() - r.pos()) +
                            " bytes after the value");
  return j;
}

}  // namespace endure::proto
