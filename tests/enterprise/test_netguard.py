"""The network guard with real sockets: loopback works, everything else is refused by the guard itself.

No test here ever sends a packet off the machine: a tripwire wraps the real socket functions the guard hands allowed
calls to, and fails the test if a non-loopback address ever reaches them (the guard must refuse first).
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.error
import urllib.request

import pytest

from app.policy import netguard
from app.policy.netguard import Attempt, ConnectionBlocked, LookupBlocked, NetworkBlocked

LEAKS: list[str] = []


def _tripwire(name, original):
    def wrapped(*args, **kwargs):
        target = args[1] if name in ("connect", "connect_ex") else (args[-1] if name == "sendto" else args[0])
        host = target[0] if isinstance(target, tuple) else target
        numeric = name == "getaddrinfo" and len(args) > 5 and args[5] & socket.AI_NUMERICHOST
        if name != "listen" and not numeric and host not in (None, "") and not netguard.is_loopback_host(host):
            LEAKS.append(f"{name}({target!r})")
            raise AssertionError(f"the guard let {name}({target!r}) through")
        return original(*args, **kwargs)
    return wrapped


@pytest.fixture
def guard():
    LEAKS.clear()
    seen: list[Attempt] = []
    netguard.install()
    for key, original in list(netguard._originals.items()):
        netguard._originals[key] = _tripwire(key[1], original)
    netguard.add_listener(seen.append)
    yield seen
    netguard.uninstall()
    assert not LEAKS


def _echo_server(family=socket.AF_INET, host="127.0.0.1"):
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(16).upper())

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_loopback_connections_work(guard):
    server = _echo_server()
    with socket.create_connection(server.getsockname(), timeout=10) as client:
        client.sendall(b"ping")
        assert client.recv(16) == b"PING"
    server.close()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", 1)) != 0  # a closed loopback port: refused by the kernel, not the guard
    assert guard == []


def test_ipv6_loopback_works(guard):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = _echo_server(socket.AF_INET6, "::1")
    except OSError:
        pytest.skip("::1 not configured")
    with socket.create_connection(server.getsockname()[:2], timeout=10) as client:
        client.sendall(b"v6")
        assert client.recv(16) == b"V6"
    server.close()


def test_connect_to_a_non_loopback_address_is_refused_by_the_guard(guard):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    with pytest.raises(ConnectionBlocked) as err:
        s.connect(("10.255.255.1", 80))
    assert isinstance(err.value, ConnectionRefusedError) and "policy" in str(err.value)
    with pytest.raises(ConnectionBlocked):
        s.connect_ex(("10.255.255.1", 80))
    s.close()
    assert [a.operation for a in guard] == ["connect", "connect"]
    assert guard[0].target == "10.255.255.1:80"
    assert guard[0].caller.startswith(__file__) and "test_connect_to_a_non_loopback" in guard[0].caller


def test_name_lookups_of_public_names_are_refused(guard):
    for lookup in (lambda: socket.getaddrinfo("example.com", 443), lambda: socket.gethostbyname("example.com"),
                   lambda: socket.gethostbyname_ex("example.com"), lambda: socket.gethostbyaddr("8.8.8.8"),
                   lambda: socket.getnameinfo(("8.8.8.8", 53), 0)):
        with pytest.raises(LookupBlocked) as err:
            lookup()
        assert isinstance(err.value, socket.gaierror)
    assert socket.getaddrinfo("localhost", 80)  # loopback names still resolve
    assert socket.gethostbyname("127.0.0.1") == "127.0.0.1"
    assert socket.getaddrinfo("10.255.255.1", 80)  # a literal needs no lookup; connecting to it is refused
    assert [a.target for a in guard][:2] == ["example.com", "example.com"]


def test_create_connection_and_urllib_are_refused(guard):
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("10.255.255.1", 443), timeout=30)
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("huggingface.co", 443), timeout=30)
    with pytest.raises(urllib.error.URLError) as err:
        urllib.request.urlopen("https://huggingface.co/api/models", timeout=30)
    assert isinstance(err.value.reason, NetworkBlocked)


def test_udp_sendto_is_refused_but_loopback_udp_works(guard):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.sendto(b"hi", receiver.getsockname())
    receiver.settimeout(10)
    assert receiver.recv(8) == b"hi"
    with pytest.raises(ConnectionBlocked):
        sender.sendto(b"leak", ("10.255.255.1", 53))
    with pytest.raises(ConnectionBlocked):
        sender.sendto(b"leak", 0, ("10.255.255.1", 53))
    sender.close()
    receiver.close()


def test_listening_on_all_interfaces_is_refused(guard):
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    with pytest.raises(ConnectionBlocked):
        s.listen(1)
    s.close()


def test_unix_sockets_work(guard):
    a, b = socket.socketpair()
    a.sendall(b"local")
    assert b.recv(8) == b"local"
    a.close()
    b.close()


def test_refusals_are_logged_with_the_caller(guard, caplog):
    with caplog.at_level(logging.WARNING, logger="hearth.netguard"):
        with pytest.raises(LookupBlocked):
            socket.getaddrinfo("pypi.org", 443)
    assert "pypi.org" in caplog.text and "test_netguard.py" in caplog.text


def test_install_sets_the_hub_libraries_offline(guard):
    import os

    import huggingface_hub.constants as hub

    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert hub.HF_HUB_OFFLINE is True


def test_uninstall_restores_the_socket_module():
    original, lookup = socket.socket.connect, socket.getaddrinfo
    netguard.install()
    assert socket.socket.connect is not original and socket.getaddrinfo is not lookup and netguard.installed()
    netguard.uninstall()
    assert socket.socket.connect is original and socket.getaddrinfo is lookup and not netguard.installed()


def test_asyncio_and_http_client_are_refused(guard):
    import asyncio
    import http.client

    async def open_public():
        await asyncio.wait_for(asyncio.open_connection("10.255.255.1", 80), timeout=30)

    with pytest.raises(ConnectionBlocked):
        asyncio.run(open_public())
    conn = http.client.HTTPSConnection("huggingface.co", timeout=30)
    with pytest.raises(LookupBlocked):
        conn.request("GET", "/")
    assert {a.operation for a in guard} == {"connect", "getaddrinfo"}
