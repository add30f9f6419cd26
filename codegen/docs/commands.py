"""The ``docs`` and ``diff`` subcommands of ``appservice-spec``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from codegen.outputs import check_folder_target
from codegen.spec import Spec, load_spec_or_report
from codegen.versions import Release

__all__ = ["add_commands"]


def _load(args: argparse.Namespace, command: str) -> Spec | None:
    return load_spec_or_report(Path(args.spec), command)


def _release(spec: Spec, name: str, command: str) -> Release | None:
    try:
        return spec.releases[name]
    except KeyError as exc:
        print(f"{command}: {exc.args[0]}", file=sys.stderr)
        return None


# docutils and the renderers are imported when a command runs, not when the parser is built.


def _cmd_docs(args: argparse.Namespace) -> int:
    from codegen.docs.html import build_all, build_site, site_files
    from codegen.docs.progress import Progress
    from codegen.docs.render import DocsError, render_all

    if args.html:
        check_folder_target(Path(args.html), "--html")
    spec = _load(args, "docs")
    if spec is None:
        return 1
    only = None
    if args.version:
        release = _release(spec, args.version, "docs")
        if release is None:
            return 2
        only = [release]
    if args.html:
        names = [r.name for r in only or spec.releases]
        check_folder_target(Path(args.html), "--html", site_files(names))
    started = time.perf_counter()
    progress = Progress("docs", len(only or list(spec.releases)))
    try:
        documents = render_all(spec, only=only)

        def built(name: str) -> None:
            progress.step(f"built {name}")

        if args.html:
            out = Path(args.html)
            written = build_site(documents, spec.releases, spec.revision, out, progress=built)
            what = f"{len(written)} files in {out}"
        else:
            build_all(documents, progress=built)
            what = "no files written (use --html OUT)"
    except DocsError as exc:
        print(f"docs: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(f"docs: {len(documents)} document(s) built without warnings, {what} ({seconds:.1f} s)")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from codegen.docs.diff import diff_releases, render_json, render_text

    spec = _load(args, "diff")
    if spec is None:
        return 1
    old, new = _release(spec, args.old, "diff"), _release(spec, args.new, "diff")
    if old is None or new is None:
        return 2
    changes = diff_releases(spec.ir.release(old.name), spec.ir.release(new.name))
    if args.json:
        sys.stdout.write(render_json(changes))
    else:
        sys.stdout.write(render_text(changes, old.name, new.name))
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from codegen.docs.rules import counts_table

    spec = _load(args, "rules")
    if spec is None:
        return 1
    releases = list(spec.releases)
    if args.version:
        chosen = [_release(spec, name, "rules") for name in args.version]
        if any(r is None for r in chosen):
            return 2
        releases = [r for r in chosen if r is not None]
    sys.stdout.write(counts_table(spec.ir.rules, releases))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "docs",
        help="render the RST document of every release and build it with docutils",
        description=(
            "Render the RST documents and build each with docutils, where any warning is "
            "an error. With --html, write OUT/<release>.html, OUT/index.html and "
            "OUT/style.css."
        ),
    )
    p.add_argument("--html", metavar="OUT", help="write the HTML pages into this folder")
    p.add_argument("--version", help="only this release (r0.1.0, v1.13, 1.13, unstable)")
    p.set_defaults(func=_cmd_docs)

    p = sub.add_parser(
        "diff",
        help="print the API changes between two releases",
        description="Operations, parameters, fields, responses and errcodes added, removed "
        "or changed from release OLD to release NEW.",
    )
    p.add_argument("old", metavar="OLD", help="the earlier release, e.g. v1.6")
    p.add_argument("new", metavar="NEW", help="the later release, e.g. v1.13")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser(
        "rules",
        help="print the rule counts of each release (by level, and how they are checked)",
        description="A Markdown table, one row per release: its rules, by level; how many "
        "a probe check tests, how many the tests of the package show, and how many neither "
        "(by the reason the rule gives: outside, package, deviation). A rule with both a "
        "probe check and tests counts in both columns.",
    )
    p.add_argument(
        "--version", action="append", help="only this release (repeat for more: r0.1.0, v1.19)"
    )
    p.set_defaults(func=_cmd_rules)
