"""The store opened for reading, with its Parquet history attached: what `render` and `status` use.

It sits above both `remote` (where the file lives) and `history.views` (how the cold rows read), so neither
of those needs the other.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator

from quartz.errors import QuartzError
from quartz.store import remote
from quartz.store.db import Store
from quartz.store.history.views import attach


@contextlib.contextmanager
def read_only(location: str, *, client=None) -> Iterator[Store]:
    """The store opened read-only: a local file in place, or an S3 object pulled to a temporary file.

    Nothing is ever pushed back. History in Parquet reads as part of its tables.
    """
    with tempfile.TemporaryDirectory(prefix="quartz-read-") as workdir:
        pulled = remote.pull(location, workdir, client=client)
        if pulled.is_s3 and pulled.etag is None:
            raise QuartzError(f"store {pulled.s3} does not exist yet; run `quartz cycle` (or `quartz sync`) first")
        store = Store.open(pulled.local_path, read_only=True)
        try:
            attach(store, location, client=client)
            yield store
        finally:
            store.close()
