"""Reading policy.toml into a Policy, turning every pydantic complaint into a located problem."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..domain.policy import Policy
from ..problems import ProblemLog
from .text import UndecodableFile, read_text

NAME = "policy.toml"


def _line_of(text: str, loc: tuple) -> int | None:
    """Best-effort line of a dotted key: the ``key =`` line inside its ``[section]``."""
    keys = [str(k) for k in loc if not isinstance(k, int)]
    if not keys:
        return None
    section, key = keys[:-1], keys[-1]
    in_section = not section
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[+\s*([^\]]+?)\s*\]+", stripped)
        if header:
            in_section = header.group(1).split(".") == section or header.group(1) == key
            if header.group(1) == key or header.group(1).endswith("." + key):
                return number
            continue
        if in_section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return None


def policy_from_mapping(data: dict[str, Any], log: ProblemLog, text: str = "") -> Policy | None:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(k) for k in loc)
            value = err.get("input")
            if err["type"] == "extra_forbidden":
                message, expected = "unknown policy key", "a key listed in the contract"
            else:
                message, expected = "invalid policy value", err["msg"]
            log.error(NAME, message, line=_line_of(text, loc), column=key,
                      value=None if isinstance(value, dict) else str(value), expected=expected)
        return None


def read_policy(path: Path, log: ProblemLog) -> Policy | None:
    """The folder's policy.toml, or the contract defaults when the file is absent."""
    if not path.exists():
        return Policy()
    try:
        text, _ = read_text(path)
    except UndecodableFile as exc:
        log.error(NAME, f"cannot decode byte 0x{exc.byte:02x}", line=exc.line,
                  expected="UTF-8 (with or without BOM) or GB18030 text")
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        match = re.search(r"line (\d+)", str(exc))
        log.error(NAME, f"not valid TOML: {exc}", line=line or (int(match.group(1)) if match else None),
                  expected="TOML as in the contract")
        return None
    return policy_from_mapping(data, log, text)
