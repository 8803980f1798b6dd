"""The fuzz harness behind scripts/fuzz.py: seeded generators of mutated model repos.

    case.py      a Case (files as plain data, incl. symlinks, FIFOs, folders) and writing it
    values.py    JSON values of every type and the keys transformers reads, per file
    jsonmut.py   JSON structure, values, text and encodings
    pymut.py     Python structure, depth, size and bytes of custom-code modules
    tomlmut.py   repolint.toml / pyproject.toml
    fsmut.py     file-system oddities
    generate.py  seed repos (examples/, tests/fixtures/) and the case for (seed, index)
    runner.py    one `repolint check` per case, forked or exec'd, with limits and rusage
    verdict.py   failure signatures of one run
"""
