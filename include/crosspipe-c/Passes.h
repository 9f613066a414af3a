/*===- crosspipe-c/Passes.h - C API of the CrossPipe passes -------*- C -*-===*\
|*                                                                            *|
|* Registration and creation of the CrossPipe passes from C. The per-pass     *|
|* functions are generated from the passes' ODS (Passes.td) by mlir-tblgen    *|
|* in MLIR's naming:                                                          *|
|*   mlirRegisterCrossPipePasses(), mlirCreateCrossPipeSchedulePass(), ...    *|
|*   mlirRegisterCrossPipeConversionPasses(),                                 *|
|*   mlirCreateCrossPipeConversionConvertCrossPipeToEmitCPass()               *|
|* A pass made by mlirCreate* has its options' defaults; to set options,      *|
|* register the passes and parse a textual pipeline (mlirParsePassPipeline,   *|
|* mlirOpPassManagerAddPipeline).                                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef CROSSPIPE_C_PASSES_H
#define CROSSPIPE_C_PASSES_H

#include "mlir-c/Pass.h"

#include "crosspipe-c/Conversion.capi.h.inc"
#include "crosspipe-c/Transforms.capi.h.inc"

#ifdef __cplusplus
extern "C" {
#endif

/* Registers the pass pipelines (crosspipe-compile). */
MLIR_CAPI_EXPORTED void mlirRegisterCrossPipePipelines(void);

/* Registers every CrossPipe pass and pipeline, so that textual pipelines can
 * name them; safe to call more than once. */
MLIR_CAPI_EXPORTED void mlirRegisterAllCrossPipePasses(void);

#ifdef __cplusplus
}
#endif

#endif /* CROSSPIPE_C_PASSES_H */
