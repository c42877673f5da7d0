#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Pull the C examples out of Markdown files, so the build can compile them.

Every fenced block whose language is "c" is a complete program unless its
info string says otherwise (docs/README.md has the convention):

    ```c NAME.c       a program; the build writes it to NAME.c
    ```c              a program, named DOC-N.c (N counts the doc's programs)
    ```c fragment     an excerpt: not extracted, not compiled

Anything else after "c" is an error, so a typo cannot silently turn a
program into something nobody compiles.

  extract_examples.py list DOC.md...
      one line per program: "DOC NAME LINE" (DOC: the file name without
      ".md"; LINE: where the block starts), read by docs/check/CMakeLists.txt
      at configure time
  extract_examples.py extract OUTDIR DOC.md
      write each program of DOC.md to OUTDIR/NAME.c, with a #line directive
      so compiler messages point into the Markdown file
  extract_examples.py selftest
      check the parser on the cases the convention names (a CTest entry)

Standard library only.  Exit status 1 with "FILE:LINE: reason" on a
malformed document.
"""

import os
import re
import sys

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.c$")
# Fences: 3 or more backticks or tildes, then the info string.  CommonMark
# allows 3 spaces of indentation at the top level; any is accepted here, so
# that a block inside a list item is not missed.
FENCE_RE = re.compile(r"^( *)(`{3,}|~{3,})(.*)$")


class DocError(Exception):
    pass


def blocks(path, text=None):
    """Yield (first_code_line, info_words, code_text) for every fenced block."""
    if text is None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m or (m.group(2)[0] == "`" and "`" in m.group(3)):
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3)
        start = i + 1
        j = start
        while j < len(lines):
            c = FENCE_RE.match(lines[j])
            if (c and c.group(2)[0] == fence[0] and len(c.group(2)) >= len(fence)
                    and not c.group(3).strip()):
                break
            j += 1
        if j == len(lines):
            raise DocError("%s:%d: code block never closed" % (path, i + 1))
        # Strip the opening fence's indentation from each line, as
        # CommonMark does.
        code = [l[min(indent, len(l) - len(l.lstrip(" "))):]
                for l in lines[start:j]]
        yield start + 1, info.split(), "\n".join(code) + "\n"
        i = j + 1


def programs(path, text=None):
    """[(name, first_code_line, code)] for the C programs in @path."""
    doc = os.path.splitext(os.path.basename(path))[0]
    out, seen = [], {}
    for line, words, code in blocks(path, text):
        if not words or words[0].lower() != "c":
            continue
        where = "%s:%d" % (path, line - 1)
        rest = words[1:]
        if rest == ["fragment"]:
            continue
        if not rest:
            name = "%s-%d.c" % (doc, len(out) + 1)
        elif len(rest) == 1 and NAME_RE.match(rest[0]):
            name = rest[0]
        else:
            raise DocError("%s: after \"c\" expected \"fragment\" or a file "
                           "name like my-fw.c, got \"%s\""
                           % (where, " ".join(rest)))
        if name in seen:
            raise DocError("%s: %s is already the name of the block at line %d"
                           % (where, name, seen[name]))
        seen[name] = line - 1
        out.append((name[:-2], line, code))
    if out and not re.match(r"^[A-Za-z0-9_-]+$", doc):
        raise DocError("%s: a document with C programs needs a name of "
                       "letters, digits, - and _ (it names targets and tests)"
                       % path)
    return out


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


SAMPLE = """\
# a page

```c one.c
int main(void) { return 0; }
```

```C
int main(void) { return 1; }
```

```c fragment
int hipc_rproc_start(struct hipc_rproc *rp, char *err, size_t errlen);
```

````markdown
```c
not C: an example of Markdown
```
````

- a list item

  ~~~c in-list.c
  int main(void)
  {
  \treturn 2;
  }
  ~~~

```sh
cc -o one one.c
```
"""


def selftest():
    got = [(n, l, c) for n, l, c in programs("page.md", SAMPLE)]
    want = [("one", 4, "int main(void) { return 0; }\n"),
            ("page-2", 8, "int main(void) { return 1; }\n"),
            ("in-list", 24, "int main(void)\n{\n\treturn 2;\n}\n")]
    if got != want:
        raise DocError("selftest: got %r, want %r" % (got, want))
    bad = {"```c fragmnet\nx\n```\n": "page.md:1: after \"c\" expected",
           "```c a.c b.c\nx\n```\n": "page.md:1: after \"c\" expected",
           "```c a\nx\n```\n": "page.md:1: after \"c\" expected",
           "```c a.c\nx\n```\n```c a.c\ny\n```\n":
               "page.md:4: a.c is already the name of the block at line 1",
           "text\n```c\nint x;\n": "page.md:2: code block never closed"}
    for text, msg in bad.items():
        try:
            programs("page.md", text)
        except DocError as e:
            if not str(e).startswith(msg):
                raise DocError("selftest: %r: got %s, want %s..."
                               % (text, e, msg))
            continue
        raise DocError("selftest: %r was accepted" % text)
    print("extract_examples.py: selftest passed")


def main(argv):
    if argv == ["selftest"]:
        selftest()
        return 0
    if len(argv) >= 2 and argv[0] == "list":
        owner = {}
        for path in argv[1:]:
            doc = os.path.splitext(os.path.basename(path))[0]
            found = programs(path)
            if found and doc in owner:
                raise DocError("%s and %s both hold C programs: their names "
                               "would clash (rename one)" % (owner[doc], path))
            owner[doc] = path
            for name, line, _ in found:
                print("%s %s %d" % (doc, name, line))
        return 0
    if len(argv) == 3 and argv[0] == "extract":
        outdir, path = argv[1], argv[2]
        os.makedirs(outdir, exist_ok=True)
        src = os.path.abspath(path).replace("\\", "\\\\").replace('"', '\\"')
        for name, line, code in programs(path):
            write_if_changed(os.path.join(outdir, name + ".c"),
                             '#line %d "%s"\n%s' % (line, src, code))
        return 0
    sys.stderr.write("usage: extract_examples.py list DOC.md...\n"
                     "       extract_examples.py extract OUTDIR DOC.md\n"
                     "       extract_examples.py selftest\n")
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (DocError, OSError) as e:
        sys.stderr.write("extract_examples.py: %s\n" % e)
        sys.exit(1)
