import sys

from schemawire.cli import main

sys.exit(main())
