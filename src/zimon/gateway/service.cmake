# The gateway service (gateway.h): routes and the request flow that ties
# admission, adapters, scoring, image storage, feedback and the access log
# together; request metrics; batched image records.
list(APPEND gateway_srcs
  gateway.cc
  gateway_deliver.cc
  image_recorder.cc
  request_metrics.cc)
list(APPEND gateway_tests
  image_recorder_test.cc
  request_metrics_test.cc)
list(APPEND gateway_deps zimon_http)
