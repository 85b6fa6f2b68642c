from habitd.cli.app import main

main()
