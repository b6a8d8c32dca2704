#include "zimon/common/status.h"

#include <cerrno>
#include <cstring>

namespace zimon {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 412;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kCancelled:
      return 499;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kUnknown:
    case StatusCode::kInternal:
    case StatusCode::kDataLoss:
      return 500;
  }
  return 500;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithPrefix(std::string_view prefix) const {
  if (ok()) return *this;
  std::string m(prefix);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

#define ZIMON_DEFINE_ERROR(Name, Code)                   \
  Status Name(std::string message) {                     \
    return Status(StatusCode::Code, std::move(message)); \
  }
ZIMON_DEFINE_ERROR(CancelledError, kCancelled)
ZIMON_DEFINE_ERROR(UnknownError, kUnknown)
ZIMON_DEFINE_ERROR(InvalidArgumentError, kInvalidArgument)
ZIMON_DEFINE_ERROR(DeadlineExceededError, kDeadlineExceeded)
ZIMON_DEFINE_ERROR(NotFoundError, kNotFound)
ZIMON_DEFINE_ERROR(AlreadyExistsError, kAlreadyExists)
ZIMON_DEFINE_ERROR(PermissionDeniedError, kPermissionDenied)
ZIMON_DEFINE_ERROR(ResourceExhaustedError, kResourceExhausted)
ZIMON_DEFINE_ERROR(FailedPreconditionError, kFailedPrecondition)
ZIMON_DEFINE_ERROR(AbortedError, kAborted)
ZIMON_DEFINE_ERROR(OutOfRangeError, kOutOfRange)
ZIMON_DEFINE_ERROR(UnimplementedError, kUnimplemented)
ZIMON_DEFINE_ERROR(InternalError, kInternal)
ZIMON_DEFINE_ERROR(UnavailableError, kUnavailable)
ZIMON_DEFINE_ERROR(DataLossError, kDataLoss)
ZIMON_DEFINE_ERROR(UnauthenticatedError, kUnauthenticated)
#undef ZIMON_DEFINE_ERROR

Status ErrnoToStatus(int errnum, std::string_view context) {
  StatusCode code = StatusCode::kUnknown;
  switch (errnum) {
    case ENOENT:
    case ENOTDIR:
      code = StatusCode::kNotFound;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = StatusCode::kPermissionDenied;
      break;
    case EEXIST:
      code = StatusCode::kAlreadyExists;
      break;
    case EINVAL:
    case ENAMETOOLONG:
      code = StatusCode::kInvalidArgument;
      break;
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EDQUOT:
      code = StatusCode::kResourceExhausted;
      break;
    case ETIMEDOUT:
      code = StatusCode::kDeadlineExceeded;
      break;
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:  // the reader went away
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EAGAIN:
    case EINTR:
      code = StatusCode::kUnavailable;
      break;
    case EIO:
      code = StatusCode::kDataLoss;
      break;
    default:
      break;
  }
  std::string m(context);
  m += ": ";
  m += std::strerror(errnum);
  return Status(code, std::move(m));
}

}  // namespace zimon
