from tokencensus.cli import main

main()
