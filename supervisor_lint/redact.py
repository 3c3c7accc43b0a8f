"""Keep secrets out of messages: credentials in URLs and the values of
secret-looking variables are replaced by ***."""

import re

_URL = re.compile(r"([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)([^/\s@'\"]+)(@)", re.I)
_ASSIGN = re.compile(r"(\b[A-Za-z_]*(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|PRIVATE_KEY|API_KEY|"
                     r"ACCESS_KEY)[A-Za-z_]*\s*=\s*)(\"[^\"]*\"|'[^']*'|[^,\s'\"]+)", re.I)
_OPTION = re.compile(r"((?:--password|--basic[_-]auth|--secret|--token|--api[_-]key)[= ])(\S+)")


def redact(text):
    if not text:
        return text
    text = _URL.sub(r"\1***\3", text)
    text = _ASSIGN.sub(r"\1***", text)
    return _OPTION.sub(r"\1***", text)


def has_secret(text):
    return redact(text) != text
