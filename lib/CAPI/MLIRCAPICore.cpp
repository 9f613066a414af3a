//===- MLIRCAPICore.cpp - MLIR's C API core as a shared library -----------===//
//
// libCrossPipeMLIR-C.so is MLIR's static libMLIRCAPIIR.a linked whole over
// Debian's libMLIR.so (see CMakeLists.txt for why it is a library of its
// own); a shared library needs a source, and this is it.
//
//===----------------------------------------------------------------------===//

#include "mlir-c/IR.h"
