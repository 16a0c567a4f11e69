from starter.app import main

main()
