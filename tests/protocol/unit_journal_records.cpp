// The journal's record format, pinned byte for byte: a journal written by an earlier run (or an
// earlier icsweep) must replay, so the layout in protocol/journal_records.h may not drift.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/common/errors.h"
#include "protocol/journal_records.h"

namespace icsweep {
namespace {

// Little-endian u64 length + bytes, as documented for a record's strings and vectors.
void append_u64(std::vector<uint8_t>* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void append_string(std::vector<uint8_t>* out, const std::string& s) {
  append_u64(out, s.size());
  out->insert(out->end(), s.begin(), s.end());
}

TEST(JournalRecords, RestartAndCellFileRecordsHaveTheDocumentedBytes) {
  std::vector<uint8_t> restart;
  append_string(&restart, "restart:abc");
  EXPECT_EQ(restart_record("abc"), restart);

  std::vector<uint8_t> cell_file;
  append_string(&cell_file, "cellfile:m__d");
  append_string(&cell_file, "0123");
  EXPECT_EQ(cell_file_record("m__d", "0123"), cell_file);

  std::vector<uint8_t> identity;
  append_string(&identity, "identity:fp");
  append_string(&identity, "m__d");
  append_string(&identity, "{\"dtype\":\"bfloat16\"}");
  EXPECT_EQ(identity_record("fp", "m__d", "{\"dtype\":\"bfloat16\"}"), identity);
}

TEST(JournalRecords, EachKindDecodesBack) {
  const JournalRecord restart = decode_journal_record(restart_record("abc"));
  EXPECT_EQ(restart.kind, JournalRecord::Kind::kRestart);
  EXPECT_EQ(restart.fingerprint, "abc");

  const JournalRecord cell_file = decode_journal_record(cell_file_record("m__d", "0123"));
  EXPECT_EQ(cell_file.kind, JournalRecord::Kind::kCellFile);
  EXPECT_EQ(cell_file.cell_key, "m__d");
  EXPECT_EQ(cell_file.digest, "0123");

  const JournalRecord identity = decode_journal_record(identity_record("fp", "m__d", "{}"));
  EXPECT_EQ(identity.kind, JournalRecord::Kind::kIdentity);
  EXPECT_EQ(identity.fingerprint, "fp");
  EXPECT_EQ(identity.cell_key, "m__d");
  EXPECT_EQ(identity.parts_json, "{}");

  ResultMessage r;
  r.work_id = 5;
  r.sample_index = {3, 8};
  r.n_tokens = {4, 6};
  r.nll_bits = {1.5, 2.25};
  r.weights_digest = "w";
  const JournalRecord batch = decode_journal_record(batch_record("fp", r));
  EXPECT_EQ(batch.kind, JournalRecord::Kind::kBatch);
  EXPECT_EQ(batch.fingerprint, "fp");
  EXPECT_EQ(batch.result.sample_index, r.sample_index);
  EXPECT_EQ(batch.result.nll_bits, r.nll_bits);
  EXPECT_EQ(batch.result.weights_digest, "w");
}

// A version-2 batch result as icsweep wrote it before the codec moved, with its out-of-memory byte
// set (as a run that hit OOM wrote it): it still replays.
TEST(JournalRecords, VersionTwoResultWrittenEarlierReplays) {
  std::vector<uint8_t> result;
  auto put_u32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) result.push_back(static_cast<uint8_t>(v >> (8 * i))); };
  auto put_i64 = [&](int64_t v) { append_u64(&result, static_cast<uint64_t>(v)); };
  auto put_f64 = [&](double v) { uint64_t u; std::memcpy(&u, &v, 8); append_u64(&result, u); };
  put_u32(2);                        // version
  put_i64(9); put_i64(1); put_i64(4);  // work_id, cell, batch
  result.push_back(1);               // ok
  result.push_back(1);               // out of memory (unused)
  result.push_back(0);               // model_failed
  append_string(&result, "");        // error
  append_u64(&result, 1); put_i64(17);     // sample_index
  append_u64(&result, 1); put_i64(11);     // n_tokens
  append_u64(&result, 1); put_f64(20.5);   // nll_bits
  append_u64(&result, 0);                  // token_nll_bits
  append_u64(&result, 0);                  // token_offsets
  put_f64(0.25); put_f64(0); put_f64(0);   // forward, load seconds, load gigabytes
  append_string(&result, "digest");
  put_f64(0);                              // digest_seconds
  std::vector<uint8_t> record;
  append_string(&record, "fp");
  append_u64(&record, result.size());
  record.insert(record.end(), result.begin(), result.end());

  const JournalRecord back = decode_journal_record(record);
  EXPECT_EQ(back.kind, JournalRecord::Kind::kBatch);
  EXPECT_EQ(back.result.work_id, 9);
  EXPECT_TRUE(back.result.ok);
  EXPECT_EQ(back.result.sample_index, std::vector<int64_t>{17});
  EXPECT_EQ(back.result.n_tokens, std::vector<int64_t>{11});
  EXPECT_EQ(back.result.nll_bits, std::vector<double>{20.5});
  EXPECT_EQ(back.result.weights_digest, "digest");
  EXPECT_EQ(back.result.forward_seconds, 0.25);

  // The same result written now has the same bytes, the unused byte 0.
  result[8 * 3 + 4 + 1] = 0;
  const std::vector<uint8_t> now = batch_record("fp", back.result);
  EXPECT_EQ(std::vector<uint8_t>(now.begin() + 8 + 2 + 8, now.end()), result);
}

TEST(JournalRecords, AResultOfAnUnknownVersionIsRefused) {
  std::vector<uint8_t> record;
  append_string(&record, "fp");
  append_u64(&record, 4);
  record.insert(record.end(), {99, 0, 0, 0});
  EXPECT_THROW(decode_journal_record(record), Error);
}

}  // namespace
}  // namespace icsweep
