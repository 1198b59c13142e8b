"""gevent.socket: the standard socket module made cooperative for endure's hub.

socket objects keep their OS socket non-blocking and wait for readiness through endure's loop
when called on a user or a spawned greenlet (elsewhere they block in poll(), as before). Name
lookups (getaddrinfo and friends) run on a helper thread while the greenlet waits. The timeout a
socket was given applies to each wait, as in gevent.
"""
import errno as _errno
import os as _os
import _socket as _c_socket
import socket as _std

import _endure

from socket import *  # noqa: F401,F403 (gevent.socket re-exports the standard names)

__all__ = list(getattr(_std, "__all__", []))

_POLLIN = 0x001
_POLLOUT = 0x004
_real_socket = _std.socket
_orig = {name: getattr(_std, name) for name in (
    "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo")}
_connecting = (_errno.EINPROGRESS, _errno.EALREADY, _errno.EWOULDBLOCK, _errno.EAGAIN)


def _fileno(obj):
    return obj if isinstance(obj, int) else obj.fileno()


def wait_read(fileno, timeout=None, timeout_exc=None):
    if not _endure.wait_fd(_fileno(fileno), _POLLIN, timeout):
        raise timeout_exc if timeout_exc is not None else _std.timeout("timed out")


def wait_write(fileno, timeout=None, timeout_exc=None, event=None):
    if not _endure.wait_fd(_fileno(fileno), _POLLOUT, timeout):
        raise timeout_exc if timeout_exc is not None else _std.timeout("timed out")


def wait_readwrite(fileno, timeout=None, timeout_exc=None, event=None):
    if not _endure.wait_fd(_fileno(fileno), _POLLIN | _POLLOUT, timeout):
        raise timeout_exc if timeout_exc is not None else _std.timeout("timed out")


class socket(_real_socket):
    """socket.socket whose blocking calls let the other greenlets run while they wait."""

    # The timeout the user asked for (None: blocking, 0.0: non-blocking); the OS socket itself
    # is always non-blocking. A class default covers sockets made by code that skips __init__.
    _endure_timeout = None

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        super().__init__(family, type, proto, fileno)
        self._endure_timeout = _real_socket.gettimeout(self)
        _real_socket.setblocking(self, False)

    # --- timeouts as the caller sees them ---
    def settimeout(self, value):
        if value is not None:
            value = float(value)
            if value < 0:
                raise ValueError("Timeout value out of range")
        self._endure_timeout = value
        _real_socket.setblocking(self, False)

    def gettimeout(self):
        return self._endure_timeout

    def setblocking(self, flag):
        self.settimeout(None if flag else 0.0)

    def getblocking(self):
        return self._endure_timeout != 0.0

    @property
    def timeout(self):
        return self._endure_timeout

    def _wait(self, events):
        timeout = self._endure_timeout
        if not _endure.wait_fd(self.fileno(), events, timeout):
            raise _std.timeout("timed out")

    def _io(self, events, fn, *args):
        while True:
            try:
                return fn(self, *args)
            except BlockingIOError:
                if self._endure_timeout == 0.0:
                    raise
                self._wait(events)
                if _real_socket.fileno(self) < 0:  # closed by another greenlet meanwhile
                    raise OSError(9, "File descriptor was closed in another greenlet")
            except InterruptedError:
                continue

    def _real_close(self, _ss=_c_socket.socket, _closing=_endure.closing_fd):
        # Greenlets waiting on this socket wake and fail (EBADF) instead of waiting forever.
        fd = _ss.fileno(self)
        if fd >= 0:
            _closing(fd)
        _ss.close(self)

    # --- reads ---
    def recv(self, *args):
        return self._io(_POLLIN, _real_socket.recv, *args)

    def recv_into(self, *args):
        return self._io(_POLLIN, _real_socket.recv_into, *args)

    def recvfrom(self, *args):
        return self._io(_POLLIN, _real_socket.recvfrom, *args)

    def recvfrom_into(self, *args):
        return self._io(_POLLIN, _real_socket.recvfrom_into, *args)

    def recvmsg(self, *args):
        return self._io(_POLLIN, _real_socket.recvmsg, *args)

    def _accept(self):
        return self._io(_POLLIN, _real_socket._accept)

    # --- writes ---
    def send(self, *args):
        return self._io(_POLLOUT, _real_socket.send, *args)

    def sendto(self, *args):
        return self._io(_POLLOUT, _real_socket.sendto, *args)

    def sendmsg(self, *args):
        return self._io(_POLLOUT, _real_socket.sendmsg, *args)

    def sendall(self, data, flags=0):
        view = memoryview(data).cast("B")
        sent = 0
        while sent < len(view):
            sent += self.send(view[sent:], flags)

    def sendfile(self, file, offset=0, count=None):
        return self._sendfile_use_send(file, offset, count)

    # --- connections ---
    def _resolved(self, address):
        """A host name in an INET address is looked up cooperatively before connecting (the C
        connect would look it up itself, blocking every greenlet)."""
        if self.family not in (_std.AF_INET, _std.AF_INET6) or not isinstance(address, tuple):
            return address
        host = address[0]
        if not isinstance(host, str) or _is_numeric(host):
            return address
        infos = getaddrinfo(host, address[1], self.family, self.type, self.proto)
        return infos[0][4] if infos else address

    def connect_ex(self, address):
        address = self._resolved(address)
        while True:
            err = _real_socket.connect_ex(self, address)
            if err == _errno.EINTR:
                continue
            if err not in _connecting or self._endure_timeout == 0.0:
                return err
            try:
                self._wait(_POLLOUT)
            except _std.timeout:
                return _errno.ETIMEDOUT
            return self.getsockopt(_std.SOL_SOCKET, _std.SO_ERROR)

    def connect(self, address):
        err = self.connect_ex(address)
        if err == _errno.ETIMEDOUT and self._endure_timeout:
            raise _std.timeout("timed out")
        if err:
            raise OSError(err, _os.strerror(err))


def _is_numeric(host):
    if host in ("", "localhost", "<broadcast>"):
        return True
    for family in (_std.AF_INET, _std.AF_INET6):
        try:
            _std.inet_pton(family, host.split("%", 1)[0])
            return True
        except (OSError, ValueError):
            pass
    return False


def _lookup(name, host, *args):
    fn = _orig[name]
    if isinstance(host, bytes):
        try:
            host_text = host.decode("ascii")
        except UnicodeDecodeError:
            host_text = None
    else:
        host_text = host
    if host_text is None or not isinstance(host_text, str) or _is_numeric(host_text):
        return fn(host, *args)
    return _endure.call_in_thread(fn, (host,) + args)


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    return _lookup("getaddrinfo", host, port, family, type, proto, flags)


def gethostbyname(hostname):
    return _lookup("gethostbyname", hostname)


def gethostbyname_ex(hostname):
    return _lookup("gethostbyname_ex", hostname)


def gethostbyaddr(ip_address):
    return _lookup("gethostbyaddr", ip_address)


def getnameinfo(sockaddr, flags):
    return _endure.call_in_thread(_orig["getnameinfo"], (sockaddr, flags))


SocketType = socket
