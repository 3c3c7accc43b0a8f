"""The ``environment=`` grammar of supervisor 4.3.0 (``dict_of_key_value_pairs``)."""


def tokens(arg):
    import shlex
    lexer = shlex.shlex(str(arg))
    lexer.wordchars += "/.+-():"
    return list(lexer)


def parse(arg):
    """Returns (dict, error) exactly as supervisord would see it."""
    try:
        toks = tokens(arg)
    except ValueError as exc:
        return None, str(exc)
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
    try:
        toks = tokens(arg)
    except ValueError:
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
