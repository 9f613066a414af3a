//===- TranslateToCpp.cpp - EmitC to C++ ----------------------------------===//
//
// `crosspipe-translate --mlir-to-cpp`: prints a module lowered by
// --convert-crosspipe-to-emitc (or --crosspipe-compile) as C++ with MLIR's
// EmitC emitter. Registered here rather than through upstream's
// registerToCppTranslation so the tool only loads the EmitC dialect, and
// variables stay declared where they are defined, next to the comment that
// names the block they belong to.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Target/Translations.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "mlir/Tools/mlir-translate/Translation.h"

using namespace mlir;

void crosspipe::registerTranslateToCppTranslation() {
  TranslateFromMLIRRegistration registration(
      "mlir-to-cpp", "print a module lowered to EmitC as C++",
      [](Operation *op, raw_ostream &output) {
        return emitc::translateToCpp(op, output,
                                     /*declareVariablesAtTop=*/false);
      },
      [](DialectRegistry &registry) {
        registry.insert<emitc::EmitCDialect>();
      });
}
