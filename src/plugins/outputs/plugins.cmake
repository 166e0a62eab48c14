# Outputs (see cmake/SluicePlugins.cmake).
sluice_add_plugin(output elasticsearch SOURCES elasticsearch.cpp DIRECTORY elasticsearch)
sluice_add_plugin(output null SOURCES null.cpp)
sluice_add_plugin(output stdout SOURCES stdout.cpp)
