//===- GreedyRules.cpp - The greedy scheduler's built-in priority rules ---===//
//
// The portfolio of priority rules scheduleGreedy() tries. No single rule wins
// everywhere: the paper's D > F > W is best when memory is tight and delays
// are short, F-first warm-up with a round-trip window and waiting for blocks
// already in flight pays off behind slow links, due dates from the busiest
// resource's period help when one device or link paces the pipeline, eager W
// keeps memory low, costly DP all-reduces want their chunks finished first,
// and on a V or a loop under a memory limit a start-up quota keeps the first
// chunk from taking the memory the returning microbatches need. Rules whose
// knobs cannot matter for a problem are skipped, since they would only
// reproduce another rule's schedule.
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

namespace {

GreedyRule &add(std::vector<GreedyRule> &rules, const char *name) {
  rules.emplace_back();
  rules.back().name = name;
  return rules.back();
}

/// Gives F, backward and W the classes 2, 0, 1: backward, then W, then F.
void backwardThenW(GreedyRule &r) {
  r.rank[KF] = 2;
  r.rank[KD] = 0;
  r.rank[KW] = 1;
}

/// The priority orders and look-aheads for every placement.
void addPlainRules(std::vector<GreedyRule> &rules) {
  // The paper's CrossUDSub: D > F > W, lower microbatch first.
  add(rules, "dfw");
  {
    // Warm-up F first while the round trip to the gradient is not covered,
    // and wait for better blocks already in flight.
    GreedyRule &r = add(rules, "lookahead");
    r.warmupWindowScale = 1.0;
    r.waitFraction = 0.5;
  }
  {
    // Earliest due date from the pacing resource's period; W may slip one
    // period.
    GreedyRule &r = add(rules, "due-date");
    r.tie = TieMode::DueDate;
    r.rank[KF] = 0;
    r.rank[KD] = 0;
    r.wSlackPeriods = 1;
    r.waitFraction = 0.5;
  }
  {
    // ZB-H1's W deferral: D > F > W, but no more W wait than memory can
    // spare beyond the microbatches the device must keep in flight.
    GreedyRule &r = add(rules, "zb");
    r.capDeferredW = true;
    r.warmupDepth = true;
  }
  // Like 1F1B: free memory as soon as possible.
  backwardThenW(add(rules, "eager-w"));
  {
    // 1F1B's shape: F first until the chunk's depth is in flight (waiting
    // for it if it is about to arrive), then D > W > F.
    GreedyRule &r = add(rules, "1f1b");
    backwardThenW(r);
    r.warmupDepth = true;
    r.waitFraction = 1.0;
  }
}

/// The rules that fill the pipeline or favour the slow link or the costly
/// all-reduces.
void addLinkRules(std::vector<GreedyRule> &rules) {
  {
    // Fill the pipeline: F > D > W.
    GreedyRule &r = add(rules, "f-first");
    r.rank[KF] = 0;
    r.rank[KD] = 1;
  }
  {
    // Start the blocks whose messages cross the slow link first.
    GreedyRule &r = add(rules, "cross-dc");
    r.preferCrossDc = true;
    r.waitFraction = 0.5;
  }
  {
    // Finish the chunks with costly DP all-reduces first.
    GreedyRule &r = add(rules, "allreduce");
    r.preferCostlyAllreduce = true;
    r.wBeforeFMemory = 1.0;
  }
}

/// On a V or a loop, each rule again with the admission reserve: a new
/// microbatch may not take the memory that the microbatches coming back
/// need for their later chunks (see GreedyRule::admitReserve); and the
/// plain rules again with memory shares instead of a flat reserve (see
/// GreedyRule::memoryShares).
void addMemoryVariants(std::vector<GreedyRule> &rules) {
  for (size_t i = 0, n = rules.size(); i < n; ++i) {
    if (rules[i].preferCostlyAllreduce)
      continue;
    GreedyRule r = rules[i];
    r.name += "-reserve";
    r.admitReserve = 1.0;
    rules.push_back(r);
  }
  for (const char *base : {"dfw", "lookahead", "due-date"}) {
    for (size_t i = 0, n = rules.size(); i < n; ++i) {
      if (rules[i].name != base)
        continue;
      GreedyRule r = rules[i];
      r.name += "-shares";
      r.memoryShares = true;
      rules.push_back(r);
    }
  }
}

/// The rules for a long round trip or a slow link on a V.
void addWaveRules(std::vector<GreedyRule> &rules) {
  {
    // Behind a long round trip on a V: keep the round-trip window in flight
    // and wait for blocks already on their way, within the reserve.
    GreedyRule &r = add(rules, "v-window");
    r.warmupWindowScale = 2.0;
    r.waitFraction = 2.0;
    r.capDeferredW = true;
    r.admitReserve = 1.0;
  }
  {
    // The same with W first, so memory comes back before the next F.
    GreedyRule &r = add(rules, "v-window-w");
    backwardThenW(r);
    r.warmupWindowScale = 2.0;
    r.waitFraction = 2.0;
    r.admitReserve = 1.0;
  }
  {
    // Behind a slow link on a V: F first within the reserve, but no more
    // than the pipeline depth of microbatches ahead of the gradients that
    // share the link, so the link is never clogged with early activations.
    GreedyRule &r = add(rules, "cross-window");
    r.rank[KF] = 0;
    r.rank[KD] = 1;
    r.capDeferredW = true;
    r.admitReserve = 1.0;
    r.crossWindow = 1.0;
  }
  {
    // The same with D first and the round-trip warm-up of "lookahead".
    GreedyRule &r = add(rules, "cross-window-la");
    r.warmupWindowScale = 2.0;
    r.preferCrossDc = true;
    r.admitReserve = 1.0;
    r.crossWindow = 1.0;
  }
}

/// The start-up quota (GreedyRule::quotaExtra) on the rules that keep W
/// last or defer them up to ZB-H1's cap: the first chunk gets an even split
/// of its device's memory and up to kMaxQuotaExtra slots more, since its
/// activations live for the whole round trip and the later chunks' do not.
/// Which split is best depends on the delays, so each is a candidate.
void addQuotaRules(std::vector<GreedyRule> &rules) {
  constexpr int kMaxQuotaExtra = 2;
  for (size_t i = 0, n = rules.size(); i < n; ++i) {
    const std::string &name = rules[i].name;
    if (name != "dfw" && name != "zb" && name != "zb-reserve")
      continue;
    for (int extra = 0; extra <= kMaxQuotaExtra; ++extra) {
      GreedyRule r = rules[i];
      r.name += "-quota" + std::to_string(extra);
      r.quotaExtra = extra;
      rules.push_back(r);
    }
  }
}

} // namespace

std::vector<GreedyRule> detail::builtinGreedyRules() {
  std::vector<GreedyRule> rules;
  addPlainRules(rules);
  addLinkRules(rules);
  addMemoryVariants(rules);
  addWaveRules(rules);
  addQuotaRules(rules);
  return rules;
}

bool detail::ruleApplies(const GreedyRule &rule, const Problem &problem) {
  if (rule.admitReserve > 0 || rule.memoryShares || rule.quotaExtra >= 0) {
    // Only a device with several chunks and a memory limit has a choice.
    bool several = false;
    for (int d = 0, e = problem.numDevices(); d < e && !several; ++d)
      several = problem.chunksOnDevice(d).size() > 1 &&
                problem.memoryLimit(d) != kUnlimited;
    if (!several)
      return false;
  }
  if ((rule.preferCrossDc || rule.crossWindow > 0) &&
      problem.datacenters.size() < 2)
    return false;
  if (rule.preferCostlyAllreduce) {
    if (problem.dpDegree <= 1)
      return false;
    // Only a device with several chunks has a choice between them.
    for (int d = 0, e = problem.numDevices(); d < e; ++d)
      if (problem.chunksOnDevice(d).size() > 1)
        return true;
    return false;
  }
  return true;
}
