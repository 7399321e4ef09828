// A GraphQL server over graphql-transport-ws: the npm graphql-ws package
// on Debian's node-ws, at ws://127.0.0.1:PORT/graphql; prints its port as
// its first line. Its schema: a query `hello` and a subscription
// `count(to: N)` that yields 1..N. graphql and graphql-ws come from
// `npm ci` in this directory (tools/run-tests runs it).
'use strict';

// found in this directory's node_modules (ws: NODE_PATH, Debian's)
function need(name) {
  try {
    return require(name);
  } catch (e) {
    process.stderr.write(name + ' is not installed in tests/graphql ' +
      '(`npm ci` there installs it): ' + e.message + '\n');
    process.exit(1);
  }
}
const { buildSchema } = need('graphql');
const { useServer } = need('graphql-ws/lib/use/ws');
const { WebSocketServer } = require('ws');

const schema = buildSchema(`
  type Query { hello: String }
  type Subscription { count(to: Int!): Int }
`);
const roots = {
  query: { hello: () => 'world' },
  subscription: {
    count: async function* ({ to }) {
      for (let i = 1; i <= to; i++) {
        yield { count: i };
      }
    },
  },
};

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0,
  path: '/graphql' });
useServer({ schema, roots }, wss);
wss.on('listening', () => {
  process.stdout.write(wss.address().port + '\n');
});
process.on('SIGTERM', () => process.exit(0));
