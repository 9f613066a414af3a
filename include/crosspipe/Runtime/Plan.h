/*===- Plan.h - An execution plan as plain data ---------------------------===*
 *
 * The contract between the compiler and the runtime: a verified execution
 * plan as constant tables, free of CUDA, NCCL and MLIR. A generated program
 * (crosspipe-opt --convert-crosspipe-to-emitc, crosspipe-translate
 * --mlir-to-cpp) defines these tables and returns them from
 * crosspipe_compiled_plan(); a plan file (crosspipe-translate --export-plan)
 * holds the same tables as text and the runtime reads it with
 * crosspipe_plan_read(). One runtime executes a plan on either backend:
 * CUDA streams and NCCL, or host threads.
 *
 * Each device runs its own program: a list of actions in issue order. An
 * action is a compute block, a send or a receive of a message, a
 * data-parallel collective, or a wait. A wait makes the stream of the next
 * non-wait action wait until an earlier action of the same program has
 * completed (CUDA: cudaStreamWaitEvent on that action's end event). Every
 * non-wait action completes in order on its stream; which stream an action
 * runs on follows from its op:
 *
 *   F, B, D, W              the device's compute stream
 *   SEND_ACT / RECV_ACT     send-next / recv-prev (activations flow forward)
 *   SEND_GRAD / RECV_GRAD   send-prev / recv-next (gradients flow backward)
 *   ALLREDUCE, REDUCE_SCATTER, ALL_GATHER   the device's DP stream
 *
 * What an action touches follows from the plan's tables, never from extra
 * fields: the buffer of (device, role, chunk) is unique (a message buffer is
 * named by its boundary, i.e. the lower chunk), the peer of a message is
 * the device of the chunk on the other side of its boundary, its channel is
 * the one of (src, dst, role), and a compute block's input is the message
 * slot of its inbound boundary (none on the first chunk for F and on the
 * last chunk for B/D; none for W), its output the message slot of its
 * outbound boundary (none at the pipeline's ends and for W), its stash the
 * chunk's stash slot, and B and W accumulate into the chunk's parameter
 * gradient. A boundary whose two chunks sit on one device needs no message:
 * the compute blocks then read and write the local message buffer of that
 * boundary directly (it still exists in the buffer table).
 *
 * Fields are ordered so that a generated table omits trailing zeros.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CROSSPIPE_RUNTIME_PLAN_H
#define CROSSPIPE_RUNTIME_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the tables and of the plan file; a runtime refuses a plan
 * of another version. */
#define CROSSPIPE_PLAN_VERSION 1

enum crosspipe_op {
  CROSSPIPE_OP_WAIT = 0,
  CROSSPIPE_OP_F = 1,
  CROSSPIPE_OP_B = 2,
  CROSSPIPE_OP_D = 3,
  CROSSPIPE_OP_W = 4,
  CROSSPIPE_OP_SEND_ACT = 5,
  CROSSPIPE_OP_SEND_GRAD = 6,
  CROSSPIPE_OP_RECV_ACT = 7,
  CROSSPIPE_OP_RECV_GRAD = 8,
  CROSSPIPE_OP_ALLREDUCE = 9,
  CROSSPIPE_OP_REDUCE_SCATTER = 10,
  CROSSPIPE_OP_ALL_GATHER = 11,
  CROSSPIPE_NUM_OPS = 12
};

/* How the plan maps onto processes and GPUs. */
enum crosspipe_arrangement {
  CROSSPIPE_ARRANGE_NCCL = 0,   /* one process (or executor) per device;
                                   messages are sends and receives */
  CROSSPIPE_ARRANGE_EMULATE = 1 /* one process plays every device; a send
                                   copies into its receive's slot over the
                                   link's lane */
};

/* What a buffer holds, and what a tag says. */
enum crosspipe_buffer_role {
  CROSSPIPE_STASH = 0,
  CROSSPIPE_ACT = 1,
  CROSSPIPE_GRAD = 2,
  CROSSPIPE_PARAM_GRAD = 3
};

/* One action of a device's program.
 *
 *   op      enum crosspipe_op
 *   chunk   F/B/D/W and collectives: the chunk; sends and receives: the
 *           boundary (its lower chunk); WAIT: the index, in this program,
 *           of the earlier action waited for
 *   mb      the microbatch; collectives: the bucket (0 of 1 for a whole
 *           chunk)
 *   slot    F/B/D: the slot of the input message buffer; sends and
 *           receives: the slot of the message buffer; collectives: the
 *           bucket count (0 means 1)
 *   out     F/B/D: the slot of the output message buffer
 *   stash   F/B/D/W: the slot of the chunk's stash buffer
 *   part    F/B/D/W: the sub-block, 0-based
 *   parts   F/B/D/W: the sub-block count (0 means 1) */
typedef struct crosspipe_action {
  int32_t op;
  int32_t chunk;
  int32_t mb;
  int32_t slot;
  int32_t out;
  int32_t stash;
  int32_t part;
  int32_t parts;
} crosspipe_action;

/* A model chunk (pipeline stage): the device it runs on and its modelled
 * per-microbatch times (a sub-block takes its share); allreduce_ms is the
 * chunk's whole DP all-reduce (a bucket takes its share). */
typedef struct crosspipe_chunk {
  int32_t device;
  double forward_ms, backward_ms, dgrad_ms, wgrad_ms, allreduce_ms;
} crosspipe_chunk;

/* A buffer of `slots` slots of `bytes` payload bytes each (each slot also
 * carries a tag). `chunk` is the chunk (stash, parameter gradient) or the
 * boundary (messages). `name` is [A-Za-z0-9_.-]+. */
typedef struct crosspipe_buffer {
  int32_t device;
  int32_t role;
  int32_t chunk;
  int32_t slots;
  uint64_t bytes;
  const char *name;
} crosspipe_buffer;

/* A one-direction message channel from `src` to `dst` carrying `role`
 * (CROSSPIPE_ACT or CROSSPIPE_GRAD) messages in issue order, over network
 * link `link` (index into the link table; messages of all channels on one
 * link share its queue). A message of b bytes occupies the link for
 * b / (gbps * 1e9 / 8) seconds and arrives latency_ms after that. */
typedef struct crosspipe_channel {
  int32_t src;
  int32_t dst;
  int32_t role;
  int32_t link;
  double latency_ms;
  double gbps;
} crosspipe_channel;

/* A network link of the model (a datacenter pair, or a device pair). */
typedef struct crosspipe_link {
  const char *name;
} crosspipe_link;

/* The actions of one device, in issue order. */
typedef struct crosspipe_program {
  int32_t device;
  int32_t count;
  const crosspipe_action *actions;
} crosspipe_program;

/* A whole plan. `programs` has one entry per device, in device order. */
typedef struct crosspipe_plan {
  int32_t version; /* CROSSPIPE_PLAN_VERSION */
  const char *name;
  const char *algorithm;
  int32_t arrangement; /* enum crosspipe_arrangement */
  int32_t devices;
  int32_t chunks;
  int32_t microbatches;
  int32_t dp_degree;
  double makespan_ms;    /* simulated step */
  double lower_bound_ms; /* 0 when unknown */
  const crosspipe_chunk *chunk_table;      /* [chunks] */
  int32_t num_buffers;
  const crosspipe_buffer *buffers;
  int32_t num_channels;
  const crosspipe_channel *channels;
  int32_t num_links;
  const crosspipe_link *links;
  const crosspipe_program *programs;       /* [devices] */
} crosspipe_plan;

/* What a runtime holds: crosspipe_plan_check refuses a plan beyond these,
 * naming the limit. Times (chunk times, latencies, makespan, lower bound)
 * are finite and in [0, CROSSPIPE_PLAN_MAX_MS]; a channel's gbps is 0 (no
 * bandwidth cost, as the model's free links) or in [1e-6, 1e9]. Names are
 * 1 to CROSSPIPE_PLAN_MAX_NAME bytes of [A-Za-z0-9_.-]; a link's name may
 * also hold '>' ("east->west"). */
#define CROSSPIPE_PLAN_MAX_DEVICES 16384
#define CROSSPIPE_PLAN_MAX_CHUNKS 1000000
#define CROSSPIPE_PLAN_MAX_MICROBATCHES 1000000
#define CROSSPIPE_PLAN_MAX_DP_DEGREE 1000000
#define CROSSPIPE_PLAN_MAX_PARTS 1024      /* sub-blocks of one block */
#define CROSSPIPE_PLAN_MAX_BUCKETS 65536   /* DP buckets of one chunk */
#define CROSSPIPE_PLAN_MAX_SLOTS 65536     /* slots of one buffer */
#define CROSSPIPE_PLAN_MAX_TOTAL_SLOTS (1 << 24)  /* over all buffers */
#define CROSSPIPE_PLAN_MAX_TABLE (1 << 24) /* buffers, channels, links */
#define CROSSPIPE_PLAN_MAX_ACTIONS (1 << 26)      /* over all programs */
#define CROSSPIPE_PLAN_MAX_SLOT_BYTES (1ull << 40) /* payload of one slot */
#define CROSSPIPE_PLAN_MAX_NAME 256
#define CROSSPIPE_PLAN_MAX_MS 1e12
#define CROSSPIPE_PLAN_MAX_FILE_BYTES (1ull << 32)

/* Defined by a generated program: its plan, compiled in. */
const crosspipe_plan *crosspipe_compiled_plan(void);

/*===--- Checking, reading and writing plans ----------------------------===*/

/* Checks that a plan is well formed and consistent: version, counts and
 * indices in range, every buffer and channel an action needs exists, waits
 * point backwards, sends and receives of each channel match one to one in
 * order, names are safe. Returns 0, or writes one line naming what is wrong
 * (device, action index, field) to `error` (of `size` bytes) and returns
 * -1.
 *
 * In full: besides ranges and the limits above, every slot an action uses
 * is < its buffer's slots; a field an action does not use is 0; a wait
 * names an earlier non-wait action and is followed by a non-wait action;
 * every (chunk, microbatch) has F and either B or D and W, each block's
 * parts once and in order, F before B/D before W on its device; every
 * boundary between two devices carries each microbatch's activation and
 * gradient exactly once, the two message buffers of a boundary have the
 * same size; (device, role, chunk) of buffers and (src, dst, role) of
 * channels are unique; a DP collective set of a chunk has each bucket
 * once. */
int crosspipe_plan_check(const crosspipe_plan *plan, char *error,
                         size_t size);

/* Writes `plan` as a plan file (text, versioned, with a checksum). Returns
 * 0, or -1 on a write error or when the plan fails crosspipe_plan_check
 * (nothing is written then). */
int crosspipe_plan_write(const crosspipe_plan *plan, FILE *out);

/* Reads and checks a plan file. Returns a plan owned by the caller (free it
 * with crosspipe_plan_free), or NULL with one line naming the line of the
 * file and what is wrong in `error` (of `size` bytes): another version, a
 * truncated or corrupted file (checksum), a malformed line, or a plan that
 * fails crosspipe_plan_check. Never crashes on any input. */
crosspipe_plan *crosspipe_plan_read(const char *path, char *error,
                                    size_t size);
/* The same from memory (`size` bytes, need not be NUL-terminated). */
crosspipe_plan *crosspipe_plan_parse(const char *data, size_t size,
                                     const char *source, char *error,
                                     size_t error_size);
void crosspipe_plan_free(crosspipe_plan *plan);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CROSSPIPE_RUNTIME_PLAN_H */
