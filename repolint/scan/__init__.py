"""`repolint scan`: lint many Hub repos, resumably, into JSON Lines; `repolint report` draws them."""
