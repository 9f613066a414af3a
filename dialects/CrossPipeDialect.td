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
    (`100 Gbps`).
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class CrossPipe_Op<string mnemonic, list<Trait> traits = []>
    : Op<CrossPipe_Dialect, mnemonic, traits>;

class CrossPipe_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<CrossPipe_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // CROSSPIPE_DIALECT
