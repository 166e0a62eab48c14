# Codecs (see cmake/SluicePlugins.cmake).
sluice_add_plugin_support(SOURCES codec_support.cpp)  # shared by the codecs and the inputs
sluice_add_plugin(codec dots SOURCES dots.cpp)
sluice_add_plugin(codec json SOURCES json.cpp)
sluice_add_plugin(codec json_lines SOURCES json_lines.cpp)
sluice_add_plugin(codec line SOURCES line.cpp)
sluice_add_plugin(codec plain SOURCES plain.cpp)
sluice_add_plugin(codec rubydebug SOURCES rubydebug.cpp)
