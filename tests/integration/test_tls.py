"""TLS (wss://): certificates and host names are verified by default; -k
turns that off; --ca, --cert and --key. Every certificate is made at test
time with the openssl command into a temporary directory; the servers are
python3-websockets echo servers wrapped in ssl (servers/websockets_echo.py --tls),
and, where what a kind of server answers matters, openssl s_server and nginx."""
import subprocess

import pytest

from harness import WSC, run, python_server, server_on_free_port
from wsproto import RawServer
from test_redirect_proxy_unix import ConnectProxy, ipv6_loopback, redirector

MSG = "through tls\n"


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    assert r.returncode == 0, r.stderr.decode()


def make_key_csr(d, name, cn):
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + cn, cwd=d)


def sign(d, name, ext):
    (d / (name + ".ext")).write_text(ext)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
            "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-out", name + ".pem", "-extfile", name + ".ext", cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """ca.pem; server.pem for localhost and 127.0.0.1 signed by the CA;
    wrong.pem for another name signed by the CA; ip.pem for the addresses
    ::1 and 127.0.0.1 only (IP SANs, no DNS name) and bracket.pem for the
    DNS name "[" (what libwebsockets 4.1 checked for "[::1]"), both signed
    by the CA; many.pem for four DNS names and two addresses, none of them
    a loopback one, signed by the CA; self.pem self-signed for localhost and 127.0.0.1;
    client.pem, a client certificate from the CA."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=wsc test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    make_key_csr(d, "server", "localhost")
    sign(d, "server", "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
         "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    make_key_csr(d, "wrong", "wrong.example")
    sign(d, "wrong", "subjectAltName=DNS:wrong.example\n"
         "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    make_key_csr(d, "ip", "wsc test ip")
    sign(d, "ip", "subjectAltName=IP:::1,IP:127.0.0.1\n"
         "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    make_key_csr(d, "bracket", "wsc test bracket")
    sign(d, "bracket", "subjectAltName=DNS:[\n"
         "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    make_key_csr(d, "many", "wsc test many")
    sign(d, "many", "subjectAltName=DNS:a.example,DNS:b.example,"
         "IP:10.0.0.1,DNS:c.example,DNS:d.example,IP:::2\n"
         "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    make_key_csr(d, "client", "wsc test client")
    sign(d, "client", "basicConstraints=CA:FALSE\n"
         "extendedKeyUsage=clientAuth\n")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", "self.key", "-out", "self.pem", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)
    return d


def tls_server(request, pki, name, client_ca=False, host=None):
    args = ["--tls", pki / (name + ".pem"), pki / (name + ".key")]
    if host:
        args += ["--bind", host]
    if client_ca:
        args += ["--client-ca", pki / "ca.pem"]
    s = python_server("websockets_echo.py", *args)
    request.addfinalizer(s.close)
    return s


@pytest.fixture(scope="module")
def self_signed(request, pki):
    return tls_server(request, pki, "self")


@pytest.fixture(scope="module")
def ca_signed(request, pki):
    return tls_server(request, pki, "server")


@pytest.fixture(scope="module")
def wrong_host(request, pki):
    return tls_server(request, pki, "wrong")


@pytest.fixture(scope="module")
def needs_client_cert(request, pki):
    return tls_server(request, pki, "server", client_ca=True)


@pytest.fixture(scope="module")
def ip_only(request, pki):
    return tls_server(request, pki, "ip")


def v6_server(request, pki, name):
    if not ipv6_loopback():
        pytest.skip("cannot bind ::1 (no IPv6 loopback here)")
    return tls_server(request, pki, name, host="::1")


@pytest.fixture(scope="module")
def v6_ip_only(request, pki):
    return v6_server(request, pki, "ip")


@pytest.fixture(scope="module")
def v6_wrong_host(request, pki):
    return v6_server(request, pki, "wrong")


@pytest.fixture(scope="module")
def v6_bracket(request, pki):
    return v6_server(request, pki, "bracket")


def url(server, host="127.0.0.1"):
    return "wss://%s:%d/" % (host, server.port)


def echo(args, server, host="127.0.0.1"):
    # python3-websockets answers our Close before its handler has echoed,
    # so wait for the one echo (-n 1) rather than closing at end of input
    return run(list(args) + ["-n", "1", "-w", "inf", url(server, host)],
               input=MSG)


def assert_echoed(r):
    assert r.returncode == 0, r.stderr
    assert r.stdout == MSG.encode()


def assert_one_error_line(r, status=1):
    assert r.returncode == status, (r.returncode, r.stderr)
    assert r.stdout == b""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"wsc: "), r.stderr


def test_self_signed_rejected_by_default(self_signed):
    assert_one_error_line(echo([], self_signed))


def test_self_signed_accepted_with_insecure(self_signed):
    assert_echoed(echo(["-k"], self_signed))


def test_self_signed_accepted_with_long_insecure(self_signed):
    assert_echoed(echo(["--insecure"], self_signed))


def test_self_signed_not_trusted_through_unrelated_ca(pki, self_signed):
    assert_one_error_line(echo(["--ca", str(pki / "ca.pem")], self_signed))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_ca_signed_accepted_with_ca(pki, ca_signed, host):
    assert_echoed(echo(["--ca", str(pki / "ca.pem")], ca_signed, host))


def test_ca_signed_rejected_without_ca(ca_signed):
    """The test CA is not in the system store: verification must fail."""
    assert_one_error_line(echo([], ca_signed))


def test_wrong_host_name_rejected(pki, wrong_host):
    """Trusted chain, but issued to wrong.example, not 127.0.0.1."""
    assert_one_error_line(echo(["--ca", str(pki / "ca.pem")], wrong_host))


def test_wrong_host_name_accepted_with_insecure(pki, wrong_host):
    assert_echoed(echo(["-k", "--ca", str(pki / "ca.pem")], wrong_host))


# --- IP literals are checked against the IP addresses in the certificate ---

def assert_tls_cause(r, server, host, cause):
    assert_one_error_line(r)
    assert r.stderr.decode() == "wsc: wss://%s:%d/: TLS handshake failed: " \
        "%s\n" % (host, server.port, cause)


def test_ipv6_literal_matches_ip_san(pki, v6_ip_only):
    """libwebsockets 4.1 alone fails this with "hostname mismatch"."""
    assert_echoed(echo(["--ca", str(pki / "ca.pem")], v6_ip_only, "[::1]"))


def test_ipv4_literal_matches_ip_san(pki, ip_only):
    assert_echoed(echo(["--ca", str(pki / "ca.pem")], ip_only))


def test_ipv6_literal_against_dns_san_fails(pki, v6_wrong_host):
    r = echo(["--ca", str(pki / "ca.pem")], v6_wrong_host, "[::1]")
    assert_tls_cause(r, v6_wrong_host, "[::1]", "IP address mismatch (the "
                     "certificate is for wrong.example)")


def test_ipv6_literal_not_checked_as_the_name_bracket(pki, v6_bracket):
    """A trusted certificate for the DNS name "[" is not one for [::1]."""
    r = echo(["--ca", str(pki / "ca.pem")], v6_bracket, "[::1]")
    assert_tls_cause(r, v6_bracket, "[::1]", "IP address mismatch (the "
                     "certificate is for [)")


def test_name_not_matched_by_ip_san(pki, ip_only):
    """localhost resolves to 127.0.0.1, but the certificate names no host."""
    r = echo(["--ca", str(pki / "ca.pem")], ip_only, "localhost")
    assert_tls_cause(r, ip_only, "localhost", "hostname mismatch (the "
                     "certificate is for ::1, 127.0.0.1)")


# --- a mismatch names the names the certificate holds ---

@pytest.fixture(scope="module")
def many_names(request, pki):
    return tls_server(request, pki, "many")


def test_host_mismatch_lists_the_certificates_names(pki, wrong_host):
    """No --ca or -k advice either: the name is what is wrong."""
    r = echo(["--ca", str(pki / "ca.pem")], wrong_host)
    assert_tls_cause(r, wrong_host, "127.0.0.1", "IP address mismatch (the "
                     "certificate is for wrong.example)")


@pytest.mark.parametrize("host,what", [("localhost", "hostname"),
                                       ("127.0.0.1", "IP address")])
def test_host_mismatch_lists_the_first_names_then_how_many_more(
        pki, many_names, host, what):
    """DNS and IP names in the certificate's order, the first four."""
    r = echo(["--ca", str(pki / "ca.pem")], many_names, host)
    assert_tls_cause(r, many_names, host, "%s mismatch (the certificate is "
                     "for a.example, b.example, 10.0.0.1, c.example and 2 "
                     "more)" % what)


def test_ipv6_literal_wrong_host_accepted_with_insecure(v6_wrong_host):
    assert_echoed(echo(["-k"], v6_wrong_host, "[::1]"))


def test_client_certificate_accepted(pki, needs_client_cert):
    assert_echoed(echo(["--ca", str(pki / "ca.pem"),
                        "--cert", str(pki / "client.pem"),
                        "--key", str(pki / "client.key")], needs_client_cert))


def test_client_certificate_missing_fails(pki, needs_client_cert):
    assert_one_error_line(echo(["--ca", str(pki / "ca.pem")],
                               needs_client_cert))


def test_client_certificate_not_from_server_ca_fails(pki, needs_client_cert):
    """A self-signed client certificate is not one the server trusts."""
    assert_one_error_line(echo(["--ca", str(pki / "ca.pem"),
                                "--cert", str(pki / "self.pem"),
                                "--key", str(pki / "self.key")],
                               needs_client_cert))


@pytest.mark.parametrize("opt", ["--ca", "--cert", "--key"])
def test_missing_file_is_usage_error(tmp_path, pki, ca_signed, opt):
    files = {"--ca": str(pki / "ca.pem"), "--cert": str(pki / "client.pem"),
             "--key": str(pki / "client.key")}
    files[opt] = str(tmp_path / "no-such-file.pem")
    args = []
    for k, v in files.items():
        args += [k, v]
    r = run(args + [url(ca_signed)], input=MSG)
    assert_one_error_line(r, status=2)
    assert b"no-such-file.pem" in r.stderr


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    return str(tmp_path / name)


@pytest.mark.parametrize("case", [
    "ca-no-cert", "ca-key-only", "ca-directory", "ca-bad-pem",
    "cert-not-cert", "key-not-key", "key-not-matching", "key-encrypted"])
def test_unusable_file_is_usage_error(tmp_path, pki, ca_signed, case):
    """Each file is read at start, before connecting: exit 2, one line
    naming the option, the file and what is wrong with it."""
    ca, cert, key = (str(pki / n) for n in
                     ("ca.pem", "client.pem", "client.key"))
    if case == "ca-no-cert":
        ca = write(tmp_path, "hostname", "myhost\n")
        opt, bad, why = "--ca", ca, "no certificate found"
    elif case == "ca-key-only":
        ca = key
        opt, bad, why = "--ca", ca, "no certificate found"
    elif case == "ca-directory":
        ca = str(tmp_path)
        opt, bad, why = "--ca", ca, "Is a directory"
    elif case == "ca-bad-pem":
        ca = write(tmp_path, "bad.pem", "-----BEGIN CERTIFICATE-----\n!!\n"
                   "-----END CERTIFICATE-----\n")
        opt, bad, why = "--ca", ca, "bad base64 decode"
    elif case == "cert-not-cert":
        cert = key
        opt, bad, why = "--cert", cert, "no certificate found"
    elif case == "key-not-key":
        key = cert
        opt, bad, why = "--key", key, "no private key found"
    elif case == "key-not-matching":
        key = str(pki / "self.key")
        opt, bad, why = "--key", key, "not the private key of --cert " + cert
    else:
        key = str(tmp_path / "enc.key")
        openssl("pkey", "-in", str(pki / "client.key"), "-aes128",
                "-passout", "pass:secret", "-out", key, cwd=tmp_path)
        opt, bad, why = "--key", key, \
            "the key is encrypted (wsc cannot ask for its passphrase)"
    r = run(["--ca", ca, "--cert", cert, "--key", key, url(ca_signed)],
            input=MSG)
    assert_one_error_line(r, status=2)
    assert r.stderr.decode() == "wsc: %s: %s: %s\n" % (opt, bad, why)


@pytest.mark.parametrize("dev,why", [
    ("/dev/null", "no certificate found"),
    ("/dev/zero", "larger than 1024 KiB")])
@pytest.mark.parametrize("opt", ["--ca", "--cert"])
def test_device_is_read_at_start_too(opt, dev, why):
    """A device is read (at most 1 MiB) and judged like a file; only a pipe
    is left for the connection to read, since it can be read only once."""
    args = [opt, dev] + (["--key", dev] if opt == "--cert" else [])
    with RawServer(lambda conn: None) as rs:
        r = run(args + [rs.url.replace("ws:", "wss:")], input=MSG)
        assert rs.conns == []
    assert_one_error_line(r, status=2)
    assert r.stderr.decode() == "wsc: %s: %s: %s\n" % (opt, dev, why)


def test_ca_from_a_pipe_is_used(pki, ca_signed):
    """--ca <(cat ca.pem): the pipe is read when connecting."""
    r = subprocess.run(["bash", "-c", '"$0" --ca <(cat "$1") "$2" <<< hello',
                        WSC, str(pki / "ca.pem"), url(ca_signed)],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello\n"


def test_unusable_ca_refused_for_ws_url_too(tmp_path):
    """A ws:// URL can redirect to wss://: the files are checked anyway."""
    with RawServer(lambda conn: None) as rs:
        r = run(["--ca", write(tmp_path, "x", "x\n"), rs.url], input=MSG)
        assert rs.conns == []
    assert_one_error_line(r, status=2)
    assert b"no certificate found" in r.stderr


# --- TLS with a proxy and after a redirect ---

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_wss_through_connect_proxy(pki, ca_signed, host):
    """TLS runs inside the CONNECT tunnel, verified against the URL's host."""
    with ConnectProxy() as proxy:
        r = echo(["--proxy", proxy.url, "--ca", str(pki / "ca.pem")],
                 ca_signed, host)
    assert_echoed(r)
    assert [q[0] for q in proxy.requests] == \
        ["CONNECT %s:%d HTTP/1.1" % (host, ca_signed.port)]


def test_wss_through_connect_proxy_still_verifies(self_signed):
    with ConnectProxy() as proxy:
        r = echo(["--proxy", proxy.url], self_signed)
    assert_one_error_line(r)
    assert len(proxy.requests) == 1


def redirect_to(server, args):
    """ws:// answering 302 to the wss:// server; returns wsc's result."""
    hops = []
    target = url(server) + "secure"
    with RawServer(redirector(hops, lambda n: target)) as rs:
        r = run(["-L", "-n", "1", "-w", "inf"] + list(args) + [rs.url],
                input=MSG)
    assert hops == ["GET / HTTP/1.1"]
    return r


def test_redirect_ws_to_wss_verified_with_ca(pki, ca_signed):
    r = redirect_to(ca_signed, ["--ca", str(pki / "ca.pem")])
    assert_echoed(r)


def test_redirect_ws_to_wss_self_signed_fails(self_signed):
    r = redirect_to(self_signed, [])
    assert r.returncode == 1, r.stderr
    assert r.stdout == b""
    lines = r.stderr.splitlines()
    assert lines[-1].startswith(b"wsc: ")
    assert all(l.startswith(b"wsc: redirect ") for l in lines[:-1])


def test_redirect_ws_to_wss_self_signed_with_insecure(self_signed):
    assert_echoed(redirect_to(self_signed, ["-k"]))


# --- wss:// to a server that does not speak TLS: no certificate advice ---

@pytest.fixture(scope="module")
def plain(request):
    s = python_server("websockets_echo.py")
    request.addfinalizer(s.close)
    return s


def test_wss_to_plain_http_server_suggests_ws(plain):
    """--ca or -k cannot help a server that speaks no TLS; it answered in
    HTTP, so ws:// on the same port is what to try."""
    r = echo([], plain)
    assert_tls_cause(r, plain, "127.0.0.1", "the server does not speak TLS "
                     "(it speaks plain HTTP); try ws://127.0.0.1:%d/"
                     % plain.port)


def test_wss_to_server_speaking_neither_tls_nor_http_suggests_nothing():
    """An SSH server's banner: neither certificates nor ws:// would help."""
    def banner(conn):
        conn.sock.recv(4096)                    # the ClientHello
        conn.sock.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        while conn.sock.recv(4096):             # until wsc closes
            pass

    with RawServer(banner) as rs:
        r = run([rs.url.replace("ws:", "wss:")], input=MSG)
    assert_tls_cause(r, rs, "127.0.0.1", "the server does not speak TLS")


# --- ws:// to a server that speaks TLS: try wss:// ---

def s_server(request, pki):
    """openssl s_server on a free port with server.pem; its port."""
    return server_on_free_port(request, "openssl s_server", lambda port: [
        "openssl", "s_server", "-quiet", "-www", "-accept",
        "127.0.0.1:%d" % port, "-cert", str(pki / "server.pem"),
        "-key", str(pki / "server.key")])


NGINX_CONF = """daemon off;
master_process off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %(dir)s;
    proxy_temp_path %(dir)s;
    fastcgi_temp_path %(dir)s;
    uwsgi_temp_path %(dir)s;
    scgi_temp_path %(dir)s;
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(pki)s/server.pem;
        ssl_certificate_key %(pki)s/server.key;
        location / { return 200 "hello"; }
    }
}
"""


def nginx(request, tmp_path, pki):
    """nginx with TLS on a free port; its port."""
    conf = tmp_path / "nginx.conf"

    def argv(port):
        conf.write_text(NGINX_CONF % dict(dir=tmp_path, port=port, pki=pki))
        return ["nginx", "-c", str(conf), "-e", str(tmp_path / "error.log")]
    return server_on_free_port(request, "nginx", argv)


@pytest.mark.parametrize("peer", ["websockets", "s_server"])
def test_ws_to_tls_server_that_closes_suggests_wss(request, pki, ca_signed,
                                                    peer):
    """Python's ssl and OpenSSL's s_server close at once, without a byte,
    on a request in plain text; so may a plain server, hence the "if"."""
    port = ca_signed.port if peer == "websockets" else s_server(request, pki)
    r = run(["ws://127.0.0.1:%d/" % port], input=MSG)
    assert_one_error_line(r)
    assert r.stderr.decode() == "wsc: ws://127.0.0.1:%d/: the server closed " \
        "the connection during the handshake (if it expects TLS on this " \
        "port, try wss://127.0.0.1:%d/)\n" % (port, port)


def test_ws_to_nginx_tls_port_suggests_wss(request, tmp_path, pki):
    """nginx answers 400 "The plain HTTP request was sent to HTTPS port"."""
    port = nginx(request, tmp_path, pki)
    r = run(["ws://127.0.0.1:%d/" % port], input=MSG)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.decode().splitlines()
    assert lines[-1] == "wsc: handshake rejected: HTTP 400 Bad Request (the " \
        "server expects TLS on this port; try wss://127.0.0.1:%d/)" % port
    assert any("HTTPS port" in l for l in lines[:-1]), r.stderr


def test_plain_400_gets_no_tls_advice():
    """The advice comes from what the 400 says, not from its status."""
    def refuse(conn):
        conn.read_request()
        conn.reject("400 Bad Request", body=b"missing Sec-WebSocket-Key")

    with RawServer(refuse) as rs:
        r = run([rs.url], input=MSG)
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode().splitlines()[-1] == \
        "wsc: handshake rejected: HTTP 400 Bad Request"


@pytest.mark.parametrize("record", [b"\x15\x03\x01\x00\x02\x02\x46",
                                    b"\x16\x03\x03\x00\x01\x00"],
                         ids=["alert", "handshake"])
def test_ws_answered_with_a_tls_record_suggests_wss(record):
    """A TLS stack that answers plain text with a record (an alert or a
    handshake one, version 3.x) is known to speak TLS: no "if"."""
    def answer(conn):
        conn.read_request()
        conn.send_raw(record)

    with RawServer(answer) as rs:
        r = run([rs.url], input=MSG)
    assert_one_error_line(r)
    assert r.stderr.decode() == "wsc: %s: the server speaks TLS on this " \
        "port (try wss://127.0.0.1:%d/)\n" % (rs.url, rs.port)
