from stainless.cli import main

main()
