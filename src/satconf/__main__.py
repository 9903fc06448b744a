import sys

from satconf.cli import main

sys.exit(main())
