from gilscope.cli import main

main()
