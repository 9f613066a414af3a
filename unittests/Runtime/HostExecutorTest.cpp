//===- HostExecutorTest.cpp - Running hand-built plans on host threads ----===//
//
// The host executor runs GPipe and 1F1B plans (fused and split backward,
// sub-blocks, DP buckets), as threads per device and as one emulating
// process, with every tag checked in every step, and a measured step close
// to the modelled one. Broken plans fail the run with the device, block and
// microbatch named: a dropped transfer (tag mismatch), reordered receives
// (channel mismatch), a lost send and a wait cycle (the watchdog). Plans
// swap between steps, keeping what they share. The outputs (trace,
// summary, profile) are written as documented.
//
//===----------------------------------------------------------------------===//

#include "TestPlans.h"

#include "crosspipe/Runtime/Run.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

using namespace crosspipe::rt::test;

namespace {

crosspipe_run_options fastOptions(double scale = 0.01) {
  crosspipe_run_options o;
  crosspipe_run_default_options(&o);
  o.time_scale = scale;
  o.quiet = 1;
  o.watchdog_s = 5;
  return o;
}

/// Runs `steps` steps of `plan`; "" or the first error.
std::string run(const crosspipe_plan *plan, crosspipe_run_options options,
                int steps = 2) {
  char error[2048] = "";
  crosspipe_executor *rt =
      crosspipe_executor_create(plan, &options, error, sizeof(error));
  if (!rt)
    return std::string("create: ") + error;
  std::string failure;
  for (int i = 0; i < steps && failure.empty(); ++i)
    if (crosspipe_executor_step(rt, 1, error, sizeof(error)) != 0)
      failure = error;
  char finishError[512] = "";
  if (crosspipe_executor_finish(rt, finishError, sizeof(finishError)) != 0 &&
      failure.empty())
    failure = std::string("finish: ") + finishError;
  return failure;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(HostExecutor, RunsHandBuiltPlans) {
  for (PlanSpec::Schedule schedule : {PlanSpec::GPipe, PlanSpec::OneFOneB})
    for (bool split : {false, true}) {
      PlanSpec spec;
      spec.schedule = schedule;
      spec.split = split;
      spec.parts = split ? 2 : 1;
      spec.dp = split;
      spec.dpBuckets = 2;
      spec.devices = 4;
      spec.microbatches = 6;
      TestPlan plan = buildPlan(spec);
      EXPECT_EQ(run(plan.get(), fastOptions(), 3), "")
          << (schedule == PlanSpec::GPipe ? "gpipe" : "1f1b")
          << (split ? " split" : "");
    }
}

TEST(HostExecutor, RunsEmulatedInOneProcess) {
  PlanSpec spec;
  spec.arrangement = CROSSPIPE_ARRANGE_EMULATE;
  spec.devices = 3;
  spec.microbatches = 5;
  TestPlan plan = buildPlan(spec);
  EXPECT_EQ(run(plan.get(), fastOptions(), 3), "");
}

TEST(HostExecutor, RunsWithoutTimeAtScaleZero) {
  PlanSpec spec;
  spec.devices = 4;
  spec.microbatches = 16;
  TestPlan plan = buildPlan(spec);
  EXPECT_EQ(run(plan.get(), fastOptions(0), 5), "");
}

TEST(HostExecutor, MeasuredStepFollowsTheModel) {
  PlanSpec spec;
  spec.devices = 3;
  spec.microbatches = 4;
  TestPlan plan = buildPlan(spec);
  std::string summary = ::testing::TempDir() + "/host-summary.json";
  crosspipe_run_options o = fastOptions();
  o.step_ms = 100;
  o.steps = 2;
  o.summary = summary.c_str();
  ASSERT_EQ(run(plan.get(), o, 2), "");
  std::string text = readFile(summary);
  size_t at = text.find("\"measured_over_predicted\": ");
  ASSERT_NE(at, std::string::npos) << text;
  double ratio = std::stod(text.substr(at + 27));
  // A step never beats the model; timed waits overshoot it a little (about
  // 1% at a 1 s step on an idle machine), a loaded one (a parallel build,
  // lit's workers) by much more, so only gross slowness fails here.
  EXPECT_GT(ratio, 0.98) << text;
  EXPECT_LT(ratio, 3.0) << text;
  EXPECT_NE(text.find("\"tags_checked\": true"), std::string::npos);
}

TEST(HostExecutor, DroppedTransferIsATagMismatch) {
  PlanSpec spec;
  spec.microbatches = 4;
  TestPlan plan = buildPlan(spec);
  // Both sides of act boundary 0 mb 2 vanish: the plan is consistent per
  // channel, but F chunk 1 mb 2 finds mb 0's activation in its slot.
  plan.erase(0, plan.find(0, CROSSPIPE_OP_SEND_ACT, 0, 2));
  plan.erase(1, plan.find(1, CROSSPIPE_OP_RECV_ACT, 0, 2));
  char error[512];
  ASSERT_NE(crosspipe_plan_check(plan.get(), error, sizeof(error)), 0);
  EXPECT_NE(run(plan.get(), fastOptions())
                .find("invalid plan: device 0: "
                      "never runs SEND_ACT boundary "
                      "0 mb 2"),
            std::string::npos);
  crosspipe_run_options o = fastOptions();
  o.structure_only = 1;
  std::string failure = run(plan.get(), o);
  EXPECT_NE(failure.find("step 1: tag mismatch at device 1: F chunk 1 mb 2 "
                         "(action "),
            std::string::npos)
      << failure;
  EXPECT_NE(failure.find("input slot 0 of act0_d1 holds act boundary 0 mb 0 "
                         "of step 1, expected act boundary 0 mb 2 of step 1"),
            std::string::npos)
      << failure;
}

TEST(HostExecutor, ReorderedReceivesAreAChannelMismatch) {
  for (int arrangement : {CROSSPIPE_ARRANGE_NCCL, CROSSPIPE_ARRANGE_EMULATE}) {
    PlanSpec spec;
    spec.arrangement = arrangement;
    spec.microbatches = 4;
    TestPlan plan = buildPlan(spec);
    int a = plan.find(2, CROSSPIPE_OP_RECV_ACT, 1, 0);
    int b = plan.find(2, CROSSPIPE_OP_RECV_ACT, 1, 1);
    std::swap(plan.actionTables[2][a].mb, plan.actionTables[2][b].mb);
    crosspipe_run_options o = fastOptions();
    o.structure_only = 1;
    std::string failure = run(plan.get(), o);
    if (arrangement == CROSSPIPE_ARRANGE_NCCL)
      EXPECT_NE(failure.find("channel mismatch at device 2: RECV_ACT boundary "
                             "1 mb 1 (action " +
                             std::to_string(a) +
                             "): message 0 on channel 2 (act 1 -> 2) carries "
                             "act boundary 1 mb 0 of step 1, expected act "
                             "boundary 1 mb 1 of step 1"),
                std::string::npos)
          << failure;
    else
      EXPECT_NE(failure.find("tag mismatch at device 2: RECV_ACT boundary 1 "
                             "mb 1"),
                std::string::npos)
          << failure;
  }
}

TEST(HostExecutor, LostSendTripsTheWatchdog) {
  PlanSpec spec;
  spec.microbatches = 4;
  TestPlan plan = buildPlan(spec);
  plan.erase(0, plan.find(0, CROSSPIPE_OP_SEND_ACT, 0, 3));
  crosspipe_run_options o = fastOptions();
  o.structure_only = 1;
  o.watchdog_s = 1;
  auto begin = std::chrono::steady_clock::now();
  std::string failure = run(plan.get(), o);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
          .count();
  EXPECT_LT(seconds, 10);
  EXPECT_NE(failure.find("deadlock: step 1 made no progress for 1 s "
                         "(watchdog): "),
            std::string::npos)
      << failure;
  EXPECT_NE(failure.find("device 1: RECV_ACT boundary 0 mb 3 (action "),
            std::string::npos)
      << failure;
  EXPECT_NE(failure.find("waits for its message from device 0"),
            std::string::npos)
      << failure;
}

TEST(HostExecutor, WaitCycleIsRefusedOrReported) {
  PlanSpec spec;
  spec.microbatches = 2;
  TestPlan plan = buildPlan(spec);
  // F chunk 0 mb 0 waits for the gradient of mb 0, which needs it.
  std::vector<crosspipe_action> &prog = plan.actionTables[0];
  int f = plan.find(0, CROSSPIPE_OP_F, 0, 0);
  int recv = plan.find(0, CROSSPIPE_OP_RECV_GRAD, 0, 0);
  ASSERT_LT(recv, f);
  prog.insert(prog.begin() + f, {CROSSPIPE_OP_WAIT, recv});
  for (size_t i = f + 1; i < prog.size(); ++i)
    if (prog[i].op == CROSSPIPE_OP_WAIT && prog[i].chunk >= f)
      ++prog[i].chunk;
  std::string refused = run(plan.get(), fastOptions());
  EXPECT_NE(refused.find("invalid plan: the plan deadlocks under the model"),
            std::string::npos)
      << refused;
  crosspipe_run_options o = fastOptions();
  o.structure_only = 1;
  o.watchdog_s = 1;
  std::string failure = run(plan.get(), o);
  EXPECT_NE(failure.find("device 0: F chunk 0 mb 0 (action " +
                         std::to_string(f + 1) +
                         ") on compute waits for RECV_GRAD boundary 0 mb 0"),
            std::string::npos)
      << failure;
}

TEST(HostExecutor, SwapsPlansBetweenSteps) {
  PlanSpec a;
  a.devices = 3;
  a.microbatches = 4;
  PlanSpec b = a;
  b.schedule = PlanSpec::GPipe;
  b.split = true;
  b.dp = true;
  b.name = "gpipe_split";
  TestPlan first = buildPlan(a), second = buildPlan(b);
  std::string summary = ::testing::TempDir() + "/swap-summary.json";
  crosspipe_run_options o = fastOptions();
  o.summary = summary.c_str();
  char error[1024] = "";
  crosspipe_executor *rt =
      crosspipe_executor_create(first.get(), &o, error, sizeof(error));
  ASSERT_TRUE(rt) << error;
  auto step = [&] {
    EXPECT_EQ(crosspipe_executor_step(rt, 1, error, sizeof(error)), 0) << error;
  };
  step();
  step();
  ASSERT_EQ(crosspipe_swap_plan(rt, second.get(), error, sizeof(error)), 0)
      << error;
  step();
  step();
  ASSERT_EQ(crosspipe_swap_plan(rt, first.get(), error, sizeof(error)), 0)
      << error;
  step();
  // Another device count is refused; the run goes on with its plan.
  PlanSpec c = a;
  c.devices = 4;
  TestPlan other = buildPlan(c);
  EXPECT_NE(crosspipe_swap_plan(rt, other.get(), error, sizeof(error)), 0);
  EXPECT_NE(std::string(error).find("must keep the device count (3)"),
            std::string::npos)
      << error;
  step();
  ASSERT_EQ(crosspipe_executor_finish(rt, error, sizeof(error)), 0) << error;
  std::string text = readFile(summary);
  // 1F1B -> GPipe split with DP: the 11 streams stay and a DP stream per
  // device starts; the stashes of GPipe hold more slots. Back: the DP
  // streams end.
  EXPECT_NE(text.find("{\"after_step\": 2, \"from\": \"test_plan\", \"to\": "
                      "\"gpipe_split\", \"kept\": \"threads 11 of 14, "
                      "programs 0 of 3, buffers 11 of 14, channels 4 of 4, "
                      "links 4 of 4\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{\"after_step\": 4, \"from\": \"gpipe_split\", "
                      "\"to\": \"test_plan\", \"kept\": \"threads 11 of 11, "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{\"step\": 3, \"plan\": \"gpipe_split\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{\"step\": 6, \"plan\": \"test_plan\""),
            std::string::npos)
      << text;
}

TEST(HostExecutor, WritesTraceProfileAndSummary) {
  PlanSpec spec;
  spec.split = true;
  spec.parts = 2;
  spec.dp = true;
  TestPlan plan = buildPlan(spec);
  std::string dir = ::testing::TempDir();
  std::string trace = dir + "/host-trace.json",
              predicted = dir + "/host-predicted.json",
              profile = dir + "/host-profile.csv";
  crosspipe_run_options o = fastOptions();
  o.trace = trace.c_str();
  o.trace_predicted = predicted.c_str();
  o.profile = profile.c_str();
  ASSERT_EQ(run(plan.get(), o, 3), "");
  std::string t = readFile(trace), p = readFile(predicted),
              csv = readFile(profile);
  EXPECT_NE(t.find("\"measured\": true"), std::string::npos);
  EXPECT_NE(t.find("\"name\": \"F1.0\", \"ph\": \"X\", \"pid\": 0, "
                   "\"tid\": 1"),
            std::string::npos)
      << t.substr(0, 2000);
  EXPECT_NE(t.find("\"op\": \"xfer\", \"kind\": \"act\", \"chunk\": 0, "
                   "\"mb\": 0, \"src\": 0, \"dst\": 1, \"link\": "
                   "\"east->west\""),
            std::string::npos);
  EXPECT_NE(t.find("\"op\": \"allreduce\""), std::string::npos);
  EXPECT_NE(p.find("\"measured\": false"), std::string::npos);
  EXPECT_NE(csv.find("\nstep,device,op,chunk,mb,part,parts,start_ms,end_ms,"
                     "model_ms\n"),
            std::string::npos);
  // Rows of steps 1 to 3, one per non-wait action.
  int64_t actions = 0;
  for (const auto &program : plan.actionTables)
    for (const crosspipe_action &a : program)
      actions += a.op != CROSSPIPE_OP_WAIT;
  int64_t rows = 0;
  for (size_t at = csv.find("\n1,"); at != std::string::npos;
       at = csv.find('\n', at + 1))
    rows += at + 1 < csv.size() && csv[at + 1] != '#' && csv[at + 1] != 's';
  EXPECT_EQ(rows, 3 * actions);
  EXPECT_NE(csv.find("\n2,1,F,1,0,0,2,"), std::string::npos);
  EXPECT_NE(csv.find("\n3,0,ALLREDUCE,0,0,0,1,"), std::string::npos);
  EXPECT_EQ(csv.find("\n4,"), std::string::npos);
}

TEST(HostExecutor, ParsesOptions) {
  crosspipe_run_options o;
  crosspipe_run_default_options(&o);
  const char *plan = nullptr;
  char error[256];
  const char *good[] = {
      "run",    "--plan",       "p.plan",    "--steps",
      "5",      "--time-scale", "0.5",       "--trace",
      "t.json", "--swap-plan",  "q.plan",    "--swap-after",
      "2",      "--check",      "structure", "--no-link-delays"};
  ASSERT_EQ(crosspipe_run_parse_options(&o, 16, const_cast<char **>(good),
                                        &plan, error, sizeof(error)),
            0)
      << error;
  EXPECT_STREQ(plan, "p.plan");
  EXPECT_EQ(o.steps, 5);
  EXPECT_EQ(o.time_scale, 0.5);
  EXPECT_EQ(o.swap_after, 2);
  EXPECT_EQ(o.structure_only, 1);
  EXPECT_EQ(o.link_delays, 0);
  const std::pair<std::vector<const char *>, const char *> bad[] = {
      {{"run", "--steps", "3x"}, "--steps: invalid value '3x'"},
      {{"run", "--steps", "0"}, "--steps: invalid value '0'"},
      {{"run", "--time-scale", "nan"}, "--time-scale: invalid value 'nan'"},
      {{"run", "--bogus", "1"}, "unknown option '--bogus'"},
      {{"run", "--trace"}, "--trace needs a value"},
      {{"run", "--swap-plan", "x"}, "--swap-plan needs --swap-after"},
      {{"run", "--check", "some"}, "--check: invalid value 'some'"},
  };
  for (const auto &c : bad) {
    crosspipe_run_default_options(&o);
    EXPECT_EQ(crosspipe_run_parse_options(&o, int(c.first.size()),
                                          const_cast<char **>(c.first.data()),
                                          &plan, error, sizeof(error)),
              -1);
    EXPECT_NE(std::string(error).find(c.second), std::string::npos) << error;
  }
}

} // namespace
