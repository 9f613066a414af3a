//===- ProblemJsonTest.cpp - Reading valid experiment descriptions --------===//
//
// The bundled examples and variations of the README's contract example must
// read into exactly the problem their numbers describe. Expected values are
// computed by hand from the JSON (MiB = 2^20 bytes, Gbit/s = 1e9 bit/s), not
// through the Problem helpers under test, and source locations are checked
// against a plain text search of the input.
//
//===----------------------------------------------------------------------===//

#include "ImportTestUtil.h"

#include <cmath>

using namespace crosspipe;
using namespace crosspipe::sched;
using namespace crosspipe::test;

namespace {

TEST(ProblemJsonExamples, Toy) {
  std::string text = readExample("toy.json");
  Problem p = parseOk(text);
  EXPECT_EQ(p.name, "toy");
  EXPECT_EQ(p.numMicrobatches, 8);
  ASSERT_EQ(p.datacenters.size(), 2u);
  EXPECT_EQ(p.datacenters[0].name, "east");
  EXPECT_EQ(p.datacenters[1].name, "west");
  EXPECT_EQ(p.numDevices(), 4);
  EXPECT_EQ(p.dcOfDevice(1), 0);
  EXPECT_EQ(p.dcOfDevice(2), 1);
  EXPECT_EQ(p.placement, Placement::Unidirectional);
  EXPECT_TRUE(p.splitBackward);
  EXPECT_EQ(p.dpDegree, 1);
  EXPECT_EQ(p.dpSpan, DpSpan::IntraDc);
  // Two intra-DC links, then east->west and west->east.
  ASSERT_EQ(p.links.size(), 4u);
  EXPECT_EQ(p.links[2].fromDc, 0);
  EXPECT_EQ(p.links[2].toDc, 1);
  EXPECT_EQ(p.links[3].fromDc, 1);
  EXPECT_EQ(p.links[3].toDc, 0);
  // 8.388608 Gbit/s = 2^20 * 8 bit per ms: a 4 MiB message takes 4 ms.
  ASSERT_NE(p.linkCost(1, 2), nullptr);
  EXPECT_NEAR(p.linkCost(1, 2)->costMs(4 * kMiB), 5.0 + 4.0, 1e-9);
  EXPECT_NEAR(p.linkCost(2, 1)->costMs(4 * kMiB), 9.0, 1e-9);
  EXPECT_NEAR(p.linkCost(0, 1)->costMs(4 * kMiB), 0.4, 1e-9);
  ASSERT_EQ(p.chunks.size(), 4u);
  for (int c = 0; c < 4; ++c) {
    const Chunk &chunk = p.chunks[c];
    EXPECT_EQ(chunk.device, c);
    EXPECT_EQ(chunk.forwardMs, 10);
    EXPECT_EQ(chunk.dgradMs, 10);
    EXPECT_EQ(chunk.wgradMs, 5);
    EXPECT_EQ(chunk.backwardMs, 15);
    EXPECT_EQ(chunk.activationBytes, 100 * kMiB);
    EXPECT_EQ(chunk.messageBytes, c == 3 ? 0 : 4 * kMiB);
    EXPECT_EQ(chunk.gradientBytes, 50 * kMiB);
  }
  ASSERT_TRUE(p.memoryRelativeTo1F1B.has_value());
  EXPECT_EQ(*p.memoryRelativeTo1F1B, 1.0);
  ASSERT_EQ(p.memoryLimitBytes.size(), 4u);
  EXPECT_EQ(p.memoryLimitBytes[0], 400 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[1], 300 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[2], 200 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[3], 100 * kMiB);
}

TEST(ProblemJsonExamples, ToySourceLocationsPointAtObjects) {
  std::string text = readExample("toy.json");
  Problem p = parseOk(text);
  for (int c = 0; c < 4; ++c)
    EXPECT_EQ(at(p.chunks[c].loc), where(text, "{\"forward_ms\"", c)) << c;
  EXPECT_EQ(at(p.datacenters[0].loc), where(text, "{\"name\": \"east\""));
  EXPECT_EQ(at(p.datacenters[1].loc), where(text, "{\"name\": \"west\""));
  EXPECT_EQ(at(p.links[0].loc), where(text, "{\"latency_ms\": 0,"));
  EXPECT_EQ(at(p.links[1].loc), where(text, "{\"latency_ms\": 0,"));
  EXPECT_EQ(at(p.links[2].loc), where(text, "{\"between\""));
  EXPECT_EQ(at(p.links[3].loc), where(text, "{\"between\""));
}

TEST(ProblemJsonExamples, M70) {
  Problem p = parseOk(readExample("m70-2dc.json"));
  EXPECT_EQ(p.name, "m70-2dc");
  EXPECT_EQ(p.numMicrobatches, 16);
  ASSERT_EQ(p.numDevices(), 8);
  EXPECT_EQ(p.datacenters[0].numDevices, 4);
  EXPECT_EQ(p.datacenters[1].numDevices, 4);
  EXPECT_EQ(p.datacenters[0].deviceMemoryBytes,
            uint64_t(std::llround(89.4 * 1073741824.0)));
  ASSERT_EQ(p.numChunks(), 8);
  for (const Chunk &c : p.chunks) {
    EXPECT_EQ(c.forwardMs, 38);
    EXPECT_EQ(c.dgradMs, 38);
    EXPECT_EQ(c.wgradMs, 30);
    EXPECT_EQ(c.activationBytes, 3680 * kMiB);
    EXPECT_EQ(c.gradientBytes, 3264 * kMiB);
  }
  EXPECT_EQ(p.chunks[3].messageBytes, 64 * kMiB);
  EXPECT_EQ(p.chunks[7].messageBytes, 0u);
  // Memory as 1F1B: device d holds P - d = 8 - d stage activations.
  ASSERT_EQ(p.memoryLimitBytes.size(), 8u);
  EXPECT_EQ(p.memoryLimitBytes[0], 8 * 3680 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[5], 3 * 3680 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[7], 3680 * kMiB);
  // The (T_lat/T_F, T_bw/T_F) = (2, 2) case: 76 ms latency, and a 64 MiB
  // message (2^29 bit) occupies 7.064090947 Gbit/s for 76 ms.
  const LinkCost *cross = p.linkCost(3, 4);
  ASSERT_NE(cross, nullptr);
  EXPECT_EQ(cross->latencyMs, 76);
  EXPECT_NEAR(536870912.0 / (cross->bandwidthGbps * 1e9) * 1e3, 76.0, 1e-6);
  EXPECT_NEAR(cross->latencyMs / 38, 2.0, 1e-12);
  // Intra-DC: 0.01 ms + 2^29 bit / 200 Gbit/s = 2.68435456 ms.
  const LinkCost *intra = p.linkCost(0, 1);
  ASSERT_NE(intra, nullptr);
  EXPECT_NEAR(intra->costMs(64 * kMiB), 0.01 + 2.68435456, 1e-9);
  // The comment's calibration: 1F1B without delay, (n + P - 1)(F + D + W) / n
  // per microbatch, is within 1% of the paper's measured 151 ms.
  double oneFOneB = (16 + 8 - 1) * (38.0 + 38.0 + 30.0) / 16;
  EXPECT_NEAR(oneFOneB, 151.0, 1.51);
}

TEST(ProblemJsonExamples, M8) {
  Problem p = parseOk(readExample("m8-2dc.json"));
  EXPECT_EQ(p.name, "m8-2dc");
  ASSERT_EQ(p.numDevices(), 4);
  ASSERT_EQ(p.numChunks(), 4);
  for (const Chunk &c : p.chunks) {
    // M70's 38 ms and 30 ms scaled by the FLOP ratio 6/11.
    EXPECT_NEAR(c.forwardMs, 38.0 * 6 / 11, 1e-3);
    EXPECT_NEAR(c.dgradMs, 38.0 * 6 / 11, 1e-3);
    EXPECT_NEAR(c.wgradMs, 30.0 * 6 / 11, 1e-3);
    EXPECT_EQ(c.activationBytes, 2688 * kMiB);
    EXPECT_EQ(c.gradientBytes, 1664 * kMiB);
  }
  EXPECT_EQ(p.chunks[0].messageBytes, 32 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[0], 4 * 2688 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[3], 2688 * kMiB);
  // The (2, 0.25) case relative to T_F = 20.727 ms.
  const LinkCost *cross = p.linkCost(1, 2);
  ASSERT_NE(cross, nullptr);
  EXPECT_NEAR(cross->latencyMs / 20.727, 2.0, 1e-9);
  EXPECT_NEAR(268435456.0 / (cross->bandwidthGbps * 1e9) * 1e3 / 20.727, 0.25,
              1e-6);
}

TEST(ProblemJsonValid, ContractExample) {
  std::string text = contractDoc();
  Problem p = parseOk(text);
  ASSERT_EQ(p.numDevices(), 8);
  ASSERT_EQ(p.numChunks(), 8);
  EXPECT_EQ(p.dcOfDevice(3), 0);
  EXPECT_EQ(p.dcOfDevice(4), 1);
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(p.chunks[c].device, c);
    EXPECT_EQ(p.chunks[c].loc.line, kFirstStageLine + c);
    EXPECT_EQ(p.chunks[c].loc.column, 5);
  }
  EXPECT_EQ(p.memoryLimitBytes[0], 8 * 4096 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[7], 4096 * kMiB);
  // 20 ms + 2^29 bit / 100 Gbit/s.
  EXPECT_NEAR(p.linkCost(3, 4)->costMs(64 * kMiB), 20 + 5.36870912, 1e-9);
  EXPECT_NEAR(p.linkCost(4, 3)->costMs(64 * kMiB), 20 + 5.36870912, 1e-9);
  EXPECT_EQ(p.linkCost(3, 4)->bandwidthGbps, 100);
}

TEST(ProblemJsonValid, Defaults) {
  std::string text = contractDoc();
  text = replaceNth(text, "  \"name\": \"m70-2dc\",\n", "");
  text = replaceNth(text, "  \"placement\": \"unidirectional\",\n", "");
  text = replaceNth(text, "  \"split_backward\": true,\n", "");
  text = replaceNth(text, "  \"memory\": {\"relative_to_1f1b\": 1.0},\n", "");
  text = replaceNth(
      text, ",\n  \"data_parallel\": {\"degree\": 1, \"span\": \"intra_dc\"}",
      "");
  Problem p = parseOk(text);
  EXPECT_EQ(p.name, "unnamed");
  EXPECT_EQ(p.placement, Placement::Unidirectional);
  EXPECT_FALSE(p.splitBackward);
  // Unsplit with dgrad and wgrad given: B = D + W.
  EXPECT_EQ(p.chunks[0].backwardMs, 68);
  EXPECT_TRUE(p.memoryLimitBytes.empty());
  EXPECT_EQ(p.memoryLimit(0), kUnlimited);
  EXPECT_FALSE(p.memoryRelativeTo1F1B.has_value());
  EXPECT_EQ(p.dpDegree, 1);
}

TEST(ProblemJsonValid, UnsplitBackwardMs) {
  std::string text = contractDoc();
  text =
      replaceNth(text, "\"split_backward\": true", "\"split_backward\": false");
  for (int i = 0; i < 8; ++i)
    text = replaceNth(text, "\"dgrad_ms\": 38, \"wgrad_ms\": 30",
                      "\"backward_ms\": 70");
  Problem p = parseOk(text);
  EXPECT_FALSE(p.splitBackward);
  EXPECT_EQ(p.chunks[5].backwardMs, 70);
  EXPECT_EQ(p.backwardTotalMs(5), 70);
}

TEST(ProblemJsonValid, FromToLinksAreOneDirection) {
  std::string text = replaceNth(
      contractDoc(),
      R"({"between": ["east", "west"], "latency_ms": 20, "bandwidth_gbps": 100})",
      R"({"from": "east", "to": "west", "latency_ms": 20, "bandwidth_gbps": 100},
              {"from": "west", "to": "east", "latency_ms": 30, "bandwidth_gbps": 50})");
  Problem p = parseOk(text);
  EXPECT_EQ(p.linkCost(3, 4)->latencyMs, 20);
  EXPECT_EQ(p.linkCost(4, 3)->latencyMs, 30);
  EXPECT_EQ(p.linkCost(4, 3)->bandwidthGbps, 50);
  EXPECT_EQ(p.links[3].loc.line, 8);
}

TEST(ProblemJsonValid, PerDatacenterIntraDc) {
  std::string text =
      replaceNth(contractDoc(), R"({"name": "east", "devices": 4})",
                 R"({"name": "east", "devices": 4, "device_memory_gib": 96,
                   "intra_dc": {"latency_ms": 0.5, "bandwidth_gbps": 400}})");
  Problem p = parseOk(text);
  EXPECT_EQ(p.dcLinkCost(0, 0)->latencyMs, 0.5);
  EXPECT_EQ(p.dcLinkCost(0, 0)->bandwidthGbps, 400);
  EXPECT_EQ(p.dcLinkCost(1, 1)->latencyMs, 0.01);
  EXPECT_EQ(p.links[0].loc.line, 5);
  EXPECT_EQ(p.datacenters[0].deviceMemoryBytes, 96ull << 30);
  EXPECT_EQ(p.datacenters[1].deviceMemoryBytes, 0u);
}

TEST(ProblemJsonValid, InterleavedPlacement) {
  std::string text =
      replaceNth(contractDoc(16), "\"unidirectional\"", "\"interleaved\"");
  // Two chunks on the last device need twice its largest activation.
  text =
      replaceNth(text, "\"relative_to_1f1b\": 1.0", "\"relative_to_1f1b\": 2");
  Problem p = parseOk(text);
  EXPECT_EQ(p.placement, Placement::Interleaved);
  EXPECT_EQ(p.chunks[9].device, 1);
  EXPECT_EQ(p.chunks[15].device, 7);
  EXPECT_EQ(p.memoryLimitBytes[0], 2 * 8 * 4096 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[7], 2 * 4096 * kMiB);
}

TEST(ProblemJsonValid, WavePlacement) {
  std::string text =
      replaceNth(contractDoc(16), "\"unidirectional\"", "\"wave\"");
  text =
      replaceNth(text, "\"relative_to_1f1b\": 1.0", "\"relative_to_1f1b\": 2");
  Problem p = parseOk(text);
  EXPECT_EQ(p.placement, Placement::Wave);
  int expected[16] = {0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0};
  for (int c = 0; c < 16; ++c)
    EXPECT_EQ(p.chunks[c].device, expected[c]) << c;
}

TEST(ProblemJsonValid, DeviceOverrideMakesPlacementCustom) {
  std::string text = contractDoc();
  // Later stage first: a replacement removes its occurrence of the needle.
  text =
      replaceNth(text, "{\"forward_ms\"", "{\"device\": 6, \"forward_ms\"", 7);
  text =
      replaceNth(text, "{\"forward_ms\"", "{\"device\": 7, \"forward_ms\"", 6);
  Problem p = parseOk(text);
  EXPECT_EQ(p.placement, Placement::Custom);
  EXPECT_EQ(p.chunks[5].device, 5);
  EXPECT_EQ(p.chunks[6].device, 7);
  EXPECT_EQ(p.chunks[7].device, 6);
}

TEST(ProblemJsonValid, DeviceOverridesAgreeingWithTheRuleKeepIt) {
  std::string text =
      replaceNth(contractDoc(16), "\"unidirectional\"", "\"wave\"");
  text =
      replaceNth(text, "\"relative_to_1f1b\": 1.0", "\"relative_to_1f1b\": 2");
  // Stages 8 and 15 state the devices wave placement gives them anyway.
  text =
      replaceNth(text, "{\"forward_ms\"", "{\"device\": 0, \"forward_ms\"", 15);
  text =
      replaceNth(text, "{\"forward_ms\"", "{\"device\": 7, \"forward_ms\"", 8);
  Problem p = parseOk(text);
  EXPECT_EQ(p.placement, Placement::Wave);
  EXPECT_EQ(p.chunks[8].device, 7);
  EXPECT_EQ(p.chunks[15].device, 0);
}

TEST(ProblemJsonValid, ExplicitCustomPlacement) {
  std::string text =
      replaceNth(contractDoc(), "\"unidirectional\"", "\"custom\"");
  // Reverse order: stage c on device 7 - c.
  // Each replacement removes an occurrence, so the next stage is always the
  // first remaining one.
  for (int c = 0; c < 8; ++c)
    text = replaceNth(text, "{\"forward_ms\"",
                      "{\"device\": " + std::to_string(7 - c) +
                          ", \"forward_ms\"");
  // Memory as 1F1B then gives device 0 (last stage) the most room, which is
  // fine: limits follow devices, not stages.
  Problem p = parseOk(text);
  EXPECT_EQ(p.placement, Placement::Custom);
  EXPECT_EQ(p.chunks[0].device, 7);
  EXPECT_EQ(p.chunks[7].device, 0);
}

TEST(ProblemJsonValid, MemoryLimitForms) {
  std::string scalar = replaceNth(contractDoc(), "{\"relative_to_1f1b\": 1.0}",
                                  "{\"activation_limit_mib\": 5000.5}");
  Problem p = parseOk(scalar);
  ASSERT_EQ(p.memoryLimitBytes.size(), 8u);
  for (uint64_t limit : p.memoryLimitBytes)
    EXPECT_EQ(limit, 5000 * kMiB + kMiB / 2);
  EXPECT_FALSE(p.memoryRelativeTo1F1B.has_value());

  std::string array = replaceNth(contractDoc(), "{\"relative_to_1f1b\": 1.0}",
                                 "{\"activation_limit_mib\": [9000, 8000, "
                                 "7000, 6000, 5000, 4500, 4200, 4096]}");
  p = parseOk(array);
  EXPECT_EQ(p.memoryLimitBytes[0], 9000 * kMiB);
  EXPECT_EQ(p.memoryLimitBytes[7], 4096 * kMiB);
}

TEST(ProblemJsonValid, DataParallelCrossDc) {
  std::string text =
      replaceNth(contractDoc(), R"({"degree": 1, "span": "intra_dc"})",
                 R"({"degree": 2, "span": "cross_dc"})");
  Problem p = parseOk(text);
  EXPECT_EQ(p.dpDegree, 2);
  EXPECT_EQ(p.dpSpan, DpSpan::CrossDc);
  EXPECT_EQ(p.chunks[0].gradientBytes, 2000 * kMiB);
  // Ring of 2 over the 20 ms / 100 Gbit/s link: 2 * 20 + 2000 MiB at 100
  // Gbit/s.
  EXPECT_NEAR(p.allreduceMs(0), 40 + 2000.0 * 8388608 / 100e9 * 1e3, 1e-9);
}

TEST(ProblemJsonValid, CommentsAreIgnoredAndLastMessageDropped) {
  std::string text =
      replaceNth(contractDoc(), "  \"microbatches\": 16,",
                 "  \"comment\": [\"derived from\", \"the paper\"],\n"
                 "  \"microbatches\": 16,");
  text =
      replaceNth(text, "\"intra_dc\": {\"latency_ms\"",
                 "\"intra_dc\": {\"comment\": \"Slingshot\", \"latency_ms\"");
  text = replaceNth(text, "{\"forward_ms\"",
                    "{\"comment\": \"\", \"forward_ms\"", 3);
  Problem p = parseOk(text);
  // The last stage's message_mib: 64 goes nowhere and reads as 0.
  EXPECT_EQ(p.chunks[7].messageBytes, 0u);
  EXPECT_EQ(p.chunks[6].messageBytes, 64 * kMiB);
}

TEST(ProblemJsonValid, ByteOrderMarkKeepsColumns) {
  Problem p = parseOk("\xEF\xBB\xBF" + contractDoc());
  EXPECT_EQ(p.chunks[0].loc.line, kFirstStageLine);
  EXPECT_EQ(p.chunks[0].loc.column, 5);
}

TEST(ProblemJsonFile, ReadsExampleAndReportsMissingFile) {
  ParsedProblem parsed =
      parseProblemJsonFile(std::string(CROSSPIPE_EXAMPLES_DIR) + "/toy.json");
  EXPECT_TRUE(parsed.ok) << parsed.error.message;
  ParsedProblem missing = parseProblemJsonFile("/nonexistent/crosspipe.json");
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.error.line, 0);
  EXPECT_EQ(missing.error.message, "cannot open '/nonexistent/crosspipe.json'");
  EXPECT_EQ(formatJsonError(missing.error, "x.json"),
            "x.json: cannot open '/nonexistent/crosspipe.json'");
  JsonError located{14, 19, "/stages/2/forward_ms",
                    "stages[2].forward_ms: bad"};
  EXPECT_EQ(formatJsonError(located, "m.json"),
            "m.json:14:19: stages[2].forward_ms: bad");
}

} // namespace
