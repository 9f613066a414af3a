//===- ImportJson.cpp - JSON experiment description to crosspipe IR -------===//
//
// `crosspipe-translate --import-json`: parses the JSON contract into the
// problem model (errors name the field and its line), builds the cluster and
// pipeline ops with locations pointing into the JSON file, and verifies the
// module before anything is printed, so whatever the verifiers reject is
// refused at import too.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/ProblemJson.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Target/Translations.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace crosspipe;

static OwningOpRef<Operation *> importJson(llvm::SourceMgr &sourceMgr,
                                           MLIRContext *context) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringRef file = buffer->getBufferIdentifier();
  ParsedProblem parsed = parseProblemJson(
      std::string_view(buffer->getBufferStart(), buffer->getBufferSize()));
  if (!parsed.ok) {
    const JsonError &error = parsed.error;
    Location loc = FileLineColLoc::get(context, file, std::max(error.line, 0),
                                       std::max(error.column, 0));
    emitError(loc) << error.message;
    return nullptr;
  }
  context->loadDialect<CrossPipeDialect>();
  OwningOpRef<ModuleOp> module =
      ModuleOp::create(FileLineColLoc::get(context, file, 1, 1));
  emitProblem(*module, parsed.problem, file);
  if (failed(verify(*module)))
    return nullptr;
  return OwningOpRef<Operation *>(module.release());
}

void crosspipe::registerImportJsonTranslation() {
  TranslateToMLIRRegistration registration(
      "import-json", "import a JSON experiment description", importJson,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
