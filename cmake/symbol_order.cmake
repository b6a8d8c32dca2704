# cmake -DNM=nm -DOUT=order.txt -DINPUTS="a.a|b.a" -P symbol_order.cmake
# Writes the symbols defined in INPUTS, first occurrence only, one a line: a
# linker symbol-ordering file that puts that code first and together.
cmake_minimum_required(VERSION 3.25)
string(REPLACE "|" ";" inputs "${INPUTS}")
execute_process(COMMAND "${NM}" --defined-only --format=just-symbols ${inputs}
                OUTPUT_VARIABLE symbols RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${inputs}")
endif()
string(REPLACE "\n" ";" symbols "${symbols}")
list(FILTER symbols EXCLUDE REGEX "(^$|:$)")  # blank lines, "member.o:" headers
list(REMOVE_DUPLICATES symbols)
list(JOIN symbols "\n" text)
file(WRITE "${OUT}.tmp" "${text}\n")
file(RENAME "${OUT}.tmp" "${OUT}")
