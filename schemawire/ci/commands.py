"""The CI subcommands and their exit codes: 0 passed, 1 breaking or invalid, 2 usage/config/connection."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from schemawire.ci.config import Config, load_config
from schemawire.ci.findings import CIError, Report
from schemawire.ci.output import FORMATS, render

# The checkers and schema types load only when a CI command runs, so `schemawire registry`
# does not pay for them at start-up.


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="PATH",
                   help="config file (default: schemawire.toml or [tool.schemawire] in pyproject.toml)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    p.add_argument("--subject", action="append", metavar="NAME", help="only this subject (repeatable)")


def _registry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry", metavar="URL", help="registry URL, overriding [registry] url")


def register_ci_commands(sub: argparse._SubParsersAction) -> None:
    """Add check, validate, register and download to the `schemawire` parser."""
    p = sub.add_parser("check", help="fail when a schema change breaks compatibility")
    _common(p)
    _registry(p)
    p.add_argument("--against", metavar="git:REF|DIR|URL|registry",
                   help="previous versions: git:REF (default: merge base with main), a directory, "
                        "a registry URL, or `registry` for the configured one")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: by workload)")
    p.set_defaults(func=_wrap(cmd_check))

    p = sub.add_parser("validate", help="parse every schema and resolve its references")
    _common(p)
    p.set_defaults(func=_wrap(cmd_validate))

    p = sub.add_parser("register", help="register the schemas, references first; idempotent")
    _common(p)
    _registry(p)
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.add_argument("--set-compatibility", action="store_true",
                   help="first set each subject's compatibility level to the configured one")
    p.set_defaults(func=_wrap(cmd_register))

    p = sub.add_parser("download", help="write registered schemas to files")
    _common(p)
    _registry(p)
    p.add_argument("--subject-pattern", action="append", metavar="REGEX",
                   help="subjects to fetch (full-match regex, repeatable; default: the configured subjects)")
    p.add_argument("--versions", default="latest", help="latest (default), all, or a list like 1,3")
    p.add_argument("--output-dir", default="schemas-registry", metavar="DIR",
                   help="where to write (default ./schemas-registry)")
    p.set_defaults(func=_wrap(cmd_download))


def _wrap(command: Callable[[argparse.Namespace], Report]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            report = command(args)
        except CIError as exc:
            print(f"schemawire {args.command}: error: {exc}", file=sys.stderr)
            return 2
        except Exception:     # a crash is a tool error (2), never "incompatible" (1)
            traceback.print_exc()
            print(f"schemawire {args.command}: internal error (exit 2); please report it", file=sys.stderr)
            return 2
        sys.stdout.write(render(report, args.format))
        sys.stdout.flush()
        return report.exit_code
    return run


def _config(args: argparse.Namespace, required: bool = True) -> Config | None:
    return load_config(args.config, required=required)


def cmd_validate(args: argparse.Namespace) -> Report:
    from schemawire.ci.offline import current_jobs, run_jobs
    config = _config(args)
    return run_jobs("validate", current_jobs(config, config.select(args.subject)))


def cmd_check(args: argparse.Namespace) -> Report:
    from schemawire.ci.offline import Job, current_jobs, run_jobs
    from schemawire.ci.sources import DirSource, GitSource
    config = _config(args)
    subjects = config.select(args.subject)
    against = args.against or ""
    if against == "registry" or against.startswith(("http://", "https://")) or (args.registry and not against):
        from schemawire.ci.online import check_online, registry_url
        url = registry_url(config, args.registry if against in ("", "registry") else against)
        return check_online(config, subjects, url)
    if against == "" or against.startswith("git:"):
        source: GitSource | DirSource = GitSource(config, against[4:] or None)
    else:
        source = DirSource(config, Path(against))
    previous = source.previous(subjects)
    jobs = [Job(j.sub, j.text, j.deps, previous[j.sub.subject], source.description)
            for j in current_jobs(config, subjects)]
    return run_jobs("check", jobs, args.jobs)


def cmd_register(args: argparse.Namespace) -> Report:
    from schemawire.ci.online import register, registry_url
    config = _config(args)
    return register(config, config.select(args.subject), registry_url(config, args.registry),
                    dry_run=args.dry_run, set_compatibility=args.set_compatibility)


def cmd_download(args: argparse.Namespace) -> Report:
    from schemawire.ci.online import download, registry_url
    config = _config(args, required=False)
    patterns = args.subject_pattern
    if not patterns:
        if config is None or not config.subjects:
            raise CIError("pass --subject-pattern REGEX (no configured subjects to default to)")
        import re
        patterns = [re.escape(s.subject) for s in config.select(args.subject)]
    return download(config, registry_url(config, args.registry), patterns, args.versions, Path(args.output_dir))
