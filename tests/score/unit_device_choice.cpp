// GPU binding without GPUs (issue 9): which device each worker takes for a faked number of visible
// GPUs, and the errors for impossible requests.
#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/score/scorer.h"

namespace icsweep {
namespace {

TEST(DeviceChoice, AutoAndCudaTakeTheWorkersIndexAmongTheNodesGpus) {
  // 4 GPUs: the node's workers 0..5 take cuda:0..3, then wrap (auto shares; cuda is refused
  // earlier by the launch check, see GpuBinding below).
  for (int worker = 0; worker < 6; ++worker) {
    EXPECT_EQ(choose_device_among("auto", worker, 4), "cuda:" + std::to_string(worker % 4));
    EXPECT_EQ(choose_device_among("cuda", worker, 4), "cuda:" + std::to_string(worker % 4));
  }
  EXPECT_EQ(choose_device_among("auto", 3, 0), "cpu");
  EXPECT_EQ(choose_device_among("cpu", 3, 8), "cpu");
  EXPECT_EQ(choose_device_among("cuda:1", 0, 2), "cuda:1");
}

TEST(DeviceChoice, ImpossibleRequestsAreUsageErrors) {
  EXPECT_THROW(choose_device_among("cuda", 0, 0), UsageError);
  EXPECT_THROW(choose_device_among("cuda:0", 0, 0), UsageError);
  EXPECT_THROW(choose_device_among("cuda:2", 0, 2), UsageError);
  EXPECT_THROW(choose_device_among("cuda:x", 0, 2), UsageError);
  EXPECT_THROW(choose_device_among("gpu", 0, 2), UsageError);
  try {
    choose_device_among("cuda:5", 0, 2);
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("has 2 visible GPU(s) (cuda:0 to cuda:1)"), std::string::npos) << e.what();
  }
}

TEST(DeviceChoice, SplitDevicesTakeTheNextGpusOrTheCpuRepeated) {
  EXPECT_EQ(split_devices("cuda:1", 1, 4), "cuda:1");
  EXPECT_EQ(split_devices("cuda:1", 2, 4), "cuda:1,cuda:2");
  EXPECT_EQ(split_devices("cuda:3", 2, 4), "cuda:3,cuda:0");
  EXPECT_EQ(split_devices("cpu", 3, 0), "cpu,cpu,cpu");
  try {
    split_devices("cuda:0", 3, 2);
    ADD_FAILURE() << "3 GPUs granted on a 2-GPU host";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("gpus: 3 but this host has 2 visible GPU(s)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace icsweep
