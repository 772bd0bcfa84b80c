// A small server side of RFC 6455 for the local fakes (the fake Wings in the demo panel), so no
// websocket package is needed: the upgrade handshake, text frames (fragmented or not, masked as
// clients must send them), ping/pong and the close handshake. Binary frames are refused (1003),
// as Wings only speaks JSON text.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_MESSAGE = 1024 * 1024;

export interface ServerSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  readonly open: boolean;
  onMessage?: (text: string) => void;
  onClose?: (code: number, reason: string) => void;
}

/** Refuses an upgrade with a plain HTTP answer (what gorilla/websocket writes on a failed check). */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const reason = status === 403 ? "Forbidden" : status === 401 ? "Unauthorized" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Completes the handshake of `req` and returns the socket, or undefined (refused with 400). */
export function acceptUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): ServerSocket | undefined {
  const key = req.headers["sec-websocket-key"];
  if (
    req.headers.upgrade?.toLowerCase() !== "websocket" ||
    typeof key !== "string" ||
    req.headers["sec-websocket-version"] !== "13"
  ) {
    refuseUpgrade(socket, 400, "Bad Request");
    return undefined;
  }
  const accept = createHash("sha1")
    .update(key + GUID)
    .digest("base64");
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let open = true;
  let buffer: Buffer = head.length ? Buffer.from(head) : Buffer.alloc(0);
  let fragments: Buffer[] = [];
  const ws: ServerSocket = {
    get open() {
      return open;
    },
    send(text) {
      if (open) socket.write(frame(0x1, Buffer.from(text, "utf8")));
    },
    close(code = 1000, reason = "") {
      if (!open) return;
      open = false;
      const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
      payload.writeUInt16BE(code, 0);
      payload.write(reason, 2);
      socket.end(frame(0x8, payload));
      ws.onClose?.(code, reason);
    },
  };
  const closed = (code: number, reason: string) => {
    if (!open) return;
    open = false;
    socket.destroy();
    ws.onClose?.(code, reason);
  };
  const parse = () => {
    for (;;) {
      if (buffer.length < 2) return;
      const b0 = buffer[0] as number;
      const b1 = buffer[1] as number;
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffer.length < 4) return;
        len = buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffer.length < 10) return;
        len = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (len > MAX_MESSAGE) return ws.close(1009, "message too big");
      const masked = (b1 & 0x80) !== 0;
      if (!masked) return ws.close(1002, "client frames must be masked");
      if (buffer.length < offset + 4 + len) return;
      const mask = buffer.subarray(offset, offset + 4);
      const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
      buffer = buffer.subarray(offset + 4 + len);
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === 0x8) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        const reason = payload.length > 2 ? payload.subarray(2).toString("utf8") : "";
        if (open) socket.end(frame(0x8, payload.subarray(0, 2)));
        return closed(code, reason);
      }
      if (opcode === 0x9) {
        socket.write(frame(0xa, payload));
        continue;
      }
      if (opcode === 0xa) continue;
      if (opcode === 0x2) return ws.close(1003, "text frames only");
      if (opcode === 0x1 || opcode === 0x0) {
        fragments.push(payload);
        if (fin) {
          const text = Buffer.concat(fragments).toString("utf8");
          fragments = [];
          ws.onMessage?.(text);
        }
      }
    }
  };
  socket.on("data", (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    parse();
  });
  socket.on("close", () => closed(1006, ""));
  socket.on("error", () => closed(1006, ""));
  if (buffer.length) queueMicrotask(parse);
  return ws;
}
