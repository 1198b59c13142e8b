#include "store/sqlite.hpp"

#include <sqlite3.h>

namespace endure::store::sql {

bool failure::is_full() const { return rc_ == SQLITE_FULL; }

bool failure::is_corrupt() const {
  return rc_ == SQLITE_CORRUPT || rc_ == SQLITE_NOTADB || rc_ == SQLITE_FORMAT;
}

database::database(const std::string& path, open_mode mode) {
  int flags = SQLITE_OPEN_NOMUTEX;  // one thread per connection
  switch (mode) {
    case open_mode::create:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case open_mode::read_write:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case open_mode::read_only:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw failure(rc, msg);
  }
  sqlite3_extended_result_codes(db_, 0);
  // A reader may meet the writer's checkpoint: wait a little rather than fail at once.
  sqlite3_busy_timeout(db_, 5000);
}

database::~database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

database& database::operator=(database&& o) noexcept {
  if (this != &o) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

void database::fail(int rc) const {
  throw failure(rc, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
}

void database::exec(std::string_view sql) {
  const std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw failure(rc, msg);
  }
}

statement database::prepare(std::string_view sql) { return statement(*this, sql); }

int64_t database::query_int(std::string_view sql) {
  statement st(*this, sql);
  return st.step() ? st.int64(0) : 0;
}

std::string database::query_text(std::string_view sql) {
  statement st(*this, sql);
  return st.step() ? st.text(0) : std::string();
}

int64_t database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int database::changes() const { return sqlite3_changes(db_); }
bool database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
std::string database::message() const { return db_ != nullptr ? sqlite3_errmsg(db_) : ""; }

statement::statement(const database& db, std::string_view sql) : db_(&db) {
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &st_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc);
}

statement::~statement() {
  if (st_ != nullptr) sqlite3_finalize(st_);
}

statement& statement::operator=(statement&& o) noexcept {
  if (this != &o) {
    if (st_ != nullptr) sqlite3_finalize(st_);
    db_ = o.db_;
    st_ = o.st_;
    o.st_ = nullptr;
  }
  return *this;
}

statement& statement::bind(int i, int64_t v) {
  if (int rc = sqlite3_bind_int64(st_, i, v); rc != SQLITE_OK) db_->fail(rc);
  return *this;
}

statement& statement::bind(int i, double v) {
  if (int rc = sqlite3_bind_double(st_, i, v); rc != SQLITE_OK) db_->fail(rc);
  return *this;
}

statement& statement::bind(int i, std::string_view text) {
  if (int rc = sqlite3_bind_text64(st_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      rc != SQLITE_OK)
    db_->fail(rc);
  return *this;
}

statement& statement::bind_blob(int i, std::string_view bytes) {
  // An empty blob binds as a zero-length blob, not NULL (NULL is the caller's choice).
  if (int rc = sqlite3_bind_blob64(st_, i, bytes.empty() ? "" : bytes.data(), bytes.size(),
                                   SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    db_->fail(rc);
  return *this;
}

statement& statement::bind_null(int i) {
  if (int rc = sqlite3_bind_null(st_, i); rc != SQLITE_OK) db_->fail(rc);
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(st_);
  db_->fail(rc);
}

void statement::run() {
  while (step()) {
  }
  sqlite3_reset(st_);
}

void statement::reset() { sqlite3_reset(st_); }

int64_t statement::int64(int col) const { return sqlite3_column_int64(st_, col); }
double statement::real(int col) const { return sqlite3_column_double(st_, col); }

std::string statement::text(int col) const {
  const auto* p = sqlite3_column_text(st_, col);
  const int n = sqlite3_column_bytes(st_, col);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
                      : std::string();
}

std::string_view statement::blob(int col) const {
  const void* p = sqlite3_column_blob(st_, col);
  const int n = sqlite3_column_bytes(st_, col);
  return p != nullptr ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
                      : std::string_view();
}

bool statement::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

transaction::transaction(database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
  if (done_) return;
  // After SQLITE_FULL SQLite may have rolled back already; a second ROLLBACK would fail.
  if (db_.in_transaction()) {
    try {
      db_.exec("ROLLBACK");
    } catch (const failure&) {
    }
  }
}

void transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace endure::store::sql
