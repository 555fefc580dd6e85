"""The analysis package installs and runs outside the source tree: with pip (pyproject.toml) into a
temporary prefix, and with `cmake --install --component python` (cmake/InstallPython.cmake); both
are imported and run from another folder with the source tree off sys.path."""

import glob
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import synth
import analysis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY_DIR = os.environ.get("ICSWEEP_BINARY_DIR")


def test_version_is_the_projects():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        version = re.search(r"project\(icsweep VERSION (\S+)", f.read()).group(1)
    assert analysis.__version__ == version


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    rng = np.random.default_rng(4)
    specs = [dict(model_name=f"m{i}", data_name="d", flops_per_token=n, **synth.random_samples(rng, 6))
             for i, n in enumerate([1e8, 1e9])]
    return synth.write_sweep(str(tmp_path_factory.mktemp("sweep")), specs)


def run_installed(command, site_dir, cwd, args):
    """COMMAND ARGS with only SITE_DIR on PYTHONPATH, from CWD (not the source tree)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=site_dir, MPLBACKEND="Agg")
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def check_installation(prefix, site_dir, entry_point, sweep, elsewhere):
    where = run_installed([sys.executable, "-c", "import analysis; print(analysis.__file__)"], site_dir, elsewhere, [])
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(prefix)), where.stdout  # not the source tree
    version = run_installed([entry_point], site_dir, elsewhere, ["--version"])
    assert version.returncode == 0 and version.stdout.strip() == f"icsweep-analysis (icsweep analysis) {analysis.__version__}"
    table = run_installed([entry_point], site_dir, elsewhere, ["table", sweep, "--bootstrap", "0", "-f", "csv"])
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].startswith("model_name,model_series,model_size,data_name")
    assert len(table.stdout.splitlines()) == 3
    page = run_installed([entry_point], site_dir, elsewhere, ["site", sweep, "-o", str(elsewhere / "page")])
    assert page.returncode == 0, page.stderr  # the page's assets (site_assets/) were installed too
    assert os.path.getsize(elsewhere / "page" / "index.html") > 10000
    module = run_installed([sys.executable, "-m", "analysis", "--version"], site_dir, elsewhere, [])
    assert module.returncode == 0 and "python3 -m analysis" in module.stdout


def test_pip_install_into_a_prefix(tmp_path, sweep):
    source = tmp_path / "src"  # a copy: pip builds in the tree it is given
    source.mkdir()
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), source)
    shutil.copytree(os.path.join(ROOT, "analysis"), source / "analysis",
                    ignore=shutil.ignore_patterns("__pycache__"))
    os.makedirs(source / "docs")
    shutil.copy(os.path.join(ROOT, "docs", "analysis.md"), source / "docs")
    prefix = tmp_path / "prefix"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                           "--disable-pip-version-check", "--prefix", str(prefix), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (f"pip install failed (Debian: python3-pip, python3-setuptools; "
                                  f"scripts/install-deps.sh installs them):\n{done.stdout}\n{done.stderr}")
    site_dirs = glob.glob(str(prefix / "**" / "analysis" / "__init__.py"), recursive=True)
    assert len(site_dirs) == 1, site_dirs
    entry_points = glob.glob(str(prefix / "**" / "bin" / "icsweep-analysis"), recursive=True)
    assert len(entry_points) == 1, entry_points
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    check_installation(prefix, os.path.dirname(os.path.dirname(site_dirs[0])), entry_points[0], sweep, elsewhere)


@pytest.mark.skipif(not BINARY_DIR, reason="set ICSWEEP_BINARY_DIR to a configured build (ctest does)")
def test_cmake_install_component_python(tmp_path, sweep):
    prefix = tmp_path / "prefix"
    done = subprocess.run(["cmake", "--install", BINARY_DIR, "--component", "python", "--prefix", str(prefix)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    site_dirs = glob.glob(str(prefix / "**" / "analysis" / "__init__.py"), recursive=True)
    assert len(site_dirs) == 1, site_dirs
    assert os.path.isfile(os.path.join(os.path.dirname(site_dirs[0]), "site_assets", "site.js"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    entry_point = str(prefix / "bin" / "icsweep-analysis")
    # The command finds its package by itself: run it with an empty PYTHONPATH as well.
    bare = run_installed([entry_point], "", elsewhere, ["--version"])
    assert bare.returncode == 0, bare.stderr
    check_installation(prefix, os.path.dirname(os.path.dirname(site_dirs[0])), entry_point, sweep, elsewhere)
