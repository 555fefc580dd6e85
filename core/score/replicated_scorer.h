// Replicas: a worker that owns more devices than a model needs loads one copy of the model per
// group of `gpus` owned devices (core/score/devices.h: replica_devices) and scores each batch as
// contiguous parts, one per copy, concurrently.
// The results are those of one scorer, in the batch's order. No torch in this header (see scorer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/score/scorer.h"

namespace icsweep {

// The batch's share of each replica: at most `replicas` contiguous, non-empty [begin, end) ranges of
// sequences of these lengths (ids), cut where the running token count is nearest to an equal share.
std::vector<std::pair<size_t, size_t>> replica_parts(const std::vector<int64_t>& lengths, int replicas);

// Already-loaded scorers of one model, one per replica, as one scorer: score() cuts the batch into
// parts (replica_parts), scores part i with replica i on a thread of its own (part 0 on the calling
// thread) and concatenates the results in order. A replica's failure is rethrown as it was thrown
// (ModelError, ScoreError with out_of_memory; the lowest-numbered failing replica's) once every part
// ended. options() and model_info() are the first replica's, except model_info().load_seconds (the
// longest load: they load concurrently) and model_info().replicas. One scorer is returned as it is.
std::unique_ptr<Scorer> combine_replicas(std::vector<std::unique_ptr<Scorer>> replicas);

// Loads one scorer per entry of `devices` (each a ScorerOptions::device) concurrently and combines them
// (combine_replicas). A load failure is rethrown as above, after every load ended (the loaded copies freed).
std::unique_ptr<Scorer> create_replicated_scorer(const ScorerOptions& options, const std::vector<std::string>& devices);

}  // namespace icsweep
