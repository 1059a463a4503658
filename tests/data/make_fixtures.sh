#!/bin/sh
# Regenerates the speech fixtures and texts.tsv with espeak-ng, sox and ffmpeg: sh tests/data/make_fixtures.sh
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

HELLO="hello world this is a test of the transcription"
NUMBERS="one two three four five six seven eight nine ten"
SENTENCE="the quick brown fox jumps over the lazy dog"

espeak-ng -v en-us -s 150 -w "$tmp/hello.wav" "$HELLO"
espeak-ng -v en-us -s 150 -w "$tmp/numbers.wav" "$NUMBERS"
espeak-ng -v en-us -s 150 -w "$tmp/sentence.wav" "$SENTENCE"

sox "$tmp/hello.wav" -r 16000 -c 1 -b 16 hello_world.wav
sox "$tmp/numbers.wav" -r 44100 -c 2 -b 16 numbers_44k_stereo.flac
sox "$tmp/sentence.wav" -r 16000 -c 1 -b 16 "$tmp/sentence16k.wav"

ff() { ffmpeg -nostdin -loglevel error -y "$@"; }
ff -i "$tmp/sentence16k.wav" -c:a libvorbis -q:a 3 -fflags +bitexact sentence.ogg
ff -i "$tmp/sentence16k.wav" -c:a libmp3lame -b:a 32k -fflags +bitexact sentence.mp3
ff -i "$tmp/sentence16k.wav" -c:a aac -b:a 32k -fflags +bitexact sentence.m4a
ff -f lavfi -i color=c=steelblue:s=64x64:r=5 -i "$tmp/sentence16k.wav" -t "$(soxi -D "$tmp/sentence16k.wav")" \
    -c:v libx264 -pix_fmt yuv420p -c:a aac -b:a 32k -fflags +bitexact sentence.mp4

printf 'file\ttext\n' > texts.tsv
printf 'hello_world.wav\t%s\n' "$HELLO" >> texts.tsv
printf 'numbers_44k_stereo.flac\t%s\n' "$NUMBERS" >> texts.tsv
for f in sentence.ogg sentence.mp3 sentence.m4a sentence.mp4; do
    printf '%s\t%s\n' "$f" "$SENTENCE" >> texts.tsv
done
