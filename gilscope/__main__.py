from gilscope.entry import main

main()
