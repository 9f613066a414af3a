//===- crosspipe-opt.cpp - The CrossPipe pass driver ----------------------===//
//
// MlirOptMain with the crosspipe dialect, the dialects our passes produce,
// and our passes only: registering everything upstream would slow the link
// and bloat the command line.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<crosspipe::CrossPipeDialect>();
  crosspipe::registerCrossPipePasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "CrossPipe optimizer driver\n", registry));
}
