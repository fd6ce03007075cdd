"""The fault proxy the fault tests put between the app or a worker and a real service: what a client
sees through it when the service is cut, hangs, and comes back (Redis here, the simplest protocol)."""
import time
from urllib.parse import urlsplit

import pytest
import redis


@pytest.fixture
def through_proxy(fault_proxy, redis_url):
    """A Redis client that reaches the real Redis through a proxy of its own, and that proxy."""
    named = urlsplit(redis_url)
    proxy = fault_proxy(named.hostname, named.port)
    client = redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=0.5,
                         socket_connect_timeout=0.5, retry=None)
    yield client, proxy
    client.close()


def test_a_proxied_service_answers_as_itself(through_proxy):
    """Through the proxy, Redis answers as it does directly, and the proxy counts the connection."""
    client, proxy = through_proxy
    assert client.ping() is True
    assert client.echo("x" * 200_000) == b"x" * 200_000  # more than one read's worth each way
    assert proxy.accepted == 1


def test_a_cut_service_refuses_then_answers_once_restored(through_proxy):
    """A cut drops the open connection and refuses new ones; after restore, a new connection works."""
    client, proxy = through_proxy
    client.ping()
    proxy.cut()
    time.sleep(0.1)
    with pytest.raises(redis.ConnectionError):
        client.ping()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    proxy.restore()
    time.sleep(0.1)
    assert client.ping() is True


def test_a_hung_service_times_out_and_its_bytes_pass_after_restore(through_proxy):
    """While hung, a request waits and times out (nothing refused, nothing answered); restored, the
    service answers again."""
    client, proxy = through_proxy
    client.ping()
    proxy.hang()
    time.sleep(0.1)
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        client.ping()
    assert time.monotonic() - started >= 0.4
    proxy.restore()
    time.sleep(0.1)
    client.connection_pool.disconnect()  # the timed-out connection holds a late answer
    assert client.ping() is True
