#pragma once
/// Helpers shared by the tests: where fixtures and the corpus are, reading files.

#include <cstdint>
#include <string>
#include <vector>

namespace appaudit::test {

/// Directory of fixtures built by tests/fixtures/build_fixtures.sh ($APPAUDIT_FIXTURES).
std::string fixtures_dir();
/// ../shared/corpus ($APPAUDIT_CORPUS).
std::string corpus_dir();
/// Repository root ($APPAUDIT_SOURCE).
std::string source_dir();
/// The appaudit command built with the tests ($APPAUDIT_BIN).
std::string appaudit_bin();
/// Whole file, or an empty vector when it cannot be read.
std::vector<uint8_t> read_file(const std::string& path);
/// Runs a shell command, returns its stdout; `exit_code` receives the exit status.
std::string run_command(const std::string& command, int* exit_code = nullptr);

} // namespace appaudit::test
