"""`repolint server`: the Language Server Protocol over stdio (optional extra: repolint[lsp])."""
