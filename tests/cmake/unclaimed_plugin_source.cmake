cmake_minimum_required(VERSION 3.22)
# cmake -P: a plugin folder with a source that no sluice_add_plugin() call claims must fail the
# configure step, naming the file (ctest matches the message).
set(CMAKE_SOURCE_DIR "${CMAKE_CURRENT_BINARY_DIR}/unclaimed-case")
file(REMOVE_RECURSE "${CMAKE_SOURCE_DIR}")
file(WRITE "${CMAKE_SOURCE_DIR}/src/plugins/filters/claimed.cpp" "// claimed\n")
file(WRITE "${CMAKE_SOURCE_DIR}/src/plugins/filters/forgotten.cpp" "// not claimed\n")
file(WRITE "${CMAKE_SOURCE_DIR}/src/plugins/filters/plugins.cmake" "sluice_add_plugin(filter claimed SOURCES claimed.cpp)\n")
file(WRITE "${CMAKE_SOURCE_DIR}/registry.in" "@_calls@")
include("${SLUICE_ROOT}/cmake/SluicePlugins.cmake")
include("${CMAKE_SOURCE_DIR}/src/plugins/filters/plugins.cmake")
sluice_check_plugin_sources("${CMAKE_SOURCE_DIR}/src/plugins" "${CMAKE_SOURCE_DIR}/registry.in"
                            "${CMAKE_SOURCE_DIR}/registry.cpp")
message(STATUS "configure passed although forgotten.cpp is unclaimed")
