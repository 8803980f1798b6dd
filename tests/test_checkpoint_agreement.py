"""RL820-RL824 against transformers' own load report.

scripts/make_checkpoint_fixtures.py writes tiny llama / bert / gpt2 / custom-code repos with
save_pretrained, and variants of them (a Llama config.json over the custom-code checkpoint,
another architectures entry, a head checkpoint under another head, a base checkpoint under a
head class and back, legacy LayerNorm names, a vocab_size that differs from the embeddings, a
dropped layer, a layer more than config.json says, a missing norm), then loads each with
``from_pretrained(..., output_loading_info=True)``. It runs under every oracle interpreter
available (this environment's, plus REPOLINT_ORACLE_PYTHONS, colon-separated), and repolint
targets that release: the keys repolint predicts missing and unexpected must be exactly
transformers' ``missing_keys`` / ``unexpected_keys``, each case must get the expected findings,
and an error-level finding must go with a load that fails or builds a model other than the
one saved (weights initialised randomly or ignored).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import lint, oracle_pythons, target_of
from repolint.engine import Context
from repolint.knowledge import Knowledge
from repolint.repo import Repo
from repolint.rules.checkpoint import predictions
from repolint.weightsdata import data_version

ROOT = Path(__file__).resolve().parent.parent
MAKER = ROOT / "scripts" / "make_checkpoint_fixtures.py"

# case -> the RL82x codes repolint must report (severity comes with the code)
EXPECTED = {
    "llama_clean": set(),
    "bert_clean": set(),
    "gpt2_clean": set(),
    "custom_clean": set(),  # remote code: not predicted
    "gpt2_base_into_head": set(),
    "bert_legacy_layernorm_names": set(),
    "llama_config_over_custom": {"RL820"},
    "wrong_architectures": {"RL821", "RL824"},
    "bert_other_head": {"RL821", "RL824"},
    "llama_base_into_head": {"RL821"},
    "llama_missing_norm": {"RL821"},
    "vocab_size_mismatch": {"RL823"},
    "dropped_layer": {"RL822"},
    "extra_layer": {"RL822"},
    "moe_clean": set(),
    "moe_expert_half_missing": {"RL825"},
}
ERROR_CODES = {"RL820", "RL822", "RL823", "RL825"}


def _oracles() -> list[tuple[str, str]]:
    return [(python, version) for python, version in oracle_pythons() if version.startswith("5.")]


ORACLES = _oracles()
pytestmark = pytest.mark.skipif(not ORACLES, reason="no transformers 5 + torch to check against")


@pytest.fixture(scope="module")
def loads(tmp_path_factory):
    """oracle version -> (fixture folder, {case: load outcome})."""
    out = {}
    for python, version in ORACLES:
        d = tmp_path_factory.mktemp(f"ckpt-{version}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(HF_HUB_OFFLINE="1", HF_MODULES_CACHE=str(d / "modules"), TRANSFORMERS_VERBOSITY="error")
        r = subprocess.run([python, str(MAKER), "--out", str(d / "repos"), "--load"], capture_output=True, text=True,
                           cwd=d, env=env, timeout=900)
        assert r.returncode == 0, r.stderr[-3000:]
        out[version] = (d / "repos", json.loads((d / "repos" / "LOADS.json").read_text()))
    return out


def _covered(loads) -> dict:
    """The oracle releases the shipped data describes (a release it lacks is not predicted)."""
    found = {v: x for v, x in loads.items() if data_version(target_of(v)) is not None}
    if not found:
        pytest.skip(f"no checkpoint-key data for transformers {', '.join(loads)}")
    return found


def _prediction(repo: Path, version: str):
    ctx = Context(Repo(repo, label="."), Knowledge.for_target(target_of(version)))
    preds = predictions(ctx)
    assert len(preds) <= 1
    return preds[0][1] if preds else None


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_predicted_keys_are_transformers_own(loads, case):
    for version, (repos, outcomes) in _covered(loads).items():
        outcome = outcomes[case]
        pred = _prediction(repos / case, version)
        if case == "custom_clean":
            assert pred is None and outcome["ok"] and outcome["missing"] == []
            continue
        assert pred is not None, case
        assert pred.exact
        if not outcome["ok"]:  # transformers raises; repolint names the cause
            if "ignore_mismatched_sizes" in outcome["error"]:  # a shape mismatch
                assert pred.mismatched, case
            else:  # per-expert tensors that do not pair up
                assert "automatic conversion" in outcome["error"] and pred.conversion_errors, (case, outcome)
            continue
        assert sorted(pred.missing) == outcome["missing"], (version, case)
        assert sorted(pred.unexpected) == outcome["unexpected"], (version, case)
        assert pred.mismatched == [] and outcome["mismatched"] == [] and pred.conversion_errors == []


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_findings_agree_with_the_load(loads, case):
    for version, (repos, outcomes) in _covered(loads).items():
        outcome = outcomes[case]
        diags = [d for d in lint(repos / case, select=["RL82"], targets=[target_of(version)]) if d.code.startswith("RL82")]
        codes = {d.code for d in diags}
        verdict = f"transformers {version}: {outcome}; repolint: {[(d.code, d.message) for d in diags]}"
        assert codes == EXPECTED[case], verdict
        errors = [d for d in diags if d.severity == "error"]
        assert {d.code for d in errors} == codes & ERROR_CODES, verdict
        misloads = not outcome["ok"] or outcome["missing"] or outcome["unexpected"]
        if errors:
            assert misloads, verdict
        if not misloads:
            assert diags == [], verdict
        for d in diags:  # the counts in the messages are transformers' counts
            if d.code in ("RL820", "RL821"):
                assert f" {len(outcome['missing'])} of " in d.message, verdict
            if d.code == "RL822":
                n, what = (len(outcome["missing"]), "weights") if outcome["missing"] else (len(outcome["unexpected"]), "tensors")
                assert f"({n} {what})" in d.message, verdict
            if d.code == "RL824":
                assert d.message.startswith(f"{len(outcome['unexpected'])} checkpoint tensor"), verdict
