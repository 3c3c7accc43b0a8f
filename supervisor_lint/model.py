"""What supervisord's parser sees: the merged sections of a tree of files.

``Tree`` merges Documents exactly as one ``UnhosedConfigParser`` reading the
main file and then each included file would (duplicates merge, last key wins,
``[DEFAULT]`` inherited, ``%(here)s`` replaced per file when ``[include]``
exists).  The load walk over it, in supervisord's own order, is
``loader.py``.
"""

HERE = "%(here)s"

class Setting:
    __slots__ = ("key", "value", "entry", "inherited")

    def __init__(self, key, value, entry, inherited=False):
        self.key = key
        self.value = value            # after %(here)s replacement
        self.entry = entry
        self.inherited = inherited    # came from [DEFAULT]


class Tree:
    """The merged view of a main config and its includes, or of one fragment."""

    def __init__(self, here, fragment=False):
        self.here = here
        self.fragment = fragment
        self.docs = []
        self.origins = []             # how each of docs was read (--show-files)
        self.sections = {}            # name -> {key: Setting}, first-appearance order
        self.defaults = {}
        self.blocks = {}              # name -> [SectionBlock]
        self.include_problems = []    # Findings from include resolution
        self.host_patterns = []       # with a root: the include patterns as the host reads them
        self._custom_rpc = None
        self.overridden = []          # (earlier Entry, the Entry that overrides it)

    def add(self, doc, here_dir=None, how=None):
        self.docs.append(doc)
        self.origins.append(how)
        touched = set()
        for block in doc.blocks:
            self.blocks.setdefault(block.name, []).append(block)
            touched.add(block.name)
            if block.name != "DEFAULT" and block.name not in self.sections:
                self.sections[block.name] = {}
        sections, defaults, overridden = self.sections, self.defaults, self.overridden
        for entry in doc.entries:
            name = entry.section.name
            target = defaults if name == "DEFAULT" else sections[name]
            old = target.get(entry.key)
            if old is not None:
                overridden.append((old.entry, entry))
            target[entry.key] = entry     # an Entry is its own Setting (see reader.Entry)
        if here_dir is not None:
            # Earlier values were replaced already; only what this file touched
            # can hold %(here)s, unless it brought [DEFAULT] keys (then all).
            if "DEFAULT" in touched and any(HERE in s.value for s in self.defaults.values()):
                self.expand_here(here_dir)
            else:
                self.expand_here(here_dir, touched)

    def expand_here(self, here, only=None):
        """``UnhosedConfigParser.expand_here``: textual ``%(here)s`` replacement
        in every value of every section, [DEFAULT] values copied in."""
        names = self.sections if only is None else [n for n in only if n in self.sections]
        defaults_have_here = any(HERE in s.value for s in self.defaults.values())
        for name in names:
            keys = self.sections[name]
            items = self.items(name) if defaults_have_here else list(keys.items())
            for key, setting in list(items):
                if HERE in setting.value:
                    keys[key] = Setting(key, setting.value.replace(HERE, here), setting.entry,
                                        setting.inherited)

    def items(self, section):
        merged = {}
        for key, s in self.defaults.items():
            merged[key] = Setting(key, s.value, s.entry, inherited=True)
        merged.update(self.sections.get(section, {}))
        return merged.items()

    def get(self, section, key):
        keys = self.sections.get(section)
        if keys is not None and key in keys:
            return keys[key]
        s = self.defaults.get(key)
        if s is not None:
            return Setting(key, s.value, s.entry, inherited=True)
        return None

    def has_custom_rpcinterface(self):
        if self._custom_rpc is None:
            self._custom_rpc = self._find_custom_rpcinterface()
        return self._custom_rpc

    def _find_custom_rpcinterface(self):
        for name in self.sections:
            if name.startswith("rpcinterface:"):
                s = self.get(name, "supervisor.rpcinterface_factory")
                if s is None or s.value.strip() != "supervisor.rpcinterface:make_main_rpcinterface":
                    return True
        return False
