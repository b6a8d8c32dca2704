# Helpers that give every module the same shape:
#   zimon_module(<name> SRCS ... [DEPS ...])   -> library target zimon_<name>
#   zimon_test(<name> SRCS ... [DEPS ...] [LABELS ...])
#                                               -> gtest binary, tests registered with CTest
#   zimon_benchmark(<name> SRCS ... [DEPS ...]) -> Google Benchmark binary, CTest label "bench"

set(ZIMON_SRC_ROOT "${PROJECT_SOURCE_DIR}/src")

function(zimon_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wno-missing-field-initializers)
  # GCC 12 at -O2 pairs Asio's awaitable-frame operator delete with the
  # global operator new of the coroutine frame and warns falsely
  # (-Wmismatched-new-delete); the frames are allocated and freed by the same
  # class-specific pair.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
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

# Lean release binaries (ZIMON_LEAN_LINK, on in the release preset). What the
# `zimon agent` keeps resident is mostly mapped code, and the kernel maps a
# neighbourhood of pages around every page that runs, so less and denser code
# is less memory (docs/agent.md, "Memory"):
#   - every function and object in its own section, and the linker drops the
#     unreferenced ones (--gc-sections) and folds identical ones (lld --icf);
#   - libstdc++ and libgcc linked statically into `zimon`, yaml-cpp into every
#     executable, so only the parts zimon calls are in the binary, instead of
#     whole shared libraries whose symbol tables the dynamic loader walks at
#     every start;
#   - with lld, the agent's steady-state code ordered first and together.
# Nothing here changes hardening: PIE, RELRO and the stack protector are as
# the toolchain sets them.
option(ZIMON_LEAN_LINK "Section GC, identical code folding and a static C++ runtime" OFF)
if(ZIMON_LEAN_LINK)
  add_compile_options(-ffunction-sections -fdata-sections)
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=lld" ZIMON_HAVE_LLD)
  if(ZIMON_HAVE_LLD)
    add_link_options(-fuse-ld=lld -Wl,--icf=all)
  endif()
  add_link_options(-Wl,--gc-sections -Wl,-O1)

  # Runs once the top-level CMakeLists.txt is done, when the imported
  # yaml-cpp target and the executables exist.
  function(zimon_lean_link_finish)
    if(TARGET yaml-cpp)
      find_library(ZIMON_YAML_CPP_STATIC libyaml-cpp.a)
      if(ZIMON_YAML_CPP_STATIC)
        get_target_property(configs yaml-cpp IMPORTED_CONFIGURATIONS)
        set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION "${ZIMON_YAML_CPP_STATIC}")
        foreach(config IN LISTS configs)
          set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION_${config} "${ZIMON_YAML_CPP_STATIC}")
        endforeach()
      endif()
    endif()
    if(TARGET zimon)
      target_link_options(zimon PRIVATE -static-libstdc++ -static-libgcc)
      zimon_agent_symbol_order()
    endif()
  endfunction()

  # The code `zimon agent` runs after start-up (collectors, HTTP server,
  # metrics, common) placed first in the binary and together, instead of
  # strewn among the gateway's: fault-around then maps fewer cold neighbours.
  function(zimon_agent_symbol_order)
    if(NOT ZIMON_HAVE_LLD OR NOT CMAKE_NM)
      return()
    endif()
    set(order "${PROJECT_BINARY_DIR}/zimon_agent_symbol_order.txt")
    set(libs zimon_collect zimon_http zimon_metrics zimon_common)
    set(inputs "")
    foreach(lib IN LISTS libs)
      list(APPEND inputs "$<TARGET_FILE:${lib}>")
    endforeach()
    list(JOIN inputs "|" inputs)
    add_custom_command(
      OUTPUT "${order}"
      COMMAND "${CMAKE_COMMAND}" "-DNM=${CMAKE_NM}" "-DOUT=${order}"
              "-DINPUTS=${inputs}" -P "${PROJECT_SOURCE_DIR}/cmake/symbol_order.cmake"
      DEPENDS ${libs} "${PROJECT_SOURCE_DIR}/cmake/symbol_order.cmake"
      COMMENT "Ordering the agent's symbols"
      VERBATIM)
    add_custom_target(zimon_agent_symbol_order DEPENDS "${order}")
    add_dependencies(zimon zimon_agent_symbol_order)
    target_link_options(zimon PRIVATE "LINKER:--symbol-ordering-file=${order}"
                        "LINKER:--no-warn-symbol-ordering")
    set_property(TARGET zimon APPEND PROPERTY LINK_DEPENDS "${order}")
  endfunction()
  cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL zimon_lean_link_finish)
endif()
