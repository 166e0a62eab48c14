// The benchmark floor: the least work any JSON pipeline must do per event. Reads the events file,
// parses each line with RapidJSON (the library Sluice uses) and serialises it back, on one thread.
// Its events/s is the baseline Sluice's numbers are compared with, measured in the same run.
//
// usage: sluice_bench_floor EVENTS_FILE [REPEAT]
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s EVENTS_FILE [REPEAT]\n", argv[0]);
    return 2;
  }
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 1;
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));

  size_t bytes_out = 0;
  const auto start = std::chrono::steady_clock::now();
  rapidjson::StringBuffer out;
  for (int r = 0; r < repeat; ++r) {
    for (const std::string& line : lines) {
      rapidjson::Document doc;  // a fresh document per event, as a pipeline has a fresh event
      doc.Parse(line.data(), line.size());
      if (doc.HasParseError()) return 1;
      out.Clear();
      rapidjson::Writer<rapidjson::StringBuffer> w(out);
      doc.Accept(w);
      bytes_out += out.GetSize() + 1;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double events = static_cast<double>(lines.size()) * repeat;
  std::printf("{\"events\": %.0f, \"seconds\": %.6f, \"events_per_second\": %.1f, \"bytes_out\": %zu}\n", events,
              secs, events / secs, bytes_out);
  return 0;
}
