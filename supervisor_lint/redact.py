"""The one place output is made safe.  Every string that reaches a report, a
source line, a diff, a summary or an error line passes through here:

- secrets are replaced by ``***``: the values of secret keys (``password``
  with either delimiter, whole values, continuation lines included), the
  values of secret-looking variables (``environment=`` and ``NAME=value``
  anywhere), values of ``--password``-like options (``=`` or a space),
  passwords in URLs and credential-shaped strings (``sk_live_``, ``ghp_``,
  ``xox?-``, ``AKIA``, Slack webhooks, JWTs, ...), whatever their name;
  pieces of those values quoted anywhere in a message are masked too;
- characters that could drive a terminal or a CI log are escaped: C0
  controls but tab (newlines included, so no line of a line-oriented report
  comes from input), DEL, C1 controls, bidi and zero-width controls,
  U+2028/2029, lone surrogates (undecodable bytes, shown as ``\\xNN``) and
  the noncharacters XML forbids.

Everything here is linear in the size of its input.
"""

import bisect
import re


class _lazy:
    """A pattern compiled on first use: most runs meet no secret and never
    need most of these (compiling them all cost every run a few ms)."""

    def __init__(self, pattern, flags=0):
        self._args = (pattern, flags)

    def __getattr__(self, name):        # only until compiled: then the methods are set
        compiled = re.compile(*self._args)
        for method in ("search", "match", "fullmatch", "finditer", "findall", "sub", "split"):
            setattr(self, method, getattr(compiled, method))
        self.pattern = compiled.pattern
        return getattr(compiled, name)

MASK = "***"
MESSAGE_LIMIT = 1000          # characters of a message, after masking and escaping

# -- names ----------------------------------------------------------------------
_SECRET_NAME = _lazy(
    r"PASSWORD|PASSWD|PASSPHRASE|PASS(?:_|$)|(?:^|_)PWD(?:_|$)|SECRET|TOKEN|API_?KEY|KEY$|"
    r"DSN(?:_|$)|(?:^|_)PAT(?:_|$)|CREDENTIAL|AUTH|PRIVATE|COOKIE|SESSION", re.I)
# names whose value names a file or a place, not the secret itself
_NOT_SECRET_NAME = _lazy(r"(?:_FILE|_PATH|_DIR|_FILENAME)$|^PWD$|^OLDPWD$", re.I)
_NAMES = {}


def secret_name(name):
    """True when a variable or key of this name holds a secret."""
    found = _NAMES.get(name)
    if found is None:
        if len(_NAMES) > 65536:
            _NAMES.clear()
        found = _NAMES[name] = bool(_SECRET_NAME.search(name)) and \
            not _NOT_SECRET_NAME.search(name)
    return found


# -- patterns -------------------------------------------------------------------
# Every pattern is linear: a variable run is never followed by something it
# could also consume, and patterns start only where a word starts.
_SCHEME = _lazy(r"[A-Za-z][A-Za-z0-9+.-]{0,30}$")
# user:password@ after '://': the user may hold '@' (an e-mail address), the
# password '/', '@' and quotes; the last '@' before a blank ends it
_USERINFO = _lazy(r"[^/\s:'\"]*:([^\s]+)@")
# a URL whose '@host' a comment cut off: 'scheme://user:pass' ends the value
_CUT_URL = _lazy(r"://[^/\s@'\"]*:([^\s@'\"/]+)$")
_USERINFO_SPAN = 256
# NAME=value, db.password=value, api-token=value
_ASSIGN = _lazy(r"(?<![\w.-])([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*")
# inside a value (A=1 API_TOKEN=x, A=1API_TOKEN=x): a whole run of name
# characters, so that a run is tried once
_INNER_ASSIGN = _lazy(r"(?<![A-Za-z0-9_])([A-Za-z0-9_]+)[ \t]*=[ \t]*")
_LINE_KEY = _lazy(r"[ \t;#]*([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*[=:][ \t]*")
_LINE_WORD = _lazy(r"[ \t]*([A-Za-z_][A-Za-z0-9_.-]*)(?:[ \t]*[=:][ \t]*|[ \t]+)")
# a shell word, as shlex (POSIX) reads one: quoted runs, backslash escapes,
# anything but blanks (a no-break space or a form feed is part of the word)
_WORD = _lazy(r"(?:\"[^\"\n]*\"?|'[^'\n]*'?|\\.|[^ \t\r\n\"'\\])+")
_ENV_VALUE = _lazy(r"(?:\"[^\"]*(?:\"|$)|'[^']*(?:'|$)|[^,\"'])*")
_ENV_NAME = _lazy(r"[\s,]*([^\s=,\"']+)[ \t]*=[ \t]*")
# --password, --db-pass, --spring.datasource.password, -Djavax...Password
_OPTION = _lazy(r"(?<![\w-])['\"]?(--?[A-Za-z][A-Za-z0-9_.-]*)['\"]?(=|\s+)")
_NOT_A_VALUE = _lazy(r"--|-[A-Za-z]$")
# credential shapes, each behind a literal that a plain substring search finds
# fast (most text holds none of them)
_B = r"(?<![0-9A-Za-z_-])"
_SHAPES = [(trigger, _lazy(pattern)) for trigger, pattern in (
    ("k_live_", _B + r"[sr]k_live_[0-9A-Za-z]{8,}"),
    ("k_test_", _B + r"[sr]k_test_[0-9A-Za-z]{8,}"),
    ("gh", _B + r"gh[pousr]_[0-9A-Za-z]{20,}|" + _B + r"github_pat_[0-9A-Za-z_]{20,}"),
    ("xox", _B + r"xox[a-z]-[0-9A-Za-z-]{8,}"),
    ("AKIA", _B + r"AKIA[0-9A-Z]{16}(?![0-9A-Z])"),
    ("ASIA", _B + r"ASIA[0-9A-Z]{16}(?![0-9A-Z])"),
    ("glpat-", _B + r"glpat-[0-9A-Za-z_-]{20,}"),
    ("npm_", _B + r"npm_[0-9A-Za-z]{36}"),
    ("eyJ", _B + r"eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}"),
    ("hooks.slack.com/services/", r"(?<=hooks\.slack\.com/services/)[0-9A-Za-z/_-]+"),
    ("PRIVATE KEY-----", r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----"),
)]


def _shapes(text, out):
    for trigger, pattern in _SHAPES:
        if trigger in text:
            out.extend(m.span() for m in pattern.finditer(text))


def url_passwords(text):
    """(start, end) of each password in a URL's user:password@ part."""
    found = []
    i = text.find("://")
    while i != -1:
        if _SCHEME.search(text, max(0, i - 31), i):
            m = _USERINFO.match(text, i + 3, i + 3 + _USERINFO_SPAN)
            if m:
                found.append(m.span(1))
        i = text.find("://", i + 3)
    return found


def _secret_option(name):
    word = name.lstrip("-").replace("-", "_").replace(".", "_")
    return secret_name(word) or word.upper() in ("PWD", "PASS")


def _env_spans(text, out):
    """Values of secret names in an ``environment=`` string, each up to the
    next comma outside quotes (so ``A=x y`` masks ``x y``); a secret name
    inside another value (a missing comma: ``A=1 API_TOKEN=x``) too."""
    i, n = 0, len(text)
    while i < n:
        m = _ENV_NAME.match(text, i)
        if m is None:
            end = _ENV_VALUE.match(text, i).end()
            i = max(end, i) + 1
            continue
        start = m.end()
        end = _ENV_VALUE.match(text, start).end()
        value_end = end
        while value_end > start and text[value_end - 1].isspace():
            value_end -= 1
        if value_end > start:
            if secret_name(m.group(1)):
                out.append((start, value_end))
            elif "=" in text[start:value_end]:
                for inner in _INNER_ASSIGN.finditer(text, start, value_end):
                    if secret_name(inner.group(1)) and inner.end() < value_end:
                        out.append((inner.end(), value_end))
                        break
        i = end + 1


# Every secret the patterns below find holds one of these (a secret name's
# word, an option's, a URL's '://', a credential shape's prefix): text without
# any is skipped at C speed.
# (searched in the lower-cased text: an ignore-case pattern is ten times slower)
_ANY = _lazy(r"pass|pwd|secret|token|key|auth|credential|dsn|pat|cookie|session|"
                  r"private|://|sk_|rk_|gh[pousr]_|xox|akia|asia|glpat|npm_|eyj|hooks\.slack")


def text_spans(text, env=False, line=False, prose=False):
    """(start, end) character spans of the secrets in ``text``: ``env`` reads
    it as an ``environment=`` value, ``line`` as a config line (so that
    ``password: x`` counts too), ``line="loose"`` as a line that is no
    ``key=value`` at all (``password x``).  ``prose`` (a message the linter
    wrote) looks for what prose never holds: URL passwords and credential
    shapes; the values it quotes are masked by the run's registry."""
    if not text:
        return []
    out = []
    if prose:
        _shapes(text, out)
        if "://" in text:
            out.extend(url_passwords(text))
        return _merge(out)
    if not _ANY.search(text.lower()):
        return []
    _shapes(text, out)
    if "://" in text:
        out.extend(url_passwords(text))
    if line:
        m = (_LINE_WORD if line == "loose" else _LINE_KEY).match(text)
        if m and secret_name(m.group(1)):
            end = len(text.rstrip())
            if m.end() < end:
                out.append((m.end(), end))
        elif m and m.group(1).lower() == "environment":
            # an environment= line: its pairs, each up to the next comma
            inner = []
            _env_spans(text[m.end():], inner)
            out.extend((m.end() + a, m.end() + b) for a, b in inner)
            env = None
    if env:
        _env_spans(text, out)
    elif env is not None and "=" in text:
        # each value read once: the next name is looked for after it
        pos = 0
        while True:
            m = _ASSIGN.search(text, pos)
            if m is None:
                break
            pos = m.end()
            if secret_name(m.group(1)):
                v = _WORD.match(text, pos)
                if v and v.end() > v.start():
                    out.append(v.span())
                    pos = v.end()
    if "-" in text:
        pos = 0
        while True:
            m = _OPTION.search(text, pos)
            if m is None:
                break
            pos = m.end()
            if not _secret_option(m.group(1)):
                continue
            v = _WORD.match(text, pos)
            if v is None or (m.group(2) != "=" and _NOT_A_VALUE.match(v.group())):
                continue        # the next word is another option, not the value
            out.append(v.span())
            pos = v.end()
    return _merge(out)


def _merge(spans):
    if len(spans) < 2:
        return spans
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        last = merged[-1]
        if start <= last[1]:
            if end > last[1]:
                merged[-1] = (last[0], end)
        else:
            merged.append((start, end))
    return merged


def mask_spans(text, spans):
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact(text, env=False, line=False, prose=False):
    """``text`` with the secrets its own patterns reveal masked."""
    return mask_spans(text, text_spans(text, env, line, prose))


def has_secret(text):
    return bool(text_spans(text))


# -- escaping -------------------------------------------------------------------
_UNSAFE = _lazy("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e"
                     "\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff\ufffe\uffff]")
# what json.dumps leaves raw in a string (it escapes C0 controls itself)
JSON_UNSAFE = _lazy("[\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064"
                         "\u2066-\u2069\ufeff\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape_char(m):
    ch = m.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:
        return "\\x%02x" % (code - 0xDC00)      # an undecodable byte
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def printable(text):
    """``text`` with every character that could move a terminal's cursor,
    forge an output line or break UTF-8, JSON or XML escaped."""
    if text.isascii() and text.isprintable():
        return text         # the common case, without the regex's per-character class test
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape_char, text)


def cap(text, limit=MESSAGE_LIMIT):
    return text if len(text) <= limit else text[:limit - 3] + "..."


# -- the run's secrets ------------------------------------------------------------
# Whatever quotes a secret is masked by the secret's text: each piece of a
# secret (split at blanks and quotes) and each run of it (letters, digits,
# '_', '.', '-') of 6 characters or more wherever it occurs, of 4 or 5 only as
# a whole run, and a run cut short with '...' that starts like one.  A piece
# that is a word of the linter's own messages or a key name is not masked:
# masking "user" in "set user= to ..." would tell the password.
_SPLIT = _lazy(r"[^\s'\"`]+")
_EXPANSION = _lazy(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]?")
# a plain word (postgres, guest, Redis): masked where it is written, not
# wherever the word occurs, since that would give the secret away
_WORDLIKE = _lazy(r"(?:[a-z]+|[A-Z][a-z]+)$")
_RUN = _lazy(r"[\w.\-]+")
MIN_PIECE = 4
LONG_PIECE = 6
_GRAM = LONG_PIECE
_VOCABULARY = None


def _own_words():
    """The words of the linter's own messages and the key names it knows."""
    global _VOCABULARY
    if _VOCABULARY is None:
        import sys
        import types
        texts = []

        def code(c):
            for const in c.co_consts:
                if isinstance(const, str):
                    texts.append(const)
                elif isinstance(const, types.CodeType):
                    code(const)
        for name, module in list(sys.modules.items()):
            if not name.startswith("supervisor_lint") or module is None:
                continue
            for value in list(vars(module).values()):
                if isinstance(value, str):
                    texts.append(value)
                elif isinstance(value, types.FunctionType):
                    code(value.__code__)
                elif isinstance(value, type) and value.__module__ == name:
                    for member in vars(value).values():
                        if isinstance(member, (types.FunctionType, property)):
                            f = member.fget if isinstance(member, property) else member
                            if f is not None:
                                code(f.__code__)
        words = set()
        for text in texts:
            words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
        from . import schema
        words.update(schema.ALL_KEYS)
        _VOCABULARY = frozenset(words)
    return _VOCABULARY


def _remember(cache, key, value):
    """Store ``value`` in a per-run cache that never holds more than 4096."""
    if len(cache) >= 4096:
        cache.clear()
    cache[key] = value
    return value


class Registry:
    """The documents of one run (for source lines) and the secrets they hold
    (for masking whatever quotes them)."""

    def __init__(self):
        self.docs = {}                # display path -> Document (the latest read)
        self.first = {}               # display path -> Document (the first read)
        self._pending = []
        self._long = set()            # pieces masked wherever they occur
        self._short = set()           # pieces masked as whole runs
        self._plan = None             # how to find the long pieces (built on first use)
        self._sorted = None           # every piece, sorted (for cut-short runs)
        self._lines = {}              # (path, number) -> a source line, masked
        self._texts = {}              # (message, limit) -> text(), while the secrets stay
        self._masks = {}              # (text, line) -> mask(), while the secrets stay

    def add(self, doc):
        self.docs[doc.path] = doc
        self.first.setdefault(doc.path, doc)
        self._pending.append(doc)

    def _scan(self):
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        found = set()
        for doc in pending:
            for text in secret_texts(doc):
                text = _EXPANSION.sub(" ", text)    # %(ENV_X)s names no secret
                found.update(p for p in _SPLIT.findall(text) if len(p) >= MIN_PIECE)
                found.update(r for r in _RUN.findall(text) if len(r) >= MIN_PIECE)
        if not found:
            return
        own = _own_words()
        for piece in found:
            if piece in own or _WORDLIKE.match(piece):
                continue
            (self._long if len(piece) >= LONG_PIECE else self._short).add(piece)
            quoted = repr(piece)[1:-1]
            if quoted != piece:
                self._long.add(quoted)              # as a %r in a message shows it
        self._plan = self._sorted = None
        self._texts.clear()
        self._masks.clear()

    # -- messages -------------------------------------------------------------------
    def text(self, text, limit=MESSAGE_LIMIT):
        """A message, a section or key name: masked, escaped, capped (cut
        short first, so that no more than a few times the cap is masked)."""
        if not text:
            return text
        if self._pending:
            self._scan()
        found = self._texts.get((text, limit))
        if found is None:
            shown = text[:2 * limit] + "..." if len(text) > 2 * limit else text
            found = _remember(self._texts, (text, limit), cap(printable(self.mask(shown)), limit))
        return found

    def mask(self, text, line=False):
        """``text`` with every secret the run's documents hold masked, and
        what the patterns find: all of them in a config line (``line``),
        URL passwords and credential shapes in a message."""
        self._scan()
        found = self._masks.get((text, line))
        if found is None:
            found = redact(text, line=line, prose=not line)
            if self._long:
                found = mask_spans(found, self._long_spans(found))
            if self._long or self._short:
                found = _RUN.sub(self._run, found)
            _remember(self._masks, (text, line), found)
        return found

    def _long_spans(self, text):
        if self._plan is None:
            ordered = sorted(self._long, key=len, reverse=True)
            if len(ordered) <= 512:
                self._plan = ("find", ordered)
            else:
                index = {}
                for piece in ordered:
                    index.setdefault(piece[:_GRAM], []).append(piece)
                self._plan = ("index", index)
        how, plan = self._plan
        spans = []
        if how == "find":
            # up to a few hundred secrets: C-speed searches, each linear
            for piece in plan:
                i = text.find(piece)
                while i != -1:
                    spans.append((i, i + len(piece)))
                    i = text.find(piece, i + len(piece))
        else:
            # many: one pass, a dictionary lookup per position
            get = plan.get
            for i in range(len(text) - _GRAM + 1):
                candidates = get(text[i:i + _GRAM])
                if candidates:
                    for piece in candidates:
                        if text.startswith(piece, i):
                            spans.append((i, i + len(piece)))
                            break
        return _merge(spans)

    def _run(self, m):
        run = m.group()
        if run in self._short:
            return MASK
        core = run.rstrip(".")
        if len(core) >= MIN_PIECE and (len(core) < len(run) or
                                       m.string.startswith("...", m.end())):
            # a quoted value cut short ('...'): the start of a secret
            if self._sorted is None:
                self._sorted = sorted(self._long | self._short)
            k = bisect.bisect_left(self._sorted, core)
            if k < len(self._sorted) and self._sorted[k].startswith(core) and \
                    self._sorted[k] != core:
                return MASK
        return run

    # -- source lines ------------------------------------------------------------
    def source_line(self, path, number):
        """(text, column map) of line ``number`` of ``path`` as the reader
        numbered it, secrets masked; None for a file that is not shown."""
        doc = self.docs.get(path)
        if doc is None or getattr(doc, "opaque", False) or not 0 < number <= len(doc.lines):
            return None
        key = (path, number, id(doc))
        found = self._lines.get(key)
        if found is None:
            line = doc.lines[number - 1]
            end = line.offset + len(line.text.encode("utf-8", "surrogateescape"))
            found = self._lines[key] = self.masked_slice(doc.data, line.offset, end,
                                                         byte_spans(doc))
        return found

    def masked_slice(self, data, start, end, spans):
        """The bytes ``start:end`` of a file decoded, its secret spans and
        patterns masked; returns (text, mapping) where mapping(column) gives
        the column in the returned text of a column of the original."""
        pieces = []
        k = bisect.bisect_right(spans, (start, float("inf"))) - 1
        k = max(k, 0)
        pos = start
        shifts = []                   # (original column, masked column) at each mask
        col = mcol = 0
        while k < len(spans) and spans[k][0] < end:
            s, e = spans[k]
            k += 1
            if e <= start:
                continue
            s, e = max(s, start), min(e, end)
            if s > pos:
                chunk = data[pos:s].decode("utf-8", "surrogateescape")
                pieces.append(chunk)
                col += len(chunk)
                mcol += len(chunk)
            hidden = data[s:e].decode("utf-8", "surrogateescape")
            shifts.append((col, mcol, len(hidden)))
            pieces.append(MASK)
            col += len(hidden)
            mcol += len(MASK)
            pos = e
        if pos < end:
            pieces.append(data[pos:end].decode("utf-8", "surrogateescape"))
        text = "".join(pieces)
        masked = self.mask(text, line=True)     # (columns after what it masks shift)

        def column(c):
            result = c
            for at, mat, length in shifts:
                if c < at:
                    break
                if c < at + length:
                    return mat
                result = mat + len(MASK) + (c - at - length)
            return result
        return masked, column


def _loose_line_spans(text):
    """Secrets in a line that is no entry (text before the first header, a
    line without a delimiter): read as the key it looks like would be."""
    m = _LINE_WORD.match(text)
    if m is not None and m.group(1).lower() == "environment":
        start = m.end()
        return [(start + a, start + b) for a, b in text_spans(text[start:], env=True)] + \
            text_spans(text, line="loose")
    return text_spans(text, line="loose")


def secret_texts(doc):
    """The secret values a document holds, as text."""
    data = doc.data
    for start, end in byte_spans(doc):
        yield data[start:end].decode("utf-8", "surrogateescape")


def byte_spans(doc):
    """Sorted, merged (start, end) byte ranges of a document's secrets (cached)."""
    found = getattr(doc, "secret_spans", None)
    if found is None:
        found = doc.secret_spans = _merge(list(_document_spans(doc)))
    return found


def _value_span(line, start, end, a, b):
    """Byte range of characters ``a:b`` of a line's value ``start:end``; a
    secret that runs to the end of the value on a line whose comment cut it
    off (``"a ;tail"``: configparser drops `` ;tail``) takes the comment too."""
    stop = start + b
    if b >= end - start and line.comment_start is not None:
        stop = len(line.text)
    return line.byte_offset(start + a), line.byte_offset(stop)


# The bytes every secret's line holds (see _ANY): lines without any are
# never looked at, so a big tree costs a few C-speed searches.
_TRIGGERS = (b"pass", b"pwd", b"secret", b"token", b"key", b"auth", b"credential", b"dsn",
             b"pat", b"cookie", b"session", b"private", b"://", b"sk_", b"rk_", b"ghp_",
             b"gho_", b"ghu_", b"ghs_", b"ghr_", b"xox", b"akia", b"asia", b"glpat", b"npm_",
             b"eyj", b"hooks.slack")


def _candidate_lines(doc):
    """The numbers of the lines that hold a trigger."""
    data = doc.data.lower()
    found = set()
    offsets = None
    for trigger in _TRIGGERS:
        # PATH is no PAT, and it is on every other line: out of the way, in C
        text = data.replace(b"path", b"    ") if trigger == b"pat" else data
        i = text.find(trigger)
        while i != -1:
            if trigger == b"pat" and (data[i - 1:i].isalpha() or data[i + 3:i + 4].isalpha()):
                i = text.find(trigger, i + 3)        # compatible, spat: no PAT
                continue
            if offsets is None:
                offsets = [line.offset for line in doc.lines]
            found.add(bisect.bisect_right(offsets, i))
            i = text.find(trigger, i + len(trigger))
    return found


def _document_spans(doc):
    numbers = _candidate_lines(doc)
    if not numbers:
        return
    entries = doc.entries
    starts = [entry.line.number for entry in entries]
    chosen = []
    seen = set()
    lines = doc.lines
    for n in sorted(numbers):
        k = bisect.bisect_right(starts, n) - 1
        if k >= 0 and k not in seen:
            entry = entries[k]
            last = entry.continuations[-1].number if entry.continuations else entry.line.number
            if n <= last:
                seen.add(k)
                chosen.append(entry)
        line = lines[n - 1]
        if line.kind in ("orphan", "error"):
            for s, e in _loose_line_spans(line.text):
                yield line.byte_offset(s), line.byte_offset(e)
        if line.comment_start is not None:
            c = line.comment_start
            for s, e in text_spans(line.text[c:], line=True):
                yield line.byte_offset(c + s), line.byte_offset(c + e)
    for entry in chosen:
        yield from _entry_spans(entry)


def _entry_spans(entry):
    parts = [(entry.line, entry.value_start, entry.value_end)]
    for line in entry.continuations:
        if line.kind == "continuation":
            parts.append((line, line.value_start, line.value_end))
    for line, start, end in parts:
        if line.comment_start is not None:
            m = _CUT_URL.search(line.text, start, end)
            if m is not None and "@" in line.text[end:]:
                # ('@host' in what the comment cut off; http://localhost:9001 ; a
                # comment is a host and its port)
                yield _value_span(line, start, end, m.start(1) - start, end - start)
    if entry.key and secret_name(entry.key):
        for line, start, end in parts:
            if end > start:
                yield _value_span(line, start, end, 0, end - start)
        return
    if len(parts) == 1:
        line, start, end = parts[0]
        for s, e in text_spans(line.text[start:end], env=entry.key == "environment"):
            yield _value_span(line, start, end, s, e)
        return
    # a value over several lines: scan it joined, map the spans back
    texts, starts = [], []
    at = 0
    for line, start, end in parts:
        starts.append(at)
        texts.append(line.text[start:end])
        at += end - start + 1
    for s, e in text_spans("\n".join(texts), env=entry.key == "environment"):
        k = bisect.bisect_right(starts, s) - 1
        while k < len(parts) and starts[k] < e:
            line, start, end = parts[k]
            a = max(s - starts[k], 0)
            b = min(e - starts[k], end - start)
            if b > a:
                yield _value_span(line, start, end, a, b)
            k += 1
