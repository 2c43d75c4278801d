from gilscope.cli.main import main

main()
