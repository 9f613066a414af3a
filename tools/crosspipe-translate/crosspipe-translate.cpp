//===- crosspipe-translate.cpp - The CrossPipe translation driver ---------===//
//
// MLIR's translate driver with CrossPipe's translations: JSON experiment
// descriptions in, Chrome traces, pictures, reports, C++ and plan files
// out.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Target/Translations.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  crosspipe::registerTranslations();
  crosspipe::registerExportPlanTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "CrossPipe translation driver\n"));
}
