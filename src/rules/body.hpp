// rules::body: how Locust's clients (python-requests' rules) turn json=, data= and files= into a
// request body and its default Content-Type. Pure: the caller serializes JSON and reads files.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/fields.hpp"

namespace endure::rules {

inline constexpr std::string_view json_content_type = "application/json";
inline constexpr std::string_view form_content_type = "application/x-www-form-urlencoded";

// One file of files=: (field, filename, content, content type); filename empty: none given.
struct file_part {
  std::string field;
  std::optional<std::string> filename;
  std::string content;
  std::string content_type;  // empty: no Content-Type line in the part
};

// What the user passed (each optional part as requests sees it).
struct body_input {
  std::optional<std::string> json;       // json=, already serialized
  std::optional<http::field_list> form;  // data= given as a dict or pairs
  std::optional<std::string> raw;        // data= given as str, bytes or a file's content
  std::vector<file_part> files;          // files=
  std::string boundary;                  // multipart boundary (random, chosen by the caller)
};

struct body {
  std::string bytes;
  std::string content_type;  // the default Content-Type; empty: none
};

// requests' precedence: files= make a multipart body (with data= fields first); else data=
// (a dict form-encoded, a string or bytes as they are, no default type); json= only when no data
// was given (an empty dict or string counts as none).
body build_body(body_input&& in);

// Multipart/form-data: fields, then files, each part as requests writes it.
body multipart_body(const http::field_list& fields, const std::vector<file_part>& files,
                    std::string_view boundary);

// Adds name: value unless headers already has name (case-insensitive), as requests does for the
// default Content-Type.
void add_default_header(http::field_list& headers, std::string_view name, std::string_view value);

}  // namespace endure::rules
