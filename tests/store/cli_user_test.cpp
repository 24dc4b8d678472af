// `appaudit user add`: the token is the last line of stdout and authenticates, in the data
// folder's SQLite database or with --db in a PostgreSQL one; bad command lines, unusable data
// folders and unreachable servers exit 2 with one clear line on stderr.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "store/backend.hpp"
#include "store/blob_store.hpp"
#include "store/store.hpp"
#include "store/temp_dir.hpp"
#include "support/test_support.hpp"

namespace appaudit::store {
namespace {

using test::TempDir;

std::string last_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

std::string user_add(const std::string& args, int* rc) {
  return test::run_command(test::appaudit_bin() + " user add " + args + " 2>&1", rc);
}

class CliUserAdd : public test::BackendTest {};
APPAUDIT_ON_BOTH_BACKENDS(CliUserAdd);

TEST_P(CliUserAdd, PrintsATokenThatAuthenticates) {
  // SQLite: the database in --data-dir; PostgreSQL: --db URI (the data folder keeps blobs).
  const std::string where = postgres() ? " --db '" + db().spec() + "' --data-dir " + db().dir()
                                       : " --data-dir " + db().dir() + "/data";
  int rc = -1;
  const std::string out = test::run_command(
      test::appaudit_bin() + " user add eve --role enterprise --enterprise 'Acme Ltd'" + where,
      &rc);
  ASSERT_EQ(rc, 0) << out;
  const std::string token = last_line(out);
  EXPECT_TRUE(is_sha256_hex(token)) << out; // 64 hex digits
  auto s = open_store(postgres() ? db().spec() : db().dir() + "/data");
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  auto u = (*s)->authenticate(token);
  ASSERT_TRUE(u.has_value() && u->has_value());
  EXPECT_EQ((*u)->name, "eve");
  EXPECT_EQ((*u)->enterprise, "Acme Ltd");
}

TEST(CliUserAddSqlite, DefaultDataDirIsAppauditData) {
  TempDir dir;
  int rc = -1;
  const std::string out = test::run_command(
      "cd " + dir.path() + " && " + test::appaudit_bin() + " user add reg --role regulator", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_FALSE(test::read_file(dir.path() + "/appaudit-data/appaudit.db").empty());
}

TEST(CliUserAddSqlite, BadCommandLinesExit2) {
  TempDir dir;
  const std::string d = " --data-dir " + dir.path();
  struct Case {
    std::string args, message;
  };
  for (const Case& c : std::vector<Case>{
           {"x --role admin" + d, "unknown role"},
           {"x --role enterprise" + d, "--enterprise NAME"},
           {"x --role regulator --enterprise Acme" + d, "regulator belongs to no enterprise"},
           {"x --role distributor --enterprise Acme" + d, "--distributor NAME"},
           {"x" + d, "--role"},
       }) {
    int rc = -1;
    const std::string out = user_add(c.args, &rc);
    EXPECT_EQ(rc, 2) << c.args << ": " << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.args << ": " << out;
    EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line: " << out;
  }
  int rc = -1;
  ASSERT_EQ((user_add("x --role regulator" + d, &rc), rc), 0);
  const std::string dup = user_add("x --role regulator" + d, &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(dup.find("exists"), std::string::npos) << dup;
}

TEST(CliUserAddSqlite, CorruptDatabaseExit2) {
  TempDir dir;
  std::ofstream(dir.path() + "/appaudit.db", std::ios::binary) << std::string(4096, '\x5a');
  int rc = -1;
  const std::string out = user_add("x --role regulator --data-dir " + dir.path(), &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("not a usable appaudit database"), std::string::npos) << out;
}

TEST(CliUserAddPostgres, UnreachableOrBadDbExit2WithoutThePassword) {
  TempDir dir;
  int rc = -1;
  const std::string out =
      user_add("x --role regulator --data-dir " + dir.path() +
                   " --db 'postgresql://alice:s3cr3t@127.0.0.1:1/appdb?connect_timeout=3'",
               &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("postgresql://alice@127.0.0.1:1/appdb"), std::string::npos) << out;
  EXPECT_EQ(out.find("s3cr3t"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line: " << out;
  const std::string bad = user_add("x --role regulator --db " + dir.path(), &rc);
  EXPECT_EQ(rc, 2) << bad;
  EXPECT_NE(bad.find("not a postgresql:// URI"), std::string::npos) << bad;
}

} // namespace
} // namespace appaudit::store
