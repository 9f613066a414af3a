//===- crosspipe-opt.cpp - The CrossPipe pass driver ----------------------===//
//
// MlirOptMain with the crosspipe dialect, the dialects our passes produce,
// and our passes only: registering everything upstream would slow the link
// and bloat the command line.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/Passes.h"
#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Pipelines/Pipelines.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/ADT/STLExtras.h"

#include <string>
#include <vector>

int main(int argc, char **argv) {
  // Our diagnostics name the op and point at related ones with notes; the
  // generic dump of the whole op that MLIR appends by default buries them.
  std::vector<char *> args(argv, argv + argc);
  std::string quiet = "--mlir-print-op-on-diagnostic=false";
  bool explicitChoice = llvm::any_of(args, [](const char *arg) {
    return llvm::StringRef(arg).contains("mlir-print-op-on-diagnostic");
  });
  if (!explicitChoice)
    args.insert(args.begin() + 1, quiet.data());
  argc = int(args.size());
  argv = args.data();

  mlir::DialectRegistry registry;
  registry.insert<crosspipe::CrossPipeDialect, mlir::emitc::EmitCDialect>();
  crosspipe::registerCrossPipePasses();
  crosspipe::registerCrossPipeConversionPasses();
  crosspipe::registerCrossPipePipelines();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "CrossPipe optimizer driver\n", registry));
}
