//===- ProblemJson.h - Read an experiment description from JSON -*- C++ -*-===//
//
// Turns the user's JSON experiment description (cluster, network, model
// stages, memory budget, data parallelism; the contract is documented in the
// README and exercised by examples/) into the MLIR-free sched::Problem. Every
// problem in the input is reported as one message naming the field, its JSON
// pointer and its line and column, and the SourceLoc of every datacenter,
// link and chunk is filled so that later diagnostics can point into the file.
// The functions never throw.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_FORMAT_PROBLEMJSON_H
#define CROSSPIPE_FORMAT_PROBLEMJSON_H

#include "crosspipe/Schedule/Problem.h"

#include <string>
#include <string_view>

namespace crosspipe {

/// The first problem found in a JSON experiment description.
struct JsonError {
  /// 1-based line and byte column; 0 when no position applies (I/O errors).
  int line = 0;
  int column = 0;
  /// JSON pointer of the offending value, e.g. "/stages/2/forward_ms"; for a
  /// missing field, the pointer of the object that lacks it.
  std::string path;
  /// One sentence naming the field, e.g.
  /// "stages[2].forward_ms: expected a positive number, got -3".
  std::string message;
};

struct ParsedProblem {
  bool ok = false;
  /// Meaningful only when !ok.
  JsonError error;
  /// Meaningful only when ok.
  sched::Problem problem;
};

/// Parses and validates an experiment description. Beyond the README's
/// contract it accepts and defines:
///  - "comment" (a string or an array of strings) in every object, ignored;
///  - defaults: "name" "unnamed", "placement" "unidirectional",
///    "split_backward" false, no "memory" = unlimited, no "data_parallel" =
///    degree 1; "data_parallel.span" defaults to "intra_dc";
///  - per datacenter "device_memory_gib" (GiB = 2^30 bytes, informational) and
///    "intra_dc" (overrides network.intra_dc for that datacenter);
///  - "placement": "custom", where every stage gives "device"; with another
///    placement a stage's "device" that differs from the rule makes the
///    placement Custom and lifts the rule's stage count (a "device" equal to
///    the rule's changes nothing); every device must hold a stage;
///  - split_backward false with dgrad_ms and wgrad_ms but no backward_ms:
///    backward = dgrad + wgrad (one file serves both modes); split true keeps
///    backwardMs = dgrad + wgrad unless backward_ms is given; all three
///    given must agree (backward = dgrad + wgrad within a relative 1e-6);
///  - names (the problem's, datacenters') from [A-Za-z0-9_.-], starting with
///    a letter or '_', at most 128 bytes, so that no output needs to escape
///    them; counts, sizes, rates and their sums within the limits of the
///    README (ProblemReader.h), so that nothing derived overflows;
///  - nothing but whitespace after the document (a NUL byte included);
///  - "message_mib" of the last stage is accepted and stored as 0;
///    "gradient_mib" may be omitted (0) while the DP degree is 1.
/// Columns count bytes, starting at 1.
ParsedProblem parseProblemJson(std::string_view text);

/// Reads `path` and parses it; an unreadable file is reported as an error
/// with line 0.
ParsedProblem parseProblemJsonFile(const std::string &path);

/// "file:line:column: message" (or "file: message" without a position), the
/// format compilers and editors understand.
std::string formatJsonError(const JsonError &error, std::string_view fileName);

} // namespace crosspipe

#endif // CROSSPIPE_FORMAT_PROBLEMJSON_H
