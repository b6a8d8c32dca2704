// Status and StatusOr<T>: recoverable errors as values.
//
// Which code to use:
//   kInvalidArgument    the caller's input is malformed (bad request, bad
//   config value) kNotFound           a named thing does not exist (file, id,
//   route) kAlreadyExists      a create found the thing already there
//   kFailedPrecondition the system is not in a state to do this (e.g. not
//   started) kOutOfRange         a value is outside the range the operation
//   accepts kResourceExhausted  a limit was reached (queue full, body too
//   large, out of memory) kUnavailable        a dependency cannot be reached
//   right now; retrying may help kDeadlineExceeded   the operation's deadline
//   passed kCancelled          the caller gave up (client disconnected,
//   shutdown) kUnauthenticated    credentials missing or wrong
//   kPermissionDenied   credentials valid but not allowed
//   kDataLoss           stored data is corrupt or truncated
//   kUnimplemented      the operation is not supported by this component
//   kInternal           an invariant broke; a bug
//   kUnknown            an error from elsewhere that maps to nothing above
//
// HttpStatusFor() is the one table from codes to HTTP status codes.
//
// Thread safety: Status and StatusOr are values; const methods are safe to call
// concurrently, as for any standard value type.
#ifndef ZIMON_COMMON_STATUS_H_
#define ZIMON_COMMON_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace zimon {

enum class StatusCode {
  kOk = 0,
  kCancelled,
  kUnknown,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
  kUnauthenticated,
};

std::string_view StatusCodeName(StatusCode code);

// The HTTP status code a handler answers with for an error of this code.
int HttpStatusFor(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message" (no-op when ok).
  Status WithPrefix(std::string_view prefix) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
Status CancelledError(std::string message);
Status UnknownError(std::string message);
Status InvalidArgumentError(std::string message);
Status DeadlineExceededError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status OutOfRangeError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status UnauthenticatedError(std::string message);

// Status from errno: ENOENT -> kNotFound, EACCES -> kPermissionDenied, ...
// The message is "context: strerror(errnum)".
Status ErrnoToStatus(int errnum, std::string_view context);

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // Implicit on purpose, so functions can `return value;` or `return status;`.
  StatusOr(const T& value) : value_(value) {}             // NOLINT
  StatusOr(T&& value) : value_(std::move(value)) {}       // NOLINT
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = InternalError("StatusOr built from OK status");
  }
  template <typename U>
  requires std::is_constructible_v<T, U&&> &&
      (!std::is_same_v<std::decay_t<U>, T>)&&(
          !std::is_same_v<std::decay_t<U>, Status>)StatusOr(U&& value)
      : value_(std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const& {
    static const Status kOk;
    return ok() ? kOk : status_;
  }
  Status status() && { return ok() ? Status() : std::move(status_); }

  // Precondition: ok().
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
inline Status AsStatus(Status&& s) { return std::move(s); }
template <typename T>
Status AsStatus(const StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

}  // namespace zimon

#define ZIMON_STATUS_CONCAT_INNER(a, b) a##b
#define ZIMON_STATUS_CONCAT(a, b) ZIMON_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define ZIMON_RETURN_IF_ERROR(expr)                                    \
  do {                                                                 \
    ::zimon::Status zimon_status_ = ::zimon::internal::AsStatus(expr); \
    if (!zimon_status_.ok()) return zimon_status_;                     \
  } while (0)

// `ZIMON_ASSIGN_OR_RETURN(auto x, Foo());` declares/assigns x from a StatusOr,
// or returns its Status from the enclosing function.
#define ZIMON_ASSIGN_OR_RETURN(lhs, expr)                                     \
  ZIMON_ASSIGN_OR_RETURN_IMPL(ZIMON_STATUS_CONCAT(zimon_statusor_, __LINE__), \
                              lhs, expr)
#define ZIMON_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

#endif  // ZIMON_COMMON_STATUS_H_
