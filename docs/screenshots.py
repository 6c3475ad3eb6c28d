"""`make screenshots`: the README's pictures of the demo site, taken in headless Chromium.

Sets up a throwaway SQLite database with the demo notes, serves it with Django's development
server, and photographs the pages readers see (both themes, both languages, a phone) with
Debian's chromium and its Noto CJK fonts, into docs/screenshots/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# (file, path, viewport width, theme, full page)
SHOTS = [
    ("home.png", "/", 1280, "light", False),
    ("note-math.png", "/notes/ddpm/", 1400, "light", False),
    ("note-math-dark.png", "/notes/ddpm/", 1400, "dark", False),
    ("series.png", "/series/diffusion-basics/", 1280, "light", False),
    ("tags.png", "/tag/", 1280, "light", False),
    ("archive-en.png", "/en/archive/", 1280, "light", False),
    ("search.png", "/search/?q=扩散模型", 1280, "light", False),
    ("phone-note.png", "/notes/lora/", 390, "light", False),
    ("phone-dark-en.png", "/en/notes/attention-is-all-you-need/", 390, "dark", False),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="screenshots-"))
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*manage, "load_demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            for name, path, width, theme, full in SHOTS:
                phone = width < 500
                context = browser.new_context(
                    viewport={"width": width, "height": 844 if phone else 900},
                    device_scale_factor=2 if phone else 1,
                    is_mobile=phone,
                    has_touch=phone,
                    color_scheme=theme,
                )
                page = context.new_page()
                page.goto(base + path)
                page.evaluate("document.fonts.ready.then(() => true)")
                page.screenshot(path=str(OUT / name), full_page=full)
                context.close()
                print(f"docs/screenshots/{name}")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
