from wardcloud.cli.main import main

main()
