# fish completion for wsc(1)

complete -c wsc -f

# Connection
complete -c wsc -s s -l subprotocol -x -d 'Offer a subprotocol (repeatable)'
complete -c wsc -s H -l header -x -d "Add a request header 'NAME: VALUE' (repeatable)"
complete -c wsc -s o -l origin -x -d 'Send Origin header'
complete -c wsc -l auth -x -d 'HTTP Basic authentication USER[:PASS]'
complete -c wsc -s L -l location -d 'Follow 3xx redirects'
complete -c wsc -l max-redirects -x -d 'Redirects to follow with -L (default 10)'
complete -c wsc -l proxy -x -d 'HTTP CONNECT proxy http://HOST:PORT'
complete -c wsc -l unix-socket -r -F -d 'Connect to a Unix socket'
complete -c wsc -l deflate -d 'Offer permessage-deflate (with --listen: accept it)'
complete -c wsc -l http2 -d 'WebSocket over HTTP/2 (RFC 8441)'
complete -c wsc -l reconnect -d 'Retry with backoff (--reconnect=N: at most N times)'
complete -c wsc -l connect-timeout -x -d 'Limit for DNS, TCP, TLS and handshake (default 10)'
complete -c wsc -s k -l insecure -d "Do not verify the TLS certificate and host name"
complete -c wsc -l ca -r -F -d 'Trust the CA certificates in FILE (PEM)'
complete -c wsc -l cert -r -F -d 'Client certificate (PEM)'
complete -c wsc -l key -r -F -d 'Client private key (PEM)'

# Messages
complete -c wsc -s x -l execute -x -d 'Send MSG after connecting; stdin is not read'
complete -c wsc -l send-file -r -F -d 'Send FILE as one message, in order with -x and -e'
complete -c wsc -s e -l expect -x -d 'Wait for a received message matching PATTERN (extended regex)'
complete -c wsc -l expect-timeout -x -d 'How long each -e or --expect-json waits, each --rpc reply, and --replay for the server (default 10)'
complete -c wsc -l expect-json -x -d 'Wait for a JSON message whose field at PATH equals VALUE'
complete -c wsc -l rpc -d 'Give JSON-RPC requests ids, pair replies by id, wait for all'
complete -c wsc -l record -r -F -d 'Write every event, sent messages too, to FILE as JSON lines'
complete -c wsc -l replay -r -F -d 'Send the messages a --record FILE sent; stdin is not read'
complete -c wsc -l replay-pace -x -a 'recorded none replies' -d 'How --replay paces its messages (default recorded)'
complete -c wsc -l replay-check -d 'With --replay: the server must answer as recorded (else exit 4)'
complete -c wsc -l stats -d 'At exit, print the figures of the session (with -j: a stats event)'
complete -c wsc -s w -l wait -x -a inf -d 'After input ends, keep receiving SECS'
complete -c wsc -s n -l count -x -d 'Close and exit after N received messages'
complete -c wsc -s b -l binary -d 'Send input messages as binary frames'
complete -c wsc -s 0 -l null -d 'NUL instead of newline delimits messages'
complete -c wsc -l max-size -x -d 'Largest incoming message accepted (bytes)'
complete -c wsc -s j -l jsonl -d 'One JSON object per event on stdout'
complete -c wsc -l ping-interval -x -d 'Send a Ping every SECS'
complete -c wsc -l ping-timeout -x -d 'Fail when a Pong takes longer than SECS'
complete -c wsc -s P -l show-ping-pong -d 'Report Pongs received with round-trip time'
complete -c wsc -l close-timeout -x -d "Silence allowed while waiting for the server's Close (default 5)"

# Display
complete -c wsc -s D -l dump-handshake -d 'Print the handshake exactly as it crossed the wire'
complete -c wsc -s v -l verbose -d 'All of -D -S plus a timing line'
complete -c wsc -s S -l show-state -d 'Print each readyState transition to stderr'
complete -c wsc -s t -l timestamps -d 'Prefix printed messages with the local time'
complete -c wsc -s q -l quiet -d 'Print only messages and errors'
complete -c wsc -l color -x -a 'auto always never' -d 'Colour on a terminal'
complete -c wsc -l no-color -d 'Same as --color=never'
complete -c wsc -l no-history -d 'Do not read or write the interactive history file'
complete -c wsc -l pretty -d 'On a terminal, show JSON messages indented and coloured'

# Server
complete -c wsc -s l -l listen -x -d 'Be a server on [HOST:]PORT: a chat room'
complete -c wsc -l plain -d 'With --listen: relay messages unchanged, no names'
complete -c wsc -l echo -d 'With --listen: echo each message to its sender'
complete -c wsc -l require-subprotocol -d 'With --listen: refuse clients offering none of -s'
complete -c wsc -l max-clients -x -d 'With --listen: connections served at once'
complete -c wsc -l allow-origin -x -d 'With --listen: also let pages from ORIGIN in'
complete -c wsc -l idle-timeout -x -d 'With --listen: close clients silent this long'

# General
complete -c wsc -l check -d 'Test an echo server against RFC 6455 and print a report'
complete -c wsc -s h -l help -d 'Show help and exit'
complete -c wsc -s V -l version -d 'Show versions and exit'
