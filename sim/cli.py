"""The ``repatsim`` command line: one sub-command per user verb.

    repatsim new FILE --nationalities .. write a new crisis scenario from a few answers
    repatsim validate FILE...            check scenario or sweep files (exit 2 on any error)
    repatsim run SCENARIO [options]      replications of one scenario -> results folder
    repatsim compare SCENARIO... [opts]  several scenarios on common random numbers -> one folder
    repatsim sweep SWEEP [options]       a parameter sweep (resumable; local processes or Dask)
    repatsim record SCENARIO [OBSERVED]  score the model against reported figures -> record.csv, record.png
    repatsim plan SCENARIO --vary .. --target ..  the fewest resources that meet targets -> plan.csv, plan.png
    repatsim verify [--quick]            the model against queueing theory (exit 1 on a failure)
    repatsim plot RESULTS_DIR            (re)draw plots from stored results
    repatsim report RESULTS_DIR          one self-contained HTML brief from stored results

Exit status: 0 done, 2 bad input (nothing written), 1 any other failure. Parsing and validation happen
before anything is written; the work itself is done by library functions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from sim import __version__
from sim.results.record import ObservedError, observations_of
from sim.results.storage import UnsafeOutputError, atomic_write_text
from sim.scenario import Issue, ScenarioError, load_scenario, scenario_warnings
from sim.scenario.registry import ExtensionError, load_extensions

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class InputError(Exception):
    """Bad command-line input (a wrong option value, an unusable output folder)."""


def _int_at_least(minimum: int):
    """An argparse type: a whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum} (got {value})")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, e.g. 0.05 (got {value})")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 on bad usage, which matches our contract
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="repatsim", description="Simulate mass repatriation of trafficking victims.")
    parser.add_argument("--version", action="version", version=f"repatsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    new = commands.add_parser("new", help="write a new crisis scenario from a few answers")
    new.add_argument("file", type=Path, help="the scenario file to write (refused if it exists)")
    new.add_argument("--nationalities", help='who is released: "Indonesia=400,Philippines=300,Kenya=150"')
    new.add_argument("--pre-agreed", default="", help="nationalities with pre-agreed consular teams (comma list)")
    new.add_argument("--database", default="", help="nationalities connected to a shared database (comma list)")
    new.add_argument("--border-cap", type=_positive_int, default=500, help="people the border takes a day")
    new.add_argument("--start", type=dt.date.fromisoformat, help="the date of day 0, YYYY-MM-DD")
    new.add_argument("--name", help="the scenario's name (default: from the file name)")
    new.add_argument("--release-days", type=float, default=14.0, help="days over which people are released")
    new.add_argument("--horizon", type=float, default=120.0, help="days simulated")

    validate = commands.add_parser("validate", help="check scenario or sweep files")
    validate.add_argument("files", nargs="+", type=Path)

    def experiment_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("-r", "--replications", type=_positive_int, help="replications (default: the file's)")
        sub.add_argument("--seed", type=_non_negative_int, help="base seed (default: the file's)")
        sub.add_argument("-o", "--out", type=Path, help="output folder (replaced atomically if it exists)")
        sub.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
        sub.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                         help="override a scenario value (TOML syntax), may repeat")
        sub.add_argument("--precision", type=_fraction,
                         help="add replications until every headline CI half-width is within this "
                              "fraction of its mean")
        sub.add_argument("--max-replications", type=_positive_int, default=200,
                         help="cap for --precision (default 200)")
        sub.add_argument("--no-plots", action="store_true", help="skip plots and report")
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    run = commands.add_parser("run", help="run one scenario")
    run.add_argument("scenario", type=Path)
    experiment_options(run)

    compare = commands.add_parser("compare", help="compare scenarios on common random numbers")
    compare.add_argument("scenarios", nargs="+", type=Path)
    experiment_options(compare)
    compare.add_argument("--robustness", action="store_true",
                         help="re-run the comparison with each ranged assumption of the first scenario at its low "
                              "and high end; say whether each headline difference keeps its sign")

    sweep = commands.add_parser("sweep", help="run a parameter sweep (resumes by default)")
    sweep.add_argument("sweep", type=Path)
    sweep.add_argument("-o", "--out", type=Path, help="output folder (default results/<sweep name>)")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=1, help="local worker processes")
    where.add_argument("--scheduler", help="address of a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sweep.add_argument("--keep-victims", action="store_true", help="also store the victims table per task")
    sweep.add_argument("--chunk-size", type=_positive_int, help="replications per task (default: auto)")
    sweep.add_argument("--no-plots", action="store_true", help="skip plots and report")
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    record = commands.add_parser("record", help="score the model against reported figures")
    record.add_argument("scenario", type=Path)
    record.add_argument("observed", type=Path, nargs="?",
                        help="the reported figures, CSV (default: the scenario's [scenario] observed)")
    record.add_argument("-r", "--replications", type=_positive_int, help="replications (default: the file's)")
    record.add_argument("--seed", type=_non_negative_int, help="base seed (default: the file's)")
    record.add_argument("-o", "--out", type=Path, help="output folder (default results/record-<scenario name>)")
    record.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    record.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    plan = commands.add_parser("plan", help="the fewest resources that meet targets with a stated confidence")
    plan.add_argument("scenario", type=Path)
    plan.add_argument("--vary", action="append", required=True, metavar="KEY=LOW..HIGH",
                      help="a whole-number key to search, e.g. nationality_defaults.consular.officers=1..8 (may "
                           "repeat: the cheapest combination by cost_total)")
    plan.add_argument("--target", action="append", required=True, metavar="METRIC<=VALUE",
                      help='a target every answer must meet, e.g. "limbo_days_p90<=30" or '
                           '"home_by_day_30_share>=0.9" (may repeat)')
    plan.add_argument("--confidence", type=_fraction, default=0.95,
                      help="confidence of the one-sided bound held to each target (default 0.95)")
    plan.add_argument("-r", "--replications", type=_int_at_least(2),
                      help="replications per candidate to start (default: the file's, at least 2)")
    plan.add_argument("--max-replications", type=_positive_int, default=100,
                      help="cap on replications of a candidate close to a target (default 100)")
    plan.add_argument("--exhaustive", action="store_true",
                      help="try every value, assuming no monotonicity (slower)")
    plan.add_argument("--seed", type=_non_negative_int, help="base seed (default: the file's)")
    plan.add_argument("-o", "--out", type=Path, help="output folder (default results/plan-<scenario name>)")
    plan.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    plan.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                      help="override a scenario value (TOML syntax), may repeat")
    plan.add_argument("--no-plots", action="store_true", help="skip plan.png")
    plan.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    verify = commands.add_parser("verify", help="check the model against queueing theory (exit 1 on a failure)")
    verify.add_argument("--quick", action="store_true", help="fewer customers per queue: well under a minute")
    verify.add_argument("--baseline", type=Path,
                        help="the scenario for Little's law (default: the 2025 baseline beside the package)")

    for verb, text in (("plot", "(re)draw plots from stored results"), ("report", "write report.html")):
        sub = commands.add_parser(verb, help=text)
        sub.add_argument("results_dir", type=Path)
    return parser


def _new(args: argparse.Namespace, ask: Callable[[str], str] = input) -> int:
    """``repatsim new``: the answers from the flags, or asked in a terminal; the file written atomically."""
    from sim.scenario.new import new_scenario, parse_counts

    if args.file.exists():
        raise InputError(f"{args.file}: exists already; choose another name (repatsim new never overwrites)")
    nationalities, pre_agreed, database = args.nationalities, args.pre_agreed, args.database
    if nationalities is None:
        if not sys.stdin.isatty():
            raise InputError('--nationalities is required (for example "Indonesia=400,Kenya=150")')
        nationalities = ask('Who is released, and how many? (for example "Indonesia=400,Kenya=150"): ')
        pre_agreed = ask("Which of them have pre-agreed consular teams? (comma list, or empty): ")
        database = ask("Which of them share an electronic database? (comma list, or empty): ")

    def names(text: str) -> list[str]:
        return [name.strip() for name in text.split(",") if name.strip()]

    text = new_scenario(args.name or args.file.stem.replace("_", " "), parse_counts(nationalities),
                        names(pre_agreed), names(database), args.border_cap, args.start, args.release_days,
                        args.horizon)
    atomic_write_text(args.file, text)
    print(f"Wrote {args.file}. Every value in it is an assumption until you replace it; then run:\n"
          f"  repatsim run {args.file}")
    return EXIT_OK


def _validate(files: Sequence[Path]) -> int:
    status = EXIT_OK
    for file in files:
        try:
            if _is_sweep_file(file):
                from sim.sweep import load_sweep

                observations_of(load_sweep(file).base_scenario)  # the figures its points are scored against
            else:
                scenario = load_scenario(file)
                for warning in scenario_warnings(scenario):
                    print(f"warning: {file}: {warning}", file=sys.stderr)
                observations_of(scenario)  # the observed file it names, if any, is checked too
        except (ScenarioError, ObservedError) as error:
            print(error, file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"ok: {file}")
    return status


def _is_sweep_file(file: Path) -> bool:
    try:
        return "base" in tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # load_scenario reports the problem with its line and column


def _load_all(files: Sequence[Path], overrides: Sequence[str]) -> list:
    """Validate every scenario before anything runs; report all errors of all files."""
    scenarios, issues = [], []
    for file in files:
        try:
            scenarios.append((file, load_scenario(file, overrides)))
        except ScenarioError as error:
            issues.append(error)
    if issues:
        raise ScenarioError([i for e in issues for i in _with_file(e)])
    for file, scenario in scenarios:
        for warning in scenario_warnings(scenario):
            print(f"warning: {file}: {warning}", file=sys.stderr)
    return scenarios


def _with_file(error: ScenarioError) -> list[Issue]:
    prefix = f"{error.file}: " if error.file else ""
    return [Issue(f"{prefix}{i.path}" if prefix else i.path, i.message, i.value, i.has_value) for i in error.issues]


def _experiment(args: argparse.Namespace, files: Sequence[Path]) -> int:
    scenarios = _load_all(files, args.overrides)  # validate before importing the machinery
    extra = None
    if getattr(args, "robustness", False):  # every range end is built and checked now: exit 2 before any run
        from sim.decisions.robustness import robustness_hook

        extra = robustness_hook(scenarios, args.overrides, args.workers, not args.quiet, not args.no_plots)

    from sim import experiment

    folder = experiment.run_to_folder(
        scenarios,
        compare=args.command == "compare",
        out=args.out,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        precision=args.precision,
        max_replications=args.max_replications,
        progress=not args.quiet,
        overrides=args.overrides,
        extra=extra,
    )
    if extra is not None:
        from sim.decisions.robustness import summary_text

        print()
        print(summary_text(folder))
    if not args.no_plots:
        _draw(folder)
    print(f"\nResults: {folder}")
    return EXIT_OK


def _draw(folder: Path) -> None:
    from sim.report import write_report
    from sim.report.plots import draw_plots

    plots = draw_plots(folder)
    report = write_report(folder)
    print(f"Plots:   {folder / 'plots'} ({len(plots)} figures)")
    print(f"Report:  {report}")


def _record(args: argparse.Namespace) -> int:
    """``repatsim record``: replications of a scenario against reported figures -> record.csv, record.png."""
    scenario = load_scenario(args.scenario)
    observations = observations_of(scenario, args.observed)  # a bad file stops here: nothing is written
    if observations is None:
        raise InputError(f"{args.scenario}: no reported figures to score against: give OBSERVED.csv, or set "
                         '[scenario] observed = "observed/FILE.csv" in the scenario (relative to it)')
    from sim import experiment
    from sim.report.plots import DPI, record_figure
    from sim.results import record
    from sim.results.storage import FolderSwap, file_sha256, manifest, now_iso, safe_name, write_csv, write_json

    observed = Path(args.observed) if args.observed is not None else Path(str(scenario.scenario.observed))
    swap = FolderSwap(args.out or Path("results") / f"record-{safe_name(scenario.name)}")
    started = now_iso()
    try:
        result = experiment.run(scenario, replications=args.replications, seed=args.seed, workers=args.workers,
                                progress=not args.quiet)
        victims, reps = result.victims, [o.replication for o in result.outputs]
        table = record.record_table(observations, record.model_values(victims, observations, reps))
        write_csv(table, swap.work / "record.csv")
        bands = record.model_bands(victims, table, math.floor(scenario.horizon_days), reps)
        figure = record_figure(table, bands, scenario.scenario.start_date, scenario.name)
        figure.savefig(swap.work / "record.png", dpi=DPI, format="png")
        write_json(manifest("record", seed=result.seed, replications=len(reps), started=started, finished=now_iso(),
                            scenarios=[{"name": scenario.name, "file": str(args.scenario),
                                        "sha256": file_sha256(args.scenario)}],
                            observed=str(observed), observed_sha256=file_sha256(observed),
                            score=record.score(table)), swap.work / "manifest.json")
        folder = swap.commit()
    except BaseException:
        swap.abort()
        raise
    print()
    print(record.format_table(table))
    print()
    print(record.format_score(record.score(table), len(reps)))
    print(f"\nRecord: {folder} (record.csv, record.png)")
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from sim.sweep import run_sweep_command

    return run_sweep_command(
        args.sweep, out=args.out, workers=args.workers, scheduler=args.scheduler,
        keep_victims=args.keep_victims, chunk_size=args.chunk_size, progress=not args.quiet,
        plots=not args.no_plots,
    )


def _plan(args: argparse.Namespace) -> int:
    """``repatsim plan``: check every input first (exit 2, nothing written), search, print, write the folder."""
    from sim.decisions.specs import check_plan_inputs

    scenario, varies, targets = check_plan_inputs(args.scenario, args.overrides, args.vary, args.target)
    from sim.decisions.plan import Planner
    from sim.decisions.plan_output import format_plan, plan_to_folder
    from sim.results.storage import FolderSwap, safe_name

    out = args.out or Path("results") / f"plan-{safe_name(scenario.name)}"
    FolderSwap(out).abort()  # refuses an unsafe folder before any work
    planner = Planner(args.scenario, args.overrides, scenario, varies, targets, confidence=args.confidence,
                      replications=args.replications, max_replications=args.max_replications, seed=args.seed,
                      workers=args.workers, progress=not args.quiet, exhaustive=args.exhaustive)
    result = planner.search()
    folder = plan_to_folder(result, out, args.scenario, args.overrides, plots=not args.no_plots)
    print()
    print(format_plan(result))
    print(f"\nPlan: {folder} (plan.csv{'' if args.no_plots else ', plan.png'}"
          f"{', scenario.toml of the answer' if result.answer is not None else ''})")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    """``repatsim verify``: the model's reductions against closed forms; prints model vs theory, writes nothing."""
    if args.baseline is not None and not args.baseline.is_file():
        raise InputError(f"--baseline: file not found (got {str(args.baseline)!r})")
    from sim import verify

    print(f"repatsim verify{' --quick' if args.quick else ''}: the model's reductions against queueing theory",
          file=sys.stderr)
    checks = verify.run_checks(verify.cases(args.quick, args.baseline),
                               progress=lambda name, seconds: print(f"  {name}: {seconds:.1f} s", file=sys.stderr))
    print(verify.format_checks(checks))
    print()
    print(verify.summary_line(checks))
    print("Rule: a mean passes when |model - theory| <= max(3% of theory, 3 standard errors); a sample path and "
          "Little's law (an identity over the horizon) must agree to 1e-9. Waits in hours, occupancies in people.")
    return EXIT_OK if all(check.passed for check in checks) else EXIT_FAILURE


def _plot_or_report(args: argparse.Namespace) -> int:
    folder: Path = args.results_dir
    if not (folder / "manifest.json").is_file():
        raise InputError(f"{folder}: not a results folder (no manifest.json)")
    if '"kind": "plan"' in (folder / "manifest.json").read_text(encoding="utf-8"):
        raise InputError(f"{folder}: a repatsim plan folder: its figure is plan.png already (plan.csv holds the "
                         "evidence); repatsim run the answer's scenario.toml for a report")
    if '"kind": "record"' in (folder / "manifest.json").read_text(encoding="utf-8"):
        raise InputError(f"{folder}: a repatsim record folder: its figure is record.png already; for a report, "
                         "name the observed file in the scenario and use repatsim run")
    if args.command == "plot":
        from sim.report.plots import draw_plots

        paths = draw_plots(folder)
        print(f"Plots: {folder / 'plots'} ({len(paths)} figures)")
    else:
        from sim.report import write_report

        print(f"Report: {write_report(folder)}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        load_extensions()
        if args.command == "new":
            return _new(args)
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "run":
            return _experiment(args, [args.scenario])
        if args.command == "compare":
            return _experiment(args, args.scenarios)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "record":
            return _record(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "plan":
            return _plan(args)
        return _plot_or_report(args)
    except (ScenarioError, ObservedError, InputError, UnsafeOutputError, ExtensionError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl-C: the results folders are swapped in whole or not at all
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the CLI maps any other failure to exit status 1
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILURE
