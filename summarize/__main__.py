"""python -m summarize"""

from summarize.cli import main

main()
