"""The JSON Schema of every command's ``--json`` output (``lptrain/cli/schemas/*.json``).

One file per command, each ``oneOf`` the error object of ``common.json`` or the command's
report (``additionalProperties: false``: a new key needs a schema entry). Validation needs
the ``jsonschema`` package (a test dependency, not a runtime one).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["schema_names", "load_schema", "validate_output"]

_BASE = "https://schemas.lptrain.invalid/cli/"


def schema_names() -> list[str]:
    """The commands with a schema (the file names without ``.json``, except ``common``).

    Examples
    --------
    >>> "train" in schema_names() and "common" not in schema_names()
    True
    """
    folder = resources.files("lptrain.cli").joinpath("schemas")
    return sorted(p.name[:-5] for p in folder.iterdir()
                  if p.name.endswith(".json") and p.name != "common.json")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema document of ``name`` (a command, or ``"common"``)."""
    text = resources.files("lptrain.cli").joinpath("schemas", f"{name}.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def validate_output(command: str, obj: Any) -> None:
    """Validate one ``--json`` object against the command's schema (jsonschema's
    ValidationError when it does not conform)."""
    import jsonschema
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (_BASE + f"{name}.json", Resource.from_contents(load_schema(name)))
        for name in [*schema_names(), "common"])
    validator = jsonschema.Draft202012Validator(load_schema(command), registry=registry)
    validator.validate(obj)
