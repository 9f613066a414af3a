//===- ProblemJsonErrorTest.cpp - Diagnostics for invalid descriptions ----===//
//
// Each kind of bad input must produce its one message, the JSON pointer of
// the offending value and the line and column of the token, where the
// expected position comes from searching the input text. Inputs are the
// README's contract example with one textual edit.
//
//===----------------------------------------------------------------------===//

#include "ImportTestUtil.h"

using namespace crosspipe;
using namespace crosspipe::test;

namespace {

std::string edit(const std::string &from, const std::string &to, int n = 0) {
  return replaceNth(contractDoc(), from, to, n);
}

TEST(ProblemJsonSyntax, MissingCommaPointsAtNextToken) {
  std::string text = edit("\"placement\": \"unidirectional\",",
                          "\"placement\": \"unidirectional\"");
  ParsedProblem parsed = parseProblemJson(text);
  ASSERT_FALSE(parsed.ok);
  EXPECT_EQ(parsed.error.path, "");
  EXPECT_EQ(parsed.error.message.rfind("invalid JSON: syntax error while "
                                       "parsing object",
                                       0),
            0u)
      << parsed.error.message;
  // The lexer stops at the opening quote of "split_backward" on line 10.
  EXPECT_EQ(at(parsed.error), where(text, "\"split_backward\""));
}

TEST(ProblemJsonSyntax, EmptyTruncatedAndBadBytes) {
  ParsedProblem empty = parseProblemJson("");
  ASSERT_FALSE(empty.ok);
  EXPECT_EQ(at(empty.error), std::make_pair(1, 1));
  EXPECT_NE(empty.error.message.find("unexpected end of input"),
            std::string::npos);

  std::string text = contractDoc();
  std::string truncated = text.substr(0, text.find("\"memory\""));
  ParsedProblem cut = parseProblemJson(truncated);
  ASSERT_FALSE(cut.ok);
  EXPECT_EQ(cut.error.line, kFirstStageLine + 9);

  ParsedProblem bytes = parseProblemJson("{\"name\": \"\xff\"}");
  ASSERT_FALSE(bytes.ok);
  EXPECT_EQ(bytes.error.line, 1);
  EXPECT_NE(bytes.error.message.find("UTF-8"), std::string::npos)
      << bytes.error.message;
  // The offending byte is shown escaped, keeping the message valid UTF-8.
  EXPECT_NE(bytes.error.message.find("last read: '\"\\xff'"), std::string::npos)
      << bytes.error.message;

  // An unterminated string: nlohmann's "last read" would be the whole rest.
  ParsedProblem open =
      parseProblemJson("{\"name\": \"" + std::string(100000, 'x'));
  ASSERT_FALSE(open.ok);
  EXPECT_LT(open.error.message.size(), 200u) << open.error.message;
  EXPECT_NE(open.error.message.find("last read: '..."), std::string::npos)
      << open.error.message;
}

TEST(ProblemJsonSyntax, DuplicateKeysAndDeepNesting) {
  expectError(edit("\"microbatches\": 16,",
                   "\"microbatches\": 16, \"microbatches\": 8,"),
              "duplicate key 'microbatches'", "/microbatches",
              "\"microbatches\"", 1);
  expectError(
      edit("\"dgrad_ms\": 38,", "\"dgrad_ms\": 38, \"dgrad_ms\": 1,", 4),
      "stages[4]: duplicate key 'dgrad_ms'", "/stages/4/dgrad_ms",
      "\"dgrad_ms\"", 5);
  std::string deep =
      edit("\"name\": \"m70-2dc\"",
           "\"name\": " + std::string(100, '[') + std::string(100, ']'));
  ParsedProblem parsed = parseProblemJson(deep);
  ASSERT_FALSE(parsed.ok);
  EXPECT_NE(parsed.error.message.find("nesting deeper than 64 levels"),
            std::string::npos);
  EXPECT_EQ(parsed.error.line, 2);
}

TEST(ProblemJsonTopLevel, RequiredFieldsTypesAndUnknownKeys) {
  expectError("[1, 2]", "expected an object at the top level, got an array", "",
              "[");
  expectError(edit("  \"microbatches\": 16,\n", ""),
              "missing required field 'microbatches'", "", "{");
  expectError(edit("\"microbatches\": 16", "\"microbatches\": \"16\""),
              "microbatches: expected a positive integer, got \"16\"",
              "/microbatches", "\"16\"");
  expectError(edit("\"microbatches\": 16", "\"microbatches\": 0"),
              "microbatches: expected a positive integer, got 0",
              "/microbatches", "0,");
  expectError(edit("\"microbatches\": 16", "\"microbatches\": 2.5"),
              "microbatches: expected a positive integer, got 2.5",
              "/microbatches", "2.5");
  expectError(
      edit("\"microbatches\": 16", "\"microbatches\": 99999999999999999999"),
      "microbatches: expected a positive integer, got 1e+20", "/microbatches",
      "99999");
  expectError(edit("\"placement\"", "\"placment\""),
              "unknown field 'placment' (did you mean 'placement'?)",
              "/placment", "\"placment\"");
  expectError(edit("\"split_backward\": true", "\"split_backward\": 1"),
              "split_backward: expected true or false, got 1",
              "/split_backward", "1,\n  \"stages\"");
  expectError(
      edit("\"name\": \"m70-2dc\"", "\"name\": \"m70\", \"comment\": 3"),
      "comment: expected a string or an array of strings, got 3", "/comment",
      "3,");
  expectError(
      edit("\"placement\": \"unidirectional\"", "\"placement\": \"wav\""),
      "placement: unknown placement 'wav' (did you mean 'wave'?); expected "
      "'unidirectional', 'interleaved', 'wave' or 'custom'",
      "/placement", "\"wav\"");
}

TEST(ProblemJsonStages, NumbersAndRequiredFields) {
  expectError(edit("\"forward_ms\": 38", "\"forward_ms\": -3", 2),
              "stages[2].forward_ms: expected a positive number, got -3",
              "/stages/2/forward_ms", "-3");
  expectError(edit("\"forward_ms\": 38", "\"forward_ms\": 1e999", 0),
              "stages[0].forward_ms: number '1e999' is out of range",
              "/stages/0/forward_ms", "1e999");
  expectError(
      edit("\"forward_ms\": 38", "\"forward_ms\": 2e9", 1),
      "stages[1].forward_ms: must be at most 1000000000, got 2000000000.0",
      "/stages/1/forward_ms", "2e9");
  expectError(
      edit("\"activation_mib\": 4096", "\"activation_mib\": -1", 6),
      "stages[6].activation_mib: expected a non-negative number, got -1",
      "/stages/6/activation_mib", "-1");
  expectError(
      edit("\"forward_ms\"", "\"forwad_ms\"", 1),
      "stages[1]: unknown field 'forwad_ms' (did you mean 'forward_ms'?)",
      "/stages/1/forwad_ms", "\"forwad_ms\"");
  expectError(edit("\"latency_ms\": 20", "\"latency\": 20"),
              "network.links[0]: unknown field 'latency' (did you mean "
              "'latency_ms'?)",
              "/network/links/0/latency", "\"latency\"");
  expectError(edit(", \"wgrad_ms\": 30", "", 3),
              "stages[3]: missing required field 'wgrad_ms' (split_backward is "
              "true)",
              "/stages/3", "{\"forward_ms\"", 3);
  expectError(edit(", \"message_mib\": 64", "", 2),
              "stages[2]: missing required field 'message_mib' (the activation "
              "sent to stages[3])",
              "/stages/2", "{\"forward_ms\"", 2);
  std::string unsplit =
      edit("\"split_backward\": true", "\"split_backward\": false");
  expectError(replaceNth(unsplit, "\"dgrad_ms\": 38, ", "", 0),
              "stages[0]: missing required field 'backward_ms' (split_backward "
              "is false; or give dgrad_ms and wgrad_ms)",
              "/stages/0", "{\"forward_ms\"", 0);
  expectError(contractDoc(0), "stages: expected a non-empty array", "/stages",
              "[\n  ]");
  expectError(edit("{\"forward_ms\": 38, \"dgrad_ms\": 38, \"wgrad_ms\": 30, "
                   "\"activation_mib\": 4096, \"message_mib\": 64, "
                   "\"gradient_mib\": 2000}",
                   "7", 5),
              "stages[5]: expected an object, got 7", "/stages/5", "7,");
}

TEST(ProblemJsonStages, PlacementAndStageCount) {
  std::string seven = contractDoc(7);
  expectError(seven,
              "stages: unidirectional placement needs 8 stages (one per "
              "device), got 7",
              "/stages", "[\n");
  expectError(
      replaceNth(contractDoc(12), "\"unidirectional\"", "\"interleaved\""),
      "stages: interleaved placement needs a multiple of 8 stages (the "
      "same number on every device), got 12",
      "/stages", "[\n");
  expectError(replaceNth(contractDoc(8), "\"unidirectional\"", "\"wave\""),
              "stages: wave placement needs a multiple of 16 stages (down and "
              "back up over 8 devices), got 8",
              "/stages", "[\n");
  expectError(edit("{\"forward_ms\"", "{\"device\": 9, \"forward_ms\"", 7),
              "stages[7].device: expected a device index from 0 to 7, got 9",
              "/stages/7/device", "9, \"forward_ms\"");
  expectError(edit("{\"forward_ms\"", "{\"device\": -1, \"forward_ms\"", 7),
              "stages[7].device: expected a device index from 0 to 7, got -1",
              "/stages/7/device", "-1");
  expectError(
      edit("\"unidirectional\"", "\"custom\""),
      "stages[0]: missing required field 'device' (placement is custom)",
      "/stages/0", "{\"forward_ms\"");
  // Stage 7 moved next to stage 6 leaves device 7 idle.
  expectError(
      edit("{\"forward_ms\"", "{\"device\": 6, \"forward_ms\"", 7),
      "stages: no stage is placed on device 7 (datacenter 'west'); every "
      "device must hold at least one stage",
      "/stages", "[\n");
  // With a deviating override the count rule is lifted, but a
  // unidirectional 9th stage still has no device of its own.
  std::string nine = replaceNth(contractDoc(9), "{\"forward_ms\"",
                                "{\"device\": 1, \"forward_ms\"", 0);
  expectError(
      nine,
      "stages[8]: unidirectional placement puts stage 8 on device 8, but "
      "there are only 8 devices; give it a 'device'",
      "/stages/8", "{\"forward_ms\"", 7);
}

TEST(ProblemJsonNetwork, DatacentersAndLinks) {
  expectError(edit("{\"name\": \"west\"", "{\"name\": \"east\""),
              "datacenters[1].name: datacenter 'east' is already defined by "
              "datacenters[0]",
              "/datacenters/1/name", "\"east\"", 1);
  expectError(edit("\"devices\": 4}, {", "\"devices\": 0}, {"),
              "datacenters[0].devices: expected a positive integer, got 0",
              "/datacenters/0/devices", "0}");
  expectError(edit("{\"name\": \"west\", ", "{"),
              "datacenters[1]: missing required field 'name'", "/datacenters/1",
              "{\"devices\"");
  expectError(edit("[\"east\", \"west\"]", "[\"east\", \"north\"]"),
              "network.links[0].between[1]: unknown datacenter 'north'",
              "/network/links/0/between/1", "\"north\"");
  expectError(edit("[\"east\", \"west\"]", "[\"east\", \"wset\"]"),
              "network.links[0].between[1]: unknown datacenter 'wset' (did you "
              "mean 'west'?)",
              "/network/links/0/between/1", "\"wset\"");
  expectError(edit("[\"east\", \"west\"]", "[\"east\", \"east\"]"),
              "network.links[0].between: both ends are datacenter 'east'; the "
              "network inside a datacenter is network.intra_dc",
              "/network/links/0/between", "[\"east\"");
  expectError(edit("[\"east\", \"west\"]", "[\"east\"]"),
              "network.links[0].between: expected at least 2 elements, got 1",
              "/network/links/0/between", "[\"east\"]");
  expectError(
      edit("\"bandwidth_gbps\": 100", "\"bandwidth_gbps\": 0"),
      "network.links[0].bandwidth_gbps: expected a positive number, got 0",
      "/network/links/0/bandwidth_gbps", "0}]");
  expectError(
      edit("\"latency_ms\": 0.01", "\"latency_ms\": -0.5"),
      "network.intra_dc.latency_ms: expected a non-negative number, got "
      "-0.5",
      "/network/intra_dc/latency_ms", "-0.5");
  expectError(edit("{\"between\": [\"east\", \"west\"]",
                   "{\"between\": [\"east\", \"west\"], \"from\": \"east\""),
              "network.links[0]: give either 'between' (both directions) or "
              "'from' and 'to' (one direction), not both",
              "/network/links/0", "{\"between\"");
  std::string twice = edit(
      "\"bandwidth_gbps\": 100}]",
      "\"bandwidth_gbps\": 100},\n    {\"from\": \"west\", \"to\": \"east\", "
      "\"latency_ms\": 1, \"bandwidth_gbps\": 1}]");
  expectError(twice,
              "network.links[1]: the link west->east is already given by "
              "network.links[0]",
              "/network/links/1", "{\"from\"");
}

TEST(ProblemJsonNetwork, LinksThePipelineNeeds) {
  expectError(
      edit(",\n    \"links\": [{\"between\": [\"east\", \"west\"], "
           "\"latency_ms\": 20, \"bandwidth_gbps\": 100}]",
           ""),
      "network: no link from datacenter 'east' to 'west', but stages[3] "
      "(device 3) and stages[4] (device 4) communicate across it; add it "
      "to network.links",
      "/network", "{\n    \"intra_dc\"");
  // Only east->west: the gradients of stage 4 have no way back.
  expectError(
      edit("{\"between\": [\"east\", \"west\"]",
           "{\"from\": \"east\", \"to\": \"west\""),
      "network.links: no link from datacenter 'west' to 'east', but "
      "stages[3] (device 3) and stages[4] (device 4) communicate across "
      "it; add it to network.links",
      "/network/links", "[{\"from\"");
  expectError(edit("    \"intra_dc\": {\"latency_ms\": 0.01, "
                   "\"bandwidth_gbps\": 200},\n",
                   ""),
              "network: stages[0] (device 0) and stages[1] (device 1) "
              "communicate inside datacenter 'east', which has no network; add "
              "network.intra_dc or datacenters[0].intra_dc",
              "/network", "{\n    \"links\"");
}

TEST(ProblemJsonMemory, BudgetShapesAndFeasibility) {
  expectError(edit("{\"relative_to_1f1b\": 1.0}",
                   "{\"relative_to_1f1b\": 1.0, \"activation_limit_mib\": 1}"),
              "memory: give one of 'activation_limit_mib', 'relative_to_1f1b', "
              "'relative_to_1f1b_peak' and 'device_memory', not both "
              "'activation_limit_mib' and 'relative_to_1f1b'",
              "/memory", "{\"relative_to_1f1b\"");
  expectError(edit("{\"relative_to_1f1b\": 1.0}", "{}"),
              "memory: expected 'activation_limit_mib', 'relative_to_1f1b', "
              "'relative_to_1f1b_peak' or 'device_memory' (omit 'memory' for "
              "no limit)",
              "/memory", "{}");
  expectError(
      edit("{\"relative_to_1f1b\": 1.0}", "{\"relative_to_1f1b\": -2.5}"),
      "memory.relative_to_1f1b: expected a positive number, got -2.5",
      "/memory/relative_to_1f1b", "-2.5");
  expectError(
      edit("{\"relative_to_1f1b\": 1.0}",
           "{\"activation_limit_mib\": [1, 2, 3]}"),
      "memory.activation_limit_mib: expected one limit per device (8), got 3",
      "/memory/activation_limit_mib", "[1, 2, 3]");
  expectError(
      edit("{\"relative_to_1f1b\": 1.0}", "{\"activation_limit_mib\": \"4G\"}"),
      "memory.activation_limit_mib: expected a number of MiB or an array "
      "with one per device, got \"4G\"",
      "/memory/activation_limit_mib", "\"4G\"");
  expectError(edit("{\"relative_to_1f1b\": 1.0}",
                   "{\"activation_limit_mib\": [8192, 8192, 8192, 1000, 8192, "
                   "8192, 8192, 8192]}"),
              "memory.activation_limit_mib[3]: device 3 may hold 1000 MiB of "
              "activations, but one microbatch of its stage 3 needs 4096 MiB",
              "/memory/activation_limit_mib/3", "1000");
  expectError(
      edit("{\"relative_to_1f1b\": 1.0}", "{\"activation_limit_mib\": 4000}"),
      "memory.activation_limit_mib: device 0 may hold 4000 MiB of "
      "activations, but one microbatch of its stage 0 needs 4096 MiB",
      "/memory/activation_limit_mib", "4000");
  // Interleaved puts stages 7 and 15 on device 7, whose 1F1B budget is one
  // stage activation.
  expectError(
      replaceNth(contractDoc(16), "\"unidirectional\"", "\"interleaved\""),
      "memory.relative_to_1f1b: a factor of 1 gives device 7 a limit of "
      "4096 MiB of activations, but one microbatch of its stages 7, 15 "
      "needs 8192 MiB",
      "/memory/relative_to_1f1b", "1.0");
}

// The uniform form and the budget device memory leaves.
TEST(ProblemJsonMemory, UniformAndDeviceMemoryBudgets) {
  // Every device 0.5 x 8 x 4096 MiB; the relative form gives device d
  // (8 - d) x 4096 MiB.
  sched::Problem uniform = parseOk(
      edit("{\"relative_to_1f1b\": 1.0}", "{\"relative_to_1f1b_peak\": 0.5}"));
  EXPECT_EQ(uniform.memoryLimitBytes,
            std::vector<uint64_t>(8, 16384 * sched::kMiB));
  ASSERT_TRUE(uniform.memoryRelativeTo1F1BPeak.has_value());
  EXPECT_EQ(*uniform.memoryRelativeTo1F1BPeak, 0.5);
  EXPECT_FALSE(uniform.memoryRelativeTo1F1B.has_value());
  sched::Problem held = parseOk(edit("\"activation_mib\": 4096,",
                                     "\"activation_mib\": 4096, "
                                     "\"wgrad_activation_mib\": 1024,",
                                     3));
  EXPECT_EQ(held.chunks[3].wgradActivationBytes, 1024 * sched::kMiB);
  EXPECT_FALSE(held.chunks[2].wgradActivationBytes.has_value());
  expectError(
      edit("{\"relative_to_1f1b\": 1.0}", "{\"relative_to_1f1b_peak\": -0.5}"),
      "memory.relative_to_1f1b_peak: expected a positive number, got "
      "-0.5",
      "/memory/relative_to_1f1b_peak", "-0.5");
  // Interleaved: two stages of 4096 MiB on a device, 0.25 * 8 of them.
  expectError(
      replaceNth(
          replaceNth(contractDoc(16), "\"unidirectional\"", "\"interleaved\""),
          "{\"relative_to_1f1b\": 1.0}", "{\"relative_to_1f1b_peak\": 0.125}"),
      "memory.relative_to_1f1b_peak: a factor of 0.125 gives device 0 a "
      "limit of 4096 MiB of activations, but one microbatch of its stages 0, "
      "8 needs 8192 MiB",
      "/memory/relative_to_1f1b_peak", "0.125");
  std::string device = edit("{\"relative_to_1f1b\": 1.0}",
                            "{\"device_memory\": {\"zero_stage\": 1}}");
  expectError(device,
              "memory.device_memory: needs the memory of every device, but "
              "datacenters[0] ('east') gives no device_memory_gib",
              "/memory/device_memory", "{\"zero_stage\"");
  std::string sized = replaceNth(replaceNth(device, "\"devices\": 4}",
                                            "\"devices\": 4, "
                                            "\"device_memory_gib\": 80}"),
                                 "\"devices\": 4}",
                                 "\"devices\": 4, \"device_memory_gib\": 20}");
  // 2000 MiB of gradient: weights and gradients 2000 MiB each, optimizer
  // states 12 bytes per 2-byte parameter, 12000 MiB: 16000 MiB < 20 GiB,
  // leaving 4480 MiB, above one activation of 4096; with 1 GiB reserved
  // 3456 MiB, below it.
  ParsedProblem ok = parseProblemJson(sized);
  ASSERT_TRUE(ok.ok) << ok.error.message;
  EXPECT_EQ(ok.problem.memoryLimitBytes[7], 4480 * sched::kMiB);
  expectError(replaceNth(sized, "{\"zero_stage\": 1}",
                         "{\"zero_stage\": 1, \"reserved_gib\": 1}"),
              "memory.device_memory: device memory leaves device 4 3456 MiB of "
              "activations, but one microbatch of its stage 4 needs 4096 MiB",
              "/memory/device_memory", "{\"zero_stage\"");
  expectError(
      replaceNth(sized, "{\"zero_stage\": 1}",
                 "{\"zero_stage\": 1, \"reserved_gib\": 5}"),
      "memory.device_memory: device 4 keeps 20.62 GiB of weights (1.95), "
      "gradients (1.95), optimizer states (11.72) and reserve (5.00), which "
      "leaves nothing of its 20.00 GiB for activations",
      "/memory/device_memory", "{\"zero_stage\"");
  expectError(replaceNth(sized, "{\"zero_stage\": 1}", "{\"zero_stage\": 4}"),
              "memory.device_memory.zero_stage: must be at most 3, got 4",
              "/memory/device_memory/zero_stage", "4}");
  expectError(replaceNth(sized, ", \"gradient_mib\": 2000", "", 2),
              "memory.device_memory: needs every stage's gradient_mib (the "
              "size of its parameters, from which weights, gradients and "
              "optimizer states follow), but stages[2] gives none",
              "/memory/device_memory", "{\"zero_stage\"");
}

// What W keeps cannot exceed the activation.
TEST(ProblemJsonStages, WgradActivation) {
  expectError(
      edit("\"activation_mib\": 4096,",
           "\"activation_mib\": 4096, \"wgrad_activation_mib\": 5000,", 1),
      "stages[1].wgrad_activation_mib: what W keeps (5000 MiB) cannot exceed "
      "the stage's activation_mib (4096 MiB)",
      "/stages/1/wgrad_activation_mib", "5000");
}

// Recomputation: read per stage, the checkpoint defaulting to the message
// the stage receives; a checkpoint above the activation, a recompute that
// is not a Boolean, and a checkpoint without recompute are refused at the
// field.
TEST(ProblemJsonStages, Recompute) {
  const std::string act = "\"activation_mib\": 4096,";
  sched::Problem given = parseOk(
      edit(act, act + " \"recompute\": true, \"checkpoint_mib\": 32,", 1));
  EXPECT_FALSE(given.chunks[0].recompute);
  EXPECT_TRUE(given.chunks[1].recompute);
  EXPECT_EQ(given.chunks[1].checkpointBytes, 32 * sched::kMiB);
  sched::Problem byDefault =
      parseOk(edit(act, act + " \"recompute\": true,", 2));
  EXPECT_TRUE(byDefault.chunks[2].recompute);
  EXPECT_FALSE(byDefault.chunks[2].checkpointBytes.has_value());
  EXPECT_EQ(byDefault.checkpointBytes(2), 64 * sched::kMiB);
  expectError(
      edit(act, act + " \"recompute\": true, \"checkpoint_mib\": 5000,", 1),
      "stages[1].checkpoint_mib: the checkpoint (5000 MiB) cannot exceed the "
      "stage's activation_mib (4096 MiB)",
      "/stages/1/checkpoint_mib", "5000");
  expectError(edit(act, act + " \"recompute\": \"yes\",", 1),
              "stages[1].recompute: expected true or false, got \"yes\"",
              "/stages/1/recompute", "\"yes\"");
  expectError(edit(act, act + " \"checkpoint_mib\": 61,", 1),
              "stages[1].checkpoint_mib: a checkpoint needs \"recompute\": "
              "true (without recomputation the forward keeps the whole "
              "activation)",
              "/stages/1/checkpoint_mib", "61");
}

// A device pair's own link: well formed, once, a separate path only between
// datacenters.
TEST(ProblemJsonLinks, DeviceLinks) {
  const std::string link =
      "{\"between\": [\"east\", \"west\"], \"latency_ms\": 20, "
      "\"bandwidth_gbps\": 100}";
  auto with = [&](const std::string &extra) {
    return edit(link, link + ", " + extra);
  };
  expectError(with("{\"devices\": [3, 8], \"latency_ms\": 1, "
                   "\"bandwidth_gbps\": 1}"),
              "network.links[1].devices[1]: expected a device index from 0 to "
              "7, got 8",
              "/network/links/1/devices/1", "8]");
  expectError(with("{\"devices\": [3, 3], \"latency_ms\": 1, "
                   "\"bandwidth_gbps\": 1}"),
              "network.links[1].devices: both ends are device 3",
              "/network/links/1/devices", "[3, 3]");
  expectError(with("{\"devices\": [3, 4], \"between\": [\"east\", "
                   "\"west\"], \"latency_ms\": 1, \"bandwidth_gbps\": 1}"),
              "network.links[1]: give either 'devices' (a pair of devices) or "
              "'between' or 'from' and 'to' (datacenters), not both",
              "/network/links/1", "{\"devices\": [3, 4], \"between\"");
  expectError(with("{\"devices\": [0, 1], \"latency_ms\": 1, "
                   "\"bandwidth_gbps\": 1, \"separate_path\": true}"),
              "network.links[1].separate_path: devices 0 and 1 are both in "
              "datacenter 'east', where every device pair has its own link "
              "already",
              "/network/links/1/separate_path", "true}");
  expectError(with("{\"devices\": [3, 4], \"latency_ms\": 1, "
                   "\"bandwidth_gbps\": 1}, {\"devices\": [4, 3], "
                   "\"latency_ms\": 2, \"bandwidth_gbps\": 1}"),
              "network.links[2]: the link between devices 4 and 3 is already "
              "given by network.links[1]",
              "/network/links/2", "{\"devices\": [4, 3]");
  expectError(edit(link, "{\"between\": [\"east\", \"west\"], "
                         "\"latency_ms\": 20, \"bandwidth_gbps\": 100, "
                         "\"separate_path\": true}"),
              "network.links[0].separate_path: only applies to a link between "
              "two devices (\"devices\": [a, b])",
              "/network/links/0/separate_path", "true}");
  // The pipeline's only crossing, 3 <-> 4, may use a pair link alone.
  ParsedProblem ok =
      parseProblemJson(edit(link, "{\"devices\": [3, 4], \"latency_ms\": 1, "
                                  "\"bandwidth_gbps\": 1}"));
  ASSERT_TRUE(ok.ok) << ok.error.message;
  EXPECT_EQ(ok.problem.deviceLinks.size(), 2u);
}

TEST(ProblemJsonDataParallel, DegreeSpanAndGradients) {
  expectError(edit("\"degree\": 1", "\"degree\": 0"),
              "data_parallel.degree: expected a positive integer, got 0",
              "/data_parallel/degree", "0, \"span\"");
  expectError(edit("\"span\": \"intra_dc\"", "\"span\": \"cross\""),
              "data_parallel.span: unknown data_parallel span 'cross' (did you "
              "mean 'cross_dc'?); expected 'intra_dc' or 'cross_dc'",
              "/data_parallel/span", "\"cross\"");
  std::string dp4 = edit("\"degree\": 1", "\"degree\": 4");
  expectError(replaceNth(dp4, ", \"gradient_mib\": 2000", "", 0),
              "stages[0]: missing required field 'gradient_mib' (data_parallel "
              "degree is 4)",
              "/stages/0", "{\"forward_ms\"");
  // All stages in one datacenter, DP across datacenters: no link to use.
  std::string oneDc =
      edit("[{\"name\": \"east\", \"devices\": 4}, {\"name\": \"west\", "
           "\"devices\": 4}]",
           "[{\"name\": \"east\", \"devices\": 8}]");
  oneDc = replaceNth(oneDc,
                     "\"links\": [{\"between\": [\"east\", \"west\"], "
                     "\"latency_ms\": 20, \"bandwidth_gbps\": 100}]",
                     "\"links\": []");
  oneDc = replaceNth(oneDc, "{\"degree\": 1, \"span\": \"intra_dc\"}",
                     "{\"degree\": 2, \"span\": \"cross_dc\"}");
  expectError(oneDc,
              "data_parallel.span: cross_dc all-reduces over links between "
              "datacenters, but network.links declares none",
              "/data_parallel/span", "\"cross_dc\"");
  // One device per datacenter: the pipeline needs no intra-DC network, the
  // DP all-reduce inside each datacenter does.
  std::string pair = R"({"microbatches": 2,
  "datacenters": [{"name": "a", "devices": 1}, {"name": "b", "devices": 1}],
  "network": {"links": [{"between": ["a", "b"], "latency_ms": 1, "bandwidth_gbps": 1}]},
  "stages": [{"forward_ms": 1, "backward_ms": 2, "activation_mib": 1, "message_mib": 1, "gradient_mib": 1},
             {"forward_ms": 1, "backward_ms": 2, "activation_mib": 1, "gradient_mib": 1}],
  "data_parallel": {"degree": 2}
})";
  expectError(
      pair,
      "data_parallel: degree 2 all-reduces inside datacenter 'a', which "
      "has no network; add network.intra_dc or datacenters[0].intra_dc",
      "/data_parallel", "{\"degree\"");
  EXPECT_TRUE(
      parseProblemJson(replaceNth(pair, "{\"degree\": 2}", "{\"degree\": 1}"))
          .ok);
}

} // namespace
