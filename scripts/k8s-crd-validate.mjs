// Validates Prometheus Operator resources with the validators of the npm package
// @kubernetes-models/prometheus-operator (installed by scripts/k8s-schemas).
// Usage: node scripts/k8s-crd-validate.mjs NODE_PREFIX < [{"source": "...", "object": {...}}, ...]
// Prints one line per resource ("ok SOURCE" or "invalid SOURCE: errors"); exits 1 if any is
// invalid or of a kind the package does not model.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const prefix = process.argv[2];
const models = join(prefix, "node_modules", "@kubernetes-models", "prometheus-operator");
const resources = JSON.parse(readFileSync(0, "utf8"));
let failed = 0;
for (const { source, object } of resources) {
  const [group, version] = object.apiVersion.split("/");
  let model;
  try {
    model = await import(pathToFileURL(join(models, group, version, `${object.kind}.js`)).href);
  } catch (error) {
    console.log(`invalid ${source}: no model for ${object.apiVersion} ${object.kind} (${error.message})`);
    failed++;
    continue;
  }
  try {
    new model[object.kind](object).validate();
    console.log(`ok ${source}`);
  } catch (error) {
    console.log(`invalid ${source}: ${JSON.stringify(error.errors ?? error.message)}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
