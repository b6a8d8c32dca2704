# Admission control, concurrency limits, balancer, passive ejection.
list(APPEND gateway_srcs
  admission.cc
  backend_state.cc
  balancer.cc
)
list(APPEND gateway_tests
  admission_test.cc
  backend_state_test.cc
  balancer_test.cc
)
