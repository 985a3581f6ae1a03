// SPDX-License-Identifier: MIT
// bench/plain/etl-tbb.cpp: the ETL workload as a oneTBB parallel_pipeline
// (plain-etl-tbb), the way the pipeline is usually written with TBB:
//   a serial_in_order source that renders the next batch's CSV (extract)
//     into a token's buffer,
//   one parallel filter: parse, transform, the batch's partial aggregate and
//     its load lines, formatted into the batch's own region of one output
//     buffer,
//   a serial_in_order sink that only merges the partial and counts bytes,
// with 2 x threads tokens in flight.
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common.h"
#include "etl-core.h"

namespace {

constexpr uint64_t kBatch = 1000; // records per item: the spec's default

struct Token {
  uint64_t batch = 0;
  size_t csv_len = 0, out_len = 0;
  etl_total part{};
  std::vector<char> csv = std::vector<char>(kBatch * LINE_MAX_IN);
};

struct Job {
  uint64_t n, seed, rounds, items;
  std::vector<Token> tokens; // 2 x threads, reused across runs
  std::vector<char> out;     // items regions of kBatch * LINE_MAX_OUT bytes
  std::vector<uint64_t> out_len;
};

etl_total run_once(Job &j, uint64_t *bytes) {
  etl_total total{};
  uint64_t next = 0;
  *bytes = 0;
  const size_t ntok = j.tokens.size();
  tbb::parallel_pipeline(
      ntok,
      // Token slots go round-robin: with at most ntok tokens alive and an
      // in-order sink, batch b - ntok has left the sink before batch b
      // enters the source, so its slot is free.
      tbb::make_filter<void, Token *>(tbb::filter_mode::serial_in_order,
                                      [&](tbb::flow_control &fc) -> Token * {
                                        if (next == j.items) {
                                          fc.stop();
                                          return nullptr;
                                        }
                                        Token *t = &j.tokens[next % ntok];
                                        uint64_t first = next * kBatch;
                                        uint64_t count =
                                            j.n - first < kBatch ? j.n - first : kBatch;
                                        t->batch = next++;
                                        t->csv_len = etl_render(j.seed, first, count, t->csv.data());
                                        return t;
                                      }) &
          tbb::make_filter<Token *, Token *>(
              tbb::filter_mode::parallel,
              [&](Token *t) -> Token * {
                t->part = etl_total{};
                t->out_len = etl_run(t->csv.data(), t->csv_len, j.rounds, &t->part,
                                     j.out.data() + t->batch * kBatch * LINE_MAX_OUT);
                return t;
              }) &
          tbb::make_filter<Token *, void>(tbb::filter_mode::serial_in_order, [&](Token *t) {
            etl_merge(&total, &t->part);
            j.out_len[t->batch] = t->out_len;
            *bytes += t->out_len;
          }));
  return total;
}

} // namespace

int main(int argc, char **argv) {
  plain_args a = plain_parse(argc, argv, tbb::this_task_arena::max_concurrency());
  // The process's whole TBB: a threads-wide pool.
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, (size_t)a.threads);
  Job j;
  j.n = a.n;
  j.seed = a.seed;
  j.rounds = a.rounds;
  j.items = (a.n + kBatch - 1) / kBatch;
  j.tokens.resize(2 * (size_t)a.threads);
  j.out.resize(j.items * kBatch * LINE_MAX_OUT);
  j.out_len.resize(j.items);

  etl_total t{};
  uint64_t bytes = 0;
  for (int w = 0; w < a.warmup; w++) {
    t = run_once(j, &bytes);
  }
  std::vector<double> ms((size_t)a.reps);
  for (int r = 0; r < a.reps; r++) {
    double t0 = plain_now_ms();
    t = run_once(j, &bytes);
    ms[(size_t)r] = plain_now_ms() - t0;
  }
  if (a.save_dir) {
    char path[4096];
    FILE *f = plain_save_open(a.save_dir, "etl", j.n, "csv", path, sizeof path);
    for (uint64_t b = 0; b < j.items; b++) {
      fwrite(j.out.data() + b * kBatch * LINE_MAX_OUT, 1, j.out_len[b], f);
    }
    plain_save_close(f, path);
  }
  plain_print_head("tbb", "etl", &a, ms.data());
  etl_print_summary(stdout, &t, bytes);
  printf("}\n");
  return 0;
}
