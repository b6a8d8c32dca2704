# User feedback store (SQLite) and rating metrics (docs/feedback.md), and the
# per-request access log and X-Request-Id rule (docs/access_log.md).
find_package(SQLite3 REQUIRED)
list(APPEND gateway_srcs
  feedback_sqlite.cc
  feedback_store.cc
  feedback_json.cc
  access_log.cc)
list(APPEND gateway_tests
  feedback_store_test.cc
  feedback_json_test.cc
  access_log_test.cc)
list(APPEND gateway_deps SQLite::SQLite3 nlohmann_json::nlohmann_json)
