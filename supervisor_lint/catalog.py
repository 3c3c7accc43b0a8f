"""The rule catalog: one YAML document per rule in ``rules/CODE.yaml``.

Loaded only for ``rule``/``rules`` and by the tests, so a plain ``check``
never imports ruamel.yaml."""

import os

def rules_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(os.path.dirname(here), "rules"), os.path.join(here, "rules")):
        if os.path.isdir(candidate):
            return candidate
    return os.path.join(here, "rules")


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


def find(code_or_name):
    token = code_or_name.strip()
    path = os.path.join(rules_dir(), token.upper() + ".yaml")
    if os.path.isfile(path):
        return load(path)
    for doc in load_all().values():
        if doc.get("name") == token:
            return doc
    return None


def render(doc):
    out = ["%s %s" % (doc["code"], doc["name"]), ""]
    fatal = doc.get("fatal")
    fatal_text = {True: "yes: supervisord refuses to load the config",
                  False: "no: supervisord loads the config"}.get(fatal, str(fatal))
    out.append("Severity: %s    Fatal: %s" % (doc["severity"], fatal_text))
    out.append("")
    out.append(doc["summary"].strip())
    out.append("")
    out.append("## Why is this bad?")
    out.append(doc["why"].strip())
    for ex in doc.get("examples", []):
        out.append("")
        out.append("## Example%s" % (": " + ex["title"] if ex.get("title") else ""))
        out.append("```ini")
        out.append(ex["bad"].rstrip("\n"))
        out.append("```")
        if ex.get("good"):
            out.append("Use instead:")
            out.append("```ini")
            out.append(ex["good"].rstrip("\n"))
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
    from .report import DOCS_URL
    out.append("")
    out.append("Docs: " + DOCS_URL % doc["code"])
    return "\n".join(out) + "\n"


def markdown(doc):
    """docs/rules/CODE.md, generated from rules/CODE.yaml (kept in sync by a test)."""
    fatal = {True: "yes: supervisord refuses to load the config",
             False: "no: supervisord loads the config"}.get(doc.get("fatal"), "per case: " +
                                                           "some findings are load errors")
    out = ["# %s %s" % (doc["code"], doc["name"]), "",
           "<!-- generated from rules/%s.yaml by scripts/gen-rule-docs; do not edit -->"
           % doc["code"], "",
           "| severity | fatal | since |", "|---|---|---|",
           "| %s | %s | %s |" % (doc["severity"], fatal, doc.get("since", "")), "",
           "## What it does", "", doc["summary"].strip(), "",
           "## Why is this bad?", "", doc["why"].strip(), ""]
    if doc.get("applies_to"):
        out += ["## Applies to", "", str(doc["applies_to"]).strip(), ""]
    for ex in doc.get("examples", []):
        out += ["## Example" + (": " + ex["title"] if ex.get("title") else ""), "", "```ini",
                ex["bad"].rstrip("\n"), "```", ""]
        if ex.get("good"):
            out += ["Use instead:", "", "```ini", ex["good"].rstrip("\n"), "```", ""]
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
