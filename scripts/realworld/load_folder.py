"""Load one model folder with the transformers installed in *this* interpreter; print one JSON line.

Run by label.py in a fresh process per folder (never imported by repolint). Each step is tried on its
own and recorded as {"loader", "ok", "class", "error", "kind"}; kind is "repo" for a failure the folder
causes and "env" for one this machine causes (a pip package the code imports is not installed, the
Hub is offline for code or files named in another repository, torch/CUDA-only code paths).

    python load_folder.py FOLDER
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import warnings

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

ENV_PATTERNS = (  # optional packages the repos need are installed in the overlay (label.py --overlay)
    r"requires the following packages that were not found",
    r"offline mode",
    r"HF_HUB_OFFLINE",
    r"couldn't connect to",
    r"ConnectionError|NameResolutionError|Max retries exceeded",
    r"LocalEntryNotFoundError",
    r"CUDA",
    r"Torch not compiled",
)


def _origin(exc: BaseException) -> str:
    """Where the innermost frame outside transformers itself ran: the repo's code or another package."""
    import traceback

    frames = [f.filename for f in traceback.extract_tb(exc.__traceback__)]
    outside = [f for f in frames if "/transformers/" not in f and "/importlib/" not in f and "<frozen" not in f]
    if not outside:
        return "transformers"
    return "repo" if "transformers_modules" in outside[-1] else "package"


def _kind(exc: BaseException, text: str) -> str:
    removed_module = isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("transformers.")
    if removed_module or (isinstance(exc, ImportError) and "cannot import name" in text and "'transformers" in text):
        # a module or name transformers does not have: the repo's fault when its own code imports it,
        # the environment's when another package (installed for the repo) does
        return "repo" if _origin(exc) == "repo" else "env"
    if isinstance(exc, MemoryError) or "DefaultCPUAllocator: can't allocate" in text:
        return "memory"  # the labeller's own cap (see _cap_memory), not the repo
    if re.search(r"device meta|meta tensor|on the meta device|'meta'|meta device", text):
        return "meta"  # building under torch.device("meta") is stricter than from_pretrained's own init
    if isinstance(exc, ImportError) or any(re.search(p, text) for p in ENV_PATTERNS):
        return "env"
    return "repo"


def _read(folder: str, name: str) -> dict:
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            doc = json.load(fh)
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def _step(results: list, loader: str, fn):
    try:
        obj = fn()
    except BaseException as exc:  # noqa: BLE001 - the outcome is the point
        text = f"{type(exc).__name__}: {exc}"
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        results.append({"loader": loader, "ok": False, "error": first[:400], "kind": _kind(exc, text)})
        return None
    results.append({"loader": loader, "ok": True, "class": type(obj).__name__ if not isinstance(obj, type) else obj.__name__})
    return obj


def _check_not_empty(results: list, tok) -> None:
    """A tokenizer that loads but encodes plain text to nothing (or only unknown tokens) was built
    without its vocabulary: transformers 5 does that silently when the files are missing."""
    if not hasattr(tok, "convert_tokens_to_ids"):  # 4.57 returns False when a remote tokenizer's files are broken
        results[-1].update(ok=False, kind="repo", error=f"silent: AutoTokenizer returned {tok!r}, not a tokenizer")
        return
    try:
        ids = tok("hello world, this is a test", add_special_tokens=False)["input_ids"]
        unk = getattr(tok, "unk_token_id", None)
        empty = not ids or all(i == unk for i in ids)
        size = len(tok)
    except Exception as exc:  # noqa: BLE001 - loads, but cannot encode plain text
        if type(exc) is not Exception:
            return  # e.g. a tokenizer that takes pre-split words (LayoutLM): not this check's business
        results[-1].update(ok=False, kind="repo", error=f"silent: {type(tok).__name__} loads but encoding "
                           f"fails: {type(exc).__name__}: {str(exc)[:200]}")
        return
    if empty:
        results[-1].update(ok=False, kind="repo", error=f"silent: {type(tok).__name__} has no vocabulary "
                           f"(size {size}); plain text encodes to {ids!r}")


def _auto_for_architecture(transformers, config, arch: str) -> str | None:
    """The Auto model class whose built-in mapping gives `arch` for this config's model type."""
    from transformers.models.auto import modeling_auto

    model_type = getattr(config, "model_type", None)
    for name, mapping in vars(modeling_auto).items():
        if name.startswith("MODEL_") and name.endswith("_MAPPING_NAMES") and isinstance(mapping, dict):
            if mapping.get(model_type) == arch:
                auto = "AutoModel" + name[len("MODEL_"):-len("_MAPPING_NAMES")].title().replace("_", "")
                for candidate in dir(transformers):
                    if candidate.lower() == auto.lower() and candidate.startswith("AutoModel"):
                        return candidate
    return None


def main(folder: str) -> None:
    import torch
    import transformers

    results: list = []
    config_doc = _read(folder, "config.json")
    tok_doc = _read(folder, "tokenizer_config.json")
    pre_doc = _read(folder, "preprocessor_config.json")
    proc_doc = _read(folder, "processor_config.json")
    names = set(os.listdir(folder))
    kw = {"trust_remote_code": True}
    config = None
    if "config.json" in names:
        config = _step(results, "AutoConfig", lambda: transformers.AutoConfig.from_pretrained(folder, **kw))
    if config is not None:
        auto_map = config_doc.get("auto_map") if isinstance(config_doc.get("auto_map"), dict) else {}
        autos = [k for k in auto_map if k.startswith("AutoModel") and hasattr(transformers, k)]
        if not autos:
            archs = config_doc.get("architectures") if isinstance(config_doc.get("architectures"), list) else []
            auto = next((a for a in (_auto_for_architecture(transformers, config, x) for x in archs if isinstance(x, str)) if a), None)
            autos = [auto or "AutoModel"]
        for auto in autos:
            def build(auto=auto):
                with torch.device("meta"):
                    return getattr(transformers, auto).from_config(config, **kw)
            model = _step(results, auto, build)
            if model is not None and int(transformers.__version__.split(".")[0]) >= 5:
                # (4.x initialises the missing weights on the CPU: minutes and gigabytes per model)
                # from_pretrained's own steps (tied weights, post-processing), without weights: an empty
                # state dict, every tensor left on the meta device (needs accelerate)
                cls = type(model)
                del model
                _step(results, f"{auto}.from_pretrained", lambda cls=cls: cls.from_pretrained(
                    None, config=config, state_dict={}, device_map="meta"))
    tokenizer_files = {"tokenizer_config.json", "tokenizer.json", "vocab.json", "vocab.txt", "tokenizer.model",
                       "spiece.model", "sentencepiece.bpe.model"}
    if names & tokenizer_files:
        tok = _step(results, "AutoTokenizer", lambda: transformers.AutoTokenizer.from_pretrained(folder, **kw))
        if tok is not None:
            _check_not_empty(results, tok)
    if pre_doc:
        audio = any(k in pre_doc for k in ("sampling_rate", "feature_size", "num_mel_bins", "n_fft"))
        if audio or ("feature_extractor_type" in pre_doc and "image_processor_type" not in pre_doc
                     and not any(k in pre_doc for k in ("image_mean", "size", "crop_size", "do_resize"))):
            _step(results, "AutoFeatureExtractor", lambda: transformers.AutoFeatureExtractor.from_pretrained(folder, **kw))
        else:
            _step(results, "AutoImageProcessor", lambda: transformers.AutoImageProcessor.from_pretrained(folder, **kw))
    wants_processor = bool(proc_doc) or any(
        isinstance(d, dict) and ("processor_class" in d or "AutoProcessor" in (d.get("auto_map") or {}))
        for d in (tok_doc, pre_doc, config_doc))
    if wants_processor:
        _step(results, "AutoProcessor", lambda: transformers.AutoProcessor.from_pretrained(folder, **kw))
    if "generation_config.json" in names:
        _step(results, "GenerationConfig", lambda: transformers.GenerationConfig.from_pretrained(folder))
    return {"transformers": transformers.__version__, "results": results}


def _cap_memory(extra: int = 3 << 30) -> None:
    """Cap the child's address space at what the parent maps plus `extra` bytes: a model that would
    materialise its weights (4.x from_pretrained without weights initialises them on the CPU) fails
    with MemoryError instead of taking the machine."""
    import resource

    with open("/proc/self/statm") as fh:
        mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (mapped + extra, mapped + extra))


def serve(timeout: float) -> None:
    """Fork server: import torch and transformers once, then for each folder path read on stdin fork a
    child that loads it (so no repo code ever runs in this process, and each folder starts from the
    same clean, already-imported state), and print one JSON line per folder. A child past `timeout`
    seconds is killed."""
    import select
    import signal

    import torch  # noqa: F401 - imported once, before forking
    import transformers

    for name in ("AutoConfig", "AutoModel", "AutoTokenizer", "AutoImageProcessor", "AutoProcessor",
                 "AutoFeatureExtractor", "GenerationConfig"):
        getattr(transformers, name)
    real_stdout = sys.stdout
    for line in sys.stdin:
        folder = line.strip()
        if not folder:
            continue
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _cap_memory()
            sys.stdout = sys.stderr  # what the repo's code prints stays out of the answer
            try:
                out = main(folder)
            except BaseException as exc:  # noqa: BLE001
                out = {"results": [{"loader": "process", "ok": False, "kind": "crash", "error": repr(exc)[:300]}]}
            os.write(write_fd, (json.dumps(out) + "\n").encode())
            os._exit(0)
        os.close(write_fd)
        chunks, deadline = [], time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            data = os.read(read_fd, 65536)
            if not data:
                break
            chunks.append(data)
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        text = b"".join(chunks).decode(errors="replace").strip()
        if text:
            answer = json.loads(text)
        elif time.monotonic() >= deadline:
            answer = {"timeout": True, "results": []}
        else:
            answer = {"results": [{"loader": "process", "ok": False, "kind": "crash", "error": f"child status {status}"}]}
        answer["folder"] = folder
        real_stdout.write(json.dumps(answer) + "\n")
        real_stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(float(sys.argv[2]))
    else:
        print(json.dumps(main(sys.argv[1])))
