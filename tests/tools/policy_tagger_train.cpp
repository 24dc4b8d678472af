/// Trains the policy reader's practice tagger (knowledge/policy_tagger.json) on a corpus laid
/// out like CA4P-483: text/<id>.txt and annotation_data/<id>.json with the annotators'
/// character spans (code points); a mention is a positive example when it overlaps a span
/// labelled 数据. Not part of the product: built with the tests, run by hand (docs/policy.md,
/// "The learned tagger") and on a tiny fixture by ctest.
///
/// Model: logistic regression over the reader's named features of each mention (feature set
/// mention/1, src/policy/policy.cpp), trained by averaged stochastic gradient descent — a
/// fixed number of epochs, a fixed learning rate, the examples in an order drawn from a fixed
/// seed (splitmix64, not std::shuffle, whose algorithm is the library's), features kept when
/// seen in at least --min-count training mentions. Averaging regularises as well as an L2
/// term here and keeps updates sparse. The decision threshold is chosen by two-fold
/// cross-validation inside the training files (files split by id / 2 parity): the threshold
/// that maximises the micro F1 of the out-of-fold predictions, measured the way
/// bench/policy_ca4p.py measures (a predicted mention is right when it overlaps a 数据 span; a
/// span is found when a predicted mention overlaps it). Files outside --split are never read.
/// Same corpus, options and date → the same bytes.
///
///   policy_tagger_train --corpus DIR --out FILE --date YYYY-MM-DD [--split even|all]
///       [--epochs N] [--seed N] [--min-count N] [--rate R] [--check] [--min-train-f1 F]
///       [--command "how it was run"] [--corpus-name NAME] [--dump-cv FILE]
///
/// --check reloads the written file through the knowledge layer, re-reads every training file
/// with it and fails unless the reader's scores equal the trainer's (the runtime and the
/// trainer compute the same features); --min-train-f1 fails when the model fits its own
/// training files worse than F; --dump-cv writes the cross-validation's out-of-fold score of
/// every mention (id, start, end, score, label as TSV) for error analysis.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/diagnostics.hpp"
#include "knowledge/knowledge.hpp"
#include "policy/policy.hpp"
#include "policy/text.hpp"

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
namespace ak = appaudit::knowledge;
namespace ap = appaudit::policy;

struct Options {
  std::string corpus, out, date, split = "even", command, corpus_name = "CA4P-483";
  int epochs = 10;
  int seed = 1;
  int min_count = 40;
  double rate = 0.02;
  bool check = false;
  double min_train_f1 = -1;
  std::string dump_cv; ///< write the out-of-fold scores here (TSV: id, start, end, score, label)
};

struct Example {
  std::vector<std::string> names;
  uint32_t start = 0, end = 0;    ///< the mention's span (code points)
  std::vector<uint32_t> features; ///< indices, after pruning
  bool label = false;
};

struct Doc {
  std::string id;
  std::string path;
  std::vector<Example> mentions;
  size_t gold = 0;
  /// For each mention, the gold spans it overlaps (indices into 0..gold).
  std::vector<std::vector<uint32_t>> overlaps;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Doc load_doc(const ap::PolicyReader& reader, const std::string& corpus, const std::string& id) {
  Doc d;
  d.id = id;
  d.path = corpus + "/text/" + id + ".txt";
  const std::string bytes = read_file(d.path);
  appaudit::Diagnostics diags;
  auto text = ap::read_policy_text(
      appaudit::ByteView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), d.path,
      diags);
  if (!text) throw std::runtime_error(text.error().to_string());
  std::vector<std::vector<std::string>> features;
  const ap::PolicyReport r = reader.analyze(*text, &features);
  const Json ann = Json::parse(read_file(corpus + "/annotation_data/" + id + ".json"));
  std::vector<std::pair<uint32_t, uint32_t>> gold;
  for (const Json& a : ann) {
    if (a.value("classId_name", "") != "数据") continue;
    gold.emplace_back(a.at("start").get<uint32_t>(), a.at("end").get<uint32_t>());
  }
  d.gold = gold.size();
  for (size_t i = 0; i < r.mentions.size(); ++i) {
    const ap::Mention& m = r.mentions[i];
    Example e;
    e.names = std::move(features[i]);
    e.start = m.span.start;
    e.end = m.span.end;
    std::vector<uint32_t> hit;
    for (uint32_t g = 0; g < gold.size(); ++g) {
      if (m.span.start < gold[g].second && gold[g].first < m.span.end) hit.push_back(g);
    }
    e.label = !hit.empty();
    d.mentions.push_back(std::move(e));
    d.overlaps.push_back(std::move(hit));
  }
  return d;
}

struct Model {
  std::vector<double> w; ///< averaged weights by feature index
  double bias = 0;
};

/// Averaged SGD for logistic regression over binary features. The average is kept with the
/// usual trick: u accumulates t * update, the average is w - u / t.
Model train(const std::vector<const Example*>& xs, size_t dims, const Options& o) {
  std::vector<double> w(dims, 0), u(dims, 0);
  double b = 0, ub = 0;
  std::vector<size_t> order(xs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  uint64_t state = static_cast<uint64_t>(o.seed);
  double t = 1;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) { // Fisher–Yates with splitmix64
      std::swap(order[i - 1], order[splitmix64(state) % i]);
    }
    for (size_t i : order) {
      const Example& e = *xs[i];
      double z = b;
      for (uint32_t f : e.features) z += w[f];
      const double p = 1.0 / (1.0 + std::exp(-z));
      const double g = o.rate * ((e.label ? 1.0 : 0.0) - p);
      if (g != 0) {
        for (uint32_t f : e.features) {
          w[f] += g;
          u[f] += t * g;
        }
        b += g;
        ub += t * g;
      }
      t += 1;
    }
  }
  Model m;
  m.w.resize(dims);
  for (size_t f = 0; f < dims; ++f) m.w[f] = w[f] - u[f] / t;
  m.bias = b - ub / t;
  return m;
}

double predict(const Model& m, const Example& e) {
  double z = m.bias;
  for (uint32_t f : e.features) z += m.w[f];
  return 1.0 / (1.0 + std::exp(-z));
}

struct Figures {
  double precision = 0, recall = 0, f1 = 0;
  size_t predicted = 0;
};

/// Micro figures the way bench/policy_ca4p.py computes them, for mentions with score >= th.
Figures measure(const std::vector<const Doc*>& docs, const std::vector<std::vector<double>>& p,
                double th) {
  size_t tp_m = 0, n_m = 0, tp_g = 0, n_g = 0;
  for (size_t d = 0; d < docs.size(); ++d) {
    std::vector<char> found(docs[d]->gold, 0);
    for (size_t i = 0; i < docs[d]->mentions.size(); ++i) {
      if (p[d][i] < th) continue;
      ++n_m;
      tp_m += docs[d]->overlaps[i].empty() ? 0 : 1;
      for (uint32_t g : docs[d]->overlaps[i]) found[g] = 1;
    }
    n_g += docs[d]->gold;
    tp_g += static_cast<size_t>(std::count(found.begin(), found.end(), 1));
  }
  Figures f;
  f.predicted = n_m;
  f.precision = n_m ? static_cast<double>(tp_m) / static_cast<double>(n_m) : 0;
  f.recall = n_g ? static_cast<double>(tp_g) / static_cast<double>(n_g) : 0;
  f.f1 = f.precision + f.recall > 0 ? 2 * f.precision * f.recall / (f.precision + f.recall) : 0;
  return f;
}

/// Feature index over the given docs: names seen in >= min_count mentions, sorted.
std::vector<std::string> vocabulary(const std::vector<const Doc*>& docs, int min_count) {
  std::map<std::string, int> count;
  for (const Doc* d : docs) {
    for (const Example& e : d->mentions) {
      for (const std::string& n : e.names) ++count[n];
    }
  }
  std::vector<std::string> out;
  for (const auto& [name, c] : count) {
    if (c >= min_count) out.push_back(name);
  }
  return out;
}

void index_features(std::vector<Doc>& docs, const std::vector<std::string>& vocab) {
  std::unordered_map<std::string, uint32_t> index;
  for (uint32_t i = 0; i < vocab.size(); ++i) index.emplace(vocab[i], i);
  for (Doc& d : docs) {
    for (Example& e : d.mentions) {
      e.features.clear();
      for (const std::string& n : e.names) {
        auto it = index.find(n);
        if (it != index.end()) e.features.push_back(it->second);
      }
    }
  }
}

/// Trains on `train_docs` (indexing features over them) and scores `test_docs`.
std::vector<std::vector<double>> fit_predict(std::vector<Doc>& all,
                                             const std::vector<size_t>& train_docs,
                                             const std::vector<size_t>& test_docs,
                                             const Options& o) {
  std::vector<const Doc*> tr;
  for (size_t i : train_docs) tr.push_back(&all[i]);
  const std::vector<std::string> vocab = vocabulary(tr, o.min_count);
  index_features(all, vocab);
  std::vector<const Example*> xs;
  for (const Doc* d : tr) {
    for (const Example& e : d->mentions) xs.push_back(&e);
  }
  const Model m = train(xs, vocab.size(), o);
  std::vector<std::vector<double>> out;
  for (size_t i : test_docs) {
    std::vector<double> p;
    for (const Example& e : all[i].mentions) p.push_back(predict(m, e));
    out.push_back(std::move(p));
  }
  return out;
}

double round3(double v) { return std::round(v * 1000) / 1000; } // weights: 3 decimals

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

int usage() {
  std::fprintf(stderr,
               "usage: policy_tagger_train --corpus DIR --out FILE --date YYYY-MM-DD "
               "[--split even|all] [--epochs N] [--seed N] [--min-count N] [--rate R] "
               "[--check] [--min-train-f1 F] [--command TEXT] [--corpus-name NAME] "
               "[--dump-cv FILE]\n");
  return 2;
}

int run(const Options& o) {
  const ak::Knowledge k = ak::Knowledge::load_embedded();
  const ap::PolicyReader reader(k);
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(o.corpus + "/text")) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 5 || name.compare(name.size() - 4, 4, ".txt") != 0) continue;
    const std::string id = name.substr(0, name.size() - 4);
    const long n = std::strtol(id.c_str(), nullptr, 10);
    if (o.split == "even" && n % 2 != 0) continue; // the odd ids are held out: never read
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  if (ids.size() < 2) throw std::runtime_error(o.corpus + ": fewer than two training files");
  std::vector<Doc> docs;
  for (const std::string& id : ids) docs.push_back(load_doc(reader, o.corpus, id));
  size_t examples = 0, positives = 0;
  for (const Doc& d : docs) {
    examples += d.mentions.size();
    for (const Example& e : d.mentions) positives += e.label ? 1 : 0;
  }
  std::fprintf(stderr, "%zu files, %zu mentions, %zu positive\n", docs.size(), examples, positives);

  // Two-fold cross-validation inside the training files for the threshold.
  std::vector<size_t> fold[2];
  for (size_t i = 0; i < docs.size(); ++i) {
    const long n = std::strtol(docs[i].id.c_str(), nullptr, 10);
    fold[(n / 2) % 2].push_back(i);
  }
  if (fold[0].empty() || fold[1].empty()) fold[0] = fold[1] = {}; // tiny corpus: alternate
  if (fold[0].empty()) {
    for (size_t i = 0; i < docs.size(); ++i) fold[i % 2].push_back(i);
  }
  std::vector<const Doc*> cv_docs;
  std::vector<std::vector<double>> cv_p;
  for (int f = 0; f < 2; ++f) {
    auto p = fit_predict(docs, fold[1 - f], fold[f], o);
    for (size_t j = 0; j < fold[f].size(); ++j) {
      cv_docs.push_back(&docs[fold[f][j]]);
      cv_p.push_back(std::move(p[j]));
    }
  }
  if (!o.dump_cv.empty()) {
    std::ofstream f(o.dump_cv, std::ios::binary);
    for (size_t d = 0; d < cv_docs.size(); ++d) {
      for (size_t i = 0; i < cv_docs[d]->mentions.size(); ++i) {
        const Example& e = cv_docs[d]->mentions[i];
        f << cv_docs[d]->id << '\t' << e.start << '\t' << e.end << '\t' << cv_p[d][i] << '\t'
          << (e.label ? 1 : 0) << '\n';
      }
    }
    if (!f) throw std::runtime_error(o.dump_cv + ": cannot write");
  }
  double best_th = 0.5;
  Figures best;
  for (int step = 2; step <= 95; ++step) {
    const double th = step / 100.0;
    const Figures fig = measure(cv_docs, cv_p, th);
    if (fig.f1 > best.f1) {
      best = fig;
      best_th = th;
    }
  }
  for (double th : {0.3, 0.5, 0.7, 0.8, 0.9}) {
    const Figures fig = measure(cv_docs, cv_p, th);
    std::fprintf(stderr, "cv threshold %.2f: precision %.3f recall %.3f F1 %.3f\n", th,
                 fig.precision, fig.recall, fig.f1);
  }
  std::fprintf(stderr, "cv best threshold %.2f: precision %.3f recall %.3f F1 %.3f\n", best_th,
               best.precision, best.recall, best.f1);

  // The model: all training files.
  std::vector<const Doc*> all_docs;
  for (const Doc& d : docs) all_docs.push_back(&d);
  const std::vector<std::string> vocab = vocabulary(all_docs, o.min_count);
  index_features(docs, vocab);
  std::vector<const Example*> xs;
  for (const Doc& d : docs) {
    for (const Example& e : d.mentions) xs.push_back(&e);
  }
  const Model m = train(xs, vocab.size(), o);
  std::ostringstream weights;
  size_t kept = 0;
  for (size_t f = 0; f < vocab.size(); ++f) {
    const double v = round3(m.w[f]);
    if (v == 0) continue;
    // One weight per line, not indented: the file is embedded and parsed at every start.
    weights << (kept++ ? ",\n" : "\n") << Json(vocab[f]).dump() << ":" << format_number(v);
  }
  const std::string split =
      o.split == "even" ? "even ids (the tune half; odd ids held out)" : "all files";
  Json training = {
      {"corpus", o.corpus_name},
      {"split", split},
      {"algorithm", "logistic regression, averaged SGD (rate " + format_number(o.rate) +
                        "), features seen in >= " + std::to_string(o.min_count) +
                        " training mentions; threshold: best micro F1 of 2-fold CV inside the "
                        "training files"},
      {"command", o.command.empty() ? "policy_tagger_train (see docs/policy.md)" : o.command},
      {"date", o.date},
      {"epochs", o.epochs},
      {"seed", o.seed},
      {"examples", examples},
      {"positives", positives}};
  std::ostringstream out;
  out << "{\n"
      << "  \"schema\": \"appaudit.knowledge.policy_tagger/1\",\n"
      << "  \"sources\": {\n"
      << "    \"ca4p483\": {\"title\": \"CA4P-483: A Fine-grained Chinese Software Privacy "
         "Policy Dataset for Sequence Labeling and Regulation Compliant Identification (Zhao "
         "et al., EMNLP 2022), github zacharykzhao/CA4P-483 @ 452b6b0a\", \"url\": "
         "\"https://github.com/zacharykzhao/CA4P-483\"}\n"
      << "  },\n"
      << "  \"entries\": [\n"
      << "    {\n"
      << "      \"id\": \"tagger.practice\",\n"
      << "      \"features\": \"mention/1\",\n"
      << "      \"bias\": " << format_number(round3(m.bias)) << ",\n"
      << "      \"threshold\": " << format_number(best_th) << ",\n"
      << "      \"training\": " << training.dump() << ",\n"
      << "      \"sources\": [\"ca4p483\"],\n"
      << "      \"weights\": {" << weights.str() << "\n}\n"
      << "    }\n"
      << "  ]\n"
      << "}\n";
  {
    std::ofstream f(o.out, std::ios::binary);
    f << out.str();
    if (!f) throw std::runtime_error(o.out + ": cannot write");
  }
  std::fprintf(stderr, "wrote %s: %zu of %zu features, threshold %.2f\n", o.out.c_str(), kept,
               vocab.size(), best_th);

  if (o.check || o.min_train_f1 >= 0) {
    // Reload through the knowledge layer, exactly as the binary does with its embedded copy.
    const std::string written = out.str();
    std::vector<ak::KnowledgeFile> files;
    for (const ak::KnowledgeFile& f : ak::embedded_files()) {
      files.push_back(f.path == "policy_tagger.json" ? ak::KnowledgeFile{f.path, written} : f);
    }
    const ak::Knowledge k2 = ak::Knowledge::load(files);
    const ap::PolicyReader reader2(k2);
    std::vector<std::vector<double>> scores;
    double worst = 0;
    for (const Doc& d : docs) {
      const std::string bytes = read_file(d.path);
      appaudit::Diagnostics diags;
      auto text = ap::read_policy_text(
          appaudit::ByteView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), d.path,
          diags);
      // With features, so that the contextual candidates the model drops are kept and the
      // mentions line up with the trainer's examples.
      std::vector<std::vector<std::string>> unused;
      const ap::PolicyReport r = reader2.analyze(*text, &unused);
      if (r.mentions.size() != d.mentions.size()) {
        throw std::runtime_error(d.path + ": the reader found " +
                                 std::to_string(r.mentions.size()) + " mentions, the trainer " +
                                 std::to_string(d.mentions.size()));
      }
      std::vector<double> s;
      for (size_t i = 0; i < r.mentions.size(); ++i) {
        double z = round3(m.bias);
        for (uint32_t f : d.mentions[i].features) z += round3(m.w[f]);
        const double expect = std::round(1000.0 / (1.0 + std::exp(-z))) / 1000;
        worst = std::max(worst, std::fabs(expect - r.mentions[i].score));
        s.push_back(r.mentions[i].score);
      }
      scores.push_back(std::move(s));
    }
    const Figures fit = measure(all_docs, scores, best_th);
    std::fprintf(stderr,
                 "check: reloaded model, largest score difference reader vs trainer %.4f; "
                 "training files: precision %.3f recall %.3f F1 %.3f\n",
                 worst, fit.precision, fit.recall, fit.f1);
    if (o.check && worst > 0.0015) {
      std::fprintf(stderr, "FAIL: the reader's scores differ from the trainer's\n");
      return 1;
    }
    if (fit.f1 < o.min_train_f1) {
      std::fprintf(stderr, "FAIL: training F1 %.3f < %.3f\n", fit.f1, o.min_train_f1);
      return 1;
    }
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--corpus") {
        o.corpus = value();
      } else if (a == "--out") {
        o.out = value();
      } else if (a == "--date") {
        o.date = value();
      } else if (a == "--split") {
        o.split = value();
      } else if (a == "--epochs") {
        o.epochs = std::stoi(value());
      } else if (a == "--seed") {
        o.seed = std::stoi(value());
      } else if (a == "--min-count") {
        o.min_count = std::stoi(value());
      } else if (a == "--rate") {
        o.rate = std::stod(value());
      } else if (a == "--check") {
        o.check = true;
      } else if (a == "--min-train-f1") {
        o.min_train_f1 = std::stod(value());
      } else if (a == "--command") {
        o.command = value();
      } else if (a == "--dump-cv") {
        o.dump_cv = value();
      } else if (a == "--corpus-name") {
        o.corpus_name = value();
      } else {
        return usage();
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "policy_tagger_train: %s\n", e.what());
      return usage();
    }
  }
  if (o.corpus.empty() || o.out.empty() || o.date.empty() ||
      (o.split != "even" && o.split != "all") || o.epochs < 1) {
    return usage();
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "policy_tagger_train: %s\n", e.what());
    return 1;
  }
}
