"""Project-wide test configuration; the fixtures come from host.testing (pytest11)."""
import shutil
import subprocess
from pathlib import Path

import pytest

from host.testing.loopback import LoopbackPlugin
from host.testing.pytest_plugin import skip_or_fail


@pytest.fixture
def loopback():
    return LoopbackPlugin()


@pytest.fixture
def extra_plugins(loopback):
    return [("loopback", loopback)]


ROOT = Path(__file__).resolve().parents[1]
# Every bundle host/frontend/build.mjs writes; a test page needs all of them current.
BUNDLES = [ROOT / "host/static/dist/console.js", ROOT / "host/static/dist/widget.js",
           ROOT / "host/static/dist/replies.js",
           *(ROOT / "plugins/contacts/static/dist" / f"{n}.js" for n in ("customer_tab", "contacts_tab")),
           *(ROOT / "plugins/livechat/static/dist" / f"{n}.js" for n in ("livechat_tab", "agent_app_bridge")),
           *(ROOT / "plugins/twilio_channel/static/dist" / f"{n}.js"
             for n in ("sms_tab", "whatsapp_tab", "logs_tab", "call_panel"))]


def frontend_sources():
    yield from (ROOT / "host/frontend").rglob("*.js")
    yield from (ROOT / "host/frontend").rglob("*.mjs")
    yield from ROOT.glob("plugins/*/frontend/**/*.js")


@pytest.fixture(scope="session")
def built_frontend():
    """The esbuild bundles, rebuilt once per session when missing or older than a source."""
    newest = max(p.stat().st_mtime for p in frontend_sources())
    if all(b.exists() and b.stat().st_mtime >= newest for b in BUNDLES):
        return
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules/esbuild").exists():
        skip_or_fail("The front-end isn't built and node/esbuild aren't available (run `npm ci && npm run build`).")
    subprocess.run([node, "host/frontend/build.mjs"], cwd=ROOT, check=True)
