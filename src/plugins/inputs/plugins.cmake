# Inputs (see cmake/SluicePlugins.cmake).
sluice_add_plugin(input beats SOURCES beats.cpp DIRECTORY beats)
sluice_add_plugin(input dead_letter_queue SOURCES dead_letter_queue.cpp)
sluice_add_plugin(input generator SOURCES generator.cpp)
sluice_add_plugin(input stdin SOURCES stdin.cpp)
sluice_add_plugin(input tcp SOURCES tcp.cpp)
