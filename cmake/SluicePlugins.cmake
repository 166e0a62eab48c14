# Plugins are declared next to their code: each folder of src/plugins/ has a plugins.cmake with one
# call per plugin,
#
#   sluice_add_plugin(<input|filter|output|codec> <name> SOURCES a.cpp ... [DIRECTORY dir ...])
#
# which claims the plugin's sources (DIRECTORY: every .cpp below that folder), adds its registry
# line (the source defines `void sluice::plugins::register_<kind>_<name>(sluice::Registry&)`), and
# makes an option SLUICE_PLUGIN_<KIND>_<NAME> (ON by default; OFF leaves the plugin out of a slim
# build). Code shared by several plugins of a folder is claimed with
#
#   sluice_add_plugin_support(SOURCES x.cpp ...)
#
# sluice_check_plugin_sources() then fails the configure step for any .cpp under src/plugins/ that
# no call claimed, so a plugin cannot be built and silently never registered.

# CONFIGURE_DEPENDS (re-run cmake when files appear) is not allowed in script mode (the test of
# this file runs it with cmake -P).
if(CMAKE_SCRIPT_MODE_FILE)
  set(_SLUICE_GLOB_DEPENDS "")
else()
  set(_SLUICE_GLOB_DEPENDS CONFIGURE_DEPENDS)
endif()

function(_sluice_claim out_var)
  set(abs "")
  foreach(src IN LISTS ARGN)
    get_filename_component(p "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_LIST_DIR}")
    if(NOT EXISTS "${p}")
      message(FATAL_ERROR "${CMAKE_CURRENT_LIST_FILE}: source ${src} does not exist")
    endif()
    list(APPEND abs "${p}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY SLUICE_PLUGIN_CLAIMED ${abs})
  set(${out_var} "${abs}" PARENT_SCOPE)
endfunction()

function(_sluice_collect out_var)
  cmake_parse_arguments(P "" "" "SOURCES;DIRECTORY" ${ARGN})
  set(files ${P_SOURCES})
  foreach(dir IN LISTS P_DIRECTORY)
    file(GLOB_RECURSE found ${_SLUICE_GLOB_DEPENDS} "${CMAKE_CURRENT_LIST_DIR}/${dir}/*.cpp")
    list(APPEND files ${found})
  endforeach()
  _sluice_claim(abs ${files})
  set(${out_var} "${abs}" PARENT_SCOPE)
endfunction()

function(sluice_add_plugin kind name)
  if(NOT kind MATCHES "^(input|filter|output|codec)$")
    message(FATAL_ERROR "${CMAKE_CURRENT_LIST_FILE}: sluice_add_plugin: unknown kind '${kind}'")
  endif()
  _sluice_collect(abs ${ARGN})
  string(TOUPPER "SLUICE_PLUGIN_${kind}_${name}" opt)
  option(${opt} "Build the ${name} ${kind} plugin" ON)
  if(${opt})
    set_property(GLOBAL APPEND PROPERTY SLUICE_PLUGIN_SOURCES ${abs})
    set_property(GLOBAL APPEND PROPERTY SLUICE_PLUGIN_ENTRIES "${kind}_${name}")
  endif()
endfunction()

function(sluice_add_plugin_support)
  _sluice_collect(abs ${ARGN})
  set_property(GLOBAL APPEND PROPERTY SLUICE_PLUGIN_SOURCES ${abs})
endfunction()

# Fails when a .cpp under `root` was claimed by no call; writes the registry source to `out_file`.
function(sluice_check_plugin_sources root template out_file)
  file(GLOB_RECURSE all ${_SLUICE_GLOB_DEPENDS} "${root}/*.cpp")
  get_property(claimed GLOBAL PROPERTY SLUICE_PLUGIN_CLAIMED)
  set(orphans "")
  foreach(f IN LISTS all)
    if(NOT f IN_LIST claimed)
      file(RELATIVE_PATH rel "${CMAKE_SOURCE_DIR}" "${f}")
      list(APPEND orphans "${rel}")
    endif()
  endforeach()
  if(orphans)
    list(JOIN orphans "\n  " text)
    message(FATAL_ERROR "No sluice_add_plugin() or sluice_add_plugin_support() call claims:\n  ${text}\n"
                        "Add it to the plugins.cmake of its folder (see cmake/SluicePlugins.cmake).")
  endif()
  get_property(entries GLOBAL PROPERTY SLUICE_PLUGIN_ENTRIES)
  list(SORT entries)
  set(_decls "")
  set(_calls "")
  foreach(sym IN LISTS entries)
    string(APPEND _decls "void register_${sym}(Registry&);\n")
    string(APPEND _calls "  register_${sym}(r);\n")
  endforeach()
  configure_file("${template}" "${out_file}" @ONLY)
endfunction()
