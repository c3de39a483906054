"""A JupyterLite addon: a plain `jupyter lite build` with a `minato` section gets a minato site.

In a JupyterLite project's `jupyter_lite_config.json`:

    {"minato": {"inputs": ["data/sales.csv"], "code": ["analysis.py"],
                "analysis": "comprehensive", "title": "Sales"}}

(paths relative to the lite dir). The build then carries the same datasets,
notebooks, `minato` runtime and widget wheels as `minato-lite build`, opens on
the same report (`index.html`, with its warm-up), and the kernel starts with
the data loaded: its post-build task calls the same staging as `minato-lite
build` (`publish.staging.stage_site`), with the app that `jupyter lite build`
made in place (`publish.apps.BuiltApp`). Like every addon it only declares doit
tasks with their inputs and outputs, so unchanged inputs are not redone.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import doit.tools
from jupyterlite_core.addons.base import BaseAddon
from jupyterlite_core.constants import JUPYTERLITE_JSON

from .errors import UserError

if TYPE_CHECKING:
    from .build import Prepared

SECTION = "minato"
KEYS = {"inputs", "code", "analysis", "title", "prerender"}
CONFIG_FILE = "jupyter_lite_config.json"


class MinatoAddon(BaseAddon):
    """Adds a minato site's contents and kernel settings to a JupyterLite build."""

    __all__: ClassVar[list[str]] = ["status", "build", "post_build"]

    def _section(self) -> dict[str, Any] | None:
        path = Path(self.manager.lite_dir) / CONFIG_FILE
        if not path.is_file():
            return None
        section = json.loads(path.read_text(encoding="utf-8")).get(SECTION)
        if section is None:
            return None
        if not isinstance(section, dict) or not set(section) <= KEYS or "inputs" not in section:
            raise UserError(
                f"{path}: '{SECTION}' must be an object with inputs and optional "
                f"{', '.join(sorted(KEYS - {'inputs'}))}"
            )
        return section

    def _paths(self, section: dict[str, Any], key: str) -> list[Path]:
        return [Path(self.manager.lite_dir) / p for p in section.get(key, [])]

    def _prepared(self, section: dict[str, Any]) -> Prepared:
        """Read, profile and generate once per build; `build` and `post_build` share it."""
        cached = getattr(self, "_prepared_site", None)
        if cached is None:
            from .build import prepare
            from .execute.executor import WarmExecutor
            from .execute.prerender import prerender

            if not isinstance(section.get("prerender", True), bool):
                raise UserError(f"{CONFIG_FILE}: '{SECTION}.prerender' must be true or false")
            warm = WarmExecutor() if section.get("prerender", True) else None
            try:
                cached = prepare(
                    self._paths(section, "inputs"),
                    code=self._paths(section, "code") or None,
                    analysis=section.get("analysis", "comprehensive"),
                    title=section.get("title"),
                )
                if warm is not None:
                    docs, files, _reports = prerender(
                        cached.notebooks, cached.files, warm, log=self.log.info
                    )
                    cached = replace(cached, notebooks=docs, files=files)
            finally:
                if warm is not None:
                    warm.close()
            self._prepared_site = cached
        return cached

    def status(self, manager):
        section = self._section()
        yield self.task(
            name="minato",
            actions=[lambda: print(f"  minato: {section or 'no minato section'}")],
        )

    def build(self, manager):
        section = self._section()
        if section is None:
            return
        from .site.app_cache import widget_wheels

        wheels_dir = Path(manager.output_dir) / "pypi"
        for wheel in widget_wheels(log=self.log.info):
            yield self.task(
                name=f"wheel:{wheel.name}",
                doc="ship the widget wheels so the explorer works offline",
                file_dep=[wheel],
                targets=[wheels_dir / wheel.name],
                actions=[(self.copy_one, [wheel, wheels_dir / wheel.name])],
            )

    def post_build(self, manager):
        section = self._section()
        if section is None:
            return
        out = Path(manager.output_dir)
        prepared = self._prepared(section)
        yield self.task(
            name="site",
            doc="the minato site, staged in place as `minato-lite build` stages one: contents, "
            "kernel settings, page scripts and kernel patches, the report and its warm-up",
            file_dep=[
                out / JUPYTERLITE_JSON,
                out / "lab" / "index.html",
                *self._paths(section, "inputs"),
                *self._paths(section, "code"),
            ],
            uptodate=[doit.tools.config_changed({"digest": prepared.files.digest()})],
            actions=[(self.stage, [out, prepared])],
        )

    def stage(self, out: Path, prepared: Prepared) -> None:
        """`publish.staging.stage_site`, the one composition, with the app already in place."""
        from .publish.apps import BuiltApp
        from .publish.staging import SiteParts, stage_site

        app = BuiltApp(out)
        parts = SiteParts(prepared.files, prepared.title, app.pyodide(),
                          {"title": prepared.title, "analysis": prepared.analysis,
                           "datasets": [ds.name for ds in prepared.datasets],
                           "notebooks": [doc.path for doc in prepared.notebooks]})  # fmt: skip
        stage_site(out, parts, app, name=out.name, log=self.log.info)
