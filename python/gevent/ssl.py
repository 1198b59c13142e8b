"""gevent.ssl: SSL sockets that let the other greenlets run while they wait.

endure's SSLSocket retries the TLS operation when the (non-blocking) socket would block, after
waiting for readiness on endure's loop. Installed as ssl.SSLContext.sslsocket_class, so
ssl.wrap_socket, SSLContext.wrap_socket, http.client, urllib and requests use it.
"""
import ssl as _std_ssl

import _endure

from ssl import *  # noqa: F401,F403

_POLLIN = 0x001
_POLLOUT = 0x004


class SSLSocket(_std_ssl.SSLSocket):
    def _ssl_io(self, fn, *args):
        while True:
            try:
                return fn(*args)
            except _std_ssl.SSLWantReadError:
                events = _POLLIN
            except _std_ssl.SSLWantWriteError:
                events = _POLLOUT
            timeout = self.gettimeout()
            if timeout == 0.0:
                raise
            if not _endure.wait_fd(self.fileno(), events, timeout):
                raise TimeoutError("The read operation timed out" if events == _POLLIN
                                   else "The write operation timed out")

    def do_handshake(self, block=False):
        self._check_connected()
        return self._ssl_io(self._sslobj.do_handshake)

    def read(self, len=1024, buffer=None):  # noqa: A002 (the standard signature)
        return self._ssl_io(super().read, len, buffer)

    def write(self, data):
        return self._ssl_io(super().write, data)

    def send(self, data, flags=0):
        if self._sslobj is not None and not flags:
            return self._ssl_io(self._sslobj.write, data)
        return super().send(data, flags)

    def unwrap(self):
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        s = self._ssl_io(self._sslobj.shutdown)
        self._sslobj = None
        return s
