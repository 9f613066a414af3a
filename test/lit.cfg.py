# -*- Python -*-
# Lit configuration of the CrossPipe regression tests.

import os
import shutil
import sys

import lit.formats
import lit.util
from lit.llvm import llvm_config

config.name = "CrossPipe"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "Unit", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py", "lit_sanitizers.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.crosspipe_obj_root, "test")

llvm_config.use_default_substitutions()
# Our tools first, then LLVM's FileCheck/not/count, then the system's.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.crosspipe_tools_dir,
                             append_path=True)

config.substitutions.append(
    ("%examples", os.path.join(config.crosspipe_src_root, "examples")))
config.substitutions.append(("%crosspipe_src", config.crosspipe_src_root))
# A sanitizer build (`make check-asan`) runs every tool under ASan + UBSan
# and has the feature `asan`; the C++ it compiles and links against our
# instrumented runtime libraries is instrumented the same way.
sys.path.insert(0, config.test_source_root)
import lit_sanitizers

cxx = config.cxx_compiler
if lit_sanitizers.configure(config, lit_config, config.crosspipe_src_root):
    cxx += " -fsanitize=address,undefined -fno-sanitize-recover=undefined"
config.substitutions.append(("%cxx", cxx))
config.substitutions.append(("%crosspipe_obj", config.crosspipe_obj_root))
config.substitutions.append(("%mlir_cmake_dir", config.mlir_cmake_dir))

# The Gecode solver is optional at configure time (CROSSPIPE_ENABLE_SOLVER).
if lit.util.pythonize_bool(config.enable_solver):
    config.available_features.add("solver")

# Stock mlir-opt of the MLIR we build against, and our plugin for it
# (tools/crosspipe-plugin) when it was built.
mlir_opt = os.path.join(config.mlir_tools_dir, "mlir-opt")
config.substitutions.append(("%mlir_opt", mlir_opt))
if config.crosspipe_plugin and os.path.exists(mlir_opt):
    config.available_features.add("mlir-plugin")
    config.substitutions.append(("%crosspipe_plugin", config.crosspipe_plugin))

# The CUDA toolkit (headers and libraries, no GPU needed) lets integration
# tests compile and link generated code; a GPU lets them run it.
if config.cuda_root and os.path.exists(
        os.path.join(config.cuda_root, "include", "cuda_runtime.h")):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%cuda_root", config.cuda_root))
if os.path.exists("/dev/nvidia0"):
    config.available_features.add("cuda-device")

# The runtime's tests edit plan files with a Python helper, and run plans
# one process per device under mpirun where the runner was built with MPI
# (libopenmpi-dev) and mpirun exists.
config.substitutions.append(("%python", sys.executable))
# Links a generated plan into a host runner (runtime/CMakeLists.txt).
config.substitutions.append(
    ("%host_link",
     "@" + os.path.join(config.crosspipe_obj_root, "runtime", "host-link.rsp")))
if lit.util.pythonize_bool(config.with_mpi) and shutil.which("mpirun"):
    config.available_features.add("mpi")
    config.substitutions.append(
        ("%mpirun", lit_sanitizers.mpi_env(config) +
         "mpirun --allow-run-as-root --oversubscribe"))
