/*===- crosspipe-capi-test.c - CrossPipe from plain C ---------------------===*\
|*                                                                            *|
|* Shows the C API end to end in C (no C++): registers the crosspipe dialect *|
|* and passes, parses a module, runs a textual pass pipeline (optionally     *|
|* followed by a pass made with a generated mlirCreate* function) and prints *|
|* the result.                                                               *|
|*                                                                            *|
|*   crosspipe-capi-test FILE PIPELINE [--verify-schedule]                   *|
|*                                                                            *|
|* PIPELINE is anchored on the module: "builtin.module(crosspipe-schedule)". *|
|* Diagnostics go to stderr; the exit status is 1 on any failure.            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

/* clang-format off */
/* RUN: crosspipe-translate --import-json %examples/toy.json -o %t.mlir
 * RUN: crosspipe-capi-test %t.mlir \
 * RUN:   "builtin.module(crosspipe-schedule{algorithm=1f1b})" \
 * RUN:   --verify-schedule > %t.capi.mlir
 * RUN: FileCheck %s < %t.capi.mlir
 * The C program prints what crosspipe-opt prints.
 * RUN: crosspipe-opt %t.mlir --crosspipe-schedule=algorithm=1f1b \
 * RUN:   --crosspipe-verify-schedule > %t.opt.mlir
 * RUN: diff %t.opt.mlir %t.capi.mlir
 * A pipeline of several passes with options, and the compile pipeline.
 * RUN: crosspipe-capi-test %t.mlir \
 * RUN:   "builtin.module(crosspipe-schedule{algorithm=greedy sub-blocks=2}, crosspipe-simulate)" \
 * RUN:   | FileCheck %s --check-prefix=SIM
 * RUN: crosspipe-capi-test %t.mlir \
 * RUN:   "builtin.module(crosspipe-compile{algorithm=1f1b backend=emulate})" \
 * RUN:   | FileCheck %s --check-prefix=EMITC
 * Errors: a pass that does not exist, one that fails, IR that does not parse.
 * RUN: not crosspipe-capi-test %t.mlir "builtin.module(no-such-pass)" 2>&1 \
 * RUN:   | FileCheck %s --check-prefix=NOPASS
 * RUN: not crosspipe-capi-test %t.mlir \
 * RUN:   "builtin.module(crosspipe-schedule{algorithm=zb-v})" 2>&1 \
 * RUN:   | FileCheck %s --check-prefix=FAILS
 * RUN: echo "crosspipe.bogus" > %t.bad.mlir
 * RUN: not crosspipe-capi-test %t.bad.mlir "builtin.module()" 2>&1 \
 * RUN:   | FileCheck %s --check-prefix=PARSE
 *
 * CHECK:      crosspipe.schedule @toy_1f1b for @toy algorithm "1f1b" {
 * CHECK-NEXT:   crosspipe.program device 0 {
 * CHECK-NEXT:     crosspipe.compute F chunk 0 mb 0
 * CHECK-NEXT:     crosspipe.compute F chunk 0 mb 1
 * CHECK:        crosspipe.program device 3 {
 * CHECK-NEXT:     crosspipe.compute F chunk 3 mb 0
 * CHECK-NEXT:     crosspipe.compute D chunk 3 mb 0
 *
 * SIM:        crosspipe.schedule @toy_greedy for @toy algorithm "greedy"
 * SIM-SAME:     makespan = #crosspipe.time<
 * SIM:          crosspipe.compute F chunk 0 mb 0 [0 ms, 10 ms]
 *
 * EMITC:      emitc.include "crosspipe/Runtime/Plan.h"
 * EMITC-NOT:  crosspipe.schedule
 *
 * NOPASS:     'no-such-pass' does not refer to a registered pass or pass pipeline
 * NOPASS:     error: cannot parse the pass pipeline
 *
 * FAILS:      mlir:10:3: error: 'crosspipe.pipeline' op cannot be scheduled by zb-v: zb-v needs a wave placement
 * FAILS-NOT:  see current operation
 * FAILS:      error: the pass pipeline failed
 *
 * PARSE:      bad.mlir:1:1: error: custom op 'crosspipe.bogus' is unknown
 * PARSE:      error: cannot parse
 */
/* clang-format on */

#include "crosspipe-c/Dialects.h"
#include "crosspipe-c/Passes.h"

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void printToStream(MlirStringRef text, void *stream) {
  fwrite(text.data, 1, text.length, (FILE *)stream);
}

/* The start of a printed string, enough to recognize it. */
typedef struct {
  char text[64];
  size_t length;
} Prefix;

static void printToPrefix(MlirStringRef text, void *userData) {
  Prefix *prefix = (Prefix *)userData;
  size_t room = sizeof(prefix->text) - 1 - prefix->length;
  size_t n = text.length < room ? text.length : room;
  memcpy(prefix->text + prefix->length, text.data, n);
  prefix->length += n;
  prefix->text[prefix->length] = '\0';
}

/* The file being read: the parser names its buffer "-". */
static const char *inputName = "-";

/* Prints "LOCATION: error: MESSAGE" and its notes, like the C++ tools. */
static MlirLogicalResult printDiagnostic(MlirDiagnostic diagnostic,
                                         void *userData) {
  (void)userData;
  const char *severity = "error";
  switch (mlirDiagnosticGetSeverity(diagnostic)) {
  case MlirDiagnosticWarning:
    severity = "warning";
    break;
  case MlirDiagnosticNote:
    severity = "note";
    break;
  case MlirDiagnosticRemark:
    severity = "remark";
    break;
  default:
    break;
  }
  /* MLIR's generic dump of the failing op (crosspipe-opt turns it off with
   * --mlir-print-op-on-diagnostic=false; the C API cannot). */
  Prefix message = {{0}, 0};
  mlirDiagnosticPrint(diagnostic, printToPrefix, &message);
  if (strncmp(message.text, "see current operation:", 22) == 0)
    return mlirLogicalResultSuccess();

  Prefix location = {{0}, 0};
  MlirLocation loc = mlirDiagnosticGetLocation(diagnostic);
  mlirLocationPrint(loc, printToPrefix, &location);
  if (strncmp(location.text, "loc(\"-\":", 8) == 0) {
    /* loc("-":3:5) -> FILE:3:5 */
    char *end = strchr(location.text + 8, ')');
    if (end)
      *end = '\0';
    fprintf(stderr, "%s:%s", inputName, location.text + 8);
  } else {
    mlirLocationPrint(loc, printToStream, stderr);
  }
  fprintf(stderr, ": %s: ", severity);
  mlirDiagnosticPrint(diagnostic, printToStream, stderr);
  fputc('\n', stderr);
  for (intptr_t i = 0, e = mlirDiagnosticGetNumNotes(diagnostic); i < e; ++i)
    printDiagnostic(mlirDiagnosticGetNote(diagnostic, i), NULL);
  return mlirLogicalResultSuccess();
}

/* Reads a whole file into a NUL-terminated buffer the caller frees. */
static char *readFile(const char *path, size_t *size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return NULL;
  char *buffer = NULL;
  size_t length = 0, capacity = 0;
  for (;;) {
    if (length + 4096 + 1 > capacity) {
      capacity = 2 * capacity + 4096 + 1;
      char *grown = realloc(buffer, capacity);
      if (!grown) {
        free(buffer);
        fclose(file);
        return NULL;
      }
      buffer = grown;
    }
    size_t n = fread(buffer + length, 1, 4096, file);
    length += n;
    if (n < 4096)
      break;
  }
  int failed = ferror(file);
  fclose(file);
  if (failed) {
    free(buffer);
    return NULL;
  }
  buffer[length] = '\0';
  *size = length;
  return buffer;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4 ||
      (argc == 4 && strcmp(argv[3], "--verify-schedule") != 0)) {
    fprintf(stderr, "usage: %s FILE PIPELINE [--verify-schedule]\n", argv[0]);
    return 1;
  }
  size_t size = 0;
  inputName = argv[1];
  char *text = readFile(argv[1], &size);
  if (!text) {
    fprintf(stderr, "error: cannot read '%s'\n", argv[1]);
    return 1;
  }

  /* Textual pipelines can only name registered passes. */
  mlirRegisterAllCrossPipePasses();
  MlirContext context = mlirContextCreate();
  mlirDialectHandleLoadDialect(mlirGetDialectHandle__crosspipe__(), context);
  mlirContextAttachDiagnosticHandler(context, printDiagnostic, NULL, NULL);

  int status = 1;
  MlirPassManager pm = {NULL};
  MlirModule module =
      mlirModuleCreateParse(context, mlirStringRefCreate(text, size));
  if (mlirModuleIsNull(module)) {
    fprintf(stderr, "error: cannot parse '%s'\n", argv[1]);
    goto done;
  }

  pm = mlirPassManagerCreateOnOperation(
      context, mlirStringRefCreateFromCString("builtin.module"));
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  if (mlirLogicalResultIsFailure(
          mlirParsePassPipeline(opm, mlirStringRefCreateFromCString(argv[2]),
                                printToStream, stderr))) {
    fprintf(stderr, "\nerror: cannot parse the pass pipeline '%s'\n", argv[2]);
    goto done;
  }
  /* A pass made by its generated creator, with default options. */
  if (argc == 4)
    mlirOpPassManagerAddOwnedPass(opm, mlirCreateCrossPipeVerifySchedulePass());

  MlirOperation op = mlirModuleGetOperation(module);
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, op))) {
    fprintf(stderr, "error: the pass pipeline failed\n");
    goto done;
  }
  mlirOperationPrint(op, printToStream, stdout);
  fputc('\n', stdout);
  status = 0;

done:
  if (!mlirPassManagerIsNull(pm))
    mlirPassManagerDestroy(pm);
  if (!mlirModuleIsNull(module))
    mlirModuleDestroy(module);
  mlirContextDestroy(context);
  free(text);
  return status;
}
