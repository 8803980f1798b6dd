"""Load repos with transformers, for the agreement tests. Run as a script, never imported
by repolint: reads a JSON list of jobs on stdin, prints a JSON list of outcomes.

A job: {"dir": path, "loader": "AutoConfig" | "AutoTokenizer" | ... | "GenerationConfig",
        "trust_remote_code": bool | null, "from_config": bool (optional: an AutoModel* built
        with from_config on the meta device, for repos without weights)}
An outcome: {"ok": bool, "error": "ExceptionType: first line", "class": loaded class name,
             "size": vocabulary size for tokenizers}
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")


def load(job: dict) -> dict:
    import transformers

    loader = job["loader"]
    kwargs = {}
    if job.get("trust_remote_code") is not None:
        kwargs["trust_remote_code"] = job["trust_remote_code"]
    try:
        if loader == "GenerationConfig":
            obj = transformers.GenerationConfig.from_pretrained(job["dir"])
        elif job.get("from_config"):
            import torch

            config = transformers.AutoConfig.from_pretrained(job["dir"], **kwargs)
            with torch.device("meta"):
                obj = getattr(transformers, loader).from_config(config, **kwargs)
        else:
            obj = getattr(transformers, loader).from_pretrained(job["dir"], **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the outcome is the point
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return {"ok": False, "error": f"{type(exc).__name__}: {first}"[:300]}
    size = len(obj) if loader == "AutoTokenizer" else None
    return {"ok": True, "class": type(obj).__name__, "size": size}


def main() -> None:
    logging.disable(logging.WARNING)
    jobs = json.load(sys.stdin)
    print(json.dumps([load(job) for job in jobs]))


if __name__ == "__main__":
    main()
