"""Build the Cython core.  Metadata lives in pyproject.toml."""

import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

# GMPCORE_ANNOTATE=1 writes Cython's HTML annotation next to each .pyx, to
# see which lines of a hot path still touch Python.
annotate = os.environ.get("GMPCORE_ANNOTATE") == "1"

# The engine draws durations through NumPy's C distributions (the same
# functions Generator uses), which live in the static libnpyrandom.
npyrandom_lib = os.path.join(os.path.dirname(np.__file__), "random", "lib")

extensions = [
    Extension(
        "gmpcore._sched",
        ["gmpcore/_sched.pyx"],
        include_dirs=[np.get_include(), "gmpcore"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"] if os.name != "nt" else [],
    ),
    Extension(
        "gmpcore._engine",
        ["gmpcore/_engine.pyx"],
        include_dirs=[np.get_include(), "gmpcore"],
        library_dirs=[npyrandom_lib],
        libraries=["npyrandom"] + (["m"] if os.name != "nt" else []),
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"] if os.name != "nt" else [],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        annotate=annotate,
        compiler_directives={"embedsignature": True},
    ),
)
