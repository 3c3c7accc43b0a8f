"""Keep secrets out of messages: credentials in URLs and the values of
secret-looking variables and options are replaced by ***.  Linear time."""

import re

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}$")
_USERINFO = re.compile(r"[^/\s:@'\"]*:([^/\s@'\"]+)@")
_KEY = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*")
_VALUE = re.compile(r"\"[^\"]*\"|'[^']*'|[^,\s'\"{<][^,\s'\"]*")
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|PASSPHRASE|_PASS$|^PASS$|_PASS_|_PWD$|SECRET|TOKEN|"
                          r"PRIVATE_KEY|API_KEY|ACCESS_KEY", re.I)
_OPTION = re.compile(r"((?:--password|--basic[_-]auth|--secret|--token|--api[_-]key)=)(\S+)")


def url_passwords(text):
    """(start, end) of each password in a URL's user:password@ part."""
    found = []
    i = text.find("://")
    while i != -1:
        if _SCHEME.search(text, max(0, i - 31), i):
            m = _USERINFO.match(text, i + 3)
            if m:
                found.append(m.span(1))
        i = text.find("://", i + 3)
    return found


def redact(text):
    if not text:
        return text
    spans = url_passwords(text)
    for start, end in reversed(spans):
        text = text[:start] + "***" + text[end:]
    if "=" in text:
        spans = []
        for m in _KEY.finditer(text):
            if _SECRET_NAME.search(m.group(1)) and not (spans and m.start() < spans[-1][1]):
                v = _VALUE.match(text, m.end())
                if v:
                    spans.append(v.span())
        for start, end in reversed(spans):
            text = text[:start] + "***" + text[end:]
    if "--" in text:
        text = _OPTION.sub(r"\1***", text)
    return text


def has_secret(text):
    return redact(text) != text


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def printable(text):
    """Undecodable bytes (kept as surrogates) as \\xNN, control characters
    as escapes: every report stays valid UTF-8, XML and terminal text."""
    if not _CONTROL.search(text):
        return text
    def esc(m):
        ch = m.group()
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            return "\\x%02x" % (code - 0xDC00)
        return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code
    return _CONTROL.sub(esc, text)
