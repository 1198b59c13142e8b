# A master that refuses every worker as a master does when it does not speak the worker's
# protocol version: it answers client_ready with quit and never acks (Locust's wire format:
# MessagePack [type, data, node_id] on a ROUTER). Prints "refused N" per refusal; ends after the
# first one is answered, or after 30 s.
#   /usr/bin/python3 refusing_master.py PORT
import sys
import time

import msgpack
import zmq

ctx = zmq.Context()
sock = ctx.socket(zmq.ROUTER)
sock.bind("tcp://127.0.0.1:%s" % sys.argv[1])
print("listening", flush=True)
deadline = time.time() + 30
while time.time() < deadline:
    if not sock.poll(100):
        continue
    identity, payload = sock.recv_multipart()[:2]
    kind = msgpack.unpackb(payload, raw=False)[0]
    if kind == "client_ready":
        sock.send_multipart([identity, msgpack.packb(["quit", None, "master"])])
        print("refused", identity.decode(), flush=True)
        time.sleep(1)  # let the quit leave before the socket closes
        break
sock.close(linger=1000)
ctx.term()
