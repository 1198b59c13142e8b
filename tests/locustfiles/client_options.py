# Every request option of self.client, checked against the test server's /echo, /cookies,
# /basic-auth and /redirect routes. A failed check raises, which records an exception: the CLI
# test expects none. Each task ends with exactly the requests listed in the test.
import base64
import json

from locust import HttpUser, constant, task


class OptionsUser(HttpUser):
    wait_time = constant(0)

    @task
    def everything(self):
        c = self.client
        # name=, headers=, params=
        r = c.get("/echo", name="echo-named", headers={"X-Test": "1"}, params={"a": "1", "b": "x y"})
        e = r.json()
        assert e["method"] == "GET", e
        assert e["query"] == {"a": "1", "b": "x y"}, e
        assert {k.lower(): v for k, v in e["headers"].items()}.get("x-test") == "1", e["headers"]
        # json=
        r = c.post("/echo", json={"quantity": 1})
        e = r.json()
        assert json.loads(e["body"]) == {"quantity": 1}, e
        assert "application/json" in str(e["headers"]).lower(), e
        # data= (form)
        r = c.put("/echo", data={"k": "v w"})
        assert r.json()["body"] == "k=v+w", r.text
        # data= raw string, patch, delete, options
        assert c.patch("/echo", data="raw").json()["body"] == "raw"
        assert c.delete("/echo").json()["method"] == "DELETE"
        assert c.options("/echo").json()["method"] == "OPTIONS"
        # head
        r = c.head("/fast")
        assert r.status_code == 200 and r.content == b"", (r.status_code, r.content)
        # files (multipart)
        r = c.post("/echo", files={"upload": ("a.txt", b"file-content", "text/plain")}, data={"f": "1"})
        body = r.json()["body"]
        assert "file-content" in body and 'filename="a.txt"' in body and 'name="f"' in body, body
        # cookies: per request, and the session jar (client.cookies)
        r = c.get("/cookies", cookies={"once": "1"})
        assert r.json().get("once") == "1", r.text
        c.get("/set-cookie?session=abc")
        assert c.cookies.get("session") == "abc", dict(c.cookies)
        assert c.get("/cookies").json().get("session") == "abc"
        c.cookies.clear()
        assert c.cookies.get("session") is None
        c.cookies.set("mine", "42")
        assert c.get("/cookies").json().get("mine") == "42"
        c.cookies.clear()
        # auth
        assert c.get("/basic-auth/u/p", auth=("u", "p")).status_code == 200
        # allow_redirects
        r = c.get("/redirect?to=/fast", allow_redirects=False)
        assert r.status_code == 302, r.status_code
        r = c.get("/redirect?to=/fast", name="/redirect-followed")
        assert r.status_code == 200 and r.text.strip() == "ok", (r.status_code, r.text)
        # client.headers: sent with every request
        c.headers["X-Default"] = "d"
        assert "d" in str(c.get("/echo", name="echo-default").json()["headers"])
        del c.headers["X-Default"]
        # verify= is accepted
        c.get("/fast", verify=False)
        # Response attributes
        r = c.get("/json")
        assert r.ok and r.status_code == 200 and r.reason == "OK"
        assert r.headers["content-type"] == r.headers["Content-Type"]
        assert len(r.json()) == 20 and r.content.decode() == r.text
        assert r.url.endswith("/json") and r.elapsed.total_seconds() >= 0
        assert r.encoding is None or isinstance(r.encoding, str)
        r.raise_for_status()
        bad = c.get("/status/404")
        assert bad.status_code == 404 and not bad.ok
        try:
            bad.raise_for_status()
            raise AssertionError("raise_for_status did not raise")
        except IOError as err:
            assert "404" in str(err)
        # rename_request
        with c.rename_request("renamed"):
            c.get("/fast?x=1")
            c.get("/fast?x=2")
        # timeout (last: its connection is closed): a request that takes too long fails with a timeout error
        r = c.get("/slow?ms=500", timeout=0.05, name="/slow-timeout")
        assert r.status_code == 0 and r.error is not None and not r.ok, (r.status_code, r.error)
        self.environment.runner.quit()
