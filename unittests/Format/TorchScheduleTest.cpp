//===- TorchScheduleTest.cpp - PyTorch schedule CSVs both ways ------------===//
//
// Round trips (write, read back: the same per-device order and the same
// simulated makespan) for every placement, both backward forms and both
// CSV forms; the grammar against PyTorch's action syntax; and one
// malformed CSV per refusal, each naming its row and column.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/TorchSchedule.h"

#include "../Schedule/TestProblems.h"
#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

using namespace crosspipe::sched;

namespace {

/// 4 devices in 2 datacenters; unidirectional has 4 chunks, interleaved and
/// wave 8 (two per device).
Problem problemFor(Placement placement, bool split, int mb = 6) {
  Problem p = test::makeUniform(4, 2, mb, split, 1, split ? 1 : 2,
                                split ? 1 : 0, 2, 1, placement,
                                placement == Placement::Unidirectional ? 0
                                                                       : 2);
  p.memoryLimitBytes.clear();
  return p;
}

std::vector<std::pair<std::string, Schedule>> schedulesFor(const Problem &p) {
  std::vector<std::pair<std::string, Schedule>> all;
  for (BaselineKind kind : allBaselineKinds()) {
    BaselineResult r = buildBaseline(p, kind);
    if (r.ok)
      all.push_back({baselineName(kind), r.schedule});
  }
  GreedyResult g = scheduleGreedy(p);
  if (g.ok)
    all.push_back({"greedy", g.schedule});
  return all;
}

void expectSameOrder(const Schedule &a, const Schedule &b) {
  ASSERT_EQ(a.order.size(), b.order.size());
  for (size_t d = 0; d < a.order.size(); ++d) {
    ASSERT_EQ(a.order[d].size(), b.order[d].size()) << "device " << d;
    for (size_t i = 0; i < a.order[d].size(); ++i)
      EXPECT_TRUE(a.order[d][i] == b.order[d][i])
          << "device " << d << " index " << i;
  }
}

TEST(TorchScheduleTest, RoundTripEveryPlacementAndBackward) {
  int checked = 0;
  for (Placement placement :
       {Placement::Unidirectional, Placement::Interleaved, Placement::Wave})
    for (bool split : {false, true}) {
      Problem p = problemFor(placement, split);
      for (auto &[name, schedule] : schedulesFor(p)) {
        SimResult sim = simulate(p, schedule);
        ASSERT_TRUE(sim.ok) << name << ": " << sim.error;
        for (TorchForm form : {TorchForm::ComputeOnly, TorchForm::WithComms}) {
          SCOPED_TRACE(name + (split ? " split" : " fused") +
                       (form == TorchForm::WithComms ? " comms" : ""));
          TorchWriteResult w = writeTorchSchedule(p, schedule, sim, {}, form);
          ASSERT_TRUE(w.ok) << w.error;
          TorchReadResult r = readTorchSchedule(p, w.csv);
          ASSERT_TRUE(r.ok) << r.error << " at " << r.at.row << ":"
                            << r.at.column << "\n"
                            << w.csv;
          EXPECT_EQ(r.withComms, form == TorchForm::WithComms);
          expectSameOrder(schedule, r.schedule);
          SimResult back = simulate(p, r.schedule);
          ASSERT_TRUE(back.ok);
          EXPECT_DOUBLE_EQ(back.makespanMs, sim.makespanMs);
          ++checked;
        }
      }
    }
  // The greedy and at least one baseline per placement, backward form and
  // CSV form (28 today: the zero-bubble baselines need split backward).
  EXPECT_GE(checked, 24);
}

// Every cell is an action in PyTorch's grammar
// (_action_regex = (\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|
// SEND_B|RECV_B)(\d*)), and the communication form is PyTorch's: SEND_F
// names the sending stage, RECV_F the receiving one.
TEST(TorchScheduleTest, GrammarConformance) {
  std::regex action(
      "(\\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|"
      "RECV_B)(\\d*)");
  Problem p = problemFor(Placement::Unidirectional, true, 4);
  GreedyResult g = scheduleGreedy(p);
  ASSERT_TRUE(g.ok);
  SimResult sim = simulate(p, g.schedule);
  TorchWriteResult w =
      writeTorchSchedule(p, g.schedule, sim, {}, TorchForm::WithComms);
  ASSERT_TRUE(w.ok);
  std::istringstream rows(w.csv);
  std::string row;
  int rank = 0;
  while (std::getline(rows, row)) {
    std::istringstream cells(row);
    std::string cell;
    while (std::getline(cells, cell, ',')) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(cell, m, action)) << cell;
      int stage = std::stoi(m[1]);
      EXPECT_EQ(p.chunks[stage].device, rank) << cell;
    }
    ++rank;
  }
  EXPECT_EQ(rank, 4);
  // Device 0 runs stage 0: it sends activations and receives gradients.
  EXPECT_NE(w.csv.find("0SEND_F0"), std::string::npos);
  EXPECT_NE(w.csv.find("1RECV_F0"), std::string::npos);
  EXPECT_NE(w.csv.find("1SEND_B0"), std::string::npos);
  EXPECT_NE(w.csv.find("0RECV_B0"), std::string::npos);
}

// A hand-written 2-rank 1F1B in PyTorch's compute-only form, with idle
// steps, CRLF line ends and spaces, as _dump_csv may write it.
TEST(TorchScheduleTest, ReadsPyTorchStyleCsv) {
  Problem p = test::makeUniform(2, 1, 2, false, 1, 2, 0, 0, 0);
  std::string csv = "0F0,0F1,,0B0,0B1\r\n , 1F0,1B0, 1F1,1B1\r\n";
  TorchReadResult r = readTorchSchedule(p, csv);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.schedule.order[1].size(), 4u);
  EXPECT_TRUE((r.schedule.order[1][1] == Block{BlockKind::B, 1, 0}));
  EXPECT_EQ(r.cells[1][0].row, 2);
  EXPECT_EQ(r.cells[1][0].column, 2);
  EXPECT_TRUE(simulate(p, r.schedule).ok);
}

struct Bad {
  const char *csv;
  int row, column;
  const char *error;
};

TEST(TorchScheduleTest, MalformedCsvsNameRowAndColumn) {
  Problem p = test::makeUniform(2, 1, 2, false, 1, 2, 0, 0, 0);
  const Bad cases[] = {
      {"0F0,0F1,0X0,0B0,0B1\n1F0,1B0,1F1,1B1\n", 1, 3,
       "'0X0' has no action type PyTorch knows"},
      {"F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1\n", 1, 1,
       "'F0' does not start with a stage number"},
      {"0F0,0F1,0B0,0B1\n", 1, 0, "has 1 rows, but the problem has 2 devices"},
      {"0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1\n1F0\n", 3, 0,
       "has 3 rows, but the problem has 2 devices"},
      {"0F0,0F1,0B0\n1F0,1B0,1F1,1B1\n", 1, 0,
       "misses 0B1 (B chunk 0 mb 1) on rank 0"},
      {"0F0,0F1,0B0,0B1,0F1\n1F0,1B0,1F1,1B1\n", 1, 5,
       "'0F1' repeats row 1, column 2"},
      {"0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1,0F0\n", 2, 5,
       "stage 0 runs on rank 0 in the problem, not on rank 1"},
      {"0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1,7F0\n", 2, 5,
       "names stage 7, but the problem has 2 stages"},
      {"0F0,0F9,0B0,0B1\n1F0,1B0,1F1,1B1\n", 1, 2,
       "names microbatch 9, but the problem has 2"},
      {"0F0,0F1,0I0,0B1\n1F0,1B0,1F1,1B1\n", 1, 3,
       "the problem has a fused backward B"},
      {"0F0,0F1,0B0,0B1\n1F0,1B0,1F,1B1\n", 2, 3, "'1F' has no microbatch"},
      {"0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1,1REDUCE_GRAD0\n", 2, 5,
       "'1REDUCE_GRAD0' takes no microbatch"},
      {"0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1,1F12345678901\n", 2, 5,
       "has a microbatch number too large"},
      // With communication: a receive of stage 0 has no sender stage.
      {"0RECV_F0,0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1\n", 1, 1,
       "'0RECV_F0': no stage -1 exists to send it"},
      {"0SEND_F0,0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1\n", 1, 1,
       "'0SEND_F0' comes before the F that produces it"},
      {"0F0,0SEND_F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1\n", 1, 2,
       "misses 1RECV_F0 on rank 1"},
      {"0F0,0SEND_F0,0F1,0B0,0B1\n1F0,1RECV_F0,1B0,1F1,1B1\n", 2, 1,
       "1F0 comes before 1RECV_F0, which brings its input"},
      {"(0F0;0F1)OVERLAP,0B0,0B1\n1F0,1B0,1F1,1B1\n", 1, 1,
       "is not of the form (a;b)OVERLAP_F_B"},
  };
  for (const Bad &bad : cases) {
    SCOPED_TRACE(bad.csv);
    TorchReadResult r = readTorchSchedule(p, bad.csv);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.at.row, bad.row) << r.error;
    EXPECT_EQ(r.at.column, bad.column) << r.error;
    EXPECT_NE(r.error.find(bad.error), std::string::npos) << r.error;
  }
}

// UNSHARD/RESHARD are accepted with a warning; OVERLAP_F_B runs its parts
// in order.
TEST(TorchScheduleTest, WarnsAboutWhatTheModelLacks) {
  Problem p = test::makeUniform(2, 1, 2, false, 1, 2, 0, 0, 0);
  TorchReadResult r = readTorchSchedule(
      p, "0UNSHARD,0F0,0F1,0B0,0B1,0RESHARD\n1F0,(1B0;1F1)OVERLAP_F_B,1B1\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.warnings.size(), 3u);
  ASSERT_EQ(r.schedule.order[1].size(), 4u);
  EXPECT_TRUE((r.schedule.order[1][2] == Block{BlockKind::F, 1, 1}));
}

// Sub-blocks merge when their parts run back to back; bucketed collectives
// cannot be written with communication.
TEST(TorchScheduleTest, RefusesWhatTheFormatCannotExpress) {
  Problem p = test::makeUniform(2, 1, 1, false, 1, 2, 0, 0, 0);
  Schedule s;
  auto part = [](BlockKind k, int c, int i) {
    Block b{k, c, 0};
    b.part = i;
    b.parts = 2;
    return b;
  };
  s.order = {{part(BlockKind::F, 0, 0), part(BlockKind::F, 0, 1),
              Block{BlockKind::B, 0, 0}},
             {Block{BlockKind::F, 1, 0}, Block{BlockKind::B, 1, 0}}};
  SimResult sim = simulate(p, s);
  ASSERT_TRUE(sim.ok) << sim.error;
  TorchWriteResult w =
      writeTorchSchedule(p, s, sim, {}, TorchForm::ComputeOnly);
  ASSERT_TRUE(w.ok) << w.error;
  EXPECT_EQ(w.csv, "0F0,0B0\n1F0,1B0\n");

  CollectiveNote bucket;
  bucket.device = 0;
  bucket.computeBefore = 3;
  bucket.buckets = 2;
  w = writeTorchSchedule(p, s, sim, {bucket}, TorchForm::WithComms);
  ASSERT_FALSE(w.ok);
  EXPECT_NE(w.error.find("bucketed or ZeRO-1"), std::string::npos);
}

} // namespace
