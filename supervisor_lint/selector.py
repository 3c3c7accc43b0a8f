"""Which rules a token names, for every place that takes one: --select,
--ignore, --extend-select, --extend-ignore, --severity, --per-file-ignores,
the same settings in a configuration file, and suppression comments.

A token is a rule's code (``SV201``, any case), its name
(``missing-killasgroup``), a code prefix (``SV2``, ``SV20``) or a category
(``syntax``, ``schema``, ``hygiene``, ``security``, ``celery``, ``host``,
``live``, ``suppression``)."""

import re

_CODE = re.compile(r"(?i)sv\d*$")

# Rules renamed, merged or split: an old code or name -> (the code or name
# that says the same now, the version in which the old one stops working).
# Until then the old one works wherever a token is taken (select, ignore,
# severity, per-file-ignores, configuration files, suppression comments),
# with a warning (README, "What stays stable").  None yet.
REDIRECTS = {}


def _cased(token):
    token = token.strip()
    return token.upper() if _CODE.match(token) else token


def normalize(token):
    """``sv401`` and ``Sv4`` mean ``SV401`` and ``SV4``; a redirected code
    or name means the one it became."""
    token = _cased(token)
    found = REDIRECTS.get(token)
    return found[0] if found else token


def redirected(tokens):
    """A warning for each token in ``tokens`` that was renamed (as written,
    before ``normalize``), in order."""
    notes = []
    for token in tokens:
        token = _cased(token)
        found = REDIRECTS.get(token)
        if found is not None:
            notes.append("%s is now %s%s: write %s (%s stops working in %s)" % (
                token, found[0], _named(found[0]), found[0], token, found[1]))
    return notes


def _named(token):
    rule = _rules().get(token)
    return " (%s)" % rule.name if rule is not None else ""


def _rules():
    from .checks import all_rules
    return all_rules()


def matches(rule, token):
    if token == rule.code or token == rule.name or token == rule.category:
        return True
    return token.startswith("SV") and _CODE.match(token) is not None and \
        rule.code.startswith(token)


def specificity(rule, token):
    """How closely ``token`` names ``rule`` (higher is closer; 0: not at all)."""
    if token == rule.code or token == rule.name:
        return 100
    if token.startswith("SV") and rule.code.startswith(token):
        return 10 + len(token)
    if token == rule.category:
        return 1
    return 0


def known(token):
    return any(matches(r, token) for r in _rules().values())


def unknown(tokens):
    """The tokens that name no rule."""
    return [t for t in tokens if not known(t)]


def suggestion(token):
    """'; did you mean X?' for a token that names no rule, or ''."""
    import difflib
    rules = _rules()
    if token[:2].upper() == "SV":     # a code with a letter for a digit: SV2O1, SV1l2
        code = "SV" + token[2:].upper().translate(str.maketrans("OIL", "011"))
        if code in rules:
            return "; did you mean %r?" % code
    words = sorted(set(rules) | {r.name for r in rules.values()} |
                   {r.category for r in rules.values()})
    found = difflib.get_close_matches(token, words, n=1, cutoff=0.6)
    return "; did you mean %r?" % found[0] if found else ""


def lookup(mapping, rule):
    """The value of the token in ``mapping`` that names ``rule`` most closely
    (a code or name beats a prefix, a longer prefix a shorter one, a prefix a
    category), or None."""
    best, value = 0, None
    for token, v in mapping.items():
        score = specificity(rule, token)
        if score > best:
            best, value = score, v
    return value


class Selection:
    """Which rules run: ``select``/``ignore``/``extend`` take tokens.  Without
    ``select`` the default rules run, plus what ``extend`` names (the way to
    turn on an opt-in rule); an ignored token wins."""

    def __init__(self, select=None, ignore=None, extend=None, defaults=()):
        self.defaults = set(defaults)     # opt-in rules on by default here (audit: SV205)
        self.select = [normalize(t) for t in select or []]
        self.ignore = [normalize(t) for t in ignore or []]
        self.extend = [normalize(t) for t in extend or []]
        self._cache = {}

    def enabled(self, rule):
        found = self._cache.get(rule.code)
        if found is None:
            found = self._cache[rule.code] = self._enabled(rule)
        return found

    def _enabled(self, rule):
        if any(matches(rule, t) for t in self.ignore):
            return False
        if any(matches(rule, t) for t in self.extend):
            return True
        if self.select:
            return any(matches(rule, t) for t in self.select)
        return rule.default or rule.code in self.defaults

    def unknown(self):
        return unknown(self.select + self.ignore + self.extend)


class Policy:
    """Per-file ignores and severity overrides, as one configuration sets
    them: ``per_file`` maps globs to token lists, ``severity`` tokens to
    levels; ``matches(path, glob)`` says whether a glob takes a path."""

    def __init__(self, per_file=None, severity=None, path_matches=None):
        self.per_file = {g: [normalize(t) for t in codes] for g, codes in (per_file or {}).items()}
        self.severity = {normalize(t): level for t, level in (severity or {}).items()}
        self.path_matches = path_matches

    def apply(self, diags):
        if not self.per_file and not self.severity:
            return diags
        rules = _rules()
        out = []
        for d in diags:
            rule = rules[d.code]
            if any(any(matches(rule, t) for t in tokens) and self.path_matches(d.path, glob)
                   for glob, tokens in self.per_file.items()):
                continue
            level = lookup(self.severity, rule) if self.severity else None
            if level and not d.fatal:
                d.severity = level
            out.append(d)
        return out
