// store::sql: a small RAII layer over SQLite's C API (Debian's libsqlite3): a connection, prepared
// statements with typed binds and columns, and a transaction guard. Failures throw sql::failure
// (the SQLite result code and message) inside the store module only; the store's public API turns
// them into base::result and status lines. No policy here: schema and retries live above.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace endure::store::sql {

// An SQLite call that failed: rc is SQLite's primary result code (SQLITE_FULL, SQLITE_CORRUPT...).
class failure : public std::runtime_error {
 public:
  failure(int rc, const std::string& message) : std::runtime_error(message), rc_(rc) {}
  int rc() const { return rc_; }
  // The disk (or the database's page limit) is full: the store keeps going and retries.
  bool is_full() const;
  // The file is damaged, truncated or not a database at all.
  bool is_corrupt() const;

 private:
  int rc_;
};

enum class open_mode { create, read_write, read_only };

class statement;

// One connection. Move-only; closed by the destructor. One thread at a time.
class database {
 public:
  database() = default;
  // Throws failure when the file cannot be opened in this mode.
  database(const std::string& path, open_mode mode);
  ~database();
  database(database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  database& operator=(database&& o) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  bool is_open() const { return db_ != nullptr; }
  // Runs one or more statements without results.
  void exec(std::string_view sql);
  statement prepare(std::string_view sql);
  // The first column of the first row of a query as an integer (0 when there is no row).
  int64_t query_int(std::string_view sql);
  std::string query_text(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  bool in_transaction() const;
  std::string message() const;
  [[noreturn]] void fail(int rc) const;
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement. Bind indices are 1-based, column indices 0-based (as SQLite's).
class statement {
 public:
  statement() = default;
  statement(const database& db, std::string_view sql);
  ~statement();
  statement(statement&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int i, int64_t v);
  statement& bind(int i, uint64_t v) { return bind(i, static_cast<int64_t>(v)); }
  statement& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  statement& bind(int i, double v);
  statement& bind(int i, std::string_view text);
  statement& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  statement& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  statement& bind_blob(int i, std::string_view bytes);
  statement& bind_null(int i);

  // True while there is a row to read; false when done. Throws on an error.
  bool step();
  // Runs a statement that returns no rows, then resets it for the next use.
  void run();
  // Ready for new binds (the old ones are kept until rebound).
  void reset();

  int64_t int64(int col) const;
  uint64_t uint64(int col) const { return static_cast<uint64_t>(int64(col)); }
  double real(int col) const;
  std::string text(int col) const;
  // Valid until the next step or reset.
  std::string_view blob(int col) const;
  bool is_null(int col) const;

 private:
  const database* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class transaction {
 public:
  explicit transaction(database& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

 private:
  database& db_;
  bool done_ = false;
};

}  // namespace endure::store::sql
