from clausegen.cli import main

main()
