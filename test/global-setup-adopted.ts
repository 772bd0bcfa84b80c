// Global setup of the adopted run: the same services, on a database adopted from upstream's shape.
import type { TestProject } from "vitest/node";
import { setupWith } from "./global-setup.ts";
import { adoptUpstreamDatabase } from "./upstream/adopted-setup.ts";

export default function setup(project: TestProject) {
  return setupWith(project, adoptUpstreamDatabase);
}
