import sys

from textvision.cli import main

sys.exit(main())
