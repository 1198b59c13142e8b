#include "rules/body.hpp"

#include "http/url.hpp"

namespace endure::rules {

namespace {
bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (http::ascii_lower(a[i]) != http::ascii_lower(b[i])) return false;
  return true;
}
}  // namespace

body multipart_body(const http::field_list& fields, const std::vector<file_part>& files,
                    std::string_view boundary) {
  body b;
  std::string& out = b.bytes;
  for (const auto& [name, value] : fields) {
    out.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"");
    out.append(name).append("\"\r\n\r\n").append(value).append("\r\n");
  }
  for (const auto& f : files) {
    out.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"");
    out.append(f.field).append("\"");
    if (f.filename) out.append("; filename=\"").append(*f.filename).append("\"");
    out.append("\r\n");
    if (!f.content_type.empty()) out.append("Content-Type: ").append(f.content_type).append("\r\n");
    out.append("\r\n").append(f.content).append("\r\n");
  }
  out.append("--").append(boundary).append("--\r\n");
  b.content_type = "multipart/form-data; boundary=" + std::string(boundary);
  return b;
}

body build_body(body_input&& in) {
  bool has_data = (in.form && !in.form->empty()) || (in.raw && !in.raw->empty());
  if (!in.files.empty())
    return multipart_body(in.form ? *in.form : http::field_list{}, in.files, in.boundary);
  if (has_data) {
    if (in.form && !in.form->empty()) return {http::form_encode(*in.form), std::string(form_content_type)};
    return {std::move(*in.raw), {}};
  }
  if (in.json) return {std::move(*in.json), std::string(json_content_type)};
  return {};
}

void add_default_header(http::field_list& headers, std::string_view name, std::string_view value) {
  for (const auto& h : headers)
    if (equals_nocase(h.first, name)) return;
  headers.emplace_back(std::string(name), std::string(value));
}

}  // namespace endure::rules
