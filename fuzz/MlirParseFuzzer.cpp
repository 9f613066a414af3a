//===- MlirParseFuzzer.cpp - Fuzz the IR parser and verifiers -------------===//
//
// Every pass and translation starts by parsing text IR with the crosspipe
// dialect's custom syntax (attributes, quantities, plan ops) and running its
// verifiers, so both must reject any text with a diagnostic rather than
// crash. The dialects are those of crosspipe-opt. Diagnostics are dropped:
// only crashes and sanitizer reports count. A module that verifies is also
// printed, which exercises the custom printers.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

// LLVM's BumpPtrAllocator poisons the unused part of its slabs when the
// code inlining it is built with ASan, and unpoisons what it hands out. Our
// instrumented code and Debian's uninstrumented libMLIR share the context's
// allocators, so libMLIR writes into memory our side poisoned: a false
// "use-after-poison" on the seed corpus. Ignoring manual poisoning keeps
// every other check.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

namespace {
// One context for the whole run: creating one per input would spend most of
// the time loading dialects. Parsed modules are destroyed after each input;
// attributes and types they uniqued stay, which only costs memory.
mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    registry.insert<crosspipe::CrossPipeDialect, mlir::emitc::EmitCDialect>();
    auto *c =
        new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    c->loadAllAvailableDialects();
    c->getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
    return c;
  }();
  return *ctx;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &ctx = context();
  // The lexer relies on a NUL after the buffer, which a copy guarantees.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.mlir"),
      llvm::SMLoc());
  mlir::ParserConfig config(&ctx, /*verifyAfterParse=*/false);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, config);
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return 0;
}
