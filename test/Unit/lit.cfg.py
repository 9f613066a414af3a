# -*- Python -*-
# Runs the GoogleTest unit tests (build/unittests/**/*Tests) under lit.

import os
import sys

import lit.formats

config.name = "CrossPipe-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.crosspipe_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")

# Under ASan + UBSan in a sanitizer build (test/lit_sanitizers.py).
sys.path.insert(0, os.path.join(config.crosspipe_src_root, "test"))
import lit_sanitizers

lit_sanitizers.configure(config, lit_config, config.crosspipe_src_root)
