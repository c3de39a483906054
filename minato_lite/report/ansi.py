"""Terminal text (streams, tracebacks, plain reprs) as escaped HTML.

IPython colours tracebacks with ANSI escape codes, and programs print them to
stdout; in a page they would show as `[0;31m` noise. SGR codes for the 16
standard colours, bold, italic and underline become `<span>`s with classes
the page's CSS colours; every other escape sequence (256-colour and RGB
colours, cursor moves, titles) is dropped. Text is escaped here, so the
result is safe HTML of ours, never markup from the output.

Carriage returns are treated as a terminal would for progress bars: only what
follows a line's last `\\r` is kept. Other control characters are removed
(a NUL in a page is a parse error).
"""

from __future__ import annotations

import html
import re

#: Select Graphic Rendition: the one CSI sequence turned into markup
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
#: every other escape: CSI with any final byte, OSC up to BEL/ST, and two-byte escapes
_OTHER_ESCAPE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _overwrite(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


def strip_ansi(text: str) -> str:
    """Plain text: escape codes and stray control characters removed, `\\r` applied."""
    text = _overwrite(text)
    return _CONTROL.sub("", _OTHER_ESCAPE.sub("", _SGR.sub("", text)))


class _Style:
    """The SGR state between two escape codes."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.fg: int | None = None
        self.bg: int | None = None
        self.bold = False
        self.italic = False
        self.underline = False

    def apply(self, params: str) -> None:
        codes = [int(c) if c.isdigit() else 0 for c in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code in (38, 48):  # extended colour: 5;n (palette) or 2;r;g;b
                kind = codes[i + 1] if i + 1 < len(codes) else None
                if kind == 5 and i + 2 < len(codes):
                    if codes[i + 2] < 16:
                        setattr(self, "fg" if code == 38 else "bg", codes[i + 2])
                    i += 3
                else:
                    i += 5 if kind == 2 else 2
                continue
            self._simple(code)
            i += 1

    def _simple(self, code: int) -> None:
        if code == 0:
            self.reset()
        elif code == 1:
            self.bold = True
        elif code == 22:
            self.bold = False
        elif code == 3:
            self.italic = True
        elif code == 23:
            self.italic = False
        elif code == 4:
            self.underline = True
        elif code == 24:
            self.underline = False
        elif 30 <= code <= 37:
            self.fg = code - 30
        elif 90 <= code <= 97:
            self.fg = code - 90 + 8
        elif code == 39:
            self.fg = None
        elif 40 <= code <= 47:
            self.bg = code - 40
        elif 100 <= code <= 107:
            self.bg = code - 100 + 8
        elif code == 49:
            self.bg = None

    def classes(self) -> str:
        names = []
        if self.fg is not None:
            names.append(f"ansi-fg{self.fg}")
        if self.bg is not None:
            names.append(f"ansi-bg{self.bg}")
        names += [n for n, on in (("ansi-b", self.bold), ("ansi-i", self.italic),
                                  ("ansi-u", self.underline)) if on]  # fmt: skip
        return " ".join(names)


def ansi_to_html(text: str) -> str:
    """Escaped HTML for terminal text, colours as `<span class="ansi-...">`."""
    text = _overwrite(text)
    style = _Style()
    parts: list[str] = []
    last = 0

    def emit(chunk: str) -> None:
        chunk = _CONTROL.sub("", _OTHER_ESCAPE.sub("", chunk))
        if not chunk:
            return
        classes = style.classes()
        escaped = html.escape(chunk, quote=False)
        parts.append(f'<span class="{classes}">{escaped}</span>' if classes else escaped)

    for match in _SGR.finditer(text):
        emit(text[last : match.start()])
        style.apply(match.group(1))
        last = match.end()
    emit(text[last:])
    return "".join(parts)
