#include "test_support.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace appaudit::test {
namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}
} // namespace

std::string fixtures_dir() { return env_or("APPAUDIT_FIXTURES", APPAUDIT_DEFAULT_FIXTURES); }
std::string corpus_dir() { return env_or("APPAUDIT_CORPUS", APPAUDIT_DEFAULT_CORPUS); }
std::string source_dir() { return env_or("APPAUDIT_SOURCE", APPAUDIT_DEFAULT_SOURCE); }
std::string appaudit_bin() { return env_or("APPAUDIT_BIN", APPAUDIT_DEFAULT_BIN); }

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string run_command(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    if (exit_code != nullptr) *exit_code = -1;
    return out;
  }
  std::array<char, 65536> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = ::pclose(p);
  if (exit_code != nullptr) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

} // namespace appaudit::test
