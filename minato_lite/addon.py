"""A JupyterLite addon: a plain `jupyter lite build` with a `minato` section gets a minato site.

In a JupyterLite project's `jupyter_lite_config.json`:

    {"minato": {"inputs": ["data/sales.csv"], "code": ["analysis.py"],
                "analysis": "comprehensive", "title": "Sales"}}

(paths relative to the lite dir). The build then carries the same datasets,
notebooks, `minato` runtime and widget wheels as `minato-lite build`, opens on
the same report (`index.html`, with its warm-up), and the kernel starts with
the data loaded. Like every addon it only declares doit
tasks with their inputs and outputs, so unchanged inputs are not redone.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import doit.tools
from jupyterlite_core.addons.base import BaseAddon
from jupyterlite_core.constants import JUPYTER_CONFIG_DATA, JUPYTERLITE_JSON

from .errors import UserError

if TYPE_CHECKING:
    from .pyodide.distribution import PyodideDistribution
    from .site.contents import SiteFiles

SECTION = "minato"
KEYS = {"inputs", "code", "analysis", "title", "prerender"}
CONFIG_FILE = "jupyter_lite_config.json"


def self_hosted_pyodide(out: Path) -> PyodideDistribution | None:
    """The Pyodide the pyodide addon placed in the output, or None (a URL's, or the CDN's)."""
    from .pyodide.distribution import SITE_FOLDER, PyodideDistribution

    local = out / SITE_FOLDER
    return PyodideDistribution.open(local) if (local / "pyodide-lock.json").is_file() else None


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

    def _prepared(self, section: dict[str, Any]):
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
        prepared = self._prepared(section)
        files_dir = Path(manager.output_dir) / "files"
        yield self.task(
            name="contents",
            doc="write the datasets, notebooks and minato runtime into the contents",
            file_dep=[*self._paths(section, "inputs"), *self._paths(section, "code")],
            uptodate=[doit.tools.config_changed({"digest": prepared.files.digest()})],
            targets=[files_dir / rel for rel in sorted(prepared.files.files)],
            actions=[(prepared.files.write, [files_dir])],
        )
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
        config = Path(manager.output_dir) / JUPYTERLITE_JSON
        digest = self._prepared(section).files.digest()
        yield self.task(
            name="kernel-settings",
            doc="start the kernel with the data loaded; give the site its own storage",
            file_dep=[config],
            uptodate=[doit.tools.config_changed({"digest": digest})],
            actions=[(self.patch_config, [config, digest])],
        )
        from .site.app_cache import add_page_scripts
        from .site.kernel_patch import patch_kernel_bundle

        out = Path(manager.output_dir)
        prepared = self._prepared(section)
        yield self.task(
            name="page-scripts",
            doc="the kernel-status script, the fixes for the kernel's SharedArrayBuffer races, "
            "and index.html as the report, with its warm-up read from the lab page as patched",
            file_dep=[out / "lab" / "index.html"],
            uptodate=[doit.tools.config_changed({"digest": digest})],
            actions=[
                (add_page_scripts, [out]),
                # doit actions must return None/bool/str/dict, not the patched bundle's path
                (lambda out: patch_kernel_bundle(out) and None, [out]),
                (self.write_report, [out, prepared.title, prepared.files]),
            ],
        )

    def write_report(self, out: Path, title: str, files: SiteFiles) -> None:
        """`index.html` as `minato-lite build` writes it: the report, its warm-up beside it."""
        import shutil

        from .site.app_cache import REPORT_SCRIPTS
        from .site.landing import report_page
        from .site.warmup import WARMUP_FILE, site_warmup, write_warmup

        for name, source in REPORT_SCRIPTS.items():
            shutil.copyfile(source, out / name)
        for problem in write_warmup(out).problems:
            self.log.warning(f"the report's warm-up skips part of the app: {problem}")
        # a self-hosted Pyodide's runtime files, by the names its release uses
        local = self_hosted_pyodide(out)
        runtime = local.loader_files() if local is not None else []
        (out / WARMUP_FILE).write_bytes(site_warmup(out, runtime))
        (out / "index.html").write_text(report_page(title, files), "utf-8")

    def patch_config(self, config_path: Path, digest: str) -> None:
        from jupyterlite_pyodide_kernel.constants import PYODIDE_KERNEL_PLUGIN_ID

        from .pyodide.distribution import PyodideDistribution
        from .site.settings import kernel_settings, storage_names

        config = json.loads(config_path.read_text(encoding="utf-8"))
        data = config.setdefault(JUPYTER_CONFIG_DATA, {})
        plugin = data.setdefault("litePluginSettings", {}).setdefault(PYODIDE_KERNEL_PLUGIN_ID, {})
        pyodide = self_hosted_pyodide(Path(self.manager.output_dir))
        if pyodide is None:
            pyodide = PyodideDistribution.resolve(plugin.get("pyodideUrl"))
        settings = kernel_settings(pyodide)
        settings.pop("pyodideUrl")  # where Pyodide lives is the pyodide addon's business
        plugin.update(settings)
        data.update(storage_names(digest[:16]))
        data["exposeAppInBrowser"] = True  # the kernel-status script reads the app
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
