from chorus_connect.cli.main import main

main()
