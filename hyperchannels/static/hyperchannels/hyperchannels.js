// hyperchannels browser client: one WebSocket, server actions, events applied as they arrive.
// Dependency-free native ES modules, one per concern, served as they are (no build step):
// protocol.js (generated from hyperchannels/protocol.json), error.js, timer.js, loading.js, lanes.js,
// call.js, fields.js, dom.js, apply.js, recovery.js, socket.js, triggers.js, declarative.js. This
// entry is the public API.
import { serve } from "./declarative.js";
import { HyperSocket } from "./socket.js";

export { action, alpinePlugin } from "./declarative.js";
export { HyperError } from "./error.js";
export { PROTOCOL } from "./protocol.js";
export { HyperSocket };

/** Open a socket to a HyperConsumer (a relative URL becomes ws: or wss:). */
export function connect(url, options = {}) {
  const socket = new HyperSocket(url, options);
  if (options.declarative !== false) serve(socket);
  return socket;
}
