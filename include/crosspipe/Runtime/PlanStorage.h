//===- PlanStorage.h - The storage behind a plan's tables -------*- C++ -*-===//
//
// A crosspipe_plan (Plan.h) only points at its names and tables. Whoever
// builds one in memory keeps them somewhere: the runtime's plan file reader
// (the plan it returns owns them) and the compiler's PlanTables (what the
// generated code and plan files print). Both keep them here, and link()
// points a plan at them, so the two cannot disagree on which pointer and
// count goes with which table. Plain C++17, header only: the compiler may
// include it, and it depends on nothing but Plan.h.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_PLANSTORAGE_H
#define CROSSPIPE_RUNTIME_PLANSTORAGE_H

#include "crosspipe/Runtime/Plan.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crosspipe {
namespace rt {

/// The names and tables of one plan. buffers[i].name is bufferNames[i],
/// links[i].name linkNames[i], and program d's actions are actionTables[d].
struct PlanStorage {
  std::string nameText, algorithmText;
  std::vector<crosspipe_chunk> chunkTable;
  std::vector<crosspipe_buffer> bufferTable;
  std::vector<std::string> bufferNames;
  std::vector<crosspipe_channel> channelTable;
  std::vector<crosspipe_link> linkTable;
  std::vector<std::string> linkNames;
  std::vector<crosspipe_program> programTable;
  std::vector<std::vector<crosspipe_action>> actionTables;

  /// Points `plan`'s names, tables and table sizes (and each program's
  /// actions and count) at this storage; other fields of `plan` are left
  /// alone. Call after filling the storage, and again after it changes.
  /// Empty tables are null pointers.
  void link(crosspipe_plan &plan) {
    plan.name = nameText.c_str();
    plan.algorithm = algorithmText.c_str();
    plan.chunk_table = orNull(chunkTable);
    for (size_t i = 0; i < bufferTable.size(); ++i)
      bufferTable[i].name = bufferNames[i].c_str();
    plan.num_buffers = int32_t(bufferTable.size());
    plan.buffers = orNull(bufferTable);
    plan.num_channels = int32_t(channelTable.size());
    plan.channels = orNull(channelTable);
    for (size_t i = 0; i < linkTable.size(); ++i)
      linkTable[i].name = linkNames[i].c_str();
    plan.num_links = int32_t(linkTable.size());
    plan.links = orNull(linkTable);
    for (size_t d = 0; d < programTable.size(); ++d) {
      programTable[d].count = int32_t(actionTables[d].size());
      programTable[d].actions = orNull(actionTables[d]);
    }
    plan.programs = orNull(programTable);
  }

private:
  template <typename T> static T *orNull(std::vector<T> &table) {
    return table.empty() ? nullptr : table.data();
  }
};

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_PLANSTORAGE_H
