// GPU binding without GPUs: which device each worker takes for a faked number of visible
// GPUs, which GPUs it owns when the host has more than workers, and the errors for impossible requests.
#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/score/devices.h"

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

std::vector<std::string> gpus(std::initializer_list<int> indices) {
  std::vector<std::string> out;
  for (int i : indices) out.push_back("cuda:" + std::to_string(i));
  return out;
}

TEST(DeviceOwnership, WorkersFewerThanGpusShareThemModuloTheWorkerCount) {
  // 2 workers, 8 GPUs: every second GPU each.
  EXPECT_EQ(owned_devices_among("auto", 0, 2, 8), gpus({0, 2, 4, 6}));
  EXPECT_EQ(owned_devices_among("auto", 1, 2, 8), gpus({1, 3, 5, 7}));
  EXPECT_EQ(owned_devices_among("cuda", 1, 2, 8), gpus({1, 3, 5, 7}));
  // 3 workers, 8 GPUs: the last worker gets one fewer.
  EXPECT_EQ(owned_devices_among("auto", 0, 3, 8), gpus({0, 3, 6}));
  EXPECT_EQ(owned_devices_among("auto", 1, 3, 8), gpus({1, 4, 7}));
  EXPECT_EQ(owned_devices_among("auto", 2, 3, 8), gpus({2, 5}));
  // One worker owns the whole host.
  EXPECT_EQ(owned_devices_among("auto", 0, 1, 4), gpus({0, 1, 2, 3}));
}

TEST(DeviceOwnership, AsManyOrMoreWorkersThanGpusKeepOneDeviceEach) {
  for (int worker = 0; worker < 4; ++worker) EXPECT_EQ(owned_devices_among("auto", worker, 4, 4), gpus({worker}));
  // 6 workers on 4 GPUs: shared as choose_device shares them.
  EXPECT_EQ(owned_devices_among("auto", 5, 6, 4), gpus({1}));
  EXPECT_EQ(owned_devices_among("auto", 4, 6, 4), gpus({0}));
}

TEST(DeviceOwnership, CpuAndAFixedGpuAreOwnedOnce) {
  EXPECT_EQ(owned_devices_among("cpu", 0, 1, 8), std::vector<std::string>{"cpu"});
  EXPECT_EQ(owned_devices_among("auto", 0, 1, 0), std::vector<std::string>{"cpu"});
  EXPECT_EQ(owned_devices_among("auto", 1, 2, 0), std::vector<std::string>{"cpu"});
  EXPECT_EQ(owned_devices_among("cuda:2", 0, 1, 8), gpus({2}));
  EXPECT_THROW(owned_devices_among("cuda", 0, 1, 0), UsageError);
  EXPECT_THROW(owned_devices_among("cuda:9", 0, 1, 8), UsageError);
}

TEST(DeviceOwnership, OwnershipStartsWithChooseDeviceAndPartitionsTheGpus) {
  for (int workers = 1; workers <= 9; ++workers) {
    for (int visible = 1; visible <= 8; ++visible) {
      std::vector<int> owners(visible, 0);
      for (int worker = 0; worker < workers; ++worker) {
        const auto owned = owned_devices_among("auto", worker, workers, visible);
        ASSERT_FALSE(owned.empty());
        EXPECT_EQ(owned.front(), choose_device_among("auto", worker, visible)) << worker << " of " << workers;
        for (const auto& d : owned) ++owners.at(std::stoi(d.substr(5)));
      }
      for (int g = 0; g < visible; ++g) {
        // Every GPU is used; it is shared only when there are more workers than GPUs.
        EXPECT_GE(owners[g], 1) << "cuda:" << g << ", " << workers << " workers, " << visible << " GPUs";
        if (workers <= visible) EXPECT_EQ(owners[g], 1) << "cuda:" << g << ", " << workers << " workers";
      }
    }
  }
}

TEST(DeviceOwnership, AnIndexOutsideTheWorkerCountIsAnError) {
  EXPECT_THROW(owned_devices_among("auto", 2, 2, 8), Error);
  EXPECT_THROW(owned_devices_among("auto", 0, 0, 8), Error);
}

}  // namespace
}  // namespace icsweep
