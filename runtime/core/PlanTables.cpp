//===- PlanTables.cpp - Names, owned copies and the checksum of plans -----===//
//
// The small pieces the checker, the file reader and writer and the
// executors share: how ops, roles and arrangements are spelled, the name
// rules, how an action reads in a message, the owning form of a plan (what
// crosspipe_plan_read returns and an executor keeps while it runs) and
// crosspipe_plan_free.
//
//===----------------------------------------------------------------------===//

#include "PlanInternal.h"

#include <cstring>

using namespace crosspipe::rt;

namespace {
const char *const kOpNames[CROSSPIPE_NUM_OPS] = {
    "WAIT",           "F",         "B",        "D",         "W",
    "SEND_ACT",       "SEND_GRAD", "RECV_ACT", "RECV_GRAD", "ALLREDUCE",
    "REDUCE_SCATTER", "ALL_GATHER"};
const char *const kRoleNames[] = {"stash", "act", "grad", "param_grad"};
const char *const kArrangementNames[] = {"nccl", "emulate"};

template <size_t N>
int indexOf(const char *const (&names)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i])
      return int(i);
  return -1;
}
} // namespace

const char *crosspipe::rt::opName(int op) {
  return op >= 0 && op < CROSSPIPE_NUM_OPS ? kOpNames[op] : nullptr;
}
int crosspipe::rt::opFromName(std::string_view name) {
  return indexOf(kOpNames, name);
}
const char *crosspipe::rt::roleName(int role) {
  return role >= 0 && role < 4 ? kRoleNames[role] : nullptr;
}
int crosspipe::rt::roleFromName(std::string_view name) {
  return indexOf(kRoleNames, name);
}
const char *crosspipe::rt::arrangementName(int arrangement) {
  return arrangement >= 0 && arrangement < 2 ? kArrangementNames[arrangement]
                                             : nullptr;
}
int crosspipe::rt::arrangementFromName(std::string_view name) {
  return indexOf(kArrangementNames, name);
}

bool crosspipe::rt::isSafeName(std::string_view name, bool link) {
  if (name.empty() || name.size() > CROSSPIPE_PLAN_MAX_NAME)
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
              (link && c == '>');
    if (!ok)
      return false;
  }
  return true;
}

std::string crosspipe::rt::printableName(const char *name) {
  if (!name)
    return "(null)";
  // Quote at most a window of the name, with unsafe bytes as escapes, so a
  // message stays one short line.
  std::string out = "'";
  size_t n = strnlen(name, CROSSPIPE_PLAN_MAX_NAME + 1);
  for (size_t i = 0; i < n && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out += char(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  if (n > 64)
    out += "...";
  return out + "'";
}

std::string crosspipe::rt::describeAction(const crosspipe_action &a) {
  std::string s = opName(a.op) ? opName(a.op) : "op " + std::to_string(a.op);
  if (a.op == CROSSPIPE_OP_WAIT)
    return s + " for action " + std::to_string(a.chunk);
  if (isMessage(a.op))
    return s + " boundary " + std::to_string(a.chunk) + " mb " +
           std::to_string(a.mb);
  if (isCollective(a.op))
    return s + " chunk " + std::to_string(a.chunk) + " bucket " +
           std::to_string(a.mb) + " of " +
           std::to_string(a.slot ? int64_t(a.slot) : 1);
  s += " chunk " + std::to_string(a.chunk) + " mb " + std::to_string(a.mb);
  if (a.parts > 1 || a.part != 0)
    s += " part " + std::to_string(a.part) + " of " + std::to_string(a.parts);
  return s;
}

uint64_t crosspipe::rt::fnv1a(std::string_view bytes, uint64_t hash) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

//===----------------------------------------------------------------------===//
// Owned plans
//===----------------------------------------------------------------------===//

OwnedPlan::OwnedPlan() {
  crosspipe_plan &base = *this;
  std::memset(&base, 0, sizeof(base));
  base.version = CROSSPIPE_PLAN_VERSION;
}

OwnedPlan *crosspipe::rt::copyPlan(const crosspipe_plan &plan) {
  auto *copy = new OwnedPlan();
  crosspipe_plan &base = *copy;
  base = plan;
  copy->nameText = plan.name;
  copy->algorithmText = plan.algorithm;
  copy->chunkTable.assign(plan.chunk_table, plan.chunk_table + plan.chunks);
  copy->bufferTable.assign(plan.buffers, plan.buffers + plan.num_buffers);
  for (const crosspipe_buffer &b : copy->bufferTable)
    copy->bufferNames.emplace_back(b.name);
  copy->channelTable.assign(plan.channels, plan.channels + plan.num_channels);
  copy->linkTable.assign(plan.links, plan.links + plan.num_links);
  for (const crosspipe_link &l : copy->linkTable)
    copy->linkNames.emplace_back(l.name);
  copy->programTable.assign(plan.programs, plan.programs + plan.devices);
  for (const crosspipe_program &p : copy->programTable)
    copy->actionTables.emplace_back(p.actions, p.actions + p.count);
  copy->link();
  return copy;
}

extern "C" void crosspipe_plan_free(crosspipe_plan *plan) {
  if (!plan)
    return;
  // Only crosspipe_plan_read/parse make plans to free: always OwnedPlan.
  delete static_cast<OwnedPlan *>(plan);
}
