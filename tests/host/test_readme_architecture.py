"""The README's architecture names every module and package of the host."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def architecture_block():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Architecture\n"):]
    return section[section.index("```\n") + 4:section.index("\n```", section.index("```\n") + 4)]


def test_every_host_module_and_package_is_listed():
    named = set(re.findall(r"[\w.]+\.py|\w+/", architecture_block()))
    host = ROOT / "host"
    parts = {p.name for p in host.glob("*.py")} | {f"{p.name}/" for p in host.iterdir()
                                                   if p.is_dir() and not p.name.startswith((".", "__"))}
    missing = sorted(parts - named)
    assert not missing, f"add these to the Architecture section of README.md: {missing}"
