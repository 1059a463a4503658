#!/bin/sh
# Draw the PNG icon sizes from the hand-made SVGs (needs rsvg-convert: apt-get install librsvg2-bin).
# Sizes up to 24 px come from src/io.github.grym.Desktop-small.svg, drawn on a 16 px grid so
# its three bars stay sharp; the larger ones from the scalable icon.
set -eu
cd "$(dirname "$0")"
ID=io.github.grym.Desktop
for size in 16 22 24 32 48 64 128 256 512; do
    if [ "$size" -le 24 ]; then svg="src/$ID-small.svg"; else svg="hicolor/scalable/apps/$ID.svg"; fi
    mkdir -p "hicolor/${size}x${size}/apps"
    rsvg-convert -w "$size" -h "$size" "$svg" -o "hicolor/${size}x${size}/apps/$ID.png"
done
