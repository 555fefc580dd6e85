"""Post-hoc analysis of icsweep HDF5 results (docs/design.md §4); see analysis.load for the loader."""

from analysis.load import load_cells, load_errors, load_samples

__all__ = ["load_cells", "load_errors", "load_samples"]
