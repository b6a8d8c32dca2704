// Thin RAII helpers over the SQLite C API, used by FeedbackStore only.
//
//   ZIMON_ASSIGN_OR_RETURN(auto db, sqlite::Db::Open(path));
//   ZIMON_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
//   ZIMON_ASSIGN_OR_RETURN(auto stmt, db->Prepare("SELECT ..."));
//   stmt.Bind(1, id);
//   ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
//
// Every SQLite error becomes a Status whose message names the database path
// (see ErrorStatus for the code mapping).
//
// Ownership: Db owns its connection; a Statement owns its prepared statement
// and must not outlive the Db that prepared it.
//
// Thread safety: none. The connection is opened in SQLite's multi-thread mode
// (no mutex of its own): the caller serializes every use of a Db and its
// Statements, as FeedbackStore does with one mutex around each operation.
// SQLite's own locks cost a lock and unlock per bound value and per step,
// which the image recorder pays for every row.
#ifndef ZIMON_GATEWAY_FEEDBACK_SQLITE_H_
#define ZIMON_GATEWAY_FEEDBACK_SQLITE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "zimon/common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace zimon::gateway::sqlite {

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  void Bind(int index, int64_t value);
  void Bind(int index, double value);
  void Bind(int index, std::string_view value);
  // Binds text without copying it: `value` must stay valid until the
  // statement is stepped to its end and Reset().
  void BindUncopied(int index, std::string_view value);
  void Bind(int index, std::optional<double> value);
  // Binds bytes as a BLOB without copying them (lifetime as above).
  void BindBlobUncopied(int index, std::string_view bytes);
  void BindNull(int index);
  // Binds NULL when `value` is empty.
  void BindTextOrNull(int index, std::string_view value);

  // Runs one step: true when a row is available, false when done.
  StatusOr<bool> Step();
  // Makes the statement runnable again with new bindings.
  void Reset();

  // Columns are 0-based, as in SQLite. NULL reads as 0 / "" / nullopt.
  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  std::optional<double> ColumnOptionalDouble(int column) const;
  // A BLOB column's bytes, valid until the next Step() or Reset().
  std::string_view ColumnBlob(int column) const;

 private:
  friend class Db;
  Statement(sqlite3_stmt* stmt, const class Db* db);
  sqlite3_stmt* stmt_ = nullptr;
  const Db* db_ = nullptr;
};

class Db {
 public:
  // Opens (creating if missing) the database file at `path`.
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements that return no rows of interest.
  Status Exec(const char* sql);
  StatusOr<Statement> Prepare(const char* sql) const;
  // The value of a pragma that returns one integer (e.g. "PRAGMA
  // user_version").
  StatusOr<int64_t> QueryInt(const char* sql);
  int64_t LastInsertRowId() const;

  // Stops SQLite's automatic checkpoint (at 1 000 WAL frames, inside the
  // commit that crosses them) and counts instead: wal_frames() is the WAL's
  // length in frames after this connection's last commit, 0 before one. The
  // owner checkpoints with Checkpoint().
  void CountWalFrames();
  int wal_frames() const { return wal_frames_; }

  struct CheckpointResult {
    int wal_frames = 0;  // frames in the WAL
    int copied = 0;      // of them, in the database file now
    bool complete() const { return copied >= wal_frames; }
  };
  // A PASSIVE checkpoint: copies into the database file what WAL frames no
  // reader still needs, without waiting. Once it is complete the next commit
  // writes the WAL from its start again.
  StatusOr<CheckpointResult> Checkpoint();

  // A Status for SQLite result code `rc` on this connection: the message is
  // "<path>: <context>: <sqlite message>". NOTADB and CORRUPT map to kDataLoss,
  // CANTOPEN and IOERR to the errno's code (kNotFound, kPermissionDenied, ...)
  // or kUnavailable, BUSY/LOCKED to kUnavailable, FULL to kResourceExhausted,
  // CONSTRAINT to kAlreadyExists, anything else to kInternal.
  Status ErrorStatus(int rc, std::string_view context) const;

  const std::string& path() const { return path_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  int wal_frames_ = 0;  // set by the WAL hook CountWalFrames() installs
};

}  // namespace zimon::gateway::sqlite

#endif  // ZIMON_GATEWAY_FEEDBACK_SQLITE_H_
