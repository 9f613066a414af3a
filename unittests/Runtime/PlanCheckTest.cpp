//===- PlanCheckTest.cpp - crosspipe_plan_check catches each fault --------===//
//
// Hand-built GPipe and 1F1B plans (fused and split backward, sub-blocks, DP
// buckets) pass crosspipe_plan_check. Each mutation a broken compiler or a
// hand edit could make is then refused with one line naming the entry or
// the device, action and field: the header, the tables (ranges, duplicates,
// names, devices), waits, slots, unused fields, buffers and channels an
// action needs, sends and receives out of step on their channel, blocks
// and messages missing or twice, parts and block order, bucket sets.
//
//===----------------------------------------------------------------------===//

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

using namespace crosspipe::rt::test;

namespace {

std::string check(TestPlan &plan) {
  char error[512] = "";
  if (crosspipe_plan_check(plan.get(), error, sizeof(error)) == 0)
    return "";
  std::string text = error;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  return text;
}

PlanSpec splitSpec() {
  PlanSpec spec;
  spec.split = true;
  spec.parts = 2;
  spec.dp = true;
  spec.dpBuckets = 3;
  spec.devices = 4;
  spec.microbatches = 6;
  return spec;
}

/// Applies `mutate` to a fresh plan and expects `expected` in the fault.
void expectFault(const PlanSpec &spec,
                 const std::function<void(TestPlan &)> &mutate,
                 const std::string &expected) {
  TestPlan plan = buildPlan(spec);
  ASSERT_EQ(check(plan), "");
  mutate(plan);
  std::string fault = check(plan);
  EXPECT_NE(fault.find(expected), std::string::npos)
      << "expected '" << expected << "', got '" << fault << "'";
}

TEST(RuntimePlanCheck, HandBuiltPlansPass) {
  for (PlanSpec::Schedule schedule : {PlanSpec::GPipe, PlanSpec::OneFOneB})
    for (bool split : {false, true})
      for (int devices : {2, 3, 5})
        for (int microbatches : {1, 2, 7}) {
          PlanSpec spec;
          spec.schedule = schedule;
          spec.split = split;
          spec.devices = devices;
          spec.microbatches = microbatches;
          spec.parts = split ? 3 : 1;
          spec.dp = split;
          TestPlan plan = buildPlan(spec);
          EXPECT_EQ(check(plan), "") << devices << "x" << microbatches;
        }
  EXPECT_EQ(crosspipe_plan_check(nullptr, nullptr, 0), -1);
}

TEST(RuntimePlanCheck, Header) {
  PlanSpec spec;
  expectFault(
      spec, [](TestPlan &p) { p.header.version = 2; },
      "plan: plan version 2, this runtime runs version 1");
  expectFault(
      spec, [](TestPlan &p) { p.nameText = "a b"; },
      "plan: name 'a b' must be 1 to 256 bytes");
  expectFault(
      spec, [](TestPlan &p) { p.nameText.assign(300, 'a'); }, "name 'aaaa");
  expectFault(
      spec, [](TestPlan &p) { p.header.arrangement = 5; },
      "arrangement 5 must be 0 (nccl) or 1 (emulate)");
  expectFault(
      spec, [](TestPlan &p) { p.header.microbatches = 0; },
      "microbatches 0 is out of range [1, 1000000]");
  expectFault(
      spec, [](TestPlan &p) { p.header.makespan_ms = NAN; },
      "makespan_ms must be a finite time");
}

TEST(RuntimePlanCheck, Tables) {
  PlanSpec spec;
  expectFault(
      spec, [](TestPlan &p) { p.chunkTable[1].device = 9; },
      "chunk 1: device 9 is out of range [0, 2]");
  expectFault(
      spec, [](TestPlan &p) { p.chunkTable[1].wgrad_ms = -1; },
      "chunk 1: wgrad_ms must be a finite time");
  expectFault(
      spec, [](TestPlan &p) { p.chunkTable[0].forward_ms = INFINITY; },
      "chunk 0: forward_ms must be a finite time");
  expectFault(
      spec, [](TestPlan &p) { p.bufferTable[2].slots = 0; },
      "buffer 2: slots 0 is out of range [1, 65536]");
  expectFault(
      spec, [](TestPlan &p) { p.bufferTable[2].device = 0; },
      "buffer 2: chunk 1 runs on device 1, not 0");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.bufferTable.push_back(p.bufferTable[0]);
        p.bufferNames.push_back("copy");
      },
      "a second stash buffer of chunk 0 on device 0");
  expectFault(
      spec, [](TestPlan &p) { p.bufferNames[3] = ""; },
      "buffer 3: name '' must be");
  expectFault(
      spec, [](TestPlan &p) { p.linkNames[0] = "a b"; },
      "link 0: name 'a b' must be 1 to 256 bytes of [A-Za-z0-9_.>-]");
  expectFault(
      spec, [](TestPlan &p) { p.channelTable[0].dst = 0; },
      "channel 0: src and dst are both device 0");
  expectFault(
      spec, [](TestPlan &p) { p.channelTable[0].link = 7; },
      "channel 0: link 7 is out of range");
  expectFault(
      spec, [](TestPlan &p) { p.channelTable[0].gbps = -1; },
      "channel 0: gbps must be 0 (free) or in [1e-6, 1e9]");
  expectFault(
      spec, [](TestPlan &p) { p.channelTable[1] = p.channelTable[0]; },
      "channel 1: a second act channel from device 0 to 1");
  expectFault(
      spec, [](TestPlan &p) { p.channelTable.erase(p.channelTable.begin()); },
      "no act channel from device 0 to 1");
}

TEST(RuntimePlanCheck, Waits) {
  PlanSpec spec;
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[1].insert(p.actionTables[1].begin() + 2, {CROSSPIPE_OP_WAIT, 5});
      },
      "device 1 action 2 (WAIT for action 5): a wait must name an "
      "earlier action of its program, in [0, 1]");
  expectFault(
      spec,
      [](TestPlan &p) {
        int w = p.find(1, CROSSPIPE_OP_WAIT, 0, 0) == -1 ? 0 : 0;
        (void)w;
        std::vector<crosspipe_action> &prog = p.actionTables[1];
        for (size_t i = 0; i < prog.size(); ++i)
          if (prog[i].op == CROSSPIPE_OP_WAIT) {
            prog.insert(prog.begin() + i + 1, {CROSSPIPE_OP_WAIT, int32_t(i)});
            break;
          }
      },
      "is a wait, which never completes anything");
  expectFault(
      spec, [](TestPlan &p) { p.actionTables[0].push_back({CROSSPIPE_OP_WAIT}); },
      "the program ends with a wait");
}

TEST(RuntimePlanCheck, ActionsAndTheirBuffers) {
  PlanSpec spec;
  expectFault(
      spec, [](TestPlan &p) { p.actionTables[0][0].op = 99; },
      "device 0 action 0 (op 99 chunk 0 mb 0): op 99 must be 0 to 11");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[1][p.find(1, CROSSPIPE_OP_F, 1, 0)].slot = 2;
      },
      "(F chunk 1 mb 0): slot 2 is out of range: buffer act0_d1 has "
      "2 slots");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[0][p.find(0, CROSSPIPE_OP_F, 0, 0)].slot = 1;
      },
      "(F chunk 0 mb 0): slot must be 0 (no input message), got 1");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[1][p.find(1, CROSSPIPE_OP_F, 1, 0)].stash = 7;
      },
      "stash 7 is out of range: buffer stash1 has 2 slots");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[1][p.find(1, CROSSPIPE_OP_F, 1, 0)].chunk = 0;
      },
      "chunk 0 runs on device 0");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[0][p.find(0, CROSSPIPE_OP_SEND_ACT, 0, 0)].stash = 1;
      },
      "(SEND_ACT boundary 0 mb 0): stash must be 0 for this op, got 1");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[1][p.find(1, CROSSPIPE_OP_SEND_ACT, 1, 0)].chunk = 0;
      },
      "boundary 0 sends from device 0, not 1");
  expectFault(
      spec,
      [](TestPlan &p) {
        for (size_t i = 0; i < p.bufferTable.size(); ++i)
          if (p.bufferNames[i] == "act0_d1") {
            p.bufferTable.erase(p.bufferTable.begin() + i);
            p.bufferNames.erase(p.bufferNames.begin() + i);
          }
      },
      "device 1 has no act buffer of boundary 0");
  expectFault(
      spec,
      [](TestPlan &p) {
        for (size_t i = 0; i < p.bufferTable.size(); ++i)
          if (p.bufferNames[i] == "act0_d1")
            p.bufferTable[i].bytes += 1;
      },
      "buffer act0_d0 has 1048576 bytes but its peer act0_d1 has "
      "1048577");
  // Chunk 2 moves onto device 1 with its buffers: boundary 1 is local.
  expectFault(
      spec,
      [](TestPlan &p) {
        p.chunkTable[2].device = 1;
        for (size_t i = p.bufferTable.size(); i-- > 0;) {
          crosspipe_buffer &b = p.bufferTable[i];
          if (b.device == 2 && b.chunk == 1) {
            p.bufferTable.erase(p.bufferTable.begin() + i);
            p.bufferNames.erase(p.bufferNames.begin() + i);
          } else if (b.device == 2) {
            b.device = 1;
          }
        }
      },
      "(RECV_GRAD boundary 1 mb 0): boundary 1 is local to device 1 "
      "and carries no message");
}

TEST(RuntimePlanCheck, Channels) {
  PlanSpec spec;
  spec.microbatches = 5;
  // Two receives swapped on their channel.
  expectFault(
      spec,
      [](TestPlan &p) {
        int a = p.find(1, CROSSPIPE_OP_RECV_ACT, 0, 0);
        int b = p.find(1, CROSSPIPE_OP_RECV_ACT, 0, 1);
        std::swap(p.actionTables[1][a].mb, p.actionTables[1][b].mb);
      },
      "receive 0 on channel 0 (act 0 -> 1) expects boundary 0 mb 1, "
      "but send 0 (device 0 action");
  // A send dropped: its receive has no partner.
  expectFault(
      spec,
      [](TestPlan &p) { p.erase(0, p.find(0, CROSSPIPE_OP_SEND_ACT, 0, 4)); },
      "receive 4 on channel 0 (act 0 -> 1, boundary 0 mb 4) has no "
      "matching send");
  // Both sides dropped: the channel matches, the message is missing.
  expectFault(
      spec,
      [](TestPlan &p) {
        p.erase(0, p.find(0, CROSSPIPE_OP_SEND_GRAD, 0, 2));
        p.erase(1, p.find(1, CROSSPIPE_OP_SEND_GRAD, 0, 2));
        p.erase(0, p.find(0, CROSSPIPE_OP_RECV_GRAD, 0, 2));
      },
      "device 1: never runs SEND_GRAD boundary 0 mb 2");
  expectFault(
      spec,
      [](TestPlan &p) {
        std::vector<crosspipe_action> &prog = p.actionTables[0];
        prog.push_back(prog[p.find(0, CROSSPIPE_OP_SEND_ACT, 0, 1)]);
      },
      "the message is sent twice");
}

TEST(RuntimePlanCheck, Blocks) {
  PlanSpec spec = splitSpec();
  expectFault(
      spec,
      [](TestPlan &p) {
        int w = p.find(2, CROSSPIPE_OP_W, 2, 3);
        p.erase(2, w + 1);
        p.erase(2, w);
      },
      "device 2: never runs W chunk 2 mb 3");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.erase(1, p.find(1, CROSSPIPE_OP_W, 1, 5) + 1); // part 1
      },
      "device 1: runs only 1 of 2 parts of a block of chunk 1 mb 5");
  expectFault(
      spec,
      [](TestPlan &p) {
        int f = p.find(1, CROSSPIPE_OP_F, 1, 2);
        std::swap(p.actionTables[1][f].part, p.actionTables[1][f + 1].part);
      },
      "part 1 out of order: part 0 comes first");
  expectFault(
      spec,
      [](TestPlan &p) {
        int f = p.find(3, CROSSPIPE_OP_F, 3, 0);
        p.actionTables[3][f + 1].parts = 3;
      },
      "parts 3 differs from the block's earlier parts 2");
  expectFault(
      spec,
      [](TestPlan &p) {
        std::vector<crosspipe_action> &prog = p.actionTables[3];
        int d = p.find(3, CROSSPIPE_OP_D, 3, 0);
        int f = p.find(3, CROSSPIPE_OP_F, 3, 0);
        std::swap(prog[d], prog[f]);
        std::swap(prog[d + 1], prog[f + 1]);
      },
      "(D chunk 3 mb 0 part 0 of 2): runs before F chunk 3 mb 0 has "
      "completed on this device");
  expectFault(
      spec,
      [](TestPlan &p) {
        std::vector<crosspipe_action> &prog = p.actionTables[3];
        int w = p.find(3, CROSSPIPE_OP_W, 3, 1);
        prog[w].op = prog[w + 1].op = CROSSPIPE_OP_B;
      },
      "the block has both B and D");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[2][p.find(2, CROSSPIPE_OP_W, 2, 0)].slot = 1;
      },
      "(W chunk 2 mb 0 part 0 of 2): slot must be 0 (no input "
      "message), got 1");
}

TEST(RuntimePlanCheck, Collectives) {
  PlanSpec spec = splitSpec();
  expectFault(
      spec,
      [](TestPlan &p) {
        int a = p.find(1, CROSSPIPE_OP_ALLREDUCE, 1, 2);
        p.actionTables[1][a].mb = 0;
      },
      "(ALLREDUCE chunk 1 bucket 0 of 3): the bucket occurs twice");
  expectFault(
      spec,
      [](TestPlan &p) {
        int a = p.find(1, CROSSPIPE_OP_ALLREDUCE, 1, 2);
        p.erase(1, a);
        p.erase(1, a - 1); // its wait
      },
      "device 1: never runs ALLREDUCE chunk 1 bucket 2 of 3");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[1][p.find(1, CROSSPIPE_OP_ALLREDUCE, 1, 2)].slot = 4;
      },
      "bucket count 4 differs from the chunk's earlier 3");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[1][p.find(1, CROSSPIPE_OP_ALLREDUCE, 1, 2)].mb = 3;
      },
      "bucket 3 is out of range [0, 2]");
}

TEST(RuntimePlanCheck, Limits) {
  PlanSpec spec;
  expectFault(
      spec, [](TestPlan &p) { p.header.devices = 20000; },
      "devices 20000 is out of range [1, 16384]");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.bufferTable[0].bytes = CROSSPIPE_PLAN_MAX_SLOT_BYTES + 1;
      },
      "exceeds the limit of 2^40 per slot");
  expectFault(
      spec, [](TestPlan &p) { p.bufferTable[0].slots = 70000; },
      "slots 70000 is out of range [1, 65536]");
  expectFault(
      spec,
      [](TestPlan &p) {
        p.actionTables[0][p.find(0, CROSSPIPE_OP_F, 0, 1)].parts = 2000;
      },
      "parts 2000 is out of range [0, 1024]");
  // The header promises more blocks than the programs hold.
  expectFault(
      spec, [](TestPlan &p) { p.header.microbatches = 1000000; },
      "fewer than the 3000000 forward blocks");
}

} // namespace
