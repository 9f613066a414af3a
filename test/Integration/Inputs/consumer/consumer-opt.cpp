//===- consumer-opt.cpp - A downstream tool using installed CrossPipe -----===//
//
// Proves that the installed headers, libraries and CMake package are enough
// for another project to register CrossPipe in its own pass driver.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<crosspipe::CrossPipeDialect>();
  crosspipe::registerCrossPipePasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "downstream consumer\n", registry));
}
