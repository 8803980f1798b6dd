from repolint.cli import main

main()
