"""The bundled cookiecutter template: where it is, generating a model repository from it
(``stainless new``), and bringing a repository's framework-owned files up to the installed
template (``stainless update``, a three-way merge by cruft that keeps the data scientist's
edits and reuses the recorded answers)."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stainless.core.errors import StainlessError

_PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = "cookiecutter-model"
CRUFT_FILE = ".cruft.json"
# A template repository (git URL or path) to generate from and update against instead of the
# installed framework's own (an organisation's fork of the template; the tests).
TEMPLATE_REPO_ENV = "STAINLESS_TEMPLATE_REPO"
# Files the data scientist owns: `stainless update` never touches them, whatever the template's
# example does next. Everything else (Dockerfile, CI, pre-commit, ignore files, pyproject's
# tooling) is the framework's and follows the template, merged with local edits.
DATA_SCIENTIST_FILES = [
    "model.py", "preprocess.py", "train.py", "schemas.json", "model.yaml", "README.md",
    "tests", "data", "requirements.lock",
]  # fmt: skip


class AnswerError(StainlessError):
    """One or more answers to the template's questions are unusable (one line each)."""

    exit_code = 2

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))

    def render(self) -> str:
        return self.message


class UpdateError(StainlessError):
    exit_code = 1


@dataclass(frozen=True)
class TemplateSource:
    """A git repository holding the template (for cruft's three-way merge), at a commit."""

    url: str
    commit: str
    directory: str = TEMPLATE_DIR


@dataclass(frozen=True)
class Created:
    path: Path
    lock_problem: str | None  # why requirements.lock could not be written, if it could not
    tracked: TemplateSource | None  # recorded in .cruft.json for `stainless update`


@dataclass(frozen=True)
class Updated:
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    up_to_date: bool = False


def template_dir() -> Path:
    override = os.environ.get(TEMPLATE_REPO_ENV)
    candidates = [
        *([Path(override) / TEMPLATE_DIR] if override and Path(override).is_dir() else []),
        _PACKAGE / "_template" / TEMPLATE_DIR,  # installed wheel
        _PACKAGE.parent.parent / TEMPLATE_DIR,  # source checkout (editable install)
    ]
    for candidate in candidates:
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise StainlessError(
        "the bundled model template is missing from this installation",
        fix="reinstall stainless-ml",
    )


def template_source() -> TemplateSource | None:
    """Where the installed template lives in git: the override, the VCS URL the framework was
    installed from, or the source checkout it runs from; None for a plain wheel."""
    override = os.environ.get(TEMPLATE_REPO_ENV)
    if override:
        return TemplateSource(override, _git(["ls-remote", override, "HEAD"]).split()[0])
    try:
        text = importlib.metadata.distribution("stainless-ml").read_text("direct_url.json")
        direct = json.loads(text or "{}")
    except importlib.metadata.PackageNotFoundError:
        direct = {}
    if "vcs_info" in direct:
        return TemplateSource(direct["url"], direct["vcs_info"]["commit_id"])
    checkout = template_dir()
    try:
        root = _git(["rev-parse", "--show-toplevel"], checkout).strip()
        commit = _git(["rev-parse", "HEAD"], checkout).strip()
        # A wheel inside a virtualenv inside some repository is not that repository's file.
        _git(["ls-files", "--error-unmatch", "cookiecutter.json"], checkout)
    except UpdateError:
        return None
    return TemplateSource(root, commit, str(template_dir().relative_to(root)))


def create_repository(
    answers: dict[str, str], output_dir: Path, no_input: bool, overwrite: bool, lock: bool = True
) -> Created:
    """Generate a model repository; write its requirements.lock and, when the template is in
    git, its .cruft.json (template, commit, answers) for later updates."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.main import cookiecutter

    template = template_dir()
    bad = answer_problems(answers)
    if bad:
        raise AnswerError(bad)
    with _quiet_hooks(), tempfile.TemporaryDirectory(prefix="stainless-new-") as tmp:
        config = Path(tmp) / "config.yaml"
        replay = Path(tmp) / "replay"
        config.write_text(f"replay_dir: {replay}\ncookiecutters_dir: {Path(tmp) / 'repos'}\n")
        try:
            created = Path(
                cookiecutter(
                    str(template),
                    no_input=no_input,
                    extra_context=answers,
                    output_dir=str(output_dir),
                    overwrite_if_exists=overwrite,
                    config_file=str(config),
                )
            )
        except FailedHookException:
            # The hook printed one line per bad answer on stderr already.
            raise AnswerError([]) from None
        except CookiecutterException as exc:
            raise StainlessError(str(exc)) from None
        context = json.loads(next(replay.glob("*.json")).read_text())["cookiecutter"]
    source = template_source()
    if source is not None:
        _write_cruft_file(created, source, context)
    problem = None
    if lock:
        from stainless.project.lock import write_lock

        try:
            write_lock(created)
        except StainlessError as exc:
            problem = exc.render()
    return Created(created, problem, source)


def answer_problems(answers: dict[str, str]) -> list[str]:
    """One line per answer that is not a question of cookiecutter.json or not one of its
    choices (the template's hook checks the values of the others)."""
    template = template_dir()
    questions = {
        key: value
        for key, value in json.loads((template / "cookiecutter.json").read_text()).items()
        if not key.startswith("_")
    }
    bad = []
    for key, value in answers.items():
        if key not in questions:
            bad.append(f"bad answer: {key!r} is not a question; known: {', '.join(questions)}")
        elif isinstance(questions[key], list) and value not in questions[key]:
            bad.append(f"bad answer: {key} {value!r}: choose one of {', '.join(questions[key])}")
    return bad


@contextlib.contextmanager
def _quiet_hooks() -> Iterator[None]:
    """cookiecutter logs a failed hook with logger.exception (an ERROR line and a traceback)
    after the hook said, one line per bad answer, what to change."""
    hooks_log = logging.getLogger("cookiecutter.hooks")
    was_disabled, hooks_log.disabled = hooks_log.disabled, True
    try:
        yield
    finally:
        hooks_log.disabled = was_disabled


def _write_cruft_file(project: Path, source: TemplateSource, context: dict[str, Any]) -> None:
    recorded = {
        key: value
        for key, value in context.items()
        if key not in ("_output_dir", "_repo_dir", "_checkout", "_template", "_commit")
    }
    recorded["_template"] = source.url
    recorded["_commit"] = source.commit
    state = {
        "template": source.url,
        "commit": source.commit,
        "checkout": None,
        "context": {"cookiecutter": recorded},
        "directory": source.directory,
        "skip": DATA_SCIENTIST_FILES,
    }
    (project / CRUFT_FILE).write_text(json.dumps(state, indent=2) + "\n")


def update_repository(project_dir: Path) -> Updated:
    """Three-way merge of the template's changes since the recorded commit into the
    repository (cruft): local edits kept, conflicts left as conflict markers."""
    import cruft

    project_dir = project_dir.resolve()
    state_file = project_dir / CRUFT_FILE
    if not state_file.is_file():
        raise UpdateError(
            f"no {CRUFT_FILE}: this repository does not record which template it came from",
            file=str(project_dir),
            fix="generate repositories with `stainless new` from a framework installed from git "
            f"(or set {TEMPLATE_REPO_ENV}); for an older one, `cruft link` it to the template",
        )
    if _git(["status", "--porcelain"], project_dir).strip():
        raise UpdateError(
            "the git working tree has uncommitted changes",
            file=str(project_dir),
            fix="commit or stash them first, so the update is one reviewable change",
        )
    state = json.loads(state_file.read_text())
    source = template_source()
    target = source.commit if source else None
    if source is not None and source.url != state["template"]:
        state["template"] = source.url
        state_file.write_text(json.dumps(state, indent=2) + "\n")
        _git(["commit", "-q", "-m", "Template moved", "--", CRUFT_FILE], project_dir)
    if target == state["commit"]:
        return Updated(up_to_date=True)
    before = _git(["rev-parse", "HEAD"], project_dir).strip()
    said = io.StringIO()  # cruft's "Good work!" is wrong when there are conflicts; we report
    with _quiet_hooks(), contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
        ok = cruft.update(project_dir, checkout=target, skip_apply_ask=True, strict=False)
    if not ok:
        raise UpdateError(
            f"cruft could not update the repository: {said.getvalue().strip()[-500:]}",
            file=str(project_dir),
        )
    changed = _git(["diff", "--name-only", before], project_dir).split()
    untracked = _git(["ls-files", "--others", "--exclude-standard"], project_dir).split()
    unmerged = _git(["diff", "--name-only", "--diff-filter=U"], project_dir).split()
    conflicts = sorted(
        {
            *unmerged,
            *[p for p in untracked if p.endswith(".rej")],
            *[p for p in changed if _has_markers(project_dir / p)],
        }
    )
    return Updated(sorted(set(changed) | set(untracked)), conflicts)


def _has_markers(path: Path) -> bool:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return False
    return "\n<<<<<<< " in "\n" + text and "\n>>>>>>> " in text


def _git(arguments: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise UpdateError(
            f"git {' '.join(arguments[:2])} failed: {done.stderr.strip()[-300:]}",
            fix="`stainless update` needs git and a git repository",
        )
    return done.stdout
