# The fuzz targets and the library sources each one exercises (compiled into the target itself,
# so the libFuzzer build instruments exactly them without touching the module libraries).
set(ENDURE_FUZZ_TARGETS response_parser chunked url cookie duration config request_parser threshold proto prom_text)
set(ENDURE_FUZZ_SRC_response_parser src/http/response_parser.cpp src/http/decompress.cpp)
set(ENDURE_FUZZ_SRC_chunked src/http/response_parser.cpp src/http/decompress.cpp)
set(ENDURE_FUZZ_SRC_url src/http/url.cpp)
set(ENDURE_FUZZ_SRC_cookie src/http/cookie_jar.cpp src/http/url.cpp)
set(ENDURE_FUZZ_SRC_duration src/base/duration.cpp)
set(ENDURE_FUZZ_SRC_config src/cli/raw_options.cpp src/cli/option_table.cpp src/base/duration.cpp src/base/log.cpp
    src/analysis/threshold.cpp)
set(ENDURE_FUZZ_SRC_request_parser src/server/request_parser.cpp src/server/message.cpp)
set(ENDURE_FUZZ_SRC_proto src/proto/msgpack.cpp src/proto/message.cpp src/proto/locust_stats.cpp
    src/stats/delta_json.cpp src/stats/recorder.cpp src/stats/histogram.cpp src/stats/sparse.cpp src/stats/interval_record.cpp)
set(ENDURE_FUZZ_SRC_threshold src/analysis/threshold.cpp src/base/duration.cpp)
set(ENDURE_FUZZ_SRC_prom_text src/monitor/prom_text.cpp src/monitor/node_exporter.cpp)

# endure_fuzz_sources(<target> <out-var>): the target's own file plus its library sources.
function(endure_fuzz_sources target out)
  set(files ${PROJECT_SOURCE_DIR}/fuzz/${target}_fuzz.cpp)
  foreach(f ${ENDURE_FUZZ_SRC_${target}})
    list(APPEND files ${PROJECT_SOURCE_DIR}/${f})
  endforeach()
  set(${out} ${files} PARENT_SCOPE)
endfunction()

function(endure_fuzz_common exe)
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_SOURCE_DIR})
  target_link_libraries(${exe} PRIVATE ZLIB::ZLIB fmt::fmt Threads::Threads)
endfunction()
