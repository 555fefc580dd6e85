# ---- Python analysis package (analysis/, docs/analysis.md) ----------------------------------------
# `cmake --install BUILD` puts the package where the interpreter below looks for packages under the
# install prefix (Debian: PREFIX/lib/python3.X/dist-packages, on sys.path for /usr and /usr/local) and
# the command `icsweep-analysis` (= python3 -m analysis) into PREFIX/bin; the command finds the
# package relative to itself, so another prefix works without PYTHONPATH. Component `python`:
#   cmake --install BUILD --component python --prefix DIR
# installs only this. pyproject.toml installs the same files with pip instead.
if(ICSWEEP_PYTHON)
  find_program(ICSWEEP_PYTHON_INTERPRETER NAMES ${ICSWEEP_PYTHON} NO_CACHE)
else()
  find_program(ICSWEEP_PYTHON_INTERPRETER NAMES python3 NO_CACHE)
endif()
if(NOT ICSWEEP_PYTHON_INTERPRETER)
  set(ICSWEEP_PYTHON_INTERPRETER /usr/bin/python3)
endif()
if(NOT ICSWEEP_PYTHON_SITEDIR)
  # The interpreter's purelib relative to a prefix; Debian's default scheme adds "local/", which the
  # install prefix already says.
  execute_process(
    COMMAND ${ICSWEEP_PYTHON_INTERPRETER} -c
      "import os, sysconfig; p = sysconfig.get_path('purelib', vars={'base': '/P', 'platbase': '/P'}); r = os.path.relpath(p, '/P'); print(r[len('local/'):] if r.startswith('local/') else r, end='')"
    OUTPUT_VARIABLE site_dir RESULT_VARIABLE site_rc ERROR_QUIET)
  if(NOT site_rc EQUAL 0 OR site_dir STREQUAL "")
    set(site_dir lib/python3/dist-packages)
  endif()
  set(ICSWEEP_PYTHON_SITEDIR ${site_dir} CACHE STRING
      "where `cmake --install` puts the analysis package, relative to the install prefix")
endif()
message(STATUS "icsweep: analysis package installs into PREFIX/${ICSWEEP_PYTHON_SITEDIR} (${ICSWEEP_PYTHON_INTERPRETER})")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/analysis/ DESTINATION ${ICSWEEP_PYTHON_SITEDIR}/analysis COMPONENT python
        FILES_MATCHING PATTERN "*.py" REGEX "/site_assets/[^/]+$" PATTERN "__pycache__" EXCLUDE)
configure_file(${CMAKE_SOURCE_DIR}/cmake/icsweep-analysis.in ${CMAKE_BINARY_DIR}/icsweep-analysis @ONLY)
install(PROGRAMS ${CMAKE_BINARY_DIR}/icsweep-analysis DESTINATION bin COMPONENT python)
