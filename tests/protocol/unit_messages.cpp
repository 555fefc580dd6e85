#include <gtest/gtest.h>

#include <thread>

#include "core/common/errors.h"
#include "protocol/in_process_transport.h"
#include "protocol/messages.h"

namespace icsweep {
namespace {

TEST(Messages, BatchRoundTrips) {
  BatchMessage m;
  m.work_id = 7;
  m.cell = 2;
  m.batch = 11;
  m.model_dir = "/models/x";
  m.dtype = "bfloat16";
  m.vocab_limit = 151665;
  m.per_token = true;
  m.sample_index = {4, 9};
  m.offsets = {0, 3, 5};
  m.ids = {1, 2, 3, 4, 5};
  const BatchMessage back = decode_batch(encode(m));
  EXPECT_EQ(back.work_id, 7);
  EXPECT_EQ(back.model_dir, "/models/x");
  EXPECT_EQ(back.vocab_limit, 151665);
  EXPECT_TRUE(back.per_token);
  EXPECT_EQ(back.sample_index, m.sample_index);
  EXPECT_EQ(back.offsets, m.offsets);
  EXPECT_EQ(back.ids, m.ids);
}

TEST(Messages, ResultRoundTripsAndRejectsTruncation) {
  ResultMessage r;
  r.work_id = 3;
  r.ok = false;
  r.error = "CUDA out of memory";
  r.sample_index = {1};
  r.n_tokens = {10};
  r.nll_bits = {12.5};
  r.token_nll_bits = {1.0f, 2.0f};
  r.token_offsets = {0, 2};
  auto bytes = encode(r);
  const ResultMessage back = decode_result(bytes);
  EXPECT_FALSE(back.ok);
  EXPECT_EQ(back.error, "CUDA out of memory");
  EXPECT_EQ(back.nll_bits, std::vector<double>{12.5});
  EXPECT_EQ(back.token_nll_bits, (std::vector<float>{1.0f, 2.0f}));
  bytes.resize(bytes.size() - 3);
  EXPECT_THROW(decode_result(bytes), Error);
}

TEST(Messages, BatchWithInconsistentOffsetsIsRejected) {
  BatchMessage m;
  m.sample_index = {1, 2};
  m.offsets = {0, 3};  // needs 3 entries
  m.ids = {1, 2, 3};
  EXPECT_THROW(decode_batch(encode(m)), Error);
}

TEST(Messages, HelloRoundTripsWithTheOwnedDeviceCount) {
  HelloMessage m;
  m.host = "node7";
  m.device = "cuda:1";
  m.device_description = "cuda:1 NVIDIA H200 GPU-1; cuda:3 NVIDIA H200 GPU-3";
  m.owned_devices = 2;
  const HelloMessage back = decode_hello(encode(m));
  EXPECT_EQ(back.host, "node7");
  EXPECT_EQ(back.device, "cuda:1");
  EXPECT_EQ(back.device_description, m.device_description);
  EXPECT_EQ(back.owned_devices, 2);
}

TEST(InProcessTransport, EveryWorkerSharesTheOneHost) {
  InProcessHub hub(4);
  for (int endpoint = 1; endpoint <= 3; ++endpoint) {
    const auto t = hub.connect(endpoint);
    EXPECT_EQ(t->local_worker_index(), endpoint - 1);
    EXPECT_EQ(t->local_worker_count(), 3);
  }
}

TEST(InProcessTransport, DeliversInOrderAndReducesSums) {
  InProcessHub hub(3);
  auto driver = hub.connect(0);
  std::vector<std::thread> workers;
  for (int w = 1; w <= 2; ++w) {
    workers.emplace_back([&hub, w] {
      auto t = hub.connect(w);
      t->send(0, MessageTag::kHello, {static_cast<uint8_t>(w)});
      Envelope e;
      ASSERT_TRUE(t->receive(&e, 5000));
      EXPECT_EQ(e.tag, MessageTag::kStop);
      t->reduce_sum({1.0 * w, 10.0});
    });
  }
  int seen = 0;
  for (int i = 0; i < 2; ++i) {
    Envelope e;
    ASSERT_TRUE(driver->receive(&e, 5000));
    EXPECT_EQ(e.tag, MessageTag::kHello);
    EXPECT_EQ(e.payload.at(0), e.source);
    seen += e.source;
  }
  EXPECT_EQ(seen, 3);
  driver->send(1, MessageTag::kStop, {});
  driver->send(2, MessageTag::kStop, {});
  const auto total = driver->reduce_sum({0.5, 0.0});
  for (auto& t : workers) t.join();
  EXPECT_EQ(total, (std::vector<double>{3.5, 20.0}));
  Envelope none;
  EXPECT_FALSE(driver->receive(&none, 10));
}

}  // namespace
}  // namespace icsweep
