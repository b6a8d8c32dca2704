#include "zimon/gateway/feedback_sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

namespace zimon::gateway::sqlite {

Statement::Statement(sqlite3_stmt* stmt, const Db* db) : stmt_(stmt), db_(db) {}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

// Bind errors (SQLITE_RANGE, SQLITE_TOOBIG) are reported by the next Step()
// through the connection's error state, so the return codes are not checked
// here.
void Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}
void Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
}
void Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}
void Statement::BindUncopied(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_STATIC);
}
void Statement::BindBlobUncopied(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                    SQLITE_STATIC);
}
void Statement::Bind(int index, std::optional<double> value) {
  if (value.has_value()) {
    Bind(index, *value);
  } else {
    sqlite3_bind_null(stmt_, index);
  }
}
void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

void Statement::BindTextOrNull(int index, std::string_view value) {
  if (value.empty()) {
    BindNull(index);
  } else {
    Bind(index, value);
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->ErrorStatus(rc, sqlite3_sql(stmt_));
}

int64_t Statement::ColumnInt(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<double> Statement::ColumnOptionalDouble(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::ColumnBlob(int column) const {
  const void* bytes = sqlite3_column_blob(stmt_, column);
  if (bytes == nullptr) return {};
  return {static_cast<const char*>(bytes),
          static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  // Before SQLite initializes (its first open): no statistics on its memory
  // use, which zimon never reads and which take a global lock around every
  // allocation. It fails harmlessly when something else initialized it first.
  static const int kNoMemoryStatistics =
      sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kNoMemoryStatistics;
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &handle,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  std::unique_ptr<Db> db(new Db(handle, path));
  if (rc != SQLITE_OK) {
    if (handle == nullptr) {
      return ResourceExhaustedError(path + ": cannot allocate SQLite handle");
    }
    return db->ErrorStatus(rc, "open");
  }
  sqlite3_extended_result_codes(handle, 1);
  return db;
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(rc, sql);
  return OkStatus();
}

StatusOr<Statement> Db::Prepare(const char* sql) const {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return ErrorStatus(rc, sql);
  }
  return Statement(stmt, this);
}

StatusOr<int64_t> Db::QueryInt(const char* sql) {
  ZIMON_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError(path_ + ": " + sql + ": returned no row");
  return stmt.ColumnInt(0);
}

int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

void Db::CountWalFrames() {
  // A WAL hook replaces the automatic checkpoint, which is one itself.
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Db*>(self)->wal_frames_ = frames;
        return SQLITE_OK;
      },
      this);
}

StatusOr<Db::CheckpointResult> Db::Checkpoint() {
  int frames = 0;
  int copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                     &frames, &copied);
  if (rc != SQLITE_OK) return ErrorStatus(rc, "checkpoint");
  // -1: not in WAL mode, or nothing to do.
  CheckpointResult result{.wal_frames = std::max(frames, 0),
                          .copied = std::max(copied, 0)};
  if (result.complete()) wal_frames_ = 0;
  return result;
}

Status Db::ErrorStatus(int rc, std::string_view context) const {
  std::string message =
      path_ + ": " + std::string(context) + ": " +
      (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return DataLossError(message +
                           " (the file is not a valid feedback "
                           "database; move it aside to start anew)");
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM: {
      int err = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
      if (err != 0) return ErrnoToStatus(err, message);
      if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM) {
        return PermissionDeniedError(message);
      }
      return UnavailableError(message);
    }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(message);
    case SQLITE_FULL:
      return ResourceExhaustedError(message);
    case SQLITE_CONSTRAINT:
      return AlreadyExistsError(message);
    default:
      return InternalError(message);
  }
}

}  // namespace zimon::gateway::sqlite
