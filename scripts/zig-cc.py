#!/usr/bin/env python3
"""swiftc's linker driver on the zig route (scripts/sdk-zig.sh): called as `clang` (swiftc -tools-directory), it links
with `zig cc -target TARGET`, whose glibc stubs make every glibc symbol bind at TARGET's version or older, and
rewrites what zig takes differently from clang:
  --target=...                  dropped: TARGET replaces it
  -lstdc++                      TOOLS_DIR/lib/libstdc++.so.6: zig would link its own libc++ for it
  -Xlinker --exclude-libs ALL   dropped: zig's linker does not take it; the version scripts already export only
                                cfcerts_* (the library) or nothing (the commands)
  -Xlinker -export-dynamic      dropped when linking an executable: zig passes no version script to its linker for
                                one, so the commands' packaging/executable.map (export nothing, so that unused code
                                can go) would be lost and every Swift symbol exported; without it nothing is
  -Xlinker FILE.o               FILE.o: zig takes an object only as an input (glibc-compat.o comes this way)
  -Xlinker --defsym -Xlinker main=F
                                TOOLS_DIR/entry/main-F.c, a main that calls F, linked in: zig's linker has no
                                --defsym, which SwiftPM uses to make an executable's renamed main (F, cfcerts_main
                                for `cfcerts`; renamed so that tests can link the module) its entry point
  (nothing)                     TOOLS_DIR/lib/libgcc_s.so.1 added (_Unwind_Backtrace and the rest; zig adds no
                                libgcc_s) and -L TOOLS_DIR/lib, where -lz and -lsqlite3 find this machine's libraries
Response files (@FILE: swiftc passes the runtime's static-stdlib-args.lnk and the autolink lists that way) are
expanded first, so that what they hold is rewritten too.
Usage: zig-cc.py ZIG TARGET TOOLS_DIR CLANG_ARGUMENT...
"""
import os
import shlex
import sys


def expanded(arguments):
    for argument in arguments:
        if argument.startswith("@") and os.path.isfile(argument[1:]):
            with open(argument[1:]) as response_file:
                yield from expanded(shlex.split(response_file.read()))
        else:
            yield argument


def entry_point(tools_dir, function):
    """A C file whose main calls FUNCTION, the way SwiftPM's --defsym main=FUNCTION would make FUNCTION the entry."""
    path = os.path.join(tools_dir, "entry", f"main-{function}.c")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as source:
        source.write(f"int {function}(int argc, char **argv);\n"
                     f"int main(int argc, char **argv) {{ return {function}(argc, argv); }}\n")
    os.replace(path + ".tmp", path)
    return path


def main():
    zig, target, tools_dir = sys.argv[1:4]
    lib_dir = os.path.join(tools_dir, "lib")
    arguments = list(expanded(sys.argv[4:]))
    executable = "-shared" not in arguments
    command = [zig, "cc", "-target", target]
    i = 0
    while i < len(arguments):
        argument = arguments[i]
        if argument.startswith("--target="):
            i += 1
        elif argument == "-lstdc++":
            command.append(os.path.join(lib_dir, "libstdc++.so.6"))
            i += 1
        elif arguments[i:i + 4] == ["-Xlinker", "--exclude-libs", "-Xlinker", "ALL"]:
            i += 4
        elif executable and arguments[i:i + 2] == ["-Xlinker", "-export-dynamic"]:
            i += 2
        elif arguments[i:i + 3] == ["-Xlinker", "--defsym", "-Xlinker"] and i + 3 < len(arguments):
            symbol, _, function = arguments[i + 3].partition("=")
            if symbol != "main":
                sys.exit(f"zig-cc.py: --defsym {arguments[i + 3]}: zig's linker has no --defsym;"
                         " only main=FUNCTION is stood in for")
            command.append(entry_point(tools_dir, function))
            i += 4
        elif argument == "-Xlinker" and i + 1 < len(arguments) and arguments[i + 1].endswith(".o"):
            command.append(arguments[i + 1])
            i += 2
        else:
            command.append(argument)
            i += 1
    command += [os.path.join(lib_dir, "libgcc_s.so.1"), "-L", lib_dir]
    os.execv(zig, command)


main()
