// The launch check for device: cuda, with faked GPU counts: one GPU per worker on each
// node, or a message naming rank, host, counts and what to do.
#include <gtest/gtest.h>

#include "core/score/devices.h"

namespace icsweep {
namespace {

TEST(GpuBinding, CudaNeedsOneGpuPerWorkerOnTheNode) {
  EXPECT_EQ(gpu_count_problem("cuda", 0, "node1", 1, 2), "");
  EXPECT_EQ(gpu_count_problem("cuda", 1, "node1", 2, 2), "");
  const std::string problem = gpu_count_problem("cuda", 2, "node1", 3, 2);
  EXPECT_NE(problem.find("rank 3 is worker 3 on host node1, which has only 2 visible GPU(s)"), std::string::npos)
      << problem;
  EXPECT_NE(problem.find("start at most 2 worker(s) per node"), std::string::npos) << problem;
}

TEST(GpuBinding, AutoAndCpuShareOrIgnoreGpus) {
  EXPECT_EQ(gpu_count_problem("auto", 7, "node1", 8, 2), "");
  EXPECT_EQ(gpu_count_problem("cpu", 7, "node1", 8, 0), "");
  EXPECT_EQ(gpu_count_problem("cuda", 7, "node1", 8, 0), "");  // no GPU at all: the worker's own error says so
}

}  // namespace
}  // namespace icsweep
