// File paths a customer sends (`?directory=`, `?file=`), checked before they reach the panel:
// no NUL or control characters, no backslashes, no `..` segment, no percent-encoded dot, slash,
// backslash or NUL that a second decoding could turn into one. What passes is the canonical
// path from the server's root ("/", "/plugins/config.yml"): duplicate slashes and "." segments
// folded, never anything above the root.
import { AppError } from "../../platform/errors.ts";

export const MAX_PATH_LENGTH = 1024;

const ENCODED_DANGER = /%(2e|2f|5c|00)/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(field: string, message: string): AppError {
  return new AppError("INVALID_REQUEST", `${field}: ${message}`, { details: [{ path: field, message }] });
}

/** The canonical form of a path inside the server, or INVALID_REQUEST naming `field`. */
export function serverPath(raw: string, field: string): string {
  if (raw.length > MAX_PATH_LENGTH) throw invalid(field, `longer than ${MAX_PATH_LENGTH} characters`);
  if (CONTROL.test(raw)) throw invalid(field, "contains a NUL or control character");
  if (raw.includes("\\")) throw invalid(field, "contains a backslash");
  if (ENCODED_DANGER.test(raw)) throw invalid(field, "contains an encoded dot, slash or NUL");
  const segments: string[] = [];
  for (const segment of raw.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") throw invalid(field, "must not leave the server's directory (..)");
    segments.push(segment);
  }
  return `/${segments.join("/")}`;
}

/** A directory (the root allowed; empty means the root). */
export const directoryPath = (raw: string | undefined) => serverPath(raw ?? "/", "directory");

/** A file: not the root, not ending in "/". */
export function filePath(raw: string): string {
  if (raw.endsWith("/")) throw invalid("file", "names a directory");
  const path = serverPath(raw, "file");
  if (path === "/") throw invalid("file", "names the server's root directory");
  return path;
}
