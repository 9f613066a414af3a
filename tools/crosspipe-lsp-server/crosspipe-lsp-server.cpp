//===- crosspipe-lsp-server.cpp - Language server for CrossPipe IR --------===//
//
// MLIR's language server with the dialects our IR contains, so that editors
// (VS Code's MLIR extension, or any LSP client pointed at this binary) show
// our verifiers' diagnostics, hovers and go-to-definition on crosspipe IR and
// on the EmitC that --convert-crosspipe-to-emitc produces.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"
#include "llvm/ADT/STLExtras.h"

#include <string>
#include <vector>

int main(int argc, char **argv) {
  // As in crosspipe-opt: our diagnostics name the op and point at related
  // ones with notes; MLIR's generic dump of the op, which it adds as a note
  // by default, would be one more entry in the editor's list.
  mlir::registerMLIRContextCLOptions();
  std::vector<char *> args(argv, argv + argc);
  std::string quiet = "--mlir-print-op-on-diagnostic=false";
  if (!llvm::any_of(args, [](const char *arg) {
        return llvm::StringRef(arg).contains("mlir-print-op-on-diagnostic");
      }))
    args.insert(args.begin() + 1, quiet.data());

  mlir::DialectRegistry registry;
  registry.insert<crosspipe::CrossPipeDialect, mlir::emitc::EmitCDialect>();
  return mlir::failed(
      mlir::MlirLspServerMain(int(args.size()), args.data(), registry));
}
