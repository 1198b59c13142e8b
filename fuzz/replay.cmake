# The fuzz targets as plain replay programs (ordinary compiler, no libFuzzer): each feeds every
# seed in fuzz/seeds/<target>/ once. Included from tests/integration/CMakeLists.txt, so the
# seeds replay in every test run (ctest label fuzz-replay).
include(${PROJECT_SOURCE_DIR}/fuzz/targets.cmake)
foreach(t ${ENDURE_FUZZ_TARGETS})
  endure_fuzz_sources(${t} srcs)
  add_executable(fuzz_replay_${t} ${srcs} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp)
  target_compile_options(fuzz_replay_${t} PRIVATE ${ENDURE_WARNINGS})
  endure_fuzz_common(fuzz_replay_${t})
  add_test(NAME fuzz_replay.${t}
           COMMAND fuzz_replay_${t} ${PROJECT_SOURCE_DIR}/fuzz/seeds/${t})
  set_tests_properties(fuzz_replay.${t} PROPERTIES LABELS fuzz-replay TIMEOUT 120)
endforeach()
