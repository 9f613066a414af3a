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

/// Longest source line a diagnostic quotes whole; beyond it (minified JSON
/// is one line) only a window around the column is shown.
static constexpr size_t kMaxQuotedLine = 160;

/// The JSON line `line` (1-based) of a buffer, or "" when there is none.
static StringRef lineOf(const llvm::MemoryBuffer &buffer, int line) {
  StringRef text = buffer.getBuffer();
  for (int i = 1; i < line && !text.empty(); ++i)
    text = text.split('\n').second;
  return line < 1 ? StringRef() : text.split('\n').first;
}

/// Reports an import error at its line and column. The driver quotes the
/// whole source line under a diagnostic; for a very long line this prints
/// one window of it instead, through a handler scoped to this error.
static void reportJsonError(const llvm::MemoryBuffer &buffer,
                            const JsonError &error, MLIRContext *context) {
  StringRef file = buffer.getBufferIdentifier();
  int line = std::max(error.line, 0), column = std::max(error.column, 0);
  Location loc = FileLineColLoc::get(context, file, line, column);
  StringRef text = lineOf(buffer, line);
  if (text.size() <= kMaxQuotedLine) {
    emitError(loc) << error.message;
    return;
  }
  size_t at = std::min<size_t>(column > 0 ? column - 1 : 0, text.size());
  size_t begin = at > kMaxQuotedLine / 2 ? at - kMaxQuotedLine / 2 : 0;
  StringRef window = text.substr(begin, kMaxQuotedLine);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    llvm::errs() << file << ":" << line << ":" << column
                 << ": error: " << diag.str() << "\n"
                 << (begin > 0 ? "..." : "") << window
                 << (begin + window.size() < text.size() ? "..." : "") << "\n"
                 << std::string((begin > 0 ? 3 : 0) + (at - begin), ' ')
                 << "^\n";
    return success();
  });
  emitError(loc) << error.message;
}

static OwningOpRef<Operation *> importJson(llvm::SourceMgr &sourceMgr,
                                           MLIRContext *context) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringRef file = buffer->getBufferIdentifier();
  ParsedProblem parsed = parseProblemJson(
      std::string_view(buffer->getBufferStart(), buffer->getBufferSize()));
  if (!parsed.ok) {
    reportJsonError(*buffer, parsed.error, context);
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
