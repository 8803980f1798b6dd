"""RL709: configs transformers 5 saves that 4.57 cannot load. Each model type's config is written by
save_pretrained under a 5.x oracle and loaded by AutoConfig under the 4.57 one; repolint (target 4.57)
must report an error exactly for those that fail."""

from __future__ import annotations

import subprocess

import pytest

from helpers import lint, local_oracle_pythons, run_oracle
from repolint.rules.compat_files import saved_by_5_fails

ORACLES = local_oracle_pythons(modules=("transformers",))
NEWER = next((p for p, v in ORACLES if v.startswith("5.")), None)
OLDER = next((p for p, v in ORACLES if v.startswith("4.57")), None)
TYPES = ["detr", "table-transformer", "conditional_detr", "csm", "dbrx", "bert", "llama", "resnet"]

SAVE = """
import sys, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
from transformers import CONFIG_MAPPING
for mt in sys.argv[2:]:
    CONFIG_MAPPING[mt]().save_pretrained(f"{sys.argv[1]}/{mt}")
"""


def test_the_shipped_probe_names_the_detr_family():
    fails = saved_by_5_fails("4.57.6")
    assert {"detr", "conditional_detr", "table-transformer"} <= set(fails)
    assert "bert" not in fails and "llama" not in fails


@pytest.mark.skipif(not (NEWER and OLDER), reason="needs a transformers 5 and a 4.57 oracle")
def test_transformers_agrees(tmp_path):
    subprocess.run([NEWER, "-c", SAVE, str(tmp_path), *TYPES], check=True, timeout=600,
                   env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    outcomes = run_oracle(OLDER, [{"dir": mt, "loader": "AutoConfig"} for mt in TYPES], tmp_path)
    failed = []
    for mt, outcome in zip(TYPES, outcomes):
        found = [d for d in lint(tmp_path / mt, targets=["4.57"]) if d.code == "RL709"]
        assert bool(found) == (not outcome["ok"]), (mt, outcome, found)
        if found:
            assert found[0].severity.value == "error" and outcome["error"].split(":")[0] in found[0].message
            failed.append(mt)
        assert not [d for d in lint(tmp_path / mt, targets=["5.24"]) if d.code == "RL709"]
    assert {"detr", "table-transformer", "csm"} <= set(failed)
