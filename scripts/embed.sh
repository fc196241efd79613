#!/bin/sh
# Turn a file into a C source defining `const unsigned char NAME[]` and `NAME_len`,
# byte for byte (od is in coreutils, so no xxd needed).
set -eu
name=$1
file=$2
echo "/* Generated from $file by scripts/embed.sh; do not edit. */"
echo "#include <stddef.h>"
echo "const unsigned char ${name}[] = {"
od -An -v -tx1 "$file" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/    /'
echo "    0x00"
echo "};"
echo "const size_t ${name}_len = sizeof(${name}) - 1;"
