# Filters (see cmake/SluicePlugins.cmake).
sluice_add_plugin(filter drop SOURCES drop.cpp)
sluice_add_plugin(filter json SOURCES json.cpp)
sluice_add_plugin(filter mutate SOURCES mutate.cpp)
sluice_add_plugin(filter split SOURCES split.cpp)
