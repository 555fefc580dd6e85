#!/usr/bin/env python3
"""One spelling per concept (README "Commands"): reads the real --help of every `icsweep` command and of
every `python3 -m analysis` command, lists their options, and checks

  - one long name, one short name: a long option has the same short form (or none) everywhere, and a
    short letter stands for one long option everywhere;
  - one long name, one meaning: an option found in two or more commands is in MEANINGS, and its help
    text matches that meaning's pattern in every command;
  - the old or ambiguous spellings in FORBIDDEN are not in any help (they may still work as hidden,
    deprecated aliases);
  - every command is either in TABLE_COMMANDS, and then offers -f/--format with the four values
    table|csv|json|markdown, or in NO_TABLE with the reason it prints none;
  - options are spelled with dashes, except calc_ic.py's own flags that `icsweep score` accepts;
  - `--version` is in both top-level helps, and prints a version.

Usage (ctest sets the variables): ICSWEEP=build/icsweep ICSWEEP_PYTHON=/usr/bin/python3 \\
        ICSWEEP_SOURCE_DIR=. python3 tests/e2e/cli_help_consistency.py
Exit 0 when every rule holds, 1 with one FAIL line per violation."""

import os
import re
import subprocess
import sys

ICSWEEP = os.environ["ICSWEEP"]
PYTHON = os.environ.get("ICSWEEP_PYTHON", sys.executable)
SOURCE = os.environ.get("ICSWEEP_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
ENV = dict(os.environ, COLUMNS="200", PYTHONPATH=SOURCE)  # argparse: no wrapped option lines

FORMAT_VALUES = ["table", "csv", "json", "markdown"]

# Commands that print a table (each must offer -f/--format table|csv|json|markdown), and the others.
TABLE_COMMANDS = {
    "icsweep": ["run", "plan", "score", "flops", "models", "report", "tokenize"],
    "analysis": ["load", "table", "fit-bias", "predict", "route", "compare"],
}
NO_TABLE = {
    ("icsweep", "make-tiny-model"): "writes a checkpoint folder",
    ("icsweep", "slurm"): "prints an sbatch script",
    ("icsweep", "merge"): "writes an index, prints one line",
    ("analysis", "plot"): "writes figure files",
    ("analysis", "site"): "writes a page",
}

# The meaning of every option that two or more commands share: a pattern its help text must match.
MEANINGS = {
    "help": r"help",
    "output": r"output|writ",                       # where the command writes (a file or a folder)
    "format": r"table.*csv.*json.*markdown",        # checked further: the four values
    "max-length": r"\btokens?\b",                   # T, max_sample_length: tokens per sequence
    "device": r"auto \| cpu \| cuda",
    "dtype": r"auto \| float32 \| bfloat16 \| float16",
    "name": r"model name",
    "attention": r"mla \| gqa",
    "flops-profile": r"reference \| exact",
    "text-field": r"JSONL? field holding the text",
    "threads": r"threads",
    "limit": r"first N records of each dataset",
    "gpus": r"GPUs .*wall-time estimate",          # total GPUs of plan/run's estimate
    "peak-tflops": r"TFLOP/s",
    "mfu": r"share of that peak",
    "seed": r"random seed",
    "bias": r"\bb\b.*bits/token|bits/token.*\bb\b",
    "bootstrap": r"bootstrap resamples",
    "confidence": r"interval coverage",
}

# Spellings replaced by the ones above (some still accepted, hidden, with a deprecation note).
FORBIDDEN = {
    "out": "output", "outdir": "output", "out-dir": "output", "output-dir": "output", "output_dir": "output",
    "json": "format json", "csv": "format csv", "markdown": "format markdown", "fmt": "format",
    "tokens": "max-length", "max_length": "max-length", "max-sample-length": "max-length",
    "seq-length": "max-length", "length": "max-length", "profile": "flops-profile",
}
# Options that keep calc_ic.py's underscores so that its command lines work (icsweep score).
CALC_IC_FLAGS = {"numerator_bias", "attention_mechanism", "batch_size"}


def run(argv):
    done = subprocess.run(argv, capture_output=True, text=True, env=ENV, cwd=SOURCE)
    return done.returncode, done.stdout + done.stderr


def options_of(help_text):
    """[(short or None, long, help text)] of the option lines of a Boost.Program_options or argparse
    help: a line starting with two spaces and a dash, its help text with the deeper-indented
    continuation lines, and argparse's {choices} as "(choices: a | b)". Boost's positional arguments,
    listed as options with "(positional)", are left out."""
    found, current = [], None
    for line in help_text.splitlines():
        if re.match(r"  -", line):
            current = list(parse_option_line(line.strip()))
            found.append(current)
        elif current is not None and re.match(r"\s{3,}\S", line):
            current[2] += " " + line.strip()
        else:
            current = None
    return [tuple(o) for o in found if not o[2].endswith("(positional)")]


def parse_option_line(line):
    """(short, long, text) of "-l [ --max-length ] arg (=1024) T: ..." and "--name arg  model name"
    (Boost: the text may follow after one space) or "-o FILE, --output FILE  write ..." (argparse)."""
    boost = re.match(r"(?:-(\w) \[ --([\w-]+) \]|--([\w-]+))(?: arg)?(?: \(=[^)]*\))?(?:\s+(.*))?$", line)
    if boost and not re.match(r"-\w [A-Z{]|--[\w-]+ [A-Z{]", line):
        return boost.group(1), boost.group(2) or boost.group(3), boost.group(4) or ""
    parts = re.split(r"\s{2,}", line, maxsplit=1)
    spec, text = parts[0], parts[1] if len(parts) > 1 else ""
    choices = re.search(r"\{([^}]*)\}", spec)
    if choices:
        text += " (choices: " + " | ".join(choices.group(1).split(",")) + ")"
    short = re.search(r"(?:^|, )-(\w)\b(?!-)", spec)
    long = re.search(r"(?:^|, )--([\w-]+)", spec)
    return short.group(1) if short else None, long.group(1) if long else None, text


def commands_of(tool):
    """(top-level help, [command names]) from the top-level --help."""
    if tool == "icsweep":
        code, text = run([ICSWEEP, "--help"])
        block = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
        return code, text, [line.split()[0] for line in block.splitlines() if line.strip()]
    code, text = run([PYTHON, "-m", "analysis", "--help"])
    block = text.split("positional arguments:\n", 1)[1].split("\n\n", 1)[0]
    return code, text, [line.split()[0] for line in block.splitlines() if re.match(r"    \S", line)]


def command_help(tool, command):
    argv = [ICSWEEP, command, "--help"] if tool == "icsweep" else [PYTHON, "-m", "analysis", command, "--help"]
    return run(argv)


def check(failures):
    options = {}  # (tool, command) -> [(short, long, text)]
    for tool in ("icsweep", "analysis"):
        code, top, commands = commands_of(tool)
        if code != 0 or "--version" not in top:
            failures.append(f"{tool} --help (exit {code}) does not list --version")
        version_argv = [ICSWEEP, "--version"] if tool == "icsweep" else [PYTHON, "-m", "analysis", "--version"]
        code, text = run(version_argv)
        if code != 0 or not re.search(r"\d+\.\d+", text):
            failures.append(f"{tool} --version: exit {code}, {text.strip()!r}")
        listed = set(TABLE_COMMANDS[tool]) | {c for t, c in NO_TABLE if t == tool}
        for extra in sorted(set(commands) ^ listed):
            failures.append(f"{tool} {extra}: listed in only one of its --help and TABLE_COMMANDS/NO_TABLE")
        for command in commands:
            code, text = command_help(tool, command)
            if code != 0 or not re.search(r"(?i)usage: .*" + re.escape(command), text):
                failures.append(f"{tool} {command} --help: exit {code}, no usage line")
            options[(tool, command)] = options_of(text)
    return options


def check_rules(options, failures):
    short_of, long_of, users = {}, {}, {}
    for (tool, command), found in sorted(options.items()):
        where = f"{'icsweep' if tool == 'icsweep' else 'python3 -m analysis'} {command}"
        for short, long, text in found:
            if long is None:
                failures.append(f"{where}: -{short} has no long spelling")
                continue
            users.setdefault(long, []).append((where, text))
            if long in FORBIDDEN:
                failures.append(f"{where}: --{long} in --help; the spelling is --{FORBIDDEN[long]}")
            if "_" in long and long not in CALC_IC_FLAGS:
                failures.append(f"{where}: --{long}: options are spelled with dashes")
            short_of.setdefault(long, {}).setdefault(short, []).append(where)
            if short:
                long_of.setdefault(short, {}).setdefault(long, []).append(where)
        if (tool, command) in NO_TABLE:
            continue
        fmt = [o for o in found if o[1] == "format"]
        values = re.findall(r"\b\w+\b", fmt[0][2].split("(choices:")[-1]) if fmt else []
        if not fmt or fmt[0][0] != "f" or [v for v in FORMAT_VALUES if v not in values]:
            failures.append(f"{where}: prints a table but has no -f/--format {'|'.join(FORMAT_VALUES)}"
                            f" ({fmt[0] if fmt else 'none'})")
    for long, shorts in sorted(short_of.items()):
        if len(shorts) > 1:
            failures.append(f"--{long} has different short forms: " +
                            "; ".join(f"{'-' + s if s else 'none'} in {', '.join(w)}" for s, w in shorts.items()))
    for short, longs in sorted(long_of.items()):
        if len(longs) > 1:
            failures.append(f"-{short} stands for several options: " +
                            "; ".join(f"--{l} in {', '.join(w)}" for l, w in longs.items()))
    for long, where in sorted(users.items()):
        if len(where) < 2:
            continue
        if long not in MEANINGS:
            failures.append(f"--{long} is in {len(where)} commands ({', '.join(w for w, _ in where)}) but not in "
                            "MEANINGS: give it one meaning there")
            continue
        for command, text in where:
            if not re.search(MEANINGS[long], text):
                failures.append(f"{command}: --{long} means something else: {text!r} (expected /{MEANINGS[long]}/)")
    return users


def main():
    failures = []
    options = check(failures)
    users = check_rules(options, failures)
    count = sum(len(v) for v in options.values())
    for f in failures:
        print("FAIL", f)
    if not failures:
        print(f"ok   {len(options)} commands, {count} options, {len(users)} long names: one spelling per concept")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
