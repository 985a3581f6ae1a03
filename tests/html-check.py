#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""html-check.py FILE [--dom] [--svgs N] [--contains TEXT]...

Checks report.html (or, with --dom, a browser's serialized DOM of it):
- well-formed enough: every non-void element closed, in order, and the
  document has html, head, title, body (skipped with --dom);
- self-contained: no http(s):// anywhere, no script, no external
  stylesheet, image, frame, @import or url() other than url(#id) (skipped
  with --dom: a browser serializes namespaces as URLs);
- ids unique (the pasted SVGs have prefixed ids);
- --svgs N: exactly N inline svg elements;
- --contains TEXT: TEXT is in the page's text (tags dropped, entities
  decoded, whitespace collapsed).
Prints what it found; exits 1 listing every failed check."""
import collections
import html.parser
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.text = [], [], []
        self.ids, self.tags = collections.Counter(), collections.Counter()

    def _tag(self, tag, attrs):
        self.tags[tag] += 1
        for k, v in attrs:
            if k == "id":
                self.ids[v] += 1

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1] if self.stack else ("nothing", (0, 0))
            self.problems.append(f"</{tag}> at line {self.getpos()[0]} closes <{top[0]}> "
                                 f"of line {top[1][0]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if not self.stack or self.stack[-1][0] not in ("style", "script"):
            self.text.append(data)


def main():
    args = sys.argv[1:]
    path, dom = args.pop(0), False
    want_svgs, contains = None, []
    while args:
        a = args.pop(0)
        if a == "--dom":
            dom = True
        elif a == "--svgs":
            want_svgs = int(args.pop(0))
        elif a == "--contains":
            contains.append(args.pop(0))
        else:
            sys.exit(f"unknown argument {a}")
    src = open(path, encoding="utf-8").read()
    p = Page()
    p.feed(src)
    p.close()
    problems = [] if dom else list(p.problems)
    if not dom:
        problems += [f"<{t}> at line {pos[0]} is never closed" for t, pos in p.stack]
        problems += [f"no <{t}>" for t in ("html", "head", "title", "body") if not p.tags[t]]
        for pattern, what in ((r"https?://", "a URL"), (r"<script", "a script"),
                              (r"<link\b", "an external stylesheet"), (r"<img\b", "an image"),
                              (r"<iframe\b", "a frame"), (r"@import", "an @import"),
                              (r"\bsrc\s*=", "a src attribute"), (r"url\((?!#)", "a url()")):
            for m in re.finditer(pattern, src):
                line = src.count("\n", 0, m.start()) + 1
                problems.append(f"{what} at line {line}: {src[m.start():m.start() + 60]!r}")
    dups = [i for i, n in p.ids.items() if n > 1]
    if dups:
        problems.append(f"{len(dups)} ids used more than once, e.g. {dups[:3]}")
    svgs = p.tags["svg"]
    if want_svgs is not None and svgs != want_svgs:
        problems.append(f"{svgs} inline svg elements, expected {want_svgs}")
    text = " ".join("".join(p.text).split())
    for t in contains:
        if " ".join(t.split()) not in text:
            problems.append(f"the text lacks {t!r}")
    print(f"{path}: {sum(p.tags.values())} elements, {svgs} svg, {len(src)} characters")
    if problems:
        sys.exit("\n".join(f"{path}: {x}" for x in problems))


main()
