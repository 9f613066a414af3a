/*===- crosspipe-c/Dialects.h - C API of the crosspipe dialect ----*- C -*-===*\
|*                                                                            *|
|* Registration of the crosspipe dialect from C, in the conventions of        *|
|* MLIR's C API (mlir-c): a dialect handle to insert into a registry or to    *|
|* load into a context.                                                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef CROSSPIPE_C_DIALECTS_H
#define CROSSPIPE_C_DIALECTS_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Declares mlirGetDialectHandle__crosspipe__(). */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(CrossPipe, crosspipe);

#ifdef __cplusplus
}
#endif

#endif /* CROSSPIPE_C_DIALECTS_H */
