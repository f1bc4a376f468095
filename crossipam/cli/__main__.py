"""``python -m crossipam.cli``: the ``crossipam`` console script (as ``python -m crossipam``).

```sh
python -m crossipam.cli demo
```
"""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
