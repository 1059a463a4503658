#!/bin/sh
# Refresh the translations from the window's code, then compile them (no build step at run time:
# the .qm files are committed). Run from anywhere: packaging/update_translations.sh
# New or changed strings come out as "unfinished" in the .ts: translate them (pyside6-linguist
# or a text editor), run this again, and commit the .ts and the .qm.
set -eu
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
for ts in resources/translations/grym_desktop_*.ts; do
    "$BIN/pyside6-lupdate" -no-obsolete -locations none grym_desktop/ui/*.py -ts "$ts"
    "$BIN/pyside6-lrelease" "$ts" -qm "${ts%.ts}.qm"
done
