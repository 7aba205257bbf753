from kith.api.cli import main

main()
