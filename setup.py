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
    Extension(
        "gmpcore.gotrace._wire",
        ["gmpcore/gotrace/_wire.pyx"],
        include_dirs=[np.get_include(), "gmpcore"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"] if os.name != "nt" else [],
    ),
]


def _generated_c_is_current(ext):
    """Whether ext's generated C file is newer than every Cython source of ours.

    pip builds each install in a fresh isolated environment, whose Cython
    include files are new files every time, so cythonize's own dependency
    check would regenerate (and then recompile) the core on every
    ``pip install``: the README's second command would build it again.
    Our own sources decide instead; setuptools then skips the C compiler
    too when build/ already holds an up-to-date module.
    """
    c_file = ext.sources[0][:-4] + ".c"
    ours = [os.path.join("gmpcore", f) for f in os.listdir("gmpcore")
            if f.endswith((".pyx", ".pxd", ".pxi", ".h"))] + [__file__, ext.sources[0]]
    return (not annotate and os.path.exists(c_file)
            and os.path.getmtime(c_file) >= max(os.path.getmtime(f) for f in ours))


current, fresh = [], []
for ext in extensions:
    if _generated_c_is_current(ext):
        ext.sources = [ext.sources[0][:-4] + ".c"]
        current.append(ext)
    else:
        fresh.append(ext)
if fresh:
    fresh = cythonize(fresh, language_level=3, annotate=annotate,
                      compiler_directives={"embedsignature": True})

# The two modules compile side by side (the engine's C file dominates).
setup(ext_modules=current + fresh,
      options={"build_ext": {"parallel": min(2, os.cpu_count() or 1)}})
