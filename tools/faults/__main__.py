import sys

from tools.faults.report import main

sys.exit(main())
