"""Post-hoc analysis of icsweep HDF5 results (docs/design.md §4); see analysis.load for the loader."""

__version__ = "0.1.0"  # the icsweep release (CMakeLists.txt project VERSION); tests/python/test_install.py checks

from analysis.load import load_cells, load_errors, load_samples, load_tokens  # noqa: E402

__all__ = ["__version__", "load_cells", "load_errors", "load_samples", "load_tokens"]
