// `npm run cutover:compare -- --old URL --new URL [--token T]`: the same read-only requests to both
// backends (public stats and health; with an admin token, the admin lists and the dashboard), then
// the differences in status and JSON shape. Exit 1 when something the website reads differs.
// The token is sent to both backends; never put it in shell history (`--token "$(cat file)"`).
import { parseArgs } from "node:util";
import { compareBackends, formatComparison } from "./lib/cutover-compare.ts";

const { values } = parseArgs({
  options: { old: { type: "string" }, new: { type: "string" }, token: { type: "string" } },
});
const token = values.token ?? process.env.CUTOVER_TOKEN;
if (!values.old || !values.new) {
  console.error(
    "usage: npm run cutover:compare -- --old https://old.example --new https://new.example [--token T]",
  );
  console.error("       (or CUTOVER_TOKEN=… in the environment instead of --token)");
  process.exit(2);
}
const results = await compareBackends({ old: values.old, new: values.new, token });
console.log(formatComparison(results, { old: values.old, new: values.new, skippedAdmin: !token }));
if (results.some((r) => r.noticeable)) process.exitCode = 1;
