"""The rule catalog: a rule's words, one YAML document per rule in
``rules/CODE.yaml`` (summary, why, examples with the fixed text, fix,
applies_to, references), joined with its declaration (``checks.rule``: name,
severity, fatality, category, ...) for ``rule``/``rules``, the generated
``docs/rules/`` and the README rules table.  The YAML never restates the
declaration.

Loaded only for ``rule``/``rules``, SARIF and by the tests, so a plain
``check`` never imports ruamel.yaml."""

import os

from .diagnostics import _DOCS_URL as DOCS_URL     # one setting for every link
FATAL_TEXT = {"always": "yes: supervisord refuses to load the config",
              "never": "no: supervisord loads the config",
              "per case": "per case: some findings are load errors"}

def rules_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(os.path.dirname(here), "rules"), os.path.join(here, "rules")):
        if os.path.isdir(candidate):
            return candidate
    return os.path.join(here, "rules")


# per rule, the files of the real corpus it fires on, before issue 12's work
# and now (scripts/corpus-counts); read for the README rules table only
COUNTS = os.path.join(os.path.dirname(rules_dir()), "docs", "corpus-counts.json")


def load_counts():
    import json
    try:
        with open(COUNTS, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError:
        return {}


def _counted(rule, counts):
    if rule.category in ("host", "live"):
        return "%s only" % ("audit" if rule.category == "host" else "--live")
    entry = counts.get(rule.code)
    if entry is None:
        return "?"
    before, after = entry.get("before"), entry.get("after")
    if before == after:
        return str(after)
    return "%s → %s" % ("new" if before is None else before, after)


class CatalogError(Exception):
    pass


def _yaml():
    try:
        from ruamel.yaml import YAML
    except ImportError:
        raise CatalogError("the rule documentation needs ruamel.yaml: pip install ruamel.yaml "
                           "(or install supervisor-lint with pip)")
    return YAML(typ="safe", pure=True)


def load(path):
    with open(path, encoding="utf-8") as fh:
        return _yaml().load(fh)


_ALL = {}


def load_all():
    """Every rule document by code (read once per process)."""
    directory = rules_dir()
    if directory in _ALL:
        return _ALL[directory]
    docs = _ALL[directory] = {}
    if not os.path.isdir(directory):
        return docs
    for name in sorted(os.listdir(directory)):
        if name.endswith(".yaml"):
            doc = load(os.path.join(directory, name))
            docs[doc["code"]] = doc
    return docs


INDEX = "_index.json"


def index_of(docs):
    """What SARIF quotes of each rule document: {code: {summary, why, fix}}."""
    return {code: {"summary": (doc.get("summary") or "").strip(),
                   "why": (doc.get("why") or "").strip(),
                   "fix": ((doc.get("fix") or {}).get("description") or "").strip()}
            for code, doc in sorted(docs.items())}


def index():
    """``index_of(load_all())`` without YAML: read from rules/_index.json,
    which scripts/gen-rule-docs writes and a test holds equal to the YAML
    (parsing 50 YAML files costs a SARIF run a fifth of a second)."""
    import json
    try:
        with open(os.path.join(rules_dir(), INDEX), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return index_of(load_all())


def declaration(doc):
    from .checks import all_rules
    return all_rules()[doc["code"]]


def lookup(code_or_name):
    """The document of the rule with this code (any case) or name, or None."""
    from .checks import all_rules
    token = code_or_name.strip()
    rules = all_rules()
    code = token.upper() if token.upper() in rules else \
        next((r.code for r in rules.values() if r.name == token), None)
    if code is None:
        return None
    path = os.path.join(rules_dir(), code + ".yaml")
    return load(path) if os.path.isfile(path) else None


def render(doc):
    rule = declaration(doc)
    out = ["%s %s" % (rule.code, rule.name), ""]
    out.append("Severity: %s    Fatal: %s    Category: %s%s" % (
        rule.severity, FATAL_TEXT[rule.fatal], rule.category,
        "" if rule.default else "    (opt-in)"))
    out.append("")
    out.append(doc["summary"].strip())
    out.append("")
    out.append("## Why is this bad?")
    out.append(doc["why"].strip())
    for ex in doc.get("examples", []):
        out.append("")
        out.append("## Example%s" % (": " + ex["title"] if ex.get("title") else ""))
        if ex.get("live"):
            out.append("While (audit --live): %s" % str(ex["live"]).strip())
        if ex.get("host"):
            out.append("On a host (audit --root) that holds:")
            out.append("```text")
            out.extend(host_lines(ex["host"]))
            out.append("```")
            out.append("/etc/supervisor/supervisord.conf:")
        out.append("```ini")
        out.append(ex["bad"].rstrip("\n"))
        out.append("```")
        if ex.get("good"):
            out.append("Use instead:")
            out.append("```ini")
            out.append(ex["good"].rstrip("\n"))
            out.append("```")
            if ex.get("good_host"):
                out.append("with, on the host:")
                out.append("```text")
                out.extend(host_lines(ex["good_host"]))
                out.append("```")
        if ex.get("fixed") and ex.get("fixed") != ex.get("good"):
            out.append("What --fix writes:")
            out.append("```ini")
            out.append(ex["fixed"].rstrip("\n"))
            out.append("```")
    fix = doc.get("fix") or {}
    out.append("")
    out.append("## Fix")
    if fix.get("available"):
        out.append("%s fix: %s" % (fix.get("safety", "unsafe").capitalize(),
                                   fix.get("description", "").strip()))
    else:
        out.append("No automatic fix." + (" " + fix.get("description", "").strip()
                                          if fix.get("description") else ""))
    out.append("")
    out.append("Docs: " + DOCS_URL % doc["code"])
    return "\n".join(out) + "\n"


def host_lines(spec):
    """An example's host (``host:``: host path -> "dir OWNER:GROUP MODE",
    "file ...", "link TARGET", a text, or {text, mode}) as lines to read."""
    out = []
    for path in sorted(spec):
        what = spec[path]
        if isinstance(what, dict):
            first = str(what.get("text", "")).split("\n")[0]
            out.append("%s  file %s%s" % (path, what.get("mode", "root:root 0644"),
                                          ", starting: " + first if first else ""))
        elif "\n" in str(what):
            out.append("%s  file root:root 0644:" % path)
            out.extend("    " + line for line in str(what).rstrip("\n").split("\n"))
        else:
            out.append("%s  %s" % (path, what))
    return out


def markdown(doc):
    """docs/rules/CODE.md, generated from rules/CODE.yaml and the rule's
    declaration (kept in sync by a test)."""
    rule = declaration(doc)
    out = ["# %s %s" % (rule.code, rule.name), "",
           "<!-- generated from rules/%s.yaml and the rule's declaration by "
           "scripts/gen-rule-docs; do not edit -->" % doc["code"], "",
           "| category | severity | fatal | default | since |", "|---|---|---|---|---|",
           "| %s | %s | %s | %s | %s |" % (rule.category, rule.severity, FATAL_TEXT[rule.fatal],
                                           "on" if rule.default else "opt-in",
                                           doc.get("since", "")), "",
           "## What it does", "", doc["summary"].strip(), "",
           "## Why is this bad?", "", doc["why"].strip(), ""]
    if doc.get("applies_to"):
        out += ["## Applies to", "", str(doc["applies_to"]).strip(), ""]
    for ex in doc.get("examples", []):
        out += ["## Example" + (": " + ex["title"] if ex.get("title") else ""), ""]
        if ex.get("live"):
            out += ["While (`audit --live`): %s" % str(ex["live"]).strip(), ""]
        if ex.get("host"):
            out += ["On a host (`audit --root`) that holds:", "", "```text"] + \
                host_lines(ex["host"]) + ["```", "", "`/etc/supervisor/supervisord.conf`:", ""]
        if ex.get("args"):
            out += ["Linted with `%s`:" % " ".join(ex["args"]), ""]
        out += ["```ini", ex["bad"].rstrip("\n"), "```", ""]
        if ex.get("good"):
            out += ["Use instead%s:" % (" (linted with `%s`)" % " ".join(ex["good_args"])
                                        if ex.get("good_args") else ""),
                    "", "```ini", ex["good"].rstrip("\n"), "```", ""]
            if ex.get("good_host"):
                out += ["with, on the host:", "", "```text"] + host_lines(ex["good_host"]) + \
                    ["```", ""]
        if ex.get("fixed") and ex.get("fixed") != ex.get("good"):
            out += ["What `--fix` writes:", "", "```ini", ex["fixed"].rstrip("\n"), "```", ""]
    fix = doc.get("fix") or {}
    out += ["## Fix safety", ""]
    if fix.get("available"):
        out.append("%s fix (`--fix`%s): %s" % (
            fix.get("safety", "unsafe").capitalize(),
            "" if fix.get("safety") == "safe" else " `--unsafe-fixes`",
            fix.get("description", "").strip()))
    else:
        out.append("No automatic fix. " + fix.get("description", "").strip())
    out.append("")
    refs = doc.get("references") or []
    if refs:
        out += ["## References", ""] + ["- %s" % r for r in refs] + [""]
    return "\n".join(out)


def rules_table():
    """The README's rules table (between its rules-table markers), generated."""
    from .checks import all_rules
    docs = load_all()
    counts = load_counts()
    out = ["| code | name | category | severity | fatal | fix | corpus files | what |",
           "|---|---|---|---|---|---|---|---|"]
    for rule in all_rules().values():
        doc = docs.get(rule.code, {})
        fix = doc.get("fix") or {}
        summary = " ".join((doc.get("summary") or "").split())
        out.append("| [%s](docs/rules/%s.md) | %s | %s | %s%s | %s | %s | %s | %s |" % (
            rule.code, rule.code, rule.name, rule.category, rule.severity,
            "" if rule.default else ", opt-in",
            {"always": "yes", "never": "no"}.get(rule.fatal, rule.fatal),
            fix.get("safety", "none") if fix.get("available") else "none",
            _counted(rule, counts), summary.replace("|", "\\|")))
    return "\n".join(out) + "\n"
