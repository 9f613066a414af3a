//===- Describe.cpp - The plan as a generated file describes it -----------===//
//
// crosspipe_plan_describe calls these once, before anything is allocated,
// to fill a crosspipe_plan_desc: the plan's shape and modelled times, its
// buffers, events, channels and links, and every timed record (block,
// transfer, all-reduce) with its events and simulated span. Ids may arrive
// in any order; each table grows to the largest id seen. Nothing here
// touches CUDA or NCCL, so the trace harness can describe a plan without a
// GPU.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

extern "C" {

void crosspipe_desc_plan(crosspipe_plan_desc *desc, const char *name,
                         const char *algorithm, int backend, int devices,
                         int chunks, int microbatches, int dp_degree,
                         double makespan_ms, double lower_bound_ms) {
  desc->name = name;
  desc->algorithm = algorithm;
  desc->backend = backend;
  desc->devices = devices;
  desc->chunks = chunks;
  desc->microbatches = microbatches;
  desc->dpDegree = dp_degree;
  desc->makespanMs = makespan_ms;
  desc->lowerBoundMs = lower_bound_ms;
  desc->chunkList.resize(chunks);
}

void crosspipe_desc_chunk(crosspipe_plan_desc *desc, int chunk, int device,
                          double forward_ms, double backward_ms,
                          double dgrad_ms, double wgrad_ms,
                          double allreduce_ms) {
  desc->chunkList.at(chunk) = {device,   forward_ms, backward_ms,
                               dgrad_ms, wgrad_ms,   allreduce_ms};
}

void crosspipe_desc_buffer(crosspipe_plan_desc *desc, int id, int device,
                           const char *name, int role, int chunk, int slots,
                           size_t bytes) {
  if (int(desc->buffers.size()) <= id)
    desc->buffers.resize(id + 1);
  desc->buffers[id] = {device, name, role, chunk, slots, bytes};
}

void crosspipe_desc_events(crosspipe_plan_desc *desc, int device, int first,
                           int count) {
  if (int(desc->eventDevice.size()) < first + count)
    desc->eventDevice.resize(first + count, -1);
  for (int i = first; i < first + count; ++i)
    desc->eventDevice[i] = device;
}

void crosspipe_desc_channel(crosspipe_plan_desc *desc, int id, int src, int dst,
                            int role) {
  if (int(desc->channels.size()) <= id)
    desc->channels.resize(id + 1);
  desc->channels[id] = {src, dst, role};
}

void crosspipe_desc_link(crosspipe_plan_desc *desc, int id, const char *name) {
  if (int(desc->links.size()) <= id)
    desc->links.resize(id + 1);
  desc->links[id] = name;
}

void crosspipe_desc_block(crosspipe_plan_desc *desc, int id, int device,
                          char kind, int chunk, int mb, int part, int parts,
                          int start_event, int end_event, double start_ms,
                          double end_ms) {
  if (int(desc->blocks.size()) <= id)
    desc->blocks.resize(id + 1);
  crosspipe_plan_desc::Record &r = desc->blocks[id];
  r.device = device;
  r.kind = kind;
  r.chunk = chunk;
  r.mb = mb;
  r.part = part;
  r.parts = parts;
  r.startEvent = start_event;
  r.endEvent = end_event;
  r.startMs = start_ms;
  r.endMs = end_ms;
}

void crosspipe_desc_transfer(crosspipe_plan_desc *desc, int id, int role,
                             int chunk, int mb, int src, int dst, int link,
                             int start_event, int end_event, double start_ms,
                             double end_ms) {
  if (int(desc->transfers.size()) <= id)
    desc->transfers.resize(id + 1);
  crosspipe_plan_desc::Record &r = desc->transfers[id];
  r.device = src;
  r.kind = 'x';
  r.role = role;
  r.chunk = chunk;
  r.mb = mb;
  r.src = src;
  r.dst = dst;
  r.link = link;
  r.startEvent = start_event;
  r.endEvent = end_event;
  r.startMs = start_ms;
  r.endMs = end_ms;
}

void crosspipe_desc_allreduce(crosspipe_plan_desc *desc, int id, int chunk,
                              int device, int start_event, int end_event,
                              double start_ms, double end_ms) {
  if (int(desc->reduces.size()) <= id)
    desc->reduces.resize(id + 1);
  crosspipe_plan_desc::Record &r = desc->reduces[id];
  r.device = device;
  r.kind = 'r';
  r.chunk = chunk;
  r.startEvent = start_event;
  r.endEvent = end_event;
  r.startMs = start_ms;
  r.endMs = end_ms;
}

} // extern "C"
