"""A scripted conversation with a real GraphQL server: the npm graphql-ws
package on node-ws (tests/graphql/server.js), over graphql-transport-ws.
Each step waits for the server's answer to the one before: graphql-ws
refuses a subscribe that comes before its connection_ack (close 4401),
which a script without the -e can meet. The packages come from `npm ci` in
tests/graphql (tools/run-tests runs it); without them this test fails,
saying so. Not run under valgrind in CI: it runs before those packages
are installed."""
import json
import os

from harness import NODE_PATH, ROOT, ServerProcess, run

SERVER = os.path.join(ROOT, "tests", "graphql", "server.js")


def subscribe(op_id, query):
    return json.dumps({"id": op_id, "type": "subscribe",
                       "payload": {"query": query}})


def converse(*script):
    """Run wsc with the script against the GraphQL server: after
    connection_init, its acknowledgement is awaited."""
    with ServerProcess(["node", SERVER],
                       env=dict(os.environ, NODE_PATH=NODE_PATH)) as srv:
        return run(["-s", "graphql-transport-ws",
                    "-x", '{"type":"connection_init"}', "-e",
                    "connection_ack"] + list(script) +
                   ["ws://127.0.0.1:%d/graphql" % srv.port])


def test_graphql_transport_ws_conversation():
    r = converse("-x", subscribe("1", "{ hello }"),
                 "-e", '"id":"1","type":"complete"',
                 "-x", subscribe("2", "subscription { count(to: 3) }"),
                 "-e", '"id":"2","type":"complete"')
    assert r.returncode == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert got == [
        {"type": "connection_ack"},
        {"id": "1", "type": "next", "payload": {"data": {"hello": "world"}}},
        {"id": "1", "type": "complete"},
    ] + [{"id": "2", "type": "next", "payload": {"data": {"count": n}}}
         for n in (1, 2, 3)] + [{"id": "2", "type": "complete"}]


def test_graphql_error_is_not_the_expected_reply():
    # a query the schema does not have: graphql-ws answers with "error",
    # so the "complete" awaited does not come
    r = converse("-x", subscribe("1", "{ nope }"),
                 "-e", '"type":"complete"', "--expect-timeout", "1")
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode()
    assert "expected a message matching '\"type\":\"complete\"': timed " \
        "out" in err, err
    assert 'the last of 1 received: {"id":"1","type":"error"' in err, err
