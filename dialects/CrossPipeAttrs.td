//===- CrossPipeAttrs.td - Attributes with units -----------*- tablegen -*-===//
//
// Typed quantities: a time, a byte size and a bandwidth. Each prints with its
// unit so IR stays readable (`#crosspipe.time<38 ms>`); inside ops the same
// text appears without the attribute wrapper (`forward 38 ms`).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_ATTRS
#define CROSSPIPE_ATTRS

include "CrossPipeDialect.td"
include "mlir/IR/EnumAttr.td"

def CrossPipe_TimeAttr : CrossPipe_Attr<"Time", "time"> {
  let summary = "A duration, stored in milliseconds";
  let description = [{
    A finite duration. Parsed from a number and one of the units `s`, `ms`,
    `us`, `ns`; stored and printed in milliseconds (`100000 ms`,
    `1.0e-9 ms`).

    ```mlir
    #crosspipe.time<38 ms>
    ```
  }];
  // APFloat, not double: attribute storage must be hashable.
  let parameters = (ins "::llvm::APFloat":$value);
  let builders = [
    AttrBuilder<(ins "double":$ms), [{
      return $_get($_ctxt, ::llvm::APFloat(ms));
    }]>
  ];
  let extraClassDeclaration = [{
    /// The duration in milliseconds.
    double getMs() const { return getValue().convertToDouble(); }
  }];
  let hasCustomAssemblyFormat = 1;
}

def CrossPipe_BytesAttr : CrossPipe_Attr<"Bytes", "bytes"> {
  let summary = "A size in bytes";
  let description = [{
    A byte count from 0 to 2^63 - 1. Parsed from a number and one of `B`,
    `KiB`, `MiB`, `GiB`, `TiB` (binary prefixes; `1.5 GiB` must come to a
    whole number of bytes); printed with the largest prefix that divides
    it.

    ```mlir
    #crosspipe.bytes<64 MiB>
    ```
  }];
  let parameters = (ins "uint64_t":$bytes);
  let hasCustomAssemblyFormat = 1;
}

def CrossPipe_BandwidthAttr : CrossPipe_Attr<"Bandwidth", "bandwidth"> {
  let summary = "A link bandwidth in Gbit/s";
  let description = [{
    A finite bandwidth, in units of 1e9 bit/s. Parsed from a number and one
    of `Mbps`, `Gbps`, `Tbps`; printed in `Gbps`.

    ```mlir
    #crosspipe.bandwidth<100 Gbps>
    ```
  }];
  let parameters = (ins "::llvm::APFloat":$value);
  let builders = [
    AttrBuilder<(ins "double":$gbps), [{
      return $_get($_ctxt, ::llvm::APFloat(gbps));
    }]>
  ];
  let extraClassDeclaration = [{
    /// The bandwidth in Gbit/s.
    double getGbps() const { return getValue().convertToDouble(); }
  }];
  let hasCustomAssemblyFormat = 1;
}

// Counts and indices: signless i64 read as signed, so verifiers can reject
// negative values instead of seeing huge unsigned ones. The RangeChecked
// trait of every op bounds them by crosspipe::kMaxCount (2^31 - 1) before
// the op's verifier runs; the verifier checks the lower bound.
def CrossPipe_IntAttr : TypedSignlessIntegerAttrBase<
    I64, "int64_t", "64-bit integer attribute"> {
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

def CrossPipe_PlacementAttr : I32EnumAttr<"Placement",
    "how model chunks are placed on devices", [
      I32EnumAttrCase<"unidirectional", 0>,
      I32EnumAttrCase<"interleaved", 1>,
      I32EnumAttrCase<"wave", 2>,
      I32EnumAttrCase<"custom", 3>
    ]> {
  let cppNamespace = "::crosspipe";
}

def CrossPipe_DpSpanAttr : I32EnumAttr<"DpSpan",
    "whether data-parallel groups stay inside a datacenter", [
      I32EnumAttrCase<"intra_dc", 0>,
      I32EnumAttrCase<"cross_dc", 1>
    ]> {
  let cppNamespace = "::crosspipe";
}

def CrossPipe_BlockKindAttr : I32EnumAttr<"BlockKind",
    "the kind of a compute block", [
      I32EnumAttrCase<"F", 0>,
      I32EnumAttrCase<"B", 1>,
      I32EnumAttrCase<"D", 2>,
      I32EnumAttrCase<"W", 3>
    ]> {
  let cppNamespace = "::crosspipe";
}

def CrossPipe_TransferKindAttr : I32EnumAttr<"TransferKind",
    "what a transfer carries", [
      I32EnumAttrCase<"act", 0>,
      I32EnumAttrCase<"grad", 1>
    ]> {
  let cppNamespace = "::crosspipe";
}

def CrossPipe_CollectiveKindAttr : I32EnumAttr<"CollectiveKind",
    "which data-parallel collective", [
      I32EnumAttrCase<"all_reduce", 0>,
      I32EnumAttrCase<"reduce_scatter", 1>,
      I32EnumAttrCase<"all_gather", 2>
    ]> {
  let cppNamespace = "::crosspipe";
}

def CrossPipe_PlanStreamAttr : I32EnumAttr<"PlanStream",
    "a CUDA stream of a device in an execution plan", [
      I32EnumAttrCase<"compute", 0>,
      I32EnumAttrCase<"send_next", 1>,
      I32EnumAttrCase<"recv_next", 2>,
      I32EnumAttrCase<"send_prev", 3>,
      I32EnumAttrCase<"recv_prev", 4>,
      I32EnumAttrCase<"dp", 5>
    ]> {
  let cppNamespace = "::crosspipe";
}

def CrossPipe_BufferRoleAttr : I32EnumAttr<"BufferRole",
    "what a planned buffer holds", [
      I32EnumAttrCase<"stash", 0>,
      I32EnumAttrCase<"act", 1>,
      I32EnumAttrCase<"grad", 2>,
      I32EnumAttrCase<"param_grad", 3>
    ]> {
  let cppNamespace = "::crosspipe";
}

#endif // CROSSPIPE_ATTRS
