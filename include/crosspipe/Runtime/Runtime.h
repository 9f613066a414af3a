/*===- Runtime.h - What generated execution plans link against ------------===*
 *
 * The support code of a generated plan (crosspipe-opt
 * --convert-crosspipe-to-emitc, then crosspipe-translate --mlir-to-cpp).
 * A generated file defines crosspipe_plan_describe, which tells the runtime
 * the plan's devices, buffers, events, channels and timed blocks, and
 * crosspipe_plan_step, which enqueues one training step with CUDA and NCCL
 * calls. The runtime sets up devices, streams, events and buffers, boots
 * NCCL for one process per GPU (or plays every device on one GPU with the
 * emulate backend), times every block and writes a Chrome trace in the
 * simulator's format. Needs only CUDA and NCCL: a generated file builds with
 * `-I include -I /usr/local/cuda/include` (see runtime/CMakeLists.txt).
 *
 * This is the previous design's API (straight-line generated code). Plans
 * as data (Plan.h) run through Run.h; this CUDA runtime is to be ported
 * onto that core as a backend (runtime/README.md).
 *
 *===----------------------------------------------------------------------===*/

#ifndef CROSSPIPE_RUNTIME_RUNTIME_H
#define CROSSPIPE_RUNTIME_RUNTIME_H

#include "crosspipe/Runtime/Plan.h"
#include "crosspipe/Runtime/StageABI.h"

#include <cuda_runtime.h>
#include <nccl.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The streams of a device, as named by crosspipe.plan. */
enum crosspipe_stream_kind {
  CROSSPIPE_COMPUTE = 0,
  CROSSPIPE_SEND_NEXT = 1,
  CROSSPIPE_RECV_NEXT = 2,
  CROSSPIPE_SEND_PREV = 3,
  CROSSPIPE_RECV_PREV = 4,
  CROSSPIPE_DP = 5,
  CROSSPIPE_NUM_STREAMS = 6
};

enum crosspipe_backend {
  CROSSPIPE_BACKEND_NCCL = 0,   /* one process per GPU per device */
  CROSSPIPE_BACKEND_EMULATE = 1 /* one process, one GPU, every device */
};

/* Buffer roles (enum crosspipe_buffer_role) come from Plan.h, so that a
 * file may include both headers. */

typedef struct crosspipe_plan_desc crosspipe_plan_desc;
typedef struct crosspipe_runtime crosspipe_runtime;

/*===--- Defined by a generated plan ------------------------------------===*/

/* Describes the plan to the runtime (called once, before any allocation). */
void crosspipe_plan_describe(crosspipe_plan_desc *desc);
/* Enqueues one step for the devices this process runs; never blocks. */
void crosspipe_plan_step(crosspipe_runtime *rt);

/*===--- Describing a plan (called by crosspipe_plan_describe) ----------===*/

void crosspipe_desc_plan(crosspipe_plan_desc *desc, const char *name,
                         const char *algorithm, int backend, int devices,
                         int chunks, int microbatches, int dp_degree,
                         double makespan_ms, double lower_bound_ms);
/* Modelled per-microbatch times of a chunk, and its DP all-reduce time. */
void crosspipe_desc_chunk(crosspipe_plan_desc *desc, int chunk, int device,
                          double forward_ms, double backward_ms,
                          double dgrad_ms, double wgrad_ms,
                          double allreduce_ms);
void crosspipe_desc_buffer(crosspipe_plan_desc *desc, int id, int device,
                           const char *name, int role, int chunk, int slots,
                           size_t bytes);
/* Events [first, first + count) belong to `device`. */
void crosspipe_desc_events(crosspipe_plan_desc *desc, int device, int first,
                           int count);
/* A one-direction NCCL channel: its own communicator, src rank 0, dst 1. */
void crosspipe_desc_channel(crosspipe_plan_desc *desc, int id, int src,
                            int dst, int role);
/* A network link of the model: a stream and a delay lane when emulated. */
void crosspipe_desc_link(crosspipe_plan_desc *desc, int id,
                         const char *name);
/* Timed records: a compute block, a transfer, a DP all-reduce. `kind` of a
 * block is 'F', 'B', 'D' or 'W'; the simulated span is in milliseconds. */
void crosspipe_desc_block(crosspipe_plan_desc *desc, int id, int device,
                          char kind, int chunk, int mb, int part, int parts,
                          int start_event, int end_event, double start_ms,
                          double end_ms);
void crosspipe_desc_transfer(crosspipe_plan_desc *desc, int id, int role,
                             int chunk, int mb, int src, int dst, int link,
                             int start_event, int end_event, double start_ms,
                             double end_ms);
void crosspipe_desc_allreduce(crosspipe_plan_desc *desc, int id, int chunk,
                              int device, int start_event, int end_event,
                              double start_ms, double end_ms);

/*===--- Called by crosspipe_plan_step ----------------------------------===*/

/* The pipeline device this process runs (NCCL backend). */
int crosspipe_device(crosspipe_runtime *rt);
cudaStream_t crosspipe_stream(crosspipe_runtime *rt, int device, int kind);
cudaStream_t crosspipe_link_stream(crosspipe_runtime *rt, int link);
cudaEvent_t crosspipe_event(crosspipe_runtime *rt, int id);
/* Slot `slot` of buffer `buffer`: its payload, and the bytes a transfer of
 * it moves (the payload rounded up, plus the tag trailer). */
void *crosspipe_slot(crosspipe_runtime *rt, int buffer, int slot);
size_t crosspipe_transfer_bytes(crosspipe_runtime *rt, int buffer);
ncclComm_t crosspipe_channel_comm(crosspipe_runtime *rt, int channel);
ncclComm_t crosspipe_dp_comm(crosspipe_runtime *rt);
/* Element count of a parameter-gradient buffer reduced as bf16. */
size_t crosspipe_dp_count(crosspipe_runtime *rt, int buffer);

/* Stop the run with `what` (which names device, block and microbatch) if a
 * call failed. */
void crosspipe_check_cuda(crosspipe_runtime *rt, cudaError_t status,
                          const char *what);
void crosspipe_check_nccl(crosspipe_runtime *rt, ncclResult_t status,
                          const char *what);
void crosspipe_check_stage(crosspipe_runtime *rt, int status,
                           const char *what);

/* Tags: every slot carries (role, chunk, microbatch, step) after its
 * payload. The producer writes it, the consumer checks it; a mismatch is
 * reported after the step with the consuming block (record id `block`). */
cudaError_t crosspipe_tag_write(crosspipe_runtime *rt, int buffer, int slot,
                                int role, int chunk, int mb,
                                cudaStream_t stream);
cudaError_t crosspipe_tag_check(crosspipe_runtime *rt, int buffer, int slot,
                                int role, int chunk, int mb, int block,
                                cudaStream_t stream);

/* Occupies `stream` for `model_ms` (scaled by the run's time scale) with a
 * one-block spin kernel: the bandwidth time of an emulated link, or an
 * emulated DP all-reduce. */
cudaError_t crosspipe_spin(crosspipe_runtime *rt, double model_ms,
                           cudaStream_t stream);
/* The same, but only when WAN emulation is on (NCCL backend). */
cudaError_t crosspipe_wan_spin(crosspipe_runtime *rt, double model_ms,
                               cudaStream_t stream);
/* Records `event` `latency_ms` (scaled) after the work enqueued so far on
 * `stream` completes, without holding `stream`: a delay lane (one stream
 * per lane) waits for it and spins until the deadline, so latencies of
 * back-to-back messages overlap like on a real link. With latency 0, or on
 * the NCCL backend without WAN emulation, it records on `stream`. */
cudaError_t crosspipe_record_arrival(crosspipe_runtime *rt, cudaEvent_t event,
                                     cudaStream_t stream, int lane,
                                     double latency_ms);

/*===--- Running a plan -------------------------------------------------===*/

typedef struct crosspipe_options {
  int steps;            /* measured steps (default 3) */
  int warmup;           /* unmeasured steps first (default 1) */
  double time_scale;    /* factor on every modelled time (default 1) */
  double step_ms;       /* if > 0: choose time_scale so the simulated step
                           takes this long */
  int emulate_wan;      /* NCCL backend: inject link latency/bandwidth */
  int full_buffers;     /* allocate full stash and parameter-gradient
                           buffers (default 1; 0 keeps only their tags,
                           enough for the synthetic stages) */
  int gpu;              /* emulate backend: the GPU to use (default 0) */
  const char *trace;    /* Chrome trace of the last step (NULL: none) */
  const char *trace_predicted; /* the simulated timeline, scaled alike */
  const char *summary;  /* JSON summary of all steps (NULL: none) */
} crosspipe_options;

void crosspipe_default_options(crosspipe_options *options);
/* Parses --steps N --warmup N --time-scale X --step-ms X --emulate-wan
 * --tag-buffers --gpu N --trace FILE --trace-predicted FILE --summary FILE;
 * returns 0 on success. */
int crosspipe_parse_options(crosspipe_options *options, int argc,
                            char **argv);
/* Describes the plan, boots NCCL (or the emulation), allocates everything. */
crosspipe_runtime *crosspipe_init(const crosspipe_options *options);
/* Runs one step: enqueue, wait, check tags, collect times. 0 on success. */
int crosspipe_run_step(crosspipe_runtime *rt, int measured);
/* Writes the trace and summary, frees everything. 0 on success. */
int crosspipe_finish(crosspipe_runtime *rt);
/* All of the above for a command line; what runtime/Main.cpp calls. */
int crosspipe_main(int argc, char **argv);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CROSSPIPE_RUNTIME_RUNTIME_H */
