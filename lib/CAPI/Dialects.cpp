//===- Dialects.cpp - C API of the crosspipe dialect ----------------------===//
//
// The dialect handle of crosspipe-c/Dialects.h.
//
//===----------------------------------------------------------------------===//

#include "crosspipe-c/Dialects.h"

#include "crosspipe/Dialect/CrossPipeDialect.h"

#include "mlir/CAPI/Registration.h"

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(CrossPipe, crosspipe,
                                      crosspipe::CrossPipeDialect)
