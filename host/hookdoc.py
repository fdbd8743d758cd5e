"""Render the hook reference from :mod:`host.hookspecs` (kept in the README)."""
from __future__ import annotations

import inspect

from host import PROJECT, hookspecs

KINDS = [
    ("Setup hooks", lambda n: n.startswith("register_")),
    ("Notification hooks (after commit)", lambda n: not n.startswith("register_") and not is_question(n)),
    ("Questions (first answer wins)", lambda n: is_question(n)),
]
START, END = "<!-- hook-reference:start -->", "<!-- hook-reference:end -->"


def hook_names() -> list[str]:
    return [name for name, fn in vars(hookspecs).items()
            if inspect.isfunction(fn) and hasattr(fn, f"{PROJECT}_spec")]


def is_question(name: str) -> bool:
    return bool(getattr(getattr(hookspecs, name), f"{PROJECT}_spec").get("firstresult"))


def render() -> str:
    lines = [START, ""]
    for title, belongs in KINDS:
        lines += [f"### {title}", ""]
        for name in hook_names():
            if not belongs(name):
                continue
            fn = getattr(hookspecs, name)
            signature = str(inspect.signature(fn)).replace('"', "").replace("'", "")
            lines += [f"#### `{name}{signature}`", "", inspect.getdoc(fn), ""]
    lines.append(END)
    return "\n".join(lines)


def readme_block(readme: str) -> str:
    start, end = readme.index(START), readme.index(END) + len(END)
    return readme[start:end]


if __name__ == "__main__":  # python -m host.hookdoc > block, then paste into README.md
    print(render())
