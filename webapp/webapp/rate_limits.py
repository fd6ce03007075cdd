"""Where Flask-Limiter counts in development and tests: `threadsafe-memory://` (config.py)."""
import threading

from limits.storage import MemoryStorage


class ThreadSafeMemoryStorage(MemoryStorage):
    """The counts in this process's memory (development and tests), safe under `flask run`'s threads.

    limits 5.8's own memory storage can start its expiry timer twice when two requests count at the
    same moment, and one of them answers 500 (seen in the workbook's concurrent registrations; fixed
    upstream in alisaifee/limits#352, not released yet). Counting one request at a time avoids it.
    Defining the class is enough: limits finds a storage by its scheme."""
    STORAGE_SCHEME = ["threadsafe-memory"]  # RATELIMIT_STORAGE_URI = 'threadsafe-memory://'

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions, **options)
        self.counting = threading.Lock()

    def incr(self, *args, **kwargs):  # how the fixed window, Flask-Limiter's default, counts
        with self.counting:
            return super().incr(*args, **kwargs)
