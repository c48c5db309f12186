#!/bin/sh
# fuzz/build.sh - build the libFuzzer targets (make fuzz runs this).
#
#   fuzz/build.sh SRCDIR BUILDDIR
#
# Each target is compiled with clang and -fsanitize=fuzzer,address,undefined
# together with the library and the program's sources, so nothing of the
# ordinary build is reused and it needs no reconfiguring. The binaries go in
# BUILDDIR/fuzz. CLANG overrides the compiler (default: clang-14, else clang).
set -eu
srcdir=${1:-.}
builddir=${2:-.}
CC=${CLANG:-}
if [ -z "$CC" ]; then
    for c in clang-14 clang; do
        if command -v "$c" >/dev/null 2>&1; then CC=$c; break; fi
    done
fi
if [ -z "$CC" ]; then
    echo "fuzz/build.sh: clang is needed (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 1
fi
out=$builddir/fuzz
obj=$out/obj
mkdir -p "$obj"
flags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined
 -fno-sanitize-recover=undefined -fno-omit-frame-pointer
 -I$srcdir/lib -I$srcdir/cli -I$srcdir/fuzz -I$builddir"
# The library and the program without its main().
objs=""
for f in "$srcdir"/lib/*.c "$srcdir"/cli/*.c; do
    case "$f" in */cli/main.c) continue ;; esac
    o=$obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o
    if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$builddir/config.h" -nt "$o" ]; then
        # shellcheck disable=SC2086
        $CC $flags -c "$f" -o "$o"
    fi
    objs="$objs $o"
done
for target in csv cli expr margins projection; do
    echo "  FUZZ     fuzz/fuzz_$target"
    # shellcheck disable=SC2086
    $CC $flags -fsanitize=fuzzer "$srcdir/fuzz/fuzz_$target.c" $objs \
        -lgsl -lgslcblas -lcsv -lreadline -lpthread -lm -o "$out/fuzz_$target"
done
