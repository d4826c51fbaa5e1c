"""Hard offline: an in-process guard that refuses every non-loopback connection and name lookup.

``install()`` (called first thing in ``app.cli.main`` when the policy turns the network off) replaces, in the
``socket`` module, ``socket.connect`` / ``connect_ex`` / ``sendto`` / ``sendmsg`` / ``listen`` and ``getaddrinfo`` /
``gethostbyname(_ex)`` / ``gethostbyaddr`` / ``getnameinfo``. Every other Python networking layer (``ssl``,
``http.client``, ``urllib3``, ``requests``, ``httpx``, ``asyncio``'s socket paths) goes through these, so the refusal
happens before any packet is sent. Loopback (127.0.0.0/8, ::1, ``localhost``), Unix sockets and netlink stay allowed.

Each refused attempt raises :class:`ConnectionBlocked` (a ``ConnectionRefusedError``) or :class:`LookupBlocked`
(a ``socket.gaierror``), so libraries treat it as "offline", is logged with its caller (file:line) on the
``hearth.netguard`` logger and is passed to every listener (the audit log registers one).

Not covered (hence the hub libraries' own offline switches, set here too): native code that opens sockets without
Python (Rust/C extensions such as hf_xet), and child processes (they inherit the offline environment, not the guard).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger("hearth.netguard")

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
}
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_LOCAL_FAMILIES = {getattr(socket, n) for n in ("AF_UNIX", "AF_NETLINK") if hasattr(socket, n)}
_INET_FAMILIES = {socket.AF_INET, socket.AF_INET6}
_SKIP_FILES = {__file__, socket.__file__}


class NetworkBlocked(OSError):
    """Base of the guard's refusals."""


class ConnectionBlocked(NetworkBlocked, ConnectionRefusedError):
    pass


class LookupBlocked(NetworkBlocked, socket.gaierror):
    pass


@dataclass(frozen=True)
class Attempt:
    operation: str  # "connect", "sendto", "getaddrinfo", ...
    target: str  # "10.255.255.1:80", "example.com"
    caller: str  # "path/to/file.py:123 in function": the first frame outside the socket machinery
    stack: tuple[str, ...]  # up to 8 frames, innermost first


_listeners: list[Callable[[Attempt], None]] = []
_originals: dict[tuple[Any, str], Any] = {}
_lock = threading.Lock()
_local = threading.local()


def add_listener(fn: Callable[[Attempt], None]) -> None:
    _listeners.append(fn)


def remove_listener(fn: Callable[[Attempt], None]) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def is_loopback_host(host: Any) -> bool:
    """True for loopback literals and names that never need a lookup (localhost and *.localhost)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_loopback or (mapped is not None and mapped.is_loopback)


def _is_literal(host: Any) -> bool:
    try:
        ipaddress.ip_address(str(host).split("%")[0])
        return True
    except ValueError:
        return False


def _frames() -> tuple[str, ...]:
    frame = sys._getframe(2)
    out: list[str] = []
    while frame is not None and len(out) < 8:
        filename = frame.f_code.co_filename
        if filename not in _SKIP_FILES and not filename.endswith(("/ssl.py", "\\ssl.py")):
            out.append(f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        frame = frame.f_back
    return tuple(out)


def _refuse(operation: str, target: str, error: type[NetworkBlocked]) -> NetworkBlocked:
    stack = _frames()
    attempt = Attempt(operation, target, stack[0] if stack else "?", stack)
    if not getattr(_local, "busy", False):  # a listener or log handler that itself uses the network is not looped
        _local.busy = True
        try:
            log.warning("Network is off by policy: refused %s to %s from %s", operation, target, attempt.caller)
            for fn in list(_listeners):
                try:
                    fn(attempt)
                except Exception:  # noqa: BLE001 - a failing listener must not turn a refusal into another error
                    log.exception("network guard listener failed")
        finally:
            _local.busy = False
    message = f"Network access is off by your organization's policy: {operation} to {target} refused"
    if error is LookupBlocked:
        return LookupBlocked(socket.EAI_NONAME, message)
    return ConnectionBlocked(111, message)


def _address_allowed(family: int, address: Any) -> bool:
    if family in _LOCAL_FAMILIES:
        return True
    if family not in _INET_FAMILIES:
        return False
    host = address[0] if isinstance(address, tuple) and address else address
    return is_loopback_host(host)


def _target(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def _orig(owner: Any, name: str) -> Any:
    return _originals[(owner, name)]


# ------------------------------------------------------------------------------------------------- socket methods
def _connect(self: socket.socket, address: Any) -> None:
    if not _address_allowed(self.family, address):
        raise _refuse("connect", _target(address), ConnectionBlocked)
    return _orig(socket.socket, "connect")(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if not _address_allowed(self.family, address):
        raise _refuse("connect", _target(address), ConnectionBlocked)
    return _orig(socket.socket, "connect_ex")(self, address)


def _sendto(self: socket.socket, data: Any, *rest: Any) -> int:
    address = rest[-1] if rest else None
    if not _address_allowed(self.family, address):
        raise _refuse("sendto", _target(address), ConnectionBlocked)
    return _orig(socket.socket, "sendto")(self, data, *rest)


def _sendmsg(self: socket.socket, buffers: Any, *rest: Any) -> int:
    if len(rest) >= 3 and rest[2] is not None and not _address_allowed(self.family, rest[2]):
        raise _refuse("sendmsg", _target(rest[2]), ConnectionBlocked)
    return _orig(socket.socket, "sendmsg")(self, buffers, *rest)


def _listen(self: socket.socket, *backlog: Any) -> None:
    if self.family in _INET_FAMILIES and not is_loopback_host(self.getsockname()[0]):
        raise _refuse("listen", _target(self.getsockname()), ConnectionBlocked)
    return _orig(socket.socket, "listen")(self, *backlog)


# ------------------------------------------------------------------------------------------------ name resolution
def _getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
    if host in (None, "", b"") or is_loopback_host(host):
        return _orig(socket, "getaddrinfo")(host, port, family, type, proto, flags)
    if _is_literal(host):  # a literal needs no lookup; connecting to it is refused unless it is loopback
        return _orig(socket, "getaddrinfo")(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
    raise _refuse("getaddrinfo", str(host), LookupBlocked)


def _gethostbyname(host: str) -> str:
    if is_loopback_host(host) or _is_literal(host):
        return _orig(socket, "gethostbyname")(host)
    raise _refuse("gethostbyname", str(host), LookupBlocked)


def _gethostbyname_ex(host: str) -> Any:
    if is_loopback_host(host):
        return _orig(socket, "gethostbyname_ex")(host)
    raise _refuse("gethostbyname_ex", str(host), LookupBlocked)


def _gethostbyaddr(host: str) -> Any:
    if is_loopback_host(host):
        return _orig(socket, "gethostbyaddr")(host)
    raise _refuse("gethostbyaddr", str(host), LookupBlocked)


def _getnameinfo(sockaddr: Any, flags: int) -> Any:
    if flags & socket.NI_NUMERICHOST or is_loopback_host(sockaddr[0]):
        return _orig(socket, "getnameinfo")(sockaddr, flags)
    raise _refuse("getnameinfo", _target(sockaddr), LookupBlocked)


_PATCHES: tuple[tuple[Any, str, Callable[..., Any]], ...] = (
    (socket.socket, "connect", _connect), (socket.socket, "connect_ex", _connect_ex),
    (socket.socket, "sendto", _sendto), (socket.socket, "sendmsg", _sendmsg), (socket.socket, "listen", _listen),
    (socket, "getaddrinfo", _getaddrinfo), (socket, "gethostbyname", _gethostbyname),
    (socket, "gethostbyname_ex", _gethostbyname_ex), (socket, "gethostbyaddr", _gethostbyaddr),
    (socket, "getnameinfo", _getnameinfo),
)


def set_offline_environment(env: Any = None) -> None:
    """The hub libraries' own offline switches (also read by child processes); updates already-imported hubs."""
    env = os.environ if env is None else env
    env.update(OFFLINE_ENV)
    hub_constants = sys.modules.get("huggingface_hub.constants")
    if hub_constants is not None:
        hub_constants.HF_HUB_OFFLINE = True
        hub_constants.HF_HUB_DISABLE_TELEMETRY = True


def install() -> None:
    """Refuse non-loopback networking in this process from now on (idempotent)."""
    with _lock:
        set_offline_environment()
        if _originals:
            return
        for owner, name, replacement in _PATCHES:
            if hasattr(owner, name):
                _originals[(owner, name)] = getattr(owner, name)
                setattr(owner, name, replacement)
    log.info("network guard installed: only loopback connections are allowed")


def uninstall() -> None:
    """Restore the socket module (tests). The offline environment variables are left as they are."""
    with _lock:
        for (owner, name), original in _originals.items():
            setattr(owner, name, original)
        _originals.clear()


def installed() -> bool:
    return bool(_originals)
