# Helpers shared by every module: strict warnings on our own code only.
set(ENDURE_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough
    -Wno-missing-field-initializers)  # g++ 12 flags designated initializers that omit fields
if(ENDURE_WERROR)
  list(APPEND ENDURE_WARNINGS -Werror)
endif()

# endure_module(NAME SOURCES ... DEPS ... [PUBLIC_DEPS ...])
# One static library per module, linked PRIVATE unless a dependency is part of its interface.
# Module edges are checked against src/MODULES.txt by the lint test.
function(endure_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(endure_${name} STATIC ${M_SOURCES})
  target_include_directories(endure_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_compile_options(endure_${name} PRIVATE ${ENDURE_WARNINGS})
  if(M_DEPS)
    target_link_libraries(endure_${name} PRIVATE ${M_DEPS})
  endif()
  if(M_PUBLIC_DEPS)
    target_link_libraries(endure_${name} PUBLIC ${M_PUBLIC_DEPS})
  endif()
endfunction()

# endure_test(NAME LABEL SOURCES ... DEPS ...)
function(endure_test name)
  cmake_parse_arguments(T "" "LABEL" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_compile_options(${name} PRIVATE ${ENDURE_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES LABELS ${T_LABEL} DISCOVERY_TIMEOUT 30)
endfunction()
