"""Which repo scopes receive an object other than the model config as ``config`` (RL702).

transformers hands the model config to the classes it loads (a model, a config, a tokenizer
...). Every other class or function of the repo gets what the repo's own code passes it. A
scope is *foreign* when its ``config`` parameter is annotated with a repo class that is not a
config, or when it has callers and none of them hands on the model config: each passes an object
built otherwise (``Block(Options(...))``, ``Vision(config.vision_config)``), or the ``config`` of
a scope that is foreign itself (the greatest such set, so that layers building each other
recursively stay foreign). A scope with no known caller (reached through a table, ``getattr``,
another package) is not foreign: it may get the model config. Reads through ``self.config``
follow the class's ``__init__``, unless the class sets ``self.config`` to something else.
"""

from __future__ import annotations

from repolint.resolve import class_kind, facts, imported_from, resolve_class


class ConfigFlow:
    def __init__(self, ctx, modules):
        self.ctx = ctx
        self._classes: dict[tuple, object] = {}
        self._inits: dict[tuple, tuple | None] = {}
        self.usage = {m: ((facts(ctx, m) or {}).get("usage") or {}) for m in modules}
        self.scopes: dict[tuple, dict] = {}
        self.self_other: set[tuple] = set()  # (module, class)
        for m, u in self.usage.items():
            for rec in u.get("config_scopes", ()):
                if rec["is"] == "self_other":
                    self.self_other.add((m, rec["class"]))
                else:
                    self.scopes[(m, rec["class"], rec["function"])] = rec
        self.foreign = self._solve()

    # -- resolution ------------------------------------------------------------------------------
    def _class(self, module, name):
        key = (module, name)
        if key not in self._classes:
            ref = resolve_class(self.ctx, module, name) if name else None
            self._classes[key] = ref if ref is not None and ref.facts is not None else None
        return self._classes[key]

    def method_scope(self, ref, method, depth=0):
        """(module, class, method) that defines ``method`` for the repo class ``ref``."""
        if ref is None or depth > 20:
            return None
        if method in self._usage_of(ref.module).get("methods", {}).get(ref.name, ()):
            return ref.module, ref.name, method
        for base in ref.facts["bases"]:
            found = self.method_scope(self._class(ref.module, base.split(".")[-1]), method, depth + 1)
            if found:
                return found
        return None

    def _usage_of(self, module):
        if module not in self.usage:
            self.usage[module] = (facts(self.ctx, module) or {}).get("usage") or {}
        return self.usage[module]

    def _function(self, module, name, depth=0):
        if name in self._usage_of(module).get("functions", ()):
            return module, None, name
        f = facts(self.ctx, module)
        src = imported_from(f, name) if f is not None else None
        if src and src[0] == 1 and src[1] and "." not in src[1] and src[2] and depth < 10:
            return self._function(src[1], src[2], depth + 1)
        return None

    def target(self, module, cls, callee):
        head, _, rest = callee.partition(".")
        own = self._class(module, cls)
        if callee == "super().__init__":
            for base in (own.facts["bases"] if own else ()):
                found = self.method_scope(self._class(module, base.split(".")[-1]), "__init__")
                if found:
                    return found
            return None
        if head in ("cls", "self"):
            return self.method_scope(own, rest or "__init__") if head == "cls" or rest else None
        ref = self._class(module, head)
        if ref is not None:
            return self.method_scope(ref, rest or "__init__") if "." not in rest else None
        return None if rest else self._function(module, head)

    # -- the fixpoint ----------------------------------------------------------------------------
    def _entry(self, scope) -> bool:
        ref = self._class(scope[0], scope[1])
        return ref is not None and class_kind(self.ctx, ref) is not None

    def _annotated_other(self, scope) -> bool:
        rec = self.scopes.get(scope)
        ann = rec.get("annotation") if rec and rec["is"] == "param" else None
        ref = self._class(scope[0], ann)
        return ref is not None and class_kind(self.ctx, ref) != "config"

    def _solve(self) -> set:
        sites: dict[tuple, list] = {}
        escaped: set[tuple] = set()
        for m, u in self.usage.items():
            for s in u.get("config_sites", ()):
                t = self.target(m, s["class"], s["callee"])
                if t is not None:
                    sites.setdefault(t, []).append(((m, s["class"], s["function"]), s["passes"]))
            for name in u.get("config_escapes", ()):
                ref = self._class(m, name)
                if ref is not None:
                    escaped.update((ref.module, ref.name, meth) for meth in self._usage_of(ref.module).get("methods", {}).get(ref.name, ()))
                elif self._function(m, name):
                    escaped.add(self._function(m, name))
        elsewhere = {n for u in self.usage.values() for n in u.get("config_passed_elsewhere", ())}
        open_ = escaped | {t for t in set(sites) | set(self.scopes) if t[2] in elsewhere or t[1] in elsewhere}
        fixed = {s for s in self.scopes if self._annotated_other(s)}
        foreign = fixed | {t for t in sites if t not in open_ and not self._entry(t)}
        # a function taking `config` that nothing calls does not run while the model is built: what it
        # would hand on does not count (its own reads still do: it might be called from elsewhere)
        self.dead = {s for s, rec in self.scopes.items() if rec["is"] == "param" and s not in sites
                     and s not in open_ and not self._entry(s)}
        changed = True
        while changed:
            changed = False
            for t in sorted(foreign - fixed, key=str):
                if any(self._hands_model(caller, passes, foreign | self.dead) for caller, passes in sites.get(t, ())):
                    foreign.discard(t)
                    changed = True
        return foreign

    def _hands_model(self, caller, passes, foreign) -> bool:
        if "unknown" in passes:
            return True
        if "name" in passes and not self._name_foreign(caller, foreign):
            return True
        return "self" in passes and not self._self_foreign(caller[0], caller[1], foreign)

    def _name_foreign(self, scope, foreign) -> bool:
        rec = self.scopes.get(scope)
        if rec and rec["is"] == "self":
            return self._self_foreign(scope[0], scope[1], foreign)
        if rec and rec["is"] == "other":
            ref = self._class(scope[0], rec.get("ctor"))
            return rec.get("ctor") is None or (ref is not None and class_kind(self.ctx, ref) != "config")
        return rec is not None and scope in foreign  # without a `config` parameter, callers do not decide

    def _self_foreign(self, module, cls, foreign) -> bool:
        if cls is None:
            return False
        if (module, cls) in self.self_other:
            return True
        if (module, cls) not in self._inits:
            self._inits[(module, cls)] = self.method_scope(self._class(module, cls), "__init__")
        init = self._inits[(module, cls)]
        rec = self.scopes.get(init) if init else None
        return rec is not None and rec["is"] == "param" and init in foreign

    # -- the query -------------------------------------------------------------------------------
    def other_object(self, module, read) -> bool:
        """The read goes through an object that is not the model config."""
        if read.get("via") == "self":
            return self._self_foreign(module, read["class"], self.foreign)
        return self._name_foreign((module, read["class"], read["function"]), self.foreign)
