"""Interactive Brokers venue; ``ib_async`` is imported only inside this package, lazily.

Whatever part of the package loads first, this runs before it: eventkit (ib_async's event
library) loads with numpy deferred to its first use (see :func:`trader_cli.lazy.import_deferring`).
"""

from trader_cli.lazy import import_deferring

import_deferring("eventkit", "numpy")
