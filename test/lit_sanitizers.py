# -*- Python -*-
# Sanitizer settings shared by the lit configurations of test/ and test/Unit
# in a build with CROSSPIPE_ENABLE_SANITIZERS=ON (`make check-asan`).
#
# - allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons the unused part
#   of its slabs when the code inlining it is instrumented; our code and
#   Debian's uninstrumented libMLIR share the context's allocators, so
#   libMLIR would write into memory our side poisoned (a false
#   use-after-poison; fuzz/MlirParseFuzzer.cpp). Every other check stays on.
# - abort_on_error=1: a report ends the process with SIGABRT instead of exit
#   status 1, so that `not tool ...` (a test expecting an error) fails on it
#   rather than taking the report for the expected error.
# - fuzz/lsan.supp: the leaks of third-party libraries, each with its reason.
# - Under mpirun, fast_unwind_on_malloc=0 as well: Open MPI's libraries are
#   built without frame pointers, so the fast unwinder stops at their first
#   frame ("<unknown module>") and no suppression can name them; the slow
#   unwinder finds them. Only there: it makes every allocation much slower.

import os

import lit.util


def configure(config, lit_config, src_root):
    """Adds the `asan` feature and the sanitizer environment when the build
    is instrumented; a no-op otherwise."""
    if not lit.util.pythonize_bool(config.enable_sanitizers):
        return False
    config.available_features.add("asan")
    supp = os.path.join(src_root, "fuzz", "lsan.supp")
    config.environment["ASAN_OPTIONS"] = \
        "allow_user_poisoning=0:abort_on_error=1:detect_leaks=1"
    config.environment["UBSAN_OPTIONS"] = \
        "print_stacktrace=1:abort_on_error=1"
    config.environment["LSAN_OPTIONS"] = "suppressions=" + supp
    return True


def mpi_env(config):
    """What goes before `mpirun` (its processes inherit its environment):
    nothing, or under the sanitizers the full stacks the suppressions of
    Open MPI's leaks need."""
    if "asan" not in config.available_features:
        return ""
    return "env ASAN_OPTIONS=%s:fast_unwind_on_malloc=0 " % \
        config.environment["ASAN_OPTIONS"]
