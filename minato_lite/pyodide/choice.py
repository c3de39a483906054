"""The one answer to "which Pyodide?": the one given, else the default the caller names.

`choose(given, default=...)` takes `--pyodide` as given (a distribution, a
folder, an official `.tar.bz2` release, or an http(s) URL). None always means
"not given", and every caller says what it then gets, since the two users of a
Pyodide want different things:

* `Default.CDN`: a **site** loads the public CDN release the kernel pins (the
  visitor's browser downloads it); `build_site(pyodide=None)`.
* `Default.WITH_PANDAS`: the **sandbox** (`run`, `check --include-code`, the
  API's `"execute": true`, the tests and benchmarks) needs a local Pyodide with
  pandas: `default_with_pandas`, the environment first (a full release in
  `MINATO_PYODIDE_FULL`, then the stand-in the bootstrap builds and names in
  `MINATO_PYODIDE_SCIENTIFIC`), then the stand-in in the user cache, built there
  on first use where the caller allows it.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

from ..errors import EnvironmentProblem, UserError
from ..log import Log, quiet
from .distribution import PyodideDistribution
from .lockfile import LOCKFILE
from .scientific import STANDIN_VERSION, scientific_cache_path, scientific_default

#: where a Pyodide with pandas is named for this machine, in the order they are tried:
#: a full official release, then the stand-in the bootstrap builds
PANDAS_ENV = ("MINATO_PYODIDE_FULL", "MINATO_PYODIDE_SCIENTIFIC")
#: a command that really makes the default exist (`assemble --scientific` without -o)
FILL_CACHE_HINT = (
    "run 'minato-lite pyodide assemble --scientific' (it fills the cache) or pass --pyodide "
    "with a Pyodide release that has pandas"
)


class NotBuiltYet(UserError):
    """The default Pyodide with pandas is not in the cache yet and may not be built now."""


def default_with_pandas(*, build: bool = True, log: Log = quiet) -> PyodideDistribution:
    """The environment's Pyodide with pandas, else the cached stand-in (built if `build`)."""
    for variable in PANDAS_ENV:
        value = os.environ.get(variable)
        if not value:
            continue
        try:
            dist = PyodideDistribution.local(value, log=log)
        except UserError as exc:
            raise UserError(f"{variable}: {exc}") from None
        if not dist.has("pandas"):
            raise UserError(f"{variable}={value}: this Pyodide has no pandas")
        return dist
    target = scientific_cache_path()
    if (target / LOCKFILE).is_file():
        return PyodideDistribution.open(target)
    if not build:
        raise NotBuiltYet(f"no Pyodide with pandas in {target.parent} yet: {FILL_CACHE_HINT}")
    log(f"building the Pyodide {STANDIN_VERSION} scientific stand-in into the cache (once)")
    try:
        return scientific_default(log=log)
    except EnvironmentProblem as exc:
        raise EnvironmentProblem(
            f"cannot build the default Pyodide with pandas ({exc}); on a machine that reaches "
            f"the package registries, {FILL_CACHE_HINT}"
        ) from None


#: what `--pyodide` may be: a distribution, a folder, a release archive, a URL, or not given
PyodideSpec = PyodideDistribution | str | Path | None


class Default(Enum):
    """What a caller gets when no Pyodide was given."""

    #: the public CDN release the kernel pins: a site's default
    CDN = "cdn"
    #: a local Pyodide with pandas (`default_with_pandas`): the sandbox's default
    WITH_PANDAS = "with-pandas"


def choose(
    given: PyodideSpec, *, default: Default, build: bool = True, log: Log = quiet
) -> PyodideDistribution:
    """`given` as a distribution; when None, `default` (built if need be and `build`)."""
    if isinstance(given, PyodideDistribution):
        return given
    if given is None:
        if default is Default.CDN:
            return PyodideDistribution.cdn()
        return default_with_pandas(build=build, log=log)
    text = str(given)
    if text.startswith(("https://", "http://")):
        return PyodideDistribution.remote(text)
    return PyodideDistribution.local(given, log=log)
