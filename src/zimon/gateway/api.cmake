# The OpenAI Images API front (image_api.h: request parsing, error JSON,
# response rendering, auth and header rules) and the store behind
# response_format=url (image_store.h). docs/gateway.md, "API".
list(APPEND gateway_srcs
  image_api.cc
  image_store.cc
  json_members.cc)
list(APPEND gateway_tests
  image_api_test.cc
  image_store_test.cc
  json_members_test.cc)
list(APPEND gateway_deps zimon_http nlohmann_json::nlohmann_json)
zimon_benchmark(image_api_benchmark
  SRCS image_api_benchmark.cc
  DEPS zimon_gateway)
