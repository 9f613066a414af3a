//===- CrossPipeDialect.td - The crosspipe dialect ---------*- tablegen -*-===//
//
// The dialect that describes a pipeline-parallel training step across
// datacenters: the cluster, the pipeline of model chunks placed on devices,
// and schedules of per-device blocks.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_DIALECT
#define CROSSPIPE_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def CrossPipe_Dialect : Dialect {
  let name = "crosspipe";
  let cppNamespace = "::crosspipe";
  let summary = "Pipeline-parallel training across datacenters";
  let description = [{
    The `crosspipe` dialect represents one training step of a pipeline- and
    data-parallel model spread over several datacenters, in three layers:

    - the **cluster** (`crosspipe.cluster`): datacenters with their device
      counts and the alpha-beta network between and inside them;
    - the **pipeline** (`crosspipe.pipeline`): model chunks in model order,
      each placed on a device with its per-microbatch compute times and
      memory, the number of microbatches, the memory budget and data
      parallelism;
    - **schedules** (`crosspipe.schedule`): for every device the ordered
      blocks it runs (F, B, or D and W of a chunk and microbatch), optionally
      annotated with simulated times, with the transfers and DP collectives
      they imply.

    Quantities carry units: times in milliseconds (`38 ms`), sizes in bytes
    printed with binary prefixes (`64 MiB`), bandwidth in Gbit/s
    (`100 Gbps`). Numbers are decimals, optionally with an exponent after a
    decimal point (`1.5e6 ms`; `1e6` lexes as `1 e6` and is refused); the
    printer writes magnitudes from 1e-4 up to 1e16 in plain decimal and
    others with an exponent, so everything it prints parses back to the
    same value.

    Ranges, checked when an op is verified:

    - counts and indices (devices, microbatches, chunks, parts, buckets,
      slots, data-parallel degree) are integers from 0 to 2147483647
      (2^31 - 1, the scheduling model holds them in `int`); counts are at
      least 1 and indices below their count, as each op says;
    - a cluster has at most 2147483647 devices in all;
    - byte sizes are whole numbers from 0 B to 9223372036854775807 B
      (2^63 - 1);
    - times, bandwidths and factors are finite; `inf` and `nan` (e.g.
      `1.0e999 ms` or a hexadecimal float) are refused at the token.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

// Every op checks its integers and quantities against the ranges the tools
// hold (crosspipe::verifyAttributeRanges) before its own verifier runs.
def CrossPipe_RangeChecked : NativeOpTrait<"RangeChecked"> {
  let cppNamespace = "::crosspipe";
}

class CrossPipe_Op<string mnemonic, list<Trait> traits = []>
    : Op<CrossPipe_Dialect, mnemonic,
         !listconcat([CrossPipe_RangeChecked], traits)>;

class CrossPipe_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<CrossPipe_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // CROSSPIPE_DIALECT
