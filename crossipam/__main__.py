"""``python -m crossipam``: the ``crossipam`` console script.

```sh
python -m crossipam demo
```
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
