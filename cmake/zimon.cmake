# Helpers that give every module the same shape:
#   zimon_module(<name> SRCS ... [DEPS ...])   -> library target zimon_<name>
#   zimon_test(<name> SRCS ... [DEPS ...] [LABELS ...])
#                                               -> gtest binary, tests registered with CTest
#   zimon_benchmark(<name> SRCS ... [DEPS ...]) -> Google Benchmark binary, CTest label "bench"

set(ZIMON_SRC_ROOT "${PROJECT_SOURCE_DIR}/src")

function(zimon_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(ZIMON_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(zimon_module name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(zimon_${name} STATIC ${ARG_SRCS})
  target_include_directories(zimon_${name} PUBLIC "${ZIMON_SRC_ROOT}")
  target_link_libraries(zimon_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  zimon_warnings(zimon_${name})
endfunction()

function(zimon_test name)
  if(NOT ZIMON_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  zimon_warnings(${name})
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
endfunction()

function(zimon_benchmark name)
  if(NOT ZIMON_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  zimon_warnings(${name})
  add_test(NAME ${name} COMMAND ${name} --benchmark_min_time=0.2)
  set_tests_properties(${name} PROPERTIES LABELS bench)
endfunction()
