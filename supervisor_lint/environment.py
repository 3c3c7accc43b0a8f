"""The ``environment=`` grammar of supervisor 4.3.0 (``dict_of_key_value_pairs``)."""


import re

# shlex.shlex in non-POSIX mode with wordchars + '/.+-():', as a regex: a
# quoted run keeps its quotes and ends the token; a word may take quote
# characters in; every other non-blank character is a token of its own.
_WORD = "A-Za-z0-9_/.+\\-():"
_TOKEN = re.compile(r"""(?P<q>"[^"]*"|'[^']*')|(?P<w>[%s][%s'"]*)|[ \t\r\n]+|(?P<open>["'])|(?P<c>.)"""
                    % (_WORD, _WORD), re.DOTALL)


def tokens(arg):
    """``list(shlex.shlex(arg))`` with supervisor's extra word characters.
    Raises ValueError('No closing quotation') as shlex does."""
    arg = str(arg)
    if "#" in arg and len(arg) <= 32768:
        # comments interact with words in shlex's own odd ways: let it decide
        import shlex
        lexer = shlex.shlex(arg)
        lexer.wordchars += "/.+-():"
        return list(lexer)
    out = []
    for m in _TOKEN.finditer(arg):
        kind = m.lastgroup
        if kind == "open":
            raise ValueError("No closing quotation")
        if kind is not None:
            out.append(m.group())
    return out


_cache = {}


def _tokens_cached(arg):
    found = _cache.get(arg)
    if found is None:
        if len(_cache) > 4096:
            _cache.clear()
        try:
            found = _cache[arg] = (tokens(arg), None)
        except ValueError as exc:
            found = _cache[arg] = (None, str(exc))
    return found


def parse(arg):
    """Returns (dict, error) exactly as supervisord would see it."""
    toks, error = _tokens_cached(arg)
    if error is not None:
        return None, error
    result = {}
    i = 0
    while i < len(toks):
        k_eq_v = toks[i:i + 3]
        if len(k_eq_v) != 3 or k_eq_v[1] != "=":
            return None, "Unexpected end of key/value pairs in value '%s'" % arg
        result[k_eq_v[0]] = k_eq_v[2].strip("'\"")
        i += 4
    return result, None


def mangled(arg):
    """Ways supervisord accepts ``arg`` but keeps something else than written.

    Returns a list of (variable, what happened) pairs; empty when clean."""
    toks, error = _tokens_cached(arg)
    if error is not None:
        return []
    found = []
    i = 0
    while i + 2 < len(toks):
        key, value = toks[i], toks[i + 2]
        sep = toks[i + 3] if i + 3 < len(toks) else None
        if sep is not None and sep != ",":
            if len(value) == 1 and not (value.isalnum() or value in "_/.+-():"):
                found.append((key, "keeps only %r: %r and what follows it are dropped" % (value, sep)))
            else:
                found.append((key, "keeps %r and treats %r as the separator, so the rest of "
                                   "the value is lost" % (value.strip("'\""), sep)))
        i += 4
    if _has_comment(arg):
        found.append((None, "a '#' starts a comment inside the value: the rest of the line is dropped"))
    return found


def _has_comment(arg):
    if "#" not in arg:
        return False
    quote = None
    for ch in arg:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return True
    return False
