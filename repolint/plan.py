"""The static load plan: what ``from_pretrained`` would do with this repo on one transformers release.

For every Auto class the repo serves (its auto_map entries, config.json's model_type and
architectures, the tokenizer / image processor / feature extractor / processor / video processor
configs) the plan is a chain of steps, each ``ok``, ``broken`` (with the reason and file:line) or
``unknown``::

    AutoModelForCausalLM
      config.json auto_map["AutoModelForCausalLM"] -> modeling_x.XForCausalLM   (remote code)
        modeling_x.py defines XForCausalLM
        modeling_x.py imports .configuration_x -> configuration_x.py
        modeling_x.py:3 from transformers.modeling_attn_mask_utils import AttentionMaskConverter
            broken: no module transformers.modeling_attn_mask_utils in 5.24.0 (exists 4.20.3-5.23.0)

Version awareness enters here: every ``transformers`` import that a module transformers would
execute makes is checked against the API surface of the target release (``repolint.api``), and
every configuration attribute the code reads against what a config of that release carries.
Rules query the plan (``plan_for(ctx)``) instead of re-deriving resolution; ``repolint plan``
draws it. The plan is pure and cached per (repo, release) for one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from repolint.configflow import ConfigFlow
from repolint.resolve import (
    auto_map_entries,
    class_kind,
    facts,
    loaded_modules,
    local_refs,
    module_closure,
    parse_ref,
    resolve_class,
)

STATUSES = ("ok", "broken", "unknown")
# when an import runs: at module import (load), only if a guard lets it (guarded), when a
# function is called (call), never at run time (type-checking)
WHEN_WORDS = {
    "load": "runs when the module is loaded",
    "guarded": "inside try: or an is_*_available() guard",
    "call": "inside a function or method body",
    "type-checking": "under TYPE_CHECKING (never runs)",
}


@dataclass
class Step:
    """One link of a load chain."""

    text: str
    status: str = "ok"
    reason: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    children: list["Step"] = field(default_factory=list)

    def to_json(self) -> dict:
        out = {"text": self.text, "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if self.file:
            out["location"] = {"file": self.file, "line": self.line or 1, "column": self.column or 1}
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out

    def walk(self):
        stack = [self]
        while stack:
            s = stack.pop()
            yield s
            stack.extend(reversed(s.children))


@dataclass
class ImportCheck:
    """One ``transformers`` import of a repo module, checked against the target release."""

    file: str
    line: int
    column: int
    end_line: int | None
    end_column: int | None
    statement: str  # "from transformers.x import Y" / "import transformers.x"
    module: str  # transformers.x
    name: str | None  # Y, or None for a plain import
    when: str  # load | guarded | call | type-checking
    status: str  # ok | missing-module | missing-name | unknown
    spans: list[tuple[str, str]] = field(default_factory=list)  # releases that have it
    elsewhere: list[str] = field(default_factory=list)  # modules that export the name in the target

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "unknown")


@dataclass
class Load:
    auto_class: str
    root: Step
    remote_module: str | None = None  # the repo module auto_map names, if remote code
    builtin_class: str | None = None  # the built-in model class an architectures entry resolves to


class LoadPlan:
    def __init__(self, ctx):
        self.ctx = ctx
        self.knowledge = ctx.knowledge
        self.release = ctx.knowledge.label
        self.modules: list[str] = loaded_modules(ctx)
        self._imports: list[ImportCheck] | None = None
        self.loads: list[Load] = []
        self._build()

    # -- transformers imports of the modules transformers executes ---------------------------
    @property
    def imports(self) -> list[ImportCheck]:
        if self._imports is None:
            self._imports = [c for mod in self.modules for c in self._module_imports(mod)]
        return self._imports

    def imports_of(self, module: str) -> list[ImportCheck]:
        return [c for c in self.imports if c.file == f"{module}.py"]

    def _module_imports(self, mod: str) -> list[ImportCheck]:
        f = facts(self.ctx, mod)
        if f is None:
            return []
        api = self.knowledge.api
        out = []
        for imp in f["imports"]:
            if imp["level"] or not imp["module"]:
                continue
            top = imp["module"].split(".")[0]
            if top != "transformers":
                continue
            when = ("type-checking" if imp.get("type_checking") else "guarded" if imp.get("guarded")
                    else "load" if imp.get("top") else "call")
            pos = dict(file=f"{mod}.py", line=imp.get("line", 1), column=imp.get("column", 1),
                       end_line=imp.get("end_line"), end_column=imp.get("end_column"))
            if imp["kind"] == "import":
                for full, _as in imp["names"]:
                    out.append(self._check(api, pos, f"import {full}", full, None, when))
            else:
                for name, _as in imp["names"]:
                    if name == "*":
                        out.append(self._check(api, pos, f"from {imp['module']} import *", imp["module"], None, when))
                    else:
                        out.append(self._check(api, pos, f"from {imp['module']} import {name}", imp["module"], name, when))
        return out

    def _check(self, api, pos, statement, module, name, when) -> ImportCheck:
        version = self.knowledge.version_for_api
        has_mod = api.has_module(module, version) if api is not None else None
        status, spans, elsewhere = "ok", [], []
        if has_mod is None:
            status = "unknown"
        elif not has_mod:
            status, spans = "missing-module", api.module_span(module)
            if name:
                elsewhere = api.modules_exporting(name, version)
        elif name is not None:
            has = api.has_name(module, name, version)
            if has is None:
                status = "unknown"
            elif not has:
                status, spans = "missing-name", api.name_span(module, name)
                elsewhere = [m for m in api.modules_exporting(name, version) if m != module]
        return ImportCheck(statement=statement, module=module, name=name, when=when, status=status,
                           spans=spans, elsewhere=elsewhere, **pos)

    # -- the load chains ------------------------------------------------------------------------
    def _build(self) -> None:
        ctx, k = self.ctx, self.knowledge
        seen_auto: set[str] = set()
        for ref in auto_map_entries(ctx):
            if (ref.file, ref.auto_class) in seen_auto:
                continue
            seen_auto.add((ref.file, ref.auto_class))
            load = self._remote_load(ref)
            self._propagate(load.root)
            self.loads.append(load)
        data = ctx.obj("config.json")
        remote_autos = {ref.auto_class for ref in auto_map_entries(ctx)}
        if data is not None and "AutoConfig" not in remote_autos:
            self.loads.append(self._builtin_config(data))
        self._side_loads(remote_autos, data or {})
        if data is not None:
            mt = data.get("model_type")
            archs = data.get("architectures") if isinstance(mt, str) else None  # a non-string type maps nothing
            for arch in archs if isinstance(archs, list) else []:
                if not isinstance(arch, str):
                    continue
                autos = [a for a in sorted(k.auto_classes) if k.auto_class_kind(a) == "model"
                         and _maps_to(k.model_mapping(a).get(mt), arch)]
                if any(a in remote_autos for a in autos) or not autos:
                    continue
                self.loads.append(Load(autos[0], Step(
                    f"{autos[0]}: config.json model_type {mt!r} -> {arch} (built in)", file="config.json"),
                    builtin_class=arch))

    # file, Auto class, the key naming the class, the snapshot's class kind, its model_type mapping
    _SIDE = (
        ("tokenizer_config.json", "AutoTokenizer", "tokenizer_class", "tokenizer", "tokenizers"),
        ("preprocessor_config.json", "AutoImageProcessor", "image_processor_type", "image_processor", "image_processors"),
        ("preprocessor_config.json", "AutoFeatureExtractor", "feature_extractor_type", "feature_extractor", "feature_extractors"),
        ("processor_config.json", "AutoProcessor", "processor_class", "processor", "processors"),
        ("video_preprocessor_config.json", "AutoVideoProcessor", "video_processor_type", "video_processor", "video_processors"),
    )

    def _side_loads(self, remote_autos: set[str], config: dict) -> None:
        """Built-in tokenizer / processor loads: the class named in its file, else the model
        type's mapping. (Unknown names are the RL4xx rules' business; here they are marked.)"""
        k = self.knowledge
        mt = config.get("model_type")
        for file, auto, key, kind, mapping in self._SIDE:
            data = self.ctx.obj(file)
            if data is None or auto in remote_autos or (key not in data and auto == "AutoFeatureExtractor"):
                continue
            name = data.get(key)
            if isinstance(name, str) and name:
                base = name[:-4] if kind == "tokenizer" and name.endswith("Fast") else name
                known = name in k.classes(kind) or base in k.classes(kind)
                step = Step(f"{auto}: {file} {key} {name!r}" + (" (built in)" if known else ""), file=file)
                if not known:
                    step.status, step.reason = "unknown", "not a class of this release (see the RL4xx findings)"
            elif isinstance(mt, str) and k.mapping(mapping).get(mt):
                step = Step(f"{auto}: config.json model_type {mt!r} -> {k.mapping(mapping)[mt][0]} (built in)", file=file)
            else:
                step = Step(f"{auto}: {file} names no class", "unknown", "transformers falls back by model type or fails",
                            file=file)
            self.loads.append(Load(auto, step))

    def _remote_load(self, ref) -> Load:
        ctx = self.ctx
        parsed = parse_ref(ref.value)
        head = Step(f"{ref.auto_class}: {ref.file} auto_map -> {ref.value}", file=ref.file)
        load = Load(ref.auto_class, head)
        if parsed is None:
            head.status, head.reason = "broken", "not a \"module.Class\" reference transformers can split"
            return load
        upstream, module, cls = parsed
        if upstream is not None:
            head.status, head.reason = "unknown", f"code comes from another repo ({upstream}); not checked here"
            return load
        load.remote_module = module
        head.text += " (remote code: needs trust_remote_code=True)"
        if not ctx.repo.exists(f"{module}.py"):
            head.children.append(Step(f"{module}.py", "broken", f"{module}.py is not in the repo"))
            return load
        f = facts(ctx, module)
        if f is None:
            head.children.append(Step(f"{module}.py", "broken", "the module could not be parsed", file=f"{module}.py"))
            return load
        target = resolve_class(ctx, module, cls)
        if target is None:
            head.children.append(Step(f"{module}.py defines {cls}", "broken", f"no class {cls} in {module}.py",
                                      file=f"{module}.py"))
        else:
            where = f"{target.module}.py" if target.facts is not None else "transformers"
            kind = class_kind(ctx, target) or "class"
            line = (target.facts or {}).get("line")
            cls_step = Step(f"{cls}: {kind.replace('_', ' ')} defined in {where}", file=where if target.facts else None, line=line)
            head.children.append(cls_step)
            if kind == "model" and target.facts is not None and self.knowledge.major >= 5:
                cls_step.children.extend(self._model_contracts(target))
        for mod in module_closure(ctx, module):
            head.children.append(self._module_step(mod, root=mod == module))
        return load

    def _model_contracts(self, target) -> list[Step]:
        """What transformers 5 requires of a custom model class at load."""
        out = []
        init, owner = own_init(self.ctx, target)
        if init is not None:
            ok = bool(post_init_called(self.ctx, target))
            out.append(Step(f"{owner.name}.__init__ calls self.post_init()", "ok" if ok else "broken",
                            None if ok else "from_pretrained fails with AttributeError ('all_tied_weights_keys')",
                            file=f"{owner.module}.py", line=init["line"], column=init["column"]))
        keys, owner = tied_keys(self.ctx, target)
        if keys is not None and keys["form"] == "list":
            tie = (self.ctx.obj("config.json") or {}).get("tie_word_embeddings")
            status = "ok" if tie is False else "broken" if tie is True else "unknown"
            out.append(Step(f"{owner.name}._tied_weights_keys is a list (5.x wants a dict)", status,
                            "with tied embeddings loading fails with AttributeError ('list' object has no attribute 'keys')",
                            file=f"{owner.module}.py", line=keys["line"], column=keys["column"]))
        return out

    def _module_step(self, mod: str, root: bool) -> Step:
        step = Step(f"{'executes' if root else 'imports'} {mod}.py", file=f"{mod}.py")
        checks = self.imports_of(mod)
        for c in checks:
            if c.status == "ok":
                continue
            s = Step(c.statement, "unknown" if c.status == "unknown" else "broken",
                     describe_import(c, self.knowledge.label), file=c.file, line=c.line, column=c.column)
            step.children.append(s)
        bad = sum(1 for c in checks if not c.ok)
        unknown = sum(1 for c in checks if c.status == "unknown")
        state = f"{bad} missing" if bad else f"{unknown} not checked" if unknown else "all present"
        step.text += f" ({len(checks)} transformers import{'s' if len(checks) != 1 else ''}, {state})"
        if any(s.status == "broken" for s in step.children):
            step.status = "broken"
        return step

    def _builtin_config(self, data: dict) -> Load:
        k = self.knowledge
        mt = data.get("model_type")
        if isinstance(mt, str) and mt in k.model_types:
            return Load("AutoConfig", Step(f"AutoConfig: config.json model_type {mt!r} -> {k.config_class(mt)} (built in)",
                                           file="config.json"))
        if isinstance(mt, str):
            since = k.since(mt)
            why = f"needs transformers >= {since}" if since else "not a model type of this release"
            return Load("AutoConfig", Step(f"AutoConfig: config.json model_type {mt!r}", "broken", why, file="config.json"))
        return Load("AutoConfig", Step("AutoConfig: config.json has no model_type and no auto_map", "broken",
                                       "Unrecognized model", file="config.json"))

    # -- views -----------------------------------------------------------------------------------
    @staticmethod
    def _propagate(step: Step) -> str:
        """A step whose descendants break is broken too (plans are a few levels deep)."""
        worst = step.status
        for child in step.children:
            if LoadPlan._propagate(child) == "broken" and worst == "ok":
                worst = "broken"
        if worst == "broken" and step.status == "ok":
            step.status, step.reason = "broken", step.reason or "a link below is broken"
        return step.status

    def tree(self) -> Step:
        root = Step(f"{self.ctx.repo.label} on transformers {self.release}")
        root.children = [load.root for load in self.loads]
        if any(s.status == "broken" for load in self.loads for s in load.root.walk()):
            root.status = "broken"
        return root

    def to_json(self) -> dict:
        return {"release": self.release, "loads": [{"auto_class": l.auto_class, **l.root.to_json()} for l in self.loads]}


def _maps_to(value, arch: str) -> bool:
    return value == arch or (isinstance(value, list) and arch in value)


def _span_text(spans: list[tuple[str, str]]) -> str:
    return ", ".join(a if a == b else f"{a}-{b}" for a, b in spans)


def describe_import(c: ImportCheck, label: str | None = None) -> str:
    """Why an import fails, without naming the target (findings merge across targets)."""
    if c.status == "missing-module":
        text = f"no module {c.module} in this release"
    elif c.status == "missing-name":
        text = f"{c.module} has no {c.name} in this release"
    elif c.status == "unknown":
        return "not in the API snapshot; not checked"
    else:
        return "ok"
    if c.spans:
        text += f" (present in {_span_text(c.spans)})"
    if c.elsewhere:
        text += f"; {c.name} is now in {c.elsewhere[0]}"
    return text


def plan_for(ctx) -> LoadPlan:
    """The plan of ``ctx.repo`` for ``ctx.knowledge``, computed once per run."""
    cache = ctx.repo.__dict__.setdefault("_plans", {})
    key = ctx.knowledge.label
    if key not in cache:
        cache[key] = LoadPlan(ctx)
    return cache[key]


# -- queries the compat rules share ---------------------------------------------------------------
def inherited_usage(ctx, cls, key: str, depth: int = 0):
    """(usage record ``key`` of the class, e.g. its ``init`` or ``tied_weights_keys``; the repo
    class it comes from): the class's own, else the nearest repo base's, as Python inherits it."""
    if cls is None or cls.facts is None or depth > 20:
        return None, None
    info = ((facts(ctx, cls.module) or {}).get("usage") or {}).get("classes", {}).get(cls.name) or {}
    if info.get(key):
        return info[key], cls
    for base in cls.facts["bases"]:
        parent = resolve_class(ctx, cls.module, base.split(".")[-1])
        if parent is not None and parent.facts is not None:
            return inherited_usage(ctx, parent, key, depth + 1)
    return None, None


def own_init(ctx, cls):
    """The ``__init__`` the class runs (its own, else the nearest repo base's) and its owner."""
    return inherited_usage(ctx, cls, "init")


def post_init_called(ctx, cls, depth: int = 0) -> bool | None:
    """Whether building ``cls`` runs ``self.post_init()``: its ``__init__`` calls it, or calls
    ``super().__init__`` of a repo base whose ``__init__`` does (post_init then runs on the
    instance before the subclass adds layers, which is enough for from_pretrained). None when the
    class has no ``__init__`` in the repo."""
    init, owner = own_init(ctx, cls)
    if init is None:
        return None
    if init["calls_post_init"]:
        return True
    if init["calls_super_init"] and depth < 20:
        for base in owner.facts["bases"]:
            parent = resolve_class(ctx, owner.module, base.split(".")[-1])
            if parent is not None and parent.facts is not None and post_init_called(ctx, parent, depth + 1):
                return True
    return False


def tied_keys(ctx, cls):
    """The ``_tied_weights_keys`` literal the class has (own or inherited) and its owner."""
    return inherited_usage(ctx, cls, "tied_weights_keys")


def loaded_model_classes(ctx):
    """(auto_map Ref, ClassRef) of each repo model class an AutoModel* entry of config.json loads."""
    seen = set()
    for ref, module, cls in local_refs(ctx):
        if ref.file != "config.json" or ctx.knowledge.auto_class_kind(ref.auto_class) != "model":
            continue
        target = resolve_class(ctx, module, cls)
        if target is None or target.facts is None or (target.module, target.name) in seen:
            continue
        if class_kind(ctx, target) != "model":
            continue
        seen.add((target.module, target.name))
        yield ref, target


_BASE_CONFIGS = ("PretrainedConfig", "PreTrainedConfig")


def config_attr_reads(ctx):
    """(read, file, popped) for each unguarded ``config.<attr>`` read in the executed modules that
    nothing provides on the target release. Yields nothing when what the config carries cannot be
    known (no API data for the release, a config class that sets computed attribute names, or a
    built-in config class whose fields are not in the snapshot)."""
    from repolint.knowledge import field_schema

    k = ctx.knowledge
    api = k.api
    plan = plan_for(ctx)
    base = api.config_attrs(k.version_for_api) if api is not None else None
    if not base or not plan.modules:
        return
    provided = set(base)
    popped = set(api.generation_params_popped(k.version_for_api) or ())
    data = ctx.obj("config.json") or {}

    def builtin_fields(class_name: str) -> bool:
        if class_name in _BASE_CONFIGS:
            return True
        mt = next((m for m, e in k.model_types.items() if e["config_class"] == class_name), None)
        schema = field_schema(k.version, mt) if mt and k.major >= 5 else None
        if schema is None:
            return False
        provided.update(schema.get("properties", {}))
        provided.update(schema.get("attribute_map", {}))
        return True

    # the model's config may be a built-in one (no custom AutoConfig)
    mt = data.get("model_type")
    if "AutoConfig" not in {r.auto_class for r in auto_map_entries(ctx)}:
        if not (isinstance(mt, str) and mt in k.model_types and builtin_fields(k.config_class(mt))):
            return
    writes: set[str] = set()
    reads: list[tuple[dict, str]] = []
    for mod in plan.modules:
        f = facts(ctx, mod)
        usage = (f or {}).get("usage")
        if usage is None:
            return  # a module we could not analyse: the config might be set up there
        writes.update(usage["config_writes"])
        reads.extend((r, f"{mod}.py") for r in usage["config_reads"])
        for name, info in usage["classes"].items():
            ref = resolve_class(ctx, mod, name)
            if ref is None or class_kind(ctx, ref) != "config":
                continue
            if info.get("open"):
                return
            provided.update(info["provides"])
            for b in ref.facts["bases"]:
                parent = resolve_class(ctx, mod, b.split(".")[-1])
                if (parent is None or parent.facts is None) and not builtin_fields(b.split(".")[-1]):
                    return
        # built-in config classes the code uses as sub-configs
        for imp in f["imports"]:
            if imp["module"] and imp["module"].split(".")[0] == "transformers":
                for name, _as in imp["names"]:
                    if name.endswith("Config") and name in k.classes("config") and not builtin_fields(name):
                        return
    for key in _json_keys(data):
        if key not in popped:
            provided.add(key)
    flow = None
    for read, rel in reads:
        attr = read["attr"]
        if read["probed"] or attr.startswith("__") or attr in provided or attr in writes:
            continue
        if _other_config_type(ctx, rel[:-3], read.get("config_type")):
            continue
        flow = flow or ConfigFlow(ctx, plan.modules)
        if flow.other_object(rel[:-3], read):
            continue  # the repo's code passes this scope another object (options, a sub-config)
        yield read, rel, attr in data and attr in popped


def _other_config_type(ctx, module: str, name: str | None) -> bool:
    """The `config` the read goes through is declared (annotated) as a repo class that is not a
    transformers config (a dataclass of the model's own options, say): not the model config."""
    if not name:
        return False
    ref = resolve_class(ctx, module, name)
    return ref is not None and ref.facts is not None and class_kind(ctx, ref) != "config"


def _json_keys(data, limit: int = 100_000) -> set[str]:
    """Every key of config.json at any depth (sub-configs carry their own attributes)."""
    out: set[str] = set()
    stack = [data]
    while stack and len(out) < limit:
        node = stack.pop()
        if isinstance(node, dict):
            out.update(k for k in node if isinstance(k, str))
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return out
